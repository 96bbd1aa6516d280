//! How long a sequential `get` through `KeysApi` takes over the in-memory etcd (`Client::new(fake)`): the
//! client's request building and answer decoding plus the fake's parsing, store read and rendering, no network.
//!
//! `cargo run --release -p examples --example fake_bench [-- GETS]` (no etcd needed)

use std::time::Instant;

use etcd_fake::FakeEtcd;
use etcd_keys::{Client, KeysApi};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), etcd_keys::Error> {
    let gets: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let fake = FakeEtcd::new();
    let keys = KeysApi::new(Client::new(fake));
    keys.set("/bench/key", "a value of some thirty bytes..", None).await?;
    for _ in 0..gets / 10 {
        keys.get("/bench/key", None).await?; // warm-up
    }
    let mut best = f64::MAX;
    for round in 1..=5 {
        let started = Instant::now();
        for _ in 0..gets {
            keys.get("/bench/key", None).await?;
        }
        let per_get = started.elapsed().as_secs_f64() * 1e6 / f64::from(gets);
        best = best.min(per_get);
        println!("round {round}: {gets} sequential gets, {per_get:.2} µs per get");
    }
    println!("best: {best:.2} µs per get through KeysApi over Client::new(FakeEtcd)");
    Ok(())
}
