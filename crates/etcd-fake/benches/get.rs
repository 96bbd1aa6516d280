//! A keys call against the in-memory etcd: the client's request and decoding plus the fake's parsing, store and
//! rendering, no network. What a user's test pays per call. `cargo bench -p etcd-fake` (or
//! `cargo xtask bench --micro`).
#![expect(missing_docs, reason = "criterion_group! generates an undocumented public function")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use etcd_fake::FakeEtcd;
use etcd_keys::{Client, KeysApi};

fn calls(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let keys = runtime.block_on(async {
        let keys = KeysApi::new(Client::new(FakeEtcd::new()));
        keys.set("/bench/key", "a value of some thirty bytes..", None).await.unwrap();
        keys
    });
    let mut group = c.benchmark_group("fake");
    group.bench_function("get", |b| {
        b.iter(|| runtime.block_on(async { black_box(keys.get("/bench/key", None).await.unwrap()) }))
    });
    group.bench_function("set", |b| {
        b.iter(|| runtime.block_on(async { black_box(keys.set("/bench/key", "v", None).await.unwrap()) }))
    });
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
