//! The rules on answers etcd gave.

use super::*;
use crate::record::Body;

fn exchange(step: &str, body: &str, index: &str) -> Exchange {
    let value = Json::parse(body.as_bytes()).unwrap();
    Exchange {
        step: step.to_owned(),
        status: Some(200),
        headers: vec![Some(index.to_owned()), Some("9".into()), Some("2".into()), Some("cafe".into()), None],
        body: Body::Json { value, newline: true, unusual_encoding: None },
        note: None,
    }
}

#[test]
fn indexes_and_in_order_names_become_relative() {
    let recording = Recording {
        case: "c".into(),
        start_index: 10,
        exchanges: vec![exchange(
            "POST /v2/keys/q value=1",
            r#"{"action":"create","node":{"key":"/q/00000000000000000012","modifiedIndex":12,"createdIndex":12}}"#,
            "12",
        )],
    };
    let (normalized, hits) = normalize(&recording);
    let e = &normalized.exchanges[0];
    assert_eq!(e.header("X-Etcd-Index"), Some("i+2"));
    assert_eq!(e.header("X-Raft-Index"), Some("<raft index>"));
    let Body::Json { value, .. } = &e.body else { panic!("not JSON") };
    assert_eq!(
        value.to_string(),
        r#"{"action":"create","node":{"key":"/q/<i+2>","modifiedIndex":"i+2","createdIndex":"i+2"}}"#
    );
    assert_eq!(hits[0], 1);
}

#[test]
fn a_refused_request_keeps_index_zero_and_other_values_stay() {
    let recording = Recording {
        case: "c".into(),
        start_index: 10,
        exchanges: vec![exchange(
            "PUT /v2/keys/a ttl=x",
            r#"{"errorCode":202,"message":"m","cause":"c","index":0}"#,
            "0",
        )],
    };
    let (normalized, _) = normalize(&recording);
    let e = &normalized.exchanges[0];
    assert_eq!(e.header("X-Etcd-Index"), Some("0"));
    let Body::Json { value, .. } = &e.body else { panic!("not JSON") };
    assert_eq!(value.to_string(), r#"{"errorCode":202,"message":"m","cause":"c","index":"0"}"#);
}

#[test]
fn cleared_history_bounds_become_relative() {
    let body = r#"{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [1012/11]","index":2011}"#;
    let recording =
        Recording { case: "c".into(), start_index: 10, exchanges: vec![exchange("GET /v2/keys/h", body, "2011")] };
    let (normalized, _) = normalize(&recording);
    let Body::Json { value, .. } = &normalized.exchanges[0].body else { panic!("not JSON") };
    assert_eq!(value.get("cause").and_then(Json::as_str), Some("the requested history has been cleared [i+1002/i+1]"));
}
