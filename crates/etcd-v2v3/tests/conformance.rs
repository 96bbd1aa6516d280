//! The bridge's answers against etcd's own v2 answers, on one etcd that serves both (its v2 store and the
//! bridge's tree in v3 are separate, so both start empty): the same requests, byte-level HTTP, compared as
//! status and JSON with the indexes left out (revisions are not v2 indexes; the crate docs say how they map)
//! and TTL fields left out (time passes between the two). Skips loudly without etcd; fails with
//! `ETCD_REQUIRED=1`.

use std::time::Duration;

use etcd_keys::Client;
use etcd_testkit::cluster_or_skip;
use http::{Method, Request};
use serde_json::Value;

/// The requests, in order: method, path and query, form body.
const CASES: &[(&str, &str, &str)] = &[
    ("PUT", "/v2/keys/a", "value=1"),
    ("GET", "/v2/keys/a", ""),
    ("PUT", "/v2/keys/a?prevExist=false", "value=2"),
    ("PUT", "/v2/keys/a?prevValue=1", "value=3"),
    ("PUT", "/v2/keys/a?prevValue=9", "value=4"),
    ("PUT", "/v2/keys/a?prevExist=true", "value=5"),
    ("PUT", "/v2/keys/missing?prevExist=true", "value=1"),
    ("PUT", "/v2/keys/d/x", "value=1"),
    ("PUT", "/v2/keys/d/y/z", "value=2"),
    ("PUT", "/v2/keys/d/_hidden", "value=h"),
    ("GET", "/v2/keys/d?sorted=true", ""),
    ("GET", "/v2/keys/d?recursive=true&sorted=true", ""),
    ("GET", "/v2/keys/d/_hidden", ""),
    ("PUT", "/v2/keys/d", "value=1"),
    ("DELETE", "/v2/keys/d", ""),
    ("DELETE", "/v2/keys/d?dir=true", ""),
    ("PUT", "/v2/keys/a/b", "value=1"),
    ("GET", "/v2/keys/a/b", ""),
    ("GET", "/v2/keys/nope", ""),
    ("GET", "/v2/keys/nope/deeper", ""),
    ("PUT", "/v2/keys/t", "value=x&ttl=100"),
    ("PUT", "/v2/keys/t?refresh=true&prevExist=true", "ttl=200"),
    ("PUT", "/v2/keys/t", "value=y"),
    ("PUT", "/v2/keys/e?dir=true", ""),
    ("PUT", "/v2/keys/e?prevExist=false&dir=true", ""),
    ("DELETE", "/v2/keys/e?dir=true", ""),
    ("DELETE", "/v2/keys/a?prevValue=9", ""),
    ("DELETE", "/v2/keys/a?prevValue=5", ""),
    ("DELETE", "/v2/keys/d?recursive=true", ""),
    ("GET", "/v2/keys/?recursive=true&sorted=true", ""),
    ("PUT", "/v2/keys/", "value=1"),
    ("PUT", "/v2/keys/bad?ttl=abc", "value=1"),
    ("PUT", "/v2/keys/bad?prevValue=", "value=1"),
];

/// Sends one case; its status and JSON body with the fields that cannot agree left out.
async fn send(client: &Client, (method, target, form): (&str, &str, &str)) -> (u16, Value) {
    let request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(target)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.as_bytes().to_vec())
        .unwrap();
    let response = client.send(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().bytes().await.unwrap();
    let mut json: Value = serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into()));
    strip(&mut json);
    (status, json)
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for field in ["modifiedIndex", "createdIndex", "index", "expiration", "ttl"] {
                map.remove(field);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_answers_as_etcds_v2_does() {
    let Some(etcd) = cluster_or_skip(1) else { return };
    let client = Client::builder(etcd.endpoints()).header_timeout_per_request(Duration::from_secs(5)).build().unwrap();
    let bridged = etcd_v2v3::bridge(client.clone());
    let mut differences = Vec::new();
    let mut statuses = std::collections::BTreeSet::new();
    for &case in CASES {
        let (v2, through_bridge) = (send(&client, case).await, send(&bridged, case).await);
        statuses.insert(v2.0);
        if v2 != through_bridge {
            differences.push(format!("{case:?}:\n  v2:     {v2:?}\n  bridge: {through_bridge:?}"));
        }
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [200, 201, 400, 403, 404, 412], "every kind of answer met");
    assert!(differences.is_empty(), "{} of {} differ:\n{}", differences.len(), CASES.len(), differences.join("\n"));
}
