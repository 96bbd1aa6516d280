//! Answers no etcd gives, from a scripted server posing as the v3 gateway: every call through the bridge ends
//! with an error (or a reading of the answer), never a panic or a hang. No etcd needed.

use std::time::Duration;

use etcd_keys::{Client, KeysApi, SetOptions, WatcherOptions};
use etcd_testkit::{ScriptedServer, Step};

fn answer(status: &str, body: &str) -> Vec<Step> {
    vec![Step::text(format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ))]
}

/// A keys API bridged onto a server that answers every call with `body`.
fn bridged_onto(status: &'static str, body: &'static str) -> (ScriptedServer, KeysApi) {
    let server = ScriptedServer::start(move |_| answer(status, body));
    let v3 = Client::builder([server.url()]).header_timeout_per_request(Duration::from_secs(2)).build().unwrap();
    (server, KeysApi::new(etcd_v2v3::bridge(v3)))
}

/// Every kind of call, each bounded: whatever the answer, it returns.
async fn every_call(keys: &KeysApi) -> Vec<bool> {
    let bounded = Duration::from_secs(10);
    let mut ok = Vec::new();
    let ttl = SetOptions::new().with_ttl(Duration::from_secs(5));
    ok.push(tokio::time::timeout(bounded, keys.get("/a/b", None)).await.expect("get returns").is_ok());
    ok.push(tokio::time::timeout(bounded, keys.set("/a/b", "v", None)).await.expect("set returns").is_ok());
    ok.push(tokio::time::timeout(bounded, keys.set("/a/b", "v", Some(ttl))).await.expect("ttl returns").is_ok());
    ok.push(tokio::time::timeout(bounded, keys.create_in_order("/q", "v", None)).await.expect("returns").is_ok());
    ok.push(tokio::time::timeout(bounded, keys.delete("/a", None)).await.expect("delete returns").is_ok());
    let mut watcher = keys.watcher("/a", Some(WatcherOptions::new().with_after_index(3)));
    // A watcher retries a broken watch; the first answer (an event or an error) is what is asked of it here,
    // or nothing within the bound when the answers are unusable.
    let _ = tokio::time::timeout(Duration::from_secs(3), watcher.next()).await;
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_answers_are_errors() {
    for body in ["<html>not etcd</html>", "{\"header\":", "[]", "{\"kvs\":\"nope\"}", ""] {
        let (_server, keys) = bridged_onto("200 OK", body);
        let outcomes = every_call(&keys).await;
        assert!(outcomes.iter().all(|ok| !ok), "{body:?}: {outcomes:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_numbers_and_foreign_values_do_not_panic() {
    // Revisions at u64::MAX, a value not written by the bridge, an expiry past what the clock holds.
    let max = u64::MAX;
    let body: &'static str = Box::leak(
        format!(
            r#"{{"header":{{"cluster_id":"{max}","revision":"{max}","raft_term":"{max}"}},"succeeded":true,
                "responses":[{{"response_range":{{"kvs":[{{"key":"eA==","create_revision":"{max}",
                "mod_revision":"{max}","value":"ZnM5OTk5OTk5OTk5OTk5OTk5OTk5CnY=","lease":"{max}"}}]}}}}]}}"#
        )
        .into_boxed_str(),
    );
    let (_server, keys) = bridged_onto("200 OK", body);
    let got = keys.get("/a", None).await;
    if let Ok(got) = got {
        assert_eq!(got.node.value, "v", "the value after the bridge's header");
    }
    every_call(&keys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_errors_with_etcds_words() {
    let (_server, keys) = bridged_onto(
        "400 Bad Request",
        r#"{"error":"etcdserver: too many operations in txn request","code":3,"message":"etcdserver: too many operations in txn request"}"#,
    );
    let error = keys.get("/a", None).await.unwrap_err();
    assert!(error.report().to_string().contains("too many operations in txn request"), "{error:?}");
    assert!(every_call(&keys).await.iter().all(|ok| !ok));

    // A 503 is a member that cannot serve: the inner client's failover says so, as it does for v2.
    let (_server, keys) = bridged_onto(
        "503 Service Unavailable",
        r#"{"error":"etcdserver: request timed out","code":14,"message":"etcdserver: request timed out"}"#,
    );
    let error = keys.get("/a", None).await.unwrap_err();
    assert!(matches!(error, etcd_keys::Error::Cluster(_)), "{error:?}");
}
