//! Turning an HTTP answer (status, headers, body) into a [`Response`] or an [`Error`].
//!
//! Only 200 and 201 are success. Any other status is etcd's error when its body is etcd's error JSON, and an
//! invalid response otherwise. Nothing here panics on any input.

use http::header::HeaderName;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use crate::error::EtcdErrorBody;
use crate::{Action, AuthError, Error, ErrorCode, EtcdError, InvalidResponse, InvalidResponseKind, Node, Response};

/// etcd's index at the time of the answer.
pub const X_ETCD_INDEX: HeaderName = HeaderName::from_static("x-etcd-index");
/// The answering member's raft index.
pub const X_RAFT_INDEX: HeaderName = HeaderName::from_static("x-raft-index");
/// The answering member's raft term.
pub const X_RAFT_TERM: HeaderName = HeaderName::from_static("x-raft-term");
/// The answering member's cluster ID.
pub const X_ETCD_CLUSTER_ID: HeaderName = HeaderName::from_static("x-etcd-cluster-id");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseBody {
    action: Action,
    #[serde(default)]
    node: Option<Node>,
    #[serde(default)]
    prev_node: Option<Node>,
}

/// Decodes a keys response: success into a [`Response`], anything else into the matching [`Error`].
///
/// # Errors
/// [`Error::Etcd`] for etcd's error answers, [`Error::InvalidResponse`] for anything that is not etcd's.
///
/// # Examples
/// ```
/// use http::{HeaderMap, StatusCode};
/// let mut headers = HeaderMap::new();
/// headers.insert("x-etcd-index", "7".parse().unwrap());
/// let body = br#"{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":7,"createdIndex":7}}"#;
/// let response = etcd_core::decode::response(StatusCode::OK, &headers, body).unwrap();
/// assert_eq!((response.node.key.as_str(), response.node.value.as_str()), ("/foo", "bar"));
/// assert_eq!(response.index, 7);
/// ```
pub fn response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<Response, Error> {
    if !is_success(status) {
        return Err(error(status, body));
    }
    let invalid = |kind| InvalidResponse::new(kind, status, body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(InvalidResponseKind::EmptyBody).into());
    }
    let parsed: ResponseBody =
        serde_json::from_slice(body).map_err(|e| invalid(InvalidResponseKind::Json).with_source(e))?;
    let node = match parsed.node {
        Some(node) => node,
        None if parsed.action.may_omit_node() => Node::default(),
        None => {
            return Err(invalid(InvalidResponseKind::Json)
                .with_source(format!("a {} answer without a node", parsed.action))
                .into());
        }
    };
    let index = header_u64(headers, &X_ETCD_INDEX)
        .map_err(&invalid)?
        .ok_or_else(|| invalid(InvalidResponseKind::MissingHeader("X-Etcd-Index")))?;
    Ok(Response {
        action: parsed.action,
        node,
        prev_node: parsed.prev_node,
        index,
        raft_index: header_u64(headers, &X_RAFT_INDEX).map_err(&invalid)?,
        raft_term: header_u64(headers, &X_RAFT_TERM).map_err(&invalid)?,
        cluster_id: headers.get(&X_ETCD_CLUSTER_ID).and_then(|v| v.to_str().ok()).map(str::to_owned),
    })
}

/// A success's JSON body as `T`; a body that is not the JSON expected is an [`InvalidResponse`] of kind `Json`
/// quoting it.
///
/// # Errors
/// The invalid response, for the caller to attribute to the member that answered.
pub fn json<T: serde::de::DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| InvalidResponse::new(InvalidResponseKind::Json, status, body).with_source(e).into())
}

/// Whether etcd means success with this status (200, or 201 for a created node).
pub fn is_success(status: StatusCode) -> bool {
    status == StatusCode::OK || status == StatusCode::CREATED
}

/// Decodes a non-success answer: etcd's error when the body is one, else an invalid response.
pub fn error(status: StatusCode, body: &[u8]) -> Error {
    match etcd_error(status, body) {
        Some(etcd) => etcd.into(),
        None => InvalidResponse::new(InvalidResponseKind::UnexpectedStatus, status, body).into(),
    }
}

/// etcd's error in a body, when there is one: `{"errorCode":..}`, or the auth layer's `{"message":..}` on 401.
pub fn etcd_error(status: StatusCode, body: &[u8]) -> Option<EtcdError> {
    if let Ok(parsed) = serde_json::from_slice::<EtcdErrorBody>(body) {
        return Some(EtcdError::from_body(parsed, status));
    }
    if status == StatusCode::UNAUTHORIZED {
        #[derive(Deserialize)]
        struct AuthError {
            message: String,
        }
        let parsed: AuthError = serde_json::from_slice(body).ok()?;
        return Some(EtcdError::new(ErrorCode::UNAUTHORIZED, parsed.message, None, 0).with_status(status));
    }
    None
}

/// Decodes a non-success answer of the v2 auth API (`/v2/auth/...`): its `{"message":..}` body is an
/// [`Error::Auth`] whatever the status; an `{"errorCode":..}` body is etcd's error as in [`error`]; anything else
/// is an invalid response.
///
/// # Examples
/// ```
/// use http::StatusCode;
/// let err = etcd_core::decode::auth_error(StatusCode::NOT_FOUND, br#"{"message":"auth: User bob does not exist."}"#);
/// assert!(err.is_user_not_found());
/// ```
pub fn auth_error(status: StatusCode, body: &[u8]) -> Error {
    #[derive(Deserialize)]
    struct AuthBody {
        message: String,
    }
    if let Ok(parsed) = serde_json::from_slice::<EtcdErrorBody>(body) {
        return EtcdError::from_body(parsed, status).into();
    }
    match serde_json::from_slice::<AuthBody>(body) {
        Ok(parsed) => AuthError::new(status, parsed.message).into(),
        Err(_) => InvalidResponse::new(InvalidResponseKind::UnexpectedStatus, status, body).into(),
    }
}

/// A numeric header: `Ok(None)` when absent, `Err` when present but not a number.
fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, InvalidResponseKind> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    parse_u64(value.as_bytes().trim_ascii()).map(Some).ok_or_else(|| InvalidResponseKind::BadHeader(canonical(name)))
}

/// Decimal digits to a `u64`, `None` on anything else or on overflow: what `str::parse` does, without its UTF-8
/// check and sign handling, on three headers of every answer.
fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn canonical(name: &HeaderName) -> &'static str {
    if *name == X_ETCD_INDEX {
        "X-Etcd-Index"
    } else if *name == X_RAFT_INDEX {
        "X-Raft-Index"
    } else if *name == X_RAFT_TERM {
        "X-Raft-Term"
    } else {
        "X-Etcd-Cluster-Id"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    fn ok_headers() -> HeaderMap {
        headers(&[
            ("x-etcd-index", "12"),
            ("x-raft-index", "40"),
            ("x-raft-term", "3"),
            ("x-etcd-cluster-id", "cdf818194e3a8c32"),
        ])
    }

    #[test]
    fn decodes_every_action_with_node_prev_node_and_headers() {
        for action in
            ["get", "set", "create", "update", "delete", "compareAndSwap", "compareAndDelete", "expire", "somethingNew"]
        {
            let body = format!(
                r#"{{"action":"{action}","node":{{"key":"/k","value":"2","modifiedIndex":12,"createdIndex":3}},"prevNode":{{"key":"/k","value":"1","modifiedIndex":11,"createdIndex":3}}}}"#
            );
            let r = response(StatusCode::OK, &ok_headers(), body.as_bytes()).unwrap();
            assert_eq!(r.action.as_str(), action);
            assert_eq!(r.node.value, "2");
            assert_eq!(r.prev_node.unwrap().value, "1");
            assert_eq!((r.index, r.raft_index, r.raft_term), (12, Some(40), Some(3)));
            assert_eq!(r.cluster_id.as_deref(), Some("cdf818194e3a8c32"));
        }
    }

    #[test]
    fn created_is_success_and_no_value_on_success_omits_the_node() {
        let r = response(StatusCode::CREATED, &ok_headers(), br#"{"action":"set"}"#).unwrap();
        assert_eq!(r.action, Action::Set);
        assert_eq!(r.node, Node::default());
        let err = response(StatusCode::OK, &ok_headers(), br#"{"action":"get"}"#).unwrap_err();
        assert!(err.is_invalid_response(), "{err}");
    }

    #[test]
    fn every_error_code_decodes_with_its_status() {
        for code in [
            100u32, 101, 102, 104, 105, 106, 107, 108, 110, 200, 201, 202, 203, 209, 210, 211, 212, 300, 301, 400, 401,
            500, 777,
        ] {
            let body = format!(r#"{{"errorCode":{code},"message":"m","cause":"/c","index":9}}"#);
            let status = StatusCode::from_u16(if (300..400).contains(&code) { 500 } else { 400 }).unwrap();
            let err = response(status, &HeaderMap::new(), body.as_bytes()).unwrap_err();
            let etcd = err.as_etcd().unwrap_or_else(|| panic!("{code}: {err}"));
            assert_eq!(etcd.code(), ErrorCode(code));
            assert_eq!((etcd.message(), etcd.cause(), etcd.index(), etcd.status()), ("m", Some("/c"), 9, status));
        }
        let err = response(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            br#"{"errorCode":100,"message":"Key not found","cause":"/foo","index":3}"#,
        )
        .unwrap_err();
        assert!(err.is_key_not_found());
    }

    #[test]
    fn auth_layer_message_is_unauthorized() {
        let err = error(StatusCode::UNAUTHORIZED, br#"{"message":"Insufficient credentials"}"#);
        assert!(err.is_unauthorized(), "{err}");
        assert_eq!(err.as_etcd().unwrap().message(), "Insufficient credentials");
    }

    #[test]
    fn auth_api_bodies_are_auth_errors_and_others_are_not() {
        let err = auth_error(StatusCode::UNAUTHORIZED, br#"{"message":"Insufficient credentials"}"#);
        assert!(err.is_unauthorized() && err.as_auth().is_some(), "{err}");
        let err = auth_error(StatusCode::CONFLICT, br#"{"message":"auth: Role app already exists."}"#);
        assert!(err.is_already_exists() && !err.is_unauthorized(), "{err}");
        let err = auth_error(StatusCode::NOT_FOUND, br#"{"message":"auth: Role app does not exist."}"#);
        assert!(err.is_role_not_found() && !err.is_user_not_found(), "{err}");
        let err = auth_error(StatusCode::UNAUTHORIZED, br#"{"errorCode":110,"message":"m","index":0}"#);
        assert!(err.is_unauthorized() && err.is_etcd(), "{err}");
        let err = auth_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(err.is_invalid_response(), "{err}");
    }

    #[test]
    fn malformed_bodies_are_invalid_responses_of_the_right_kind() {
        let kind = |status: StatusCode, headers: &HeaderMap, body: &[u8]| match response(status, headers, body) {
            Err(Error::InvalidResponse(e)) => e.kind(),
            other => panic!("{body:?}: {other:?}"),
        };
        let h = ok_headers();
        assert_eq!(kind(StatusCode::OK, &h, b""), InvalidResponseKind::EmptyBody);
        assert_eq!(kind(StatusCode::OK, &h, b"\n"), InvalidResponseKind::EmptyBody);
        assert_eq!(kind(StatusCode::OK, &h, b"<html>hi</html>"), InvalidResponseKind::Json);
        assert_eq!(kind(StatusCode::OK, &h, br#"{"action":"get","node":{"key":"/k""#), InvalidResponseKind::Json);
        assert_eq!(kind(StatusCode::OK, &h, br#"{"action":"get","node":{"key":5}}"#), InvalidResponseKind::Json);
        assert_eq!(kind(StatusCode::OK, &h, br#"[1,2]"#), InvalidResponseKind::Json);
        assert_eq!(kind(StatusCode::OK, &h, &[0xff, 0xfe, 0x00]), InvalidResponseKind::Json);
        let good = br#"{"action":"get","node":{"key":"/k"}}"#;
        assert_eq!(kind(StatusCode::OK, &HeaderMap::new(), good), InvalidResponseKind::MissingHeader("X-Etcd-Index"));
        assert_eq!(
            kind(StatusCode::OK, &headers(&[("x-etcd-index", "x")]), good),
            InvalidResponseKind::BadHeader("X-Etcd-Index")
        );
        assert_eq!(
            kind(StatusCode::OK, &headers(&[("x-etcd-index", "1"), ("x-raft-term", "-1")]), good),
            InvalidResponseKind::BadHeader("X-Raft-Term")
        );
        assert_eq!(kind(StatusCode::NO_CONTENT, &h, b""), InvalidResponseKind::UnexpectedStatus);
        assert_eq!(
            kind(StatusCode::BAD_GATEWAY, &h, b"<html>bad gateway</html>"),
            InvalidResponseKind::UnexpectedStatus
        );
        assert_eq!(kind(StatusCode::NOT_FOUND, &h, b"404 page not found\n"), InvalidResponseKind::UnexpectedStatus);
    }

    #[test]
    fn numeric_headers_are_decimal_u64_and_nothing_else() {
        for (text, expected) in [
            ("0", Some(0)),
            ("42", Some(42)),
            (" 7 ", Some(7)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("", None),
            ("-1", None),
            ("+1", None),
            ("1a", None),
            ("1 2", None),
        ] {
            let h = headers(&[("x-etcd-index", text)]);
            assert_eq!(header_u64(&h, &X_ETCD_INDEX).ok().flatten(), expected, "{text:?}");
        }
        let non_ascii = HeaderMap::from_iter([(X_ETCD_INDEX, http::HeaderValue::from_bytes(b"\xff1").unwrap())]);
        assert!(header_u64(&non_ascii, &X_ETCD_INDEX).is_err());
    }
}
