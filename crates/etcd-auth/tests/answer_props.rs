//! Property tests of the auth API's answers: a mock transport answers every request with an arbitrary status and
//! users, roles, permissions or error JSON (or bytes), and every `AuthApi` call gives a value or a typed error,
//! never a panic or a hang (on tokio's paused clock).
//!
//! The default case count keeps `cargo test` fast; for a longer run set `PROPTEST_CASES`, for example
//! `PROPTEST_CASES=20000 cargo test -p etcd-auth --test answer_props`.

use std::convert::Infallible;
use std::time::Duration;

use etcd_auth::{AuthApi, Permission};
use etcd_keys::Client;
use etcd_transport::{Body, RequestBody};
use http::Request;
use proptest::prelude::*;
use serde_json::{Value, json};

fn body() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![Just("root".to_owned()), Just("/app/*".to_owned()), ".{0,16}"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text.clone().prop_map(Value::String),
        prop::collection::vec(text.clone().prop_map(Value::String), 0..3).prop_map(Value::Array),
    ];
    let role = (text.clone(), leaf.clone(), leaf.clone())
        .prop_map(|(role, read, write)| json!({"role": role, "permissions": {"kv": {"read": read, "write": write}}}));
    let user = (text.clone(), prop::collection::vec(role.clone(), 0..3), leaf.clone())
        .prop_map(|(user, roles, odd)| json!({"user": user, "roles": roles, "password": odd}));
    prop_oneof![
        prop::collection::vec(user.clone(), 0..3).prop_map(|u| json!({ "users": u }).to_string().into_bytes()),
        prop::collection::vec(role.clone(), 0..3).prop_map(|r| json!({ "roles": r }).to_string().into_bytes()),
        user.prop_map(|u| u.to_string().into_bytes()),
        role.prop_map(|r| r.to_string().into_bytes()),
        leaf.clone().prop_map(|v| json!({ "enabled": v }).to_string().into_bytes()),
        text.clone().prop_map(|m| json!({ "message": m }).to_string().into_bytes()),
        (any::<u32>(), leaf)
            .prop_map(|(c, i)| json!({"errorCode": c, "message": "m", "index": i}).to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..48),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![4 => Just(200u16), 1 => Just(201), 1 => Just(401), 1 => Just(404), 1 => Just(409), 1 => 100u16..1000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn auth_calls_give_a_value_or_a_typed_error(status in status(), body in body()) {
        let transport = tower::service_fn(move |_: Request<RequestBody>| {
            let response = http::Response::builder().status(status).body(Body::from(body.clone())).unwrap();
            async move { Ok::<_, Infallible>(response) }
        });
        let client = Client::builder(["http://a:1"]).transport(transport).build().unwrap();
        let auth = AuthApi::new(client);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let calls = async {
                let _ = auth.is_enabled().await;
                let _ = auth.list_users().await.map(|users| users.iter().map(|u| u.role_names().count()).sum::<usize>());
                let _ = auth.get_user("root").await;
                let _ = auth.grant_roles("root", &["r"]).await;
                let _ = auth.list_roles().await;
                let _ = auth.get_role("r").await;
                let _ = auth.grant_permission("r", "/app/*", Permission::ReadWrite).await;
                let _ = auth.enable().await;
            };
            tokio::time::timeout(Duration::from_secs(600), calls).await
        })
        .map_err(|_| TestCaseError::fail("a call hung"))?;
    }
}
