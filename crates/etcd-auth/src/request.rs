//! Each auth call as the exact HTTP request etcd's v2 auth API expects: method, path, JSON body.

use bytes::Bytes;
use etcd_core::{InvalidRequest, InvalidRequestKind};
use etcd_transport::Idempotency;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::Permission;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Everything but RFC 3986's unreserved characters is encoded in a name's path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Whether the request goes to `/v2/auth/users/...` or `/v2/auth/roles/...`.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    User,
    Role,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Role => "roles",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Role => "role",
        }
    }
}

pub(crate) fn enable_state() -> Request<Bytes> {
    build(Method::GET, "/v2/auth/enable".to_owned(), None, Idempotency::Read)
}

pub(crate) fn enable() -> Request<Bytes> {
    build(Method::PUT, "/v2/auth/enable".to_owned(), None, Idempotency::NonIdempotentWrite)
}

pub(crate) fn disable() -> Request<Bytes> {
    build(Method::DELETE, "/v2/auth/enable".to_owned(), None, Idempotency::NonIdempotentWrite)
}

pub(crate) fn list(kind: Kind) -> Request<Bytes> {
    build(Method::GET, format!("/v2/auth/{}", kind.collection()), None, Idempotency::Read)
}

pub(crate) fn get(kind: Kind, name: &str) -> Result<Request<Bytes>, InvalidRequest> {
    try_build(Method::GET, path(kind, name)?, None, Idempotency::Read)
}

pub(crate) fn remove(kind: Kind, name: &str) -> Result<Request<Bytes>, InvalidRequest> {
    try_build(Method::DELETE, path(kind, name)?, None, Idempotency::NonIdempotentWrite)
}

/// Creates a user, or sets the password of an existing one: etcd's v2 API has one call for both.
pub(crate) fn put_password(user: &str, password: &str) -> Result<Request<Bytes>, InvalidRequest> {
    if password.is_empty() {
        return Err(InvalidRequest::new(InvalidRequestKind::Options, format!("user {user:?}: the password is empty")));
    }
    let body = json!({ "user": user, "password": password });
    // Setting the same password twice leaves the same user.
    try_build(Method::PUT, path(Kind::User, user)?, Some(body), Idempotency::IdempotentWrite)
}

/// Grants (`grant` true) or revokes roles of a user.
pub(crate) fn user_roles(user: &str, roles: &[&str], grant: bool) -> Result<Request<Bytes>, InvalidRequest> {
    if roles.is_empty() {
        let what = if grant { "grant" } else { "revoke" };
        return Err(InvalidRequest::new(InvalidRequestKind::Options, format!("user {user:?}: no role to {what}")));
    }
    for role in roles {
        check_name(Kind::Role, role)?;
    }
    let body = json!({ "user": user, (if grant { "grant" } else { "revoke" }): roles });
    try_build(Method::PUT, path(Kind::User, user)?, Some(body), Idempotency::NonIdempotentWrite)
}

pub(crate) fn add_role(role: &str) -> Result<Request<Bytes>, InvalidRequest> {
    let body = json!({ "role": role });
    try_build(Method::PUT, path(Kind::Role, role)?, Some(body), Idempotency::NonIdempotentWrite)
}

/// Grants (`grant` true) or revokes a permission on a key pattern.
pub(crate) fn role_permission(
    role: &str,
    pattern: &str,
    permission: Permission,
    grant: bool,
) -> Result<Request<Bytes>, InvalidRequest> {
    if pattern.is_empty() {
        return Err(InvalidRequest::new(
            InvalidRequestKind::Options,
            format!("role {role:?}: the key pattern is empty"),
        ));
    }
    let patterns = |on: bool| if on { vec![pattern] } else { vec![] };
    let kv = json!({ "kv": { "read": patterns(permission.reads()), "write": patterns(permission.writes()) } });
    let body = json!({ "role": role, (if grant { "grant" } else { "revoke" }): kv });
    try_build(Method::PUT, path(Kind::Role, role)?, Some(body), Idempotency::NonIdempotentWrite)
}

/// `/v2/auth/users/<name>`, the name percent-encoded.
fn path(kind: Kind, name: &str) -> Result<String, InvalidRequest> {
    check_name(kind, name)?;
    Ok(format!("/v2/auth/{}/{}", kind.collection(), utf8_percent_encode(name, SEGMENT)))
}

/// Refuses names etcd cannot address: it splits the decoded path on `/` and cleans `.` and `..` away.
fn check_name(kind: Kind, name: &str) -> Result<(), InvalidRequest> {
    let why = if name.is_empty() {
        "is empty"
    } else if name.contains('/') {
        "contains '/', which etcd reads as a path separator"
    } else if name == "." || name == ".." {
        "is a path segment etcd would resolve away"
    } else {
        return Ok(());
    };
    Err(InvalidRequest::new(InvalidRequestKind::Options, format!("the {} name {name:?} {why}", kind.field())))
}

fn build(method: Method, uri: String, body: Option<Value>, idempotency: Idempotency) -> Request<Bytes> {
    try_build(method, uri, body, idempotency).expect("a constant path is a valid URI")
}

/// The request, or a refusal when its path is not a URI: a name percent-encoded past the 65,534 bytes a URI
/// holds (only a name can make it that long).
fn try_build(
    method: Method,
    uri: String,
    body: Option<Value>,
    idempotency: Idempotency,
) -> Result<Request<Bytes>, InvalidRequest> {
    let len = uri.len();
    let uri = http::Uri::try_from(uri).map_err(|e| {
        InvalidRequest::new(
            InvalidRequestKind::Options,
            format!("the name makes a path of {len} bytes once percent-encoded, which is not a URI ({e})"),
        )
    })?;
    let mut request = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(json) => {
            request = request.header(CONTENT_TYPE, JSON);
            Bytes::from(json.to_string())
        }
        None => Bytes::new(),
    };
    let mut request =
        request.body(body).map_err(|e| InvalidRequest::new(InvalidRequestKind::Options, e.to_string()))?;
    request.extensions_mut().insert(idempotency);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(request: &Request<Bytes>) -> Value {
        serde_json::from_slice(request.body()).unwrap()
    }

    #[test]
    fn names_are_percent_encoded_and_bad_ones_refused() {
        let request = get(Kind::User, "a b%?#é").unwrap();
        assert_eq!(request.uri(), "/v2/auth/users/a%20b%25%3F%23%C3%A9");
        assert_eq!(request.extensions().get::<Idempotency>(), Some(&Idempotency::Read));
        for bad in ["", "a/b", ".", ".."] {
            let err = get(Kind::Role, bad).unwrap_err();
            assert_eq!(err.kind(), InvalidRequestKind::Options);
            assert!(err.reason().starts_with("the role name"), "{err}");
        }
        assert!(user_roles("bob", &["a/b"], true).is_err());
    }

    #[test]
    fn names_too_long_for_a_uri_are_refused_not_a_panic() {
        let long = "é".repeat(12_000); // 24,000 bytes, 72,000 once percent-encoded
        assert_eq!(get(Kind::User, &long).unwrap_err().kind(), InvalidRequestKind::Options);
        assert!(remove(Kind::Role, &long).is_err());
        assert!(put_password(&long, "pw").is_err());
        assert!(add_role(&long).is_err());
        assert!(role_permission(&long, "/k", Permission::Read, true).is_err());
        assert!(user_roles(&long, &["r"], true).is_err());
    }

    #[test]
    fn bodies_are_what_etcd_reads() {
        let request = put_password("bob", "pw").unwrap();
        assert_eq!((request.method(), request.uri().path()), (&Method::PUT, "/v2/auth/users/bob"));
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(body(&request), json!({"user": "bob", "password": "pw"}));
        assert!(put_password("bob", "").is_err());

        assert_eq!(body(&user_roles("bob", &["a", "b"], true).unwrap()), json!({"user": "bob", "grant": ["a", "b"]}));
        assert_eq!(body(&user_roles("bob", &["a"], false).unwrap()), json!({"user": "bob", "revoke": ["a"]}));
        assert!(user_roles("bob", &[], true).is_err());

        assert_eq!(body(&add_role("app").unwrap()), json!({"role": "app"}));
        let grant = role_permission("app", "/app/*", Permission::ReadWrite, true).unwrap();
        assert_eq!(body(&grant), json!({"role": "app", "grant": {"kv": {"read": ["/app/*"], "write": ["/app/*"]}}}));
        let revoke = role_permission("app", "/app/*", Permission::Write, false).unwrap();
        assert_eq!(body(&revoke), json!({"role": "app", "revoke": {"kv": {"read": [], "write": ["/app/*"]}}}));
        assert_eq!(revoke.extensions().get::<Idempotency>(), Some(&Idempotency::NonIdempotentWrite));
        assert!(role_permission("app", "", Permission::Read, true).is_err());

        assert_eq!((enable().method(), enable().uri().path()), (&Method::PUT, "/v2/auth/enable"));
        assert_eq!(disable().method(), Method::DELETE);
        assert!(enable().body().is_empty() && !enable().headers().contains_key(CONTENT_TYPE));
    }
}
