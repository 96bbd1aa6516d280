//! A get and a set through the bridge against the same through v2, on one etcd that serves both: the answers
//! agree (value, key, action) and the cost of the bridge is printed (`--nocapture`). Skips loudly without etcd;
//! fails when `ETCD_REQUIRED=1`.

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, KeysApi};
use etcd_testkit::cluster_or_skip;

const ROUNDS: usize = 200;

/// Mean time per call of `ROUNDS` sets then `ROUNDS` gets, checking each answer.
async fn measure(keys: &KeysApi, name: &str) -> (Duration, Duration) {
    let started = Instant::now();
    for i in 0..ROUNDS {
        let set = keys.set(&format!("/bench/{name}/k{}", i % 10), &i.to_string(), None).await.unwrap();
        assert_eq!(set.action, Action::Set);
    }
    let set = started.elapsed() / ROUNDS as u32;
    let started = Instant::now();
    for i in 0..ROUNDS {
        let got = keys.get(&format!("/bench/{name}/k{}", i % 10), None).await.unwrap();
        assert_eq!(got.node.value, (ROUNDS - 10 + i % 10).to_string());
    }
    (set, started.elapsed() / ROUNDS as u32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_and_a_set_through_the_bridge_and_through_v2() {
    let Some(etcd) = cluster_or_skip(1) else { return };
    let client = Client::builder(etcd.endpoints()).header_timeout_per_request(Duration::from_secs(5)).build().unwrap();
    let v2 = KeysApi::new(client.clone());
    let bridged = KeysApi::new(etcd_v2v3::bridge(client));
    // Warm both paths' connections.
    measure(&v2, "warm").await;
    measure(&bridged, "warm").await;
    let (v2_set, v2_get) = measure(&v2, "v2").await;
    let (bridge_set, bridge_get) = measure(&bridged, "v3").await;
    eprintln!(
        "per call, sequential, {ROUNDS} each: set {v2_set:?} (v2) vs {bridge_set:?} (bridge, {:.2}x); get {v2_get:?} (v2) vs {bridge_get:?} (bridge, {:.2}x)",
        bridge_set.as_secs_f64() / v2_set.as_secs_f64(),
        bridge_get.as_secs_f64() / v2_get.as_secs_f64(),
    );
    let (v2_read, bridged_read) =
        (v2.get("/bench/v2/k3", None).await.unwrap(), bridged.get("/bench/v3/k3", None).await.unwrap());
    assert_eq!(v2_read.node.value, bridged_read.node.value, "the same writes, the same answer");
}
