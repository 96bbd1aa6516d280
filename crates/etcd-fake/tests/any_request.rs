//! Whatever a client sends, the fake answers (or fails the call) and never panics: arbitrary methods, paths,
//! queries, bodies and credentials against a store that already holds keys, directories, TTLs and auth.

use etcd_fake::FakeEtcd;
use etcd_transport::RequestBody;
use proptest::prelude::*;
use tower::ServiceExt;

fn method() -> impl Strategy<Value = http::Method> {
    prop_oneof![
        Just(http::Method::GET),
        Just(http::Method::PUT),
        Just(http::Method::POST),
        Just(http::Method::DELETE),
        Just(http::Method::HEAD),
        Just(http::Method::PATCH),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just("/v2/keys"),
        Just("/v2/keys/"),
        Just("/v2/keys/d/"),
        Just("/v2/members/"),
        Just("/v2/auth/users/"),
        Just("/v2/auth/roles/"),
        Just("/v2/auth/enable"),
        Just("/v2/stats/"),
        Just("/"),
    ];
    (prefix, "[a-z_./%0-9]{0,12}").prop_map(|(p, rest)| format!("{p}{rest}"))
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("recursive"),
        Just("sorted"),
        Just("wait"),
        Just("waitIndex"),
        Just("stream"),
        Just("dir"),
        Just("quorum"),
        Just("prevValue"),
        Just("prevIndex"),
        Just("prevExist"),
        Just("ttl"),
        Just("refresh"),
        Just("noValueOnSuccess"),
        Just("value"),
    ];
    let value = prop_oneof![
        Just("true"),
        Just("false"),
        Just("1"),
        Just("0"),
        Just(""),
        Just("x"),
        Just("-1"),
        Just("99999999999999999999")
    ];
    prop::collection::vec((name, value), 0..5)
        .prop_map(|pairs| pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_an_answer_without_a_panic(
        method in method(),
        path in path(),
        query in query(),
        body in prop_oneof![query(), Just("{\"user\":\"root\",\"password\":\"p\"}".to_owned()), "\\PC{0,20}"],
        json in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let fake = FakeEtcd::new();
            let setup = [("PUT", "/v2/keys/d/k?ttl=5", "value=v&ttl=5"), ("PUT", "/v2/keys/f", "value=1")];
            for (m, p, b) in setup {
                let request = http::Request::builder().method(m).uri(p)
                    .header("content-type", "application/x-www-form-urlencoded").body(RequestBody::from(b)).unwrap();
                fake.clone().oneshot(request).await.unwrap();
            }
            let uri = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
            let Ok(uri) = uri.parse::<http::Uri>() else { return Ok(()) };
            let content_type = if json { "application/json" } else { "application/x-www-form-urlencoded" };
            let request = http::Request::builder().method(method).uri(uri).header("content-type", content_type)
                .body(RequestBody::from(body)).unwrap();
            // A watch may wait for ever: bounded, and its body not read.
            let answer = tokio::time::timeout(std::time::Duration::from_secs(1), fake.oneshot(request)).await;
            if let Ok(Ok(response)) = answer {
                prop_assert!(response.status().as_u16() >= 200);
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}
