//! Property tests of what the bridge reads from etcd's v3 gateway (answers, watch lines, stored values, keys):
//! anything a broken or hostile server sends gives a value or a typed error, never a panic. For a longer run:
//! `PROPTEST_CASES=100000 cargo test -p etcd-v2v3 --lib props`.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::gateway::{MembersAnswer, RangeAnswer, StatusAnswer, TxnAnswer, parse_answer};
use crate::layout::{Layout, Record};
use crate::read::Node;
use crate::watch::{Context2, parse_line, translate};

/// The gateway's field names, so that generated objects get past the first field.
const FIELDS: &[&str] = &[
    "header",
    "revision",
    "raft_term",
    "cluster_id",
    "member_id",
    "kvs",
    "key",
    "value",
    "create_revision",
    "mod_revision",
    "version",
    "lease",
    "succeeded",
    "responses",
    "result",
    "error",
    "events",
    "type",
    "kv",
    "prev_kv",
    "created",
    "canceled",
    "compact_revision",
    "cancel_reason",
    "members",
    "leader",
    "ID",
    "TTL",
    "code",
    "message",
    "count",
];

/// Leaves a JSON value can hold, biased to what the gateway sends: numbers as strings, base64, the bridge's keys.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::from(n.to_string())),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::from(STANDARD.encode(b))),
        "(/etcd-v2v3/(data|dirs)(/[a-z_]{0,3}){0,3}/{0,2})".prop_map(|k| Value::from(STANDARD.encode(k))),
        "[fd][scuwr][0-9]{0,14}\n.{0,8}".prop_map(|v| Value::from(STANDARD.encode(v))),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("PUT")),
        Just(Value::from("DELETE")),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// A watch line shaped like the gateway's, with anything inside.
fn watch_line() -> impl Strategy<Value = Value> {
    (json(), prop::collection::vec(json(), 0..6)).prop_map(|(header, events)| {
        let mut result = Map::new();
        result.insert("header".into(), header);
        result.insert("events".into(), Value::Array(events));
        Value::Object([("result".to_owned(), Value::Object(result))].into_iter().collect())
    })
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![Just(200u16), Just(400), Just(404), Just(500), Just(503), 100u16..600]
        .prop_map(|code| StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
}

proptest! {
    #[test]
    fn any_answer_is_read_or_refused(status in status(), value in json(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let text = value.to_string();
        for body in [text.as_bytes(), &bytes] {
            let _ = parse_answer::<RangeAnswer>(status, body);
            let _ = parse_answer::<TxnAnswer>(status, body);
            let _ = parse_answer::<StatusAnswer>(status, body);
            let _ = parse_answer::<MembersAnswer>(status, body);
        }
    }

    #[test]
    fn any_watch_line_is_read_or_refused_and_translated(line in watch_line(), recursive: bool, history_until: u64) {
        let layout = Layout::new("/etcd-v2v3");
        let context = Context2 { layout, key: "/a".into(), recursive, history_until };
        if let Ok(answer) = parse_line(line.to_string().as_bytes()) {
            let _ = translate(&context, answer.events);
        }
    }

    #[test]
    fn any_stored_value_and_key_read_back(value in prop::collection::vec(any::<u8>(), 0..48), key in prop::collection::vec(any::<u8>(), 0..48)) {
        let record = Record::decode(&value);
        let _ = record.expiry(SystemTime::now());
        let _ = record.encode();
        let layout = Layout::new("/etcd-v2v3");
        let _ = layout.path_of_data_key(&key);
        let _ = layout.path_of_index_key(&key);
        let kv = crate::gateway::Kv { key, value, ..crate::gateway::Kv::default() };
        let _ = Node::from_kv("/a".into(), &kv).view(SystemTime::now());
    }
}
