//! The one error type of the workspace, and the facts behind each of its kinds.

mod auth;
mod cluster;
mod deadline;
mod etcd;
mod invalid;
mod member;
mod report;
mod value;

pub use auth::{AuthError, AuthErrorKind};
pub use cluster::{AttemptFailure, ClusterError, EndpointError, OutcomeUnknown};
pub use deadline::DeadlineExceeded;
pub(crate) use etcd::EtcdErrorBody;
pub use etcd::{ErrorCode, EtcdError};
pub use invalid::{InvalidRequest, InvalidRequestKind, InvalidResponse, InvalidResponseKind};
pub use member::{MemberError, MemberErrorKind};
pub use report::Report;
pub use value::InvalidValue;

/// The error type inside tower stacks: any error, sendable across threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a call to etcd can end with, other than success.
///
/// Branch on the variant, or ask a question (`is_key_not_found()`, `is_timeout()`, ...). The kinds follow the
/// Go client's error handling, made precise: etcd said no ([`Error::Etcd`]); no endpoint could answer
/// ([`Error::Cluster`]); a write may have been applied but no answer came ([`Error::OutcomeUnknown`]); the answer
/// was not etcd's ([`Error::InvalidResponse`]); the request was refused before sending ([`Error::InvalidRequest`]);
/// the caller's deadline passed ([`Error::DeadlineExceeded`]); the auth API refused ([`Error::Auth`]); the members
/// API refused ([`Error::Member`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// etcd answered with an error (key not found, compare failed, ...).
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    /// Every endpoint tried failed; each endpoint's cause is inside.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A write may or may not have been applied; it was not replayed, so that it is never applied twice.
    #[error(transparent)]
    OutcomeUnknown(#[from] OutcomeUnknown),
    /// The answer was not an etcd response (not JSON, empty, truncated, a server that is not etcd).
    #[error(transparent)]
    InvalidResponse(#[from] InvalidResponse),
    /// The request was refused before anything was sent (a bad key, contradicting options, a bad endpoint).
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequest),
    /// The caller's overall deadline for the call passed. A write may have been applied.
    #[error(transparent)]
    DeadlineExceeded(#[from] DeadlineExceeded),
    /// etcd's v2 auth API refused (no such user or role, already exists, insufficient credentials, ...).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// etcd's v2 members API refused (no such member, peer URL exists, ...), or the members it listed give the
    /// client no URL to use.
    #[error(transparent)]
    Member(#[from] MemberError),
    /// A key's value is not the JSON the caller asked for (`KeysApi::get_json`), or a value cannot be written
    /// as JSON (`KeysApi::set_json`).
    #[error(transparent)]
    InvalidValue(#[from] InvalidValue),
    /// A layer the user added around the call failed (a rate limiter, a load shedder, ...).
    #[error("a layer around the call failed")]
    Middleware(#[source] BoxError),
}

impl Error {
    /// This error with its causes, `error: cause: root` (see [`Report`]): `Display` alone says this error's own
    /// facts, its causes are its `source()` chain.
    pub fn report(&self) -> Report<'_> {
        Report::new(self)
    }

    /// etcd's error code, when etcd answered with an error.
    pub fn code(&self) -> Option<ErrorCode> {
        self.as_etcd().map(EtcdError::code)
    }

    /// etcd's error, when etcd answered with one.
    pub fn as_etcd(&self) -> Option<&EtcdError> {
        match self {
            Error::Etcd(e) => Some(e),
            _ => None,
        }
    }

    /// The cluster error, when no endpoint could answer.
    pub fn as_cluster(&self) -> Option<&ClusterError> {
        match self {
            Error::Cluster(e) => Some(e),
            _ => None,
        }
    }

    /// The auth API's refusal, when it refused.
    pub fn as_auth(&self) -> Option<&AuthError> {
        match self {
            Error::Auth(e) => Some(e),
            _ => None,
        }
    }

    /// The members API's refusal, when it refused.
    pub fn as_member(&self) -> Option<&MemberError> {
        match self {
            Error::Member(e) => Some(e),
            _ => None,
        }
    }

    /// Whether etcd answered with an error.
    pub fn is_etcd(&self) -> bool {
        matches!(self, Error::Etcd(_))
    }

    /// Whether etcd said the key does not exist (code 100).
    pub fn is_key_not_found(&self) -> bool {
        self.code() == Some(ErrorCode::KEY_NOT_FOUND)
    }

    /// Whether a compare-and-swap or compare-and-delete condition failed (code 101).
    pub fn is_test_failed(&self) -> bool {
        self.code() == Some(ErrorCode::TEST_FAILED)
    }

    /// Whether the key already exists, so a create failed (code 105).
    pub fn is_node_exist(&self) -> bool {
        self.code() == Some(ErrorCode::NODE_EXIST)
    }

    /// Whether a file operation hit a directory (code 102).
    pub fn is_not_file(&self) -> bool {
        self.code() == Some(ErrorCode::NOT_FILE)
    }

    /// Whether a directory operation hit a file (code 104).
    pub fn is_not_dir(&self) -> bool {
        self.code() == Some(ErrorCode::NOT_DIR)
    }

    /// Whether a non-recursive delete hit a directory with children (code 108).
    pub fn is_dir_not_empty(&self) -> bool {
        self.code() == Some(ErrorCode::DIR_NOT_EMPTY)
    }

    /// Whether etcd no longer has the events a watch asked for (code 401).
    pub fn is_event_index_cleared(&self) -> bool {
        self.code() == Some(ErrorCode::EVENT_INDEX_CLEARED)
    }

    /// Whether etcd refused the request's credentials: code 110 from the keys API (wrong password, or a user
    /// without permission on the key), or "insufficient credentials" from the auth or members API.
    pub fn is_unauthorized(&self) -> bool {
        self.code() == Some(ErrorCode::UNAUTHORIZED)
            || self.as_auth().is_some_and(|e| e.kind() == AuthErrorKind::InsufficientCredentials)
            || self.as_member().is_some_and(|e| e.kind() == MemberErrorKind::InsufficientCredentials)
    }

    /// Whether the members API said there is no such member.
    pub fn is_member_not_found(&self) -> bool {
        self.as_member().is_some_and(|e| e.kind() == MemberErrorKind::NotFound)
    }

    /// Whether the members API said another member already has one of these peer URLs.
    pub fn is_peer_url_exists(&self) -> bool {
        self.as_member().is_some_and(|e| e.kind() == MemberErrorKind::PeerUrlExists)
    }

    /// Whether the auth API said there is no such user.
    pub fn is_user_not_found(&self) -> bool {
        self.as_auth().is_some_and(|e| e.kind() == AuthErrorKind::UserNotFound)
    }

    /// Whether the auth API said there is no such role.
    pub fn is_role_not_found(&self) -> bool {
        self.as_auth().is_some_and(|e| e.kind() == AuthErrorKind::RoleNotFound)
    }

    /// Whether the auth API said the user or role already exists.
    pub fn is_already_exists(&self) -> bool {
        self.as_auth().is_some_and(|e| e.kind() == AuthErrorKind::AlreadyExists)
    }

    /// Whether no endpoint could answer.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Error::Cluster(_))
    }

    /// Whether a write may or may not have been applied.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown(_))
    }

    /// Whether the answer was not an etcd response.
    pub fn is_invalid_response(&self) -> bool {
        matches!(self, Error::InvalidResponse(_))
    }

    /// Whether the request was refused before sending.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, Error::InvalidRequest(_))
    }

    /// Whether a key's value is not the JSON asked for (or a value cannot be written as JSON).
    pub fn is_invalid_value(&self) -> bool {
        matches!(self, Error::InvalidValue(_))
    }

    /// Whether the caller's deadline passed.
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, Error::DeadlineExceeded(_))
    }

    /// Whether time ran out: the caller's deadline, every endpoint's header timeout, or an unknown outcome after
    /// a header timeout.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::DeadlineExceeded(_) => true,
            Error::Cluster(e) => e.is_timeout(),
            Error::OutcomeUnknown(e) => e.failure().is_timeout(),
            _ => false,
        }
    }

    /// Records the endpoint that sent an invalid response; other kinds are returned unchanged.
    #[must_use]
    pub fn with_endpoint(self, endpoint: &str) -> Self {
        match self {
            Error::InvalidResponse(e) if e.endpoint().is_none() => Error::InvalidResponse(e.with_endpoint(endpoint)),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;
    use std::time::Duration;

    use super::*;

    #[test]
    fn questions_answer_for_their_own_kind_only() {
        let not_found = Error::from(EtcdError::new(ErrorCode::KEY_NOT_FOUND, "Key not found", None, 1));
        assert!(not_found.is_key_not_found() && not_found.is_etcd());
        assert!(!not_found.is_node_exist() && !not_found.is_cluster() && !not_found.is_timeout());
        assert_eq!(not_found.code(), Some(ErrorCode::KEY_NOT_FOUND));

        let deadline = Error::from(DeadlineExceeded::new(Duration::from_secs(1)));
        assert!(deadline.is_timeout() && deadline.is_deadline_exceeded());
        assert_eq!(deadline.code(), None);

        let cluster = Error::from(ClusterError::new(vec![EndpointError::new(
            "http://a:1",
            AttemptFailure::HeaderTimeout(Duration::from_secs(1)),
        )]));
        assert!(cluster.is_cluster() && cluster.is_timeout());
    }

    /// What anyhow prints for `{:?}`: the error, then `Caused by:` and one line per cause.
    fn anyhow_style(error: &(dyn std::error::Error + 'static)) -> String {
        let mut text = error.to_string();
        let mut causes = std::iter::successors(error.source(), |e| e.source()).peekable();
        if causes.peek().is_some() {
            text.push_str("\n\nCaused by:");
            for (n, cause) in causes.enumerate() {
                text.push_str(&format!("\n    {n}: {cause}"));
            }
        }
        text
    }

    /// A transport's error as hyper-util makes one: its own line, then the `io::Error`.
    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("tcp connect error")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    fn refused() -> BoxError {
        Box::new(Outer(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused")))
    }

    fn reset() -> BoxError {
        Box::new(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer"))
    }

    /// The `io::ErrorKind` at the root of an error, found by walking `source()` (no downcast of our types).
    fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
        std::iter::successors(Some(error), |e| e.source())
            .find_map(|e| e.downcast_ref::<std::io::Error>())
            .map(|e| e.kind())
    }

    #[test]
    fn each_cause_is_printed_once_by_a_chain_printer() {
        let one =
            Error::from(ClusterError::new(vec![EndpointError::new("http://a:1", AttemptFailure::Connect(refused()))]));
        assert_eq!(
            anyhow_style(&one),
            "the endpoint failed: http://a:1: connection failed\n\nCaused by:\n    0: tcp connect error\n    1: refused"
        );
        assert_eq!(
            one.report().to_string(),
            "the endpoint failed: http://a:1: connection failed: tcp connect error: refused"
        );
        assert_eq!(io_kind(&one), Some(std::io::ErrorKind::ConnectionRefused));

        let three = Error::from(ClusterError::new(vec![
            EndpointError::new("http://a:1", AttemptFailure::Connect(refused())),
            EndpointError::new("http://b:2", AttemptFailure::HeaderTimeout(Duration::from_secs(1))),
            EndpointError::new("http://c:3", AttemptFailure::Io(reset())),
        ]));
        assert_eq!(
            anyhow_style(&three),
            "all 3 endpoints failed:\n  http://a:1: connection failed: tcp connect error: refused\n  \
             http://b:2: no response headers within 1s\n  http://c:3: connection lost\n\nCaused by:\n    0: reset by peer"
        );
        assert_eq!(io_kind(&three), Some(std::io::ErrorKind::ConnectionReset));

        let unknown = Error::from(
            OutcomeUnknown::new(EndpointError::new("http://c:3", AttemptFailure::Io(reset())))
                .with_earlier(vec![EndpointError::new("http://a:1", AttemptFailure::Connect(refused()))]),
        );
        assert_eq!(
            unknown.report().to_string(),
            "the write may or may not have been applied:\n  tried http://a:1: connection failed: tcp connect error: refused\n  \
             then http://c:3, which may have applied it: connection lost: reset by peer"
        );
        assert_eq!(io_kind(&unknown), Some(std::io::ErrorKind::ConnectionReset));
        let alone = Error::from(OutcomeUnknown::new(EndpointError::new("http://c:3", AttemptFailure::Io(reset()))));
        assert_eq!(
            anyhow_style(&alone),
            "the write may or may not have been applied by http://c:3: connection lost\n\nCaused by:\n    0: reset by peer"
        );

        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let invalid = InvalidResponse::new(InvalidResponseKind::Json, http::StatusCode::OK, b"x").with_source(json);
        let in_cluster = Error::from(ClusterError::new(vec![EndpointError::new(
            "http://a:1",
            AttemptFailure::InvalidResponse(invalid),
        )]));
        let text = anyhow_style(&in_cluster);
        assert!(
            text.starts_with("the endpoint failed: http://a:1: invalid response (status 200): body is not etcd's JSON"),
            "{text}"
        );
        assert_eq!(text.matches("expected value").count(), 1, "{text}");
    }

    #[test]
    fn errors_without_causes_have_no_source() {
        for error in [
            Error::from(ClusterError::new(vec![EndpointError::new(
                "http://a:1",
                AttemptFailure::HeaderTimeout(Duration::from_secs(1)),
            )])),
            Error::from(DeadlineExceeded::new(Duration::from_secs(1))),
            Error::from(EtcdError::new(ErrorCode::KEY_NOT_FOUND, "Key not found", Some("/a".into()), 1)),
        ] {
            assert!(std::error::Error::source(&error).is_none(), "{error}");
            assert_eq!(error.report().to_string(), error.to_string());
        }
    }
}
