//! A keys call without a server: building the request (key encoding, query, form), sending it through the
//! client to a transport that answers at once with a canned answer, and decoding that answer.
//! `cargo bench -p etcd-keys`.
//!
//! `bare` is `Client::new(transport)`: the request and the decoding alone. `stack` is
//! `Client::builder(..).transport(transport).build()`: the same behind the default layers, so the difference
//! between the two is what the layers cost per call.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented public function")]

use std::convert::Infallible;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use etcd_keys::{Client, GetOptions, KeysApi, SetOptions};
use etcd_transport::{Body, RequestBody};
use http::{HeaderValue, Request, Response};

const GET: &str = r#"{"action":"get","node":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234567,"createdIndex":1234000}}"#;
const SET: &str = r#"{"action":"set","node":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234568,"createdIndex":1234568},"prevNode":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234567,"createdIndex":1234000}}"#;

/// A transport that answers every request at once, as etcd answers a get or a set.
fn canned(request: Request<RequestBody>) -> std::future::Ready<Result<Response<Body>, Infallible>> {
    let body = if request.method() == http::Method::GET { GET } else { SET };
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-etcd-cluster-id", HeaderValue::from_static("cdf818194e3a8c32"));
    headers.insert("x-etcd-index", HeaderValue::from_static("1234568"));
    headers.insert("x-raft-index", HeaderValue::from_static("2345678"));
    headers.insert("x-raft-term", HeaderValue::from_static("2"));
    std::future::ready(Ok(response))
}

fn calls(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let bare = KeysApi::new(Client::new(tower::service_fn(canned)));
    let stack =
        KeysApi::new(Client::builder(["http://127.0.0.1:2379"]).transport(tower::service_fn(canned)).build().unwrap());
    let mut group = c.benchmark_group("call");
    for (name, keys) in [("bare", &bare), ("stack", &stack)] {
        group.bench_function(format!("{name}/get"), |b| {
            b.iter(|| runtime.block_on(keys.get(black_box("/bench/small/k01"), None)).unwrap())
        });
        group.bench_function(format!("{name}/set"), |b| {
            b.iter(|| runtime.block_on(keys.set(black_box("/bench/small/k01"), "v01-abcdefghijkl", None)).unwrap())
        });
    }
    group.bench_function("bare/get_encoded_key_recursive_sorted", |b| {
        let options = GetOptions::new().with_recursive().with_sort();
        b.iter(|| runtime.block_on(bare.get(black_box("/app/a b?c#d/ключ/🔑"), Some(options.clone()))).unwrap())
    });
    group.bench_function("bare/set_with_conditions_and_ttl", |b| {
        let options = SetOptions::new().with_prev_index(7).with_ttl(std::time::Duration::from_millis(1500));
        b.iter(|| {
            runtime.block_on(bare.set(black_box("/app/config"), "a value & more", Some(options.clone()))).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
