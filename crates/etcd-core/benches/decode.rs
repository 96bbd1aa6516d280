//! Decoding etcd's answers, without a server: a typical `get`, a `set` with its previous node, and the recursive
//! listing of a 10,000-key directory (about 1.8 MB of JSON), next to serde_json decoding the same listing into
//! plain typed structs, the baseline `decode::response` is held to. `cargo bench -p etcd-core`.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented public function")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etcd_core::decode;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;

const GET: &[u8] =
    br#"{"action":"get","node":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234567,"createdIndex":1234000}}"#;
const SET: &[u8] = br#"{"action":"set","node":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234568,"createdIndex":1234568},"prevNode":{"key":"/bench/small/k01","value":"v01-abcdefghijkl","modifiedIndex":1234567,"createdIndex":1234000}}"#;

/// etcd's headers on a keys answer.
fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("content-type", "application/json"),
        ("x-etcd-cluster-id", "cdf818194e3a8c32"),
        ("x-etcd-index", "1234568"),
        ("x-raft-index", "2345678"),
        ("x-raft-term", "2"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
}

/// The answer to a recursive get of a directory of `keys` keys, each with a 90-byte value, as etcd writes it.
fn listing(keys: usize) -> Vec<u8> {
    let mut out = String::from(r#"{"action":"get","node":{"key":"/bench/list","dir":true,"nodes":["#);
    for i in 0..keys {
        if i > 0 {
            out.push(',');
        }
        let index = 100_000 + i;
        let head = format!("listed-value-{i:05}-");
        let value: String =
            head.chars().chain("abcdefghijklmnopqrstuvwxyz0123456789".chars().cycle()).take(90).collect();
        out.push_str(&format!(
            r#"{{"key":"/bench/list/key-{i:05}","value":"{value}","modifiedIndex":{index},"createdIndex":{index}}}"#
        ));
    }
    out.push_str(r#"],"modifiedIndex":99999,"createdIndex":99999}}"#);
    out.into_bytes()
}

/// The baseline: the same JSON into plain serde structs with the fields of `etcd_core::Node`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "decoded to be timed, not read")]
struct PlainBody {
    action: String,
    #[serde(default)]
    node: Option<PlainNode>,
    #[serde(default)]
    prev_node: Option<PlainNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "decoded to be timed, not read")]
struct PlainNode {
    #[serde(default)]
    key: String,
    #[serde(default)]
    dir: bool,
    #[serde(default)]
    value: String,
    #[serde(default)]
    nodes: Vec<PlainNode>,
    #[serde(default)]
    created_index: u64,
    #[serde(default)]
    modified_index: u64,
    #[serde(default)]
    expiration: Option<String>,
    #[serde(default)]
    ttl: Option<i64>,
}

fn decoding(c: &mut Criterion) {
    let headers = headers();
    let mut group = c.benchmark_group("decode");
    group.bench_function("get", |b| b.iter(|| decode::response(StatusCode::OK, &headers, black_box(GET)).unwrap()));
    group.bench_function("set_with_prev_node", |b| {
        b.iter(|| decode::response(StatusCode::OK, &headers, black_box(SET)).unwrap())
    });
    let error = br#"{"errorCode":100,"message":"Key not found","cause":"/bench/missing","index":1234568}"#;
    group.bench_function("key_not_found", |b| {
        b.iter(|| decode::response(StatusCode::NOT_FOUND, &headers, black_box(error)).unwrap_err())
    });
    group.finish();

    let list = listing(10_000);
    assert_eq!(decode::response(StatusCode::OK, &headers, &list).unwrap().node.nodes.len(), 10_000);
    let mut group = c.benchmark_group("decode_listing_10k");
    group.throughput(Throughput::Bytes(list.len() as u64));
    group.sample_size(30);
    group.bench_function("etcd_core", |b| {
        b.iter(|| decode::response(StatusCode::OK, &headers, black_box(&list)).unwrap())
    });
    group.bench_function("serde_baseline", |b| {
        b.iter(|| serde_json::from_slice::<PlainBody>(black_box(&list)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decoding);
criterion_main!(benches);
