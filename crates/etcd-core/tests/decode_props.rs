//! Property tests of every decoder: any status, headers and body give a value or a typed error, never a panic.
//!
//! The default case count keeps `cargo test` fast; for a longer run set `PROPTEST_CASES`, for example
//! `PROPTEST_CASES=100000 cargo test -p etcd-core --test decode_props`.

use etcd_core::{Error, Member, MemberId, Node, decode};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::Value;

/// The names etcd's JSON uses, so that generated objects reach past the first field check.
const FIELDS: &[&str] = &[
    "action",
    "node",
    "prevNode",
    "key",
    "value",
    "dir",
    "nodes",
    "createdIndex",
    "modifiedIndex",
    "expiration",
    "ttl",
    "errorCode",
    "message",
    "cause",
    "index",
    "id",
    "name",
    "peerURLs",
    "clientURLs",
    "members",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        prop_oneof![
            Just("get".to_owned()),
            Just("set".to_owned()),
            Just("2013-12-04T12:01:21.874888581Z".to_owned()),
            Just("18446744073709551615".to_owned()),
            Just("/k".to_owned()),
            ".{0,40}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2})",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// A body: etcd-shaped JSON, JSON cut short, or any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
            let text = v.to_string().into_bytes();
            let cut = at.index(text.len() + 1);
            text[..cut].to_vec()
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        "[0-9 +-]{0,25}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn headers() -> impl Strategy<Value = HeaderMap> {
    const NAMES: &[&str] = &["x-etcd-index", "x-raft-index", "x-raft-term", "x-etcd-cluster-id"];
    prop::collection::vec((prop::sample::select(NAMES), header_value()), 0..5).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                map.append(HeaderName::from_static(name), value);
            }
        }
        map
    })
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        Just(StatusCode::OK),
        Just(StatusCode::CREATED),
        Just(StatusCode::NOT_FOUND),
        Just(StatusCode::UNAUTHORIZED),
        (100u16..1000).prop_map(|s| StatusCode::from_u16(s).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_response_is_a_value_or_a_typed_error(status in status(), headers in headers(), body in body()) {
        match decode::response(status, &headers, &body) {
            Ok(response) => {
                prop_assert!(decode::is_success(status));
                let index = headers.get("x-etcd-index").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
                prop_assert_eq!(Some(response.index), index);
                // What a caller does with a node must not panic either.
                for node in response.node.walk().chain(response.prev_node.iter()) {
                    let _ = (node.ttl_duration(), node.expiration_time());
                }
            }
            Err(Error::Etcd(etcd)) => prop_assert!(!decode::is_success(status), "{etcd}"),
            Err(Error::InvalidResponse(invalid)) => {
                prop_assert_eq!(invalid.status(), status);
                prop_assert!(invalid.excerpt().len() <= 160 + '…'.len_utf8());
                let _ = invalid.to_string();
            }
            Err(other) => prop_assert!(false, "not a decoding error: {other:?}"),
        }
    }

    #[test]
    fn errors_of_any_answer_are_typed(status in status(), body in body()) {
        let _ = decode::error(status, &body).to_string();
        let _ = decode::etcd_error(status, &body).map(|e| e.to_string());
        let auth = decode::auth_error(status, &body);
        prop_assert!(auth.is_etcd() || auth.as_auth().is_some() || auth.is_invalid_response(), "{auth:?}");
    }

    #[test]
    fn nodes_members_and_ids_decode_or_refuse(value in json_value(), text in ".{0,40}") {
        let json = value.to_string();
        if let Ok(node) = serde_json::from_str::<Node>(&json) {
            for node in node.walk() {
                let _ = (node.ttl_duration(), node.expiration_time(), node.is_dir());
            }
        }
        let _ = serde_json::from_str::<Member>(&json).map(|m| m.is_started());
        if let Ok(id) = text.parse::<MemberId>() {
            prop_assert_eq!(id.to_string().parse::<MemberId>().ok(), Some(id));
        }
        let expiring = serde_json::json!({ "key": "/k", "expiration": text, "ttl": value });
        if let Ok(node) = serde_json::from_value::<Node>(expiring) {
            let _ = (node.ttl_duration(), node.expiration_time());
        }
    }
}
