//! What the bridge decides on its own, against a real etcd started WITHOUT v2: etcd's v2 errors and causes, the
//! v3 layout (one level is one range), prefixes kept apart, hidden keys, directory TTLs, and members. Skips
//! loudly without etcd; fails when `ETCD_REQUIRED=1`.

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, PrevExist, SetOptions, WatcherOptions};
use etcd_testkit::Cluster;

/// A single-member etcd serving only v3 and a v3 client to it.
fn v3_etcd() -> Option<(Cluster, Client)> {
    let cluster = Cluster::builder().without_v2().start_or_skip()?;
    let v3 = Client::builder(cluster.endpoints())
        .header_timeout_per_request(Duration::from_secs(5))
        .build()
        .expect("the test cluster's endpoints are valid");
    Some((cluster, v3))
}

/// The v3 keys under `prefix`, as etcd holds them.
async fn raw_keys(v3: &Client, prefix: &str) -> Vec<String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut end = prefix.as_bytes().to_vec();
    *end.last_mut().unwrap() += 1;
    let body = serde_json::json!({ "key": engine.encode(prefix), "range_end": engine.encode(&end), "keys_only": true });
    let request = http::Request::post("/v3/kv/range").body(body.to_string()).unwrap();
    let response = v3.send(request).await.unwrap();
    let bytes = response.into_body().bytes().await.unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let kvs = answer["kvs"].as_array().cloned().unwrap_or_default();
    kvs.iter().map(|kv| String::from_utf8(engine.decode(kv["key"].as_str().unwrap()).unwrap()).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcds_errors_with_their_causes() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3));
    let file = keys.set("/file", "f", None).await.unwrap();

    let below_a_file = keys.set("/file/x", "1", None).await.unwrap_err();
    assert!(below_a_file.is_not_dir(), "{below_a_file}");
    assert_eq!(below_a_file.as_etcd().unwrap().cause(), Some("/file"));
    let read_below = keys.get("/file/x", None).await.unwrap_err();
    assert!(read_below.is_not_dir(), "{read_below}");

    let missing_parent = keys.get("/nope/deeper/key", None).await.unwrap_err();
    assert!(missing_parent.is_key_not_found(), "{missing_parent}");
    assert_eq!(missing_parent.as_etcd().unwrap().cause(), Some("/nope"));
    assert!(missing_parent.as_etcd().unwrap().index() >= file.index);

    keys.set("/dir/child", "c", None).await.unwrap();
    let over_a_dir = keys.set("/dir", "v", None).await.unwrap_err();
    assert!(over_a_dir.is_not_file(), "{over_a_dir}");
    let delete_a_dir = keys.delete("/dir", None).await.unwrap_err();
    assert!(delete_a_dir.is_not_file(), "{delete_a_dir}");
    let not_empty = keys.delete("/dir", Some(DeleteOptions::new().with_dir())).await.unwrap_err();
    assert!(not_empty.is_dir_not_empty(), "{not_empty}");
    let cas_a_dir = keys.set("/dir", "v", Some(SetOptions::new().with_prev_value("x"))).await.unwrap_err();
    assert!(cas_a_dir.is_not_file(), "{cas_a_dir}");

    let root = keys.set("/", "v", None).await.unwrap_err();
    assert_eq!(root.as_etcd().unwrap().code().0, 107, "{root}");
    let in_order_below_a_file = keys.create_in_order("/file", "x", None).await.unwrap_err();
    assert!(in_order_below_a_file.is_not_dir(), "{in_order_below_a_file}");

    // An empty directory goes with `dir`; a missing one is not found.
    keys.set("/empty", "", Some(SetOptions::new().with_dir())).await.unwrap();
    let deleted = keys.delete("/empty", Some(DeleteOptions::new().with_dir())).await.unwrap();
    assert_eq!(deleted.action, Action::Delete);
    assert!(deleted.node.dir);
    assert!(keys.get("/empty", None).await.unwrap_err().is_key_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keys_per_node_and_prefixes_kept_apart() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3.clone()));
    let written = keys.set("/a/b/c", "v", None).await.unwrap();
    assert_eq!(written.node.created_index, written.node.modified_index);
    let expected = [
        "/etcd-v2v3/data/a/",
        "/etcd-v2v3/data/a/b/",
        "/etcd-v2v3/data/a/b/c/",
        "/etcd-v2v3/dirs//a",
        "/etcd-v2v3/dirs/a//b",
        "/etcd-v2v3/dirs/a/b//c",
    ];
    assert_eq!(raw_keys(&v3, "/etcd-v2v3/").await, expected);

    // The directories made on the way were made by the same transaction.
    let a = keys.get("/a", None).await.unwrap();
    assert_eq!(a.node.nodes[0].created_index, written.node.modified_index);
    assert!(a.node.nodes[0].dir);

    let other = KeysApi::new(etcd_v2v3::bridge_with_prefix(v3.clone(), "/elsewhere"));
    assert!(other.get("/a", None).await.unwrap_err().is_key_not_found());
    other.set("/a", "mine", None).await.unwrap();
    assert_eq!(keys.get("/a/b/c", None).await.unwrap().node.value, "v");
    assert_eq!(raw_keys(&v3, "/elsewhere/").await, ["/elsewhere/data/a/", "/elsewhere/dirs//a"]);

    // A recursive delete takes both keys of every node below, in one revision.
    let deleted = keys.delete("/a", Some(DeleteOptions::new().with_recursive())).await.unwrap();
    assert_eq!(deleted.node.modified_index, written.node.modified_index + 2);
    assert!(raw_keys(&v3, "/etcd-v2v3/").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_keys_and_both_kinds_of_read() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3));
    keys.set("/h/_secret", "s", None).await.unwrap();
    keys.set("/h/shown", "v", None).await.unwrap();
    keys.set("/h/sub/_deep", "d", None).await.unwrap();
    let listed = keys.get("/h", Some(GetOptions::new().with_recursive())).await.unwrap();
    let names: Vec<&str> = listed.node.nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(names, ["/h/shown", "/h/sub"]);
    assert!(listed.node.nodes[1].nodes.is_empty(), "hidden below too");
    assert_eq!(keys.get("/h/_secret", None).await.unwrap().node.value, "s");
    let quorum = keys.get("/h/shown", Some(GetOptions::new().with_quorum())).await.unwrap();
    let local = keys.get("/h/shown", None).await.unwrap();
    assert_eq!(quorum.node, local.node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_ttl_takes_what_was_created_below_it() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3));
    let ttl = SetOptions::new().with_dir().with_ttl(Duration::from_secs(2));
    let dir = keys.set("/session", "", Some(ttl)).await.unwrap();
    assert!(dir.node.ttl.is_some());
    let mut watcher = keys.watcher("/session", Some(WatcherOptions::new().with_after_index(dir.index)));
    let child = keys.set("/session/lock", "me", None).await.unwrap();
    assert_eq!(child.node.ttl, None, "the child shows no TTL of its own");
    let expired = tokio::time::timeout(Duration::from_secs(15), watcher.next())
        .await
        .expect("the directory expired in time")
        .unwrap()
        .unwrap();
    assert_eq!((expired.action, expired.node.key.as_str()), (Action::Expire, "/session"));
    assert!(keys.get("/session/lock", None).await.unwrap_err().is_key_not_found(), "gone with its directory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_a_directory_keeps_what_is_below_it() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3));
    let ttl = Duration::from_secs(3);
    let dir = keys.set("/lock", "", Some(SetOptions::new().with_dir().with_ttl(ttl))).await.unwrap();
    keys.set("/lock/holder", "me", None).await.unwrap();
    let created = Instant::now();
    // Refresh for twice the TTL: the directory and its child outlive the first lease's term.
    while created.elapsed() < ttl * 2 {
        let refresh = SetOptions::new().with_dir().with_ttl(ttl).with_refresh().with_prev_exist(PrevExist::Exists);
        keys.set("/lock", "", Some(refresh)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(keys.get("/lock/holder", None).await.unwrap().node.value, "me", "kept by the renewed lease");
    // Left alone, both go, as one directory expiring.
    let mut watcher = keys.watcher("/lock", Some(WatcherOptions::new().with_after_index(dir.index)));
    let expired =
        tokio::time::timeout(Duration::from_secs(15), watcher.next()).await.expect("in time").unwrap().unwrap();
    assert_eq!((expired.action, expired.node.key.as_str()), (Action::Expire, "/lock"));
    assert!(keys.get("/lock/holder", None).await.unwrap_err().is_key_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_leader_and_health_come_from_v3() {
    let Some((etcd, v3)) = v3_etcd() else { return };
    let bridged = etcd_v2v3::bridge(v3);
    // The very first answer carries the cluster's ID and the server's version.
    let first = KeysApi::new(bridged.clone()).set("/first", "x", None).await.unwrap();
    assert!(first.cluster_id.as_deref().is_some_and(|id| id != "0"), "{:?}", first.cluster_id);
    let version = bridged.send(http::Request::get("/version").body(Vec::new()).unwrap()).await.unwrap();
    let version = version.into_body().bytes().await.unwrap();
    let version: serde_json::Value = serde_json::from_slice(&version).unwrap();
    assert_eq!(version["etcdserver"].as_str(), Some(etcd.binary().version()));
    let members = etcd_members::MembersApi::new(bridged.clone());
    let listed = members.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_urls, etcd.endpoints());
    let leader = members.leader().await.unwrap();
    assert_eq!(leader.id, listed[0].id);
    let health = bridged.send(http::Request::get("/health").body(Vec::new()).unwrap()).await.unwrap();
    assert_eq!(health.status(), http::StatusCode::OK);
    let started = Instant::now();
    let keys = KeysApi::new(bridged);
    let set = keys.set("/cid", "x", None).await.unwrap();
    assert!(set.cluster_id.is_some_and(|id| id != "0"), "the cluster's ID, learned from v3 answers");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_watch_sends_every_event_as_a_line() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let bridged = etcd_v2v3::bridge(v3);
    let keys = KeysApi::new(bridged.clone());
    let start = keys.set("/s/seed", "0", None).await.unwrap().index;
    let target = format!("/v2/keys/s?wait=true&stream=true&recursive=true&waitIndex={}", start + 1);
    let mut request = http::Request::get(target).body(Vec::new()).unwrap();
    request.extensions_mut().insert(etcd_transport::LongPoll);
    let response = bridged.send(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    for i in 1..=3 {
        keys.set(&format!("/s/k{i}"), &i.to_string(), None).await.unwrap();
    }
    keys.delete("/s/k1", None).await.unwrap();
    // Read lines until four events came, bounded.
    let mut body = response.into_body();
    let mut text = String::new();
    let read = async {
        use http_body_util::BodyExt;
        while text.lines().count() < 4 {
            let frame = body.frame().await.expect("the stream stays open").unwrap();
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.expect("four events within 10 s");
    let events: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let seen: Vec<(&str, &str)> =
        events.iter().map(|e| (e["action"].as_str().unwrap(), e["node"]["key"].as_str().unwrap())).collect();
    assert_eq!(seen, [("set", "/s/k1"), ("set", "/s/k2"), ("set", "/s/k3"), ("delete", "/s/k1")]);
    assert_eq!(events[3]["prevNode"]["value"], "1");
}

/// The leases etcd holds, through the v3 gateway.
async fn leases(v3: &Client) -> usize {
    let request = http::Request::post("/v3/lease/leases").body("{}").unwrap();
    let body = v3.send(request).await.unwrap().into_body().bytes().await.unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    answer["leases"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_leaves_no_lease_behind() {
    let Some((_etcd, v3)) = v3_etcd() else { return };
    let keys = KeysApi::new(etcd_v2v3::bridge(v3.clone()));
    let ttl = SetOptions::new().with_ttl(Duration::from_secs(600));
    keys.set("/taken", "x", Some(ttl.clone())).await.unwrap();
    assert_eq!(leases(&v3).await, 1, "the key's own");
    let refused = keys.set("/taken", "y", Some(ttl.clone().with_prev_exist(PrevExist::NotExists))).await;
    assert!(refused.unwrap_err().is_node_exist());
    let refused = keys.set("/taken", "y", Some(ttl.with_prev_value("nope"))).await;
    assert!(refused.unwrap_err().is_test_failed());
    assert_eq!(leases(&v3).await, 1, "the refused writes' leases revoked");
}
