//! Property tests of the members and statistics answers: a mock transport answers every request with an
//! arbitrary status and body, and every call of `MembersApi` and `StatusApi` gives a value or a typed error,
//! never a panic or a hang (on tokio's paused clock).
//!
//! The default case count keeps `cargo test` fast; for a longer run set `PROPTEST_CASES`, for example
//! `PROPTEST_CASES=20000 cargo test -p etcd-members --test answer_props`.

use std::convert::Infallible;
use std::time::Duration;

use etcd_keys::Client;
use etcd_members::{MemberId, MembersApi, StatusApi};
use etcd_transport::{Body, RequestBody};
use http::Request;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Shapes of the members and statistics JSON with hostile values in their fields.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        Just("6e4d4a53cdad343".to_owned()),
        Just("http://127.0.0.1:2379".to_owned()),
        Just("http://u:p@h:1".to_owned()),
        Just("99999999999999999999999h".to_owned()),
        Just("1.5s".to_owned()),
        Just("StateLeader".to_owned()),
        ".{0,24}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        text.clone().prop_map(Value::String),
        prop::collection::vec(text.clone().prop_map(Value::String), 0..3).prop_map(Value::Array),
    ];
    let member = (text.clone(), text.clone(), leaf.clone(), leaf.clone()).prop_map(
        |(id, name, peers, clients)| json!({"id": id, "name": name, "peerURLs": peers, "clientURLs": clients}),
    );
    prop_oneof![
        prop::collection::vec(member.clone(), 0..3).prop_map(|m| json!({ "members": m }).to_string().into_bytes()),
        member.prop_map(|m| m.to_string().into_bytes()),
        (text.clone(), text.clone(), leaf.clone(), text.clone()).prop_map(|(id, state, start, uptime)| {
            json!({"name": "m", "id": id, "state": state, "startTime": start,
                   "leaderInfo": {"leader": id, "uptime": uptime, "startTime": start}})
            .to_string()
            .into_bytes()
        }),
        (text.clone(), leaf.clone()).prop_map(|(leader, latency)| {
            json!({"leader": leader, "followers": {"6e4d4a53cdad343": {"latency": {"current": latency}, "counts": {"fail": latency}}}})
                .to_string()
                .into_bytes()
        }),
        (leaf.clone(), leaf.clone()).prop_map(|(a, b)| json!({"etcdserver": a, "etcdcluster": b, "health": a, "getsSuccess": b}).to_string().into_bytes()),
        text.prop_map(|message| json!({ "message": message }).to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..48),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![4 => Just(200u16), 1 => Just(201), 1 => Just(404), 1 => Just(410), 1 => Just(503), 1 => 100u16..1000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn members_and_status_calls_give_a_value_or_a_typed_error(status in status(), body in body()) {
        let transport = tower::service_fn(move |_: Request<RequestBody>| {
            let response = http::Response::builder().status(status).body(Body::from(body.clone())).unwrap();
            async move { Ok::<_, Infallible>(response) }
        });
        let client = Client::builder(["http://a:1", "http://b:2"]).transport(transport).build().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let calls = async {
                let members = MembersApi::new(client.clone());
                let _ = members.list().await.map(|list| list.iter().filter(|m| m.is_started()).count());
                let _ = members.leader().await;
                let _ = members.remove(MemberId::new(1)).await;
                let status = StatusApi::new(client);
                let _ = status.version().await;
                let _ = status.health().await.map(|h| h.is_healthy());
                if let Ok(stats) = status.self_stats().await {
                    let _ = (stats.is_leader(), stats.leader_info.uptime_duration());
                }
                let _ = status.leader_stats().await;
                let _ = status.store_stats().await;
            };
            tokio::time::timeout(Duration::from_secs(600), calls).await
        })
        .map_err(|_| TestCaseError::fail("a call hung"))?;
    }
}
