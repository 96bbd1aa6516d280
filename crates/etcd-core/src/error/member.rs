use std::fmt;

use http::StatusCode;

/// What etcd's v2 members API refused, as far as its answer tells; or why the client could not use the
/// members it listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemberErrorKind {
    /// No member has that ID (404, "No such member: ...").
    NotFound,
    /// Another member already has one of these peer URLs (409, "membership: peerURL exists").
    PeerUrlExists,
    /// A member with the ID etcd computed for these peer URLs exists, or existed (409, "membership: ID
    /// exists").
    IdExists,
    /// The member was removed from the cluster, for good (410, "Member permanently removed: ...").
    Removed,
    /// The member asked for the leader's statistics is not the leader (403, "not current leader").
    NotLeader,
    /// The request's credentials are missing, or not root's (401, "Insufficient credentials"): once auth is
    /// enabled, only root may read or change the membership.
    InsufficientCredentials,
    /// etcd found the request malformed (400: no peer URL, a URL it cannot read; 415: not JSON).
    BadRequest,
    /// The members answered, but none of them (or not the leader) advertises a client URL this client can use;
    /// found by the client, not said by etcd.
    NoClientUrl,
    /// Any other refusal.
    Other,
}

/// etcd's v2 members API said no: its HTTP status and message (`{"message":"No such member: 1234"}`), or the
/// client found the members it listed unusable ([`MemberErrorKind::NoClientUrl`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberError {
    kind: MemberErrorKind,
    status: StatusCode,
    message: String,
}

impl MemberError {
    /// The error of an answer with this status and message; the kind is read from both.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let message = message.into();
        let kind = classify(status, &message);
        MemberError { kind, status, message }
    }

    /// The members answered with `status`, yet give the client no URL it can use; `message` says which.
    pub fn no_client_url(status: StatusCode, message: impl Into<String>) -> Self {
        MemberError { kind: MemberErrorKind::NoClientUrl, status, message: message.into() }
    }

    /// What was refused.
    pub fn kind(&self) -> MemberErrorKind {
        self.kind
    }

    /// The HTTP status etcd answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// etcd's message, as it sent it (or the client's, for [`MemberErrorKind::NoClientUrl`]).
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn classify(status: StatusCode, message: &str) -> MemberErrorKind {
    match status {
        StatusCode::NOT_FOUND if message.starts_with("No such member") => MemberErrorKind::NotFound,
        StatusCode::CONFLICT if message.contains("peerURL exists") => MemberErrorKind::PeerUrlExists,
        StatusCode::CONFLICT if message.contains("ID exists") => MemberErrorKind::IdExists,
        StatusCode::GONE => MemberErrorKind::Removed,
        StatusCode::FORBIDDEN if message.contains("not current leader") => MemberErrorKind::NotLeader,
        StatusCode::UNAUTHORIZED => MemberErrorKind::InsufficientCredentials,
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => MemberErrorKind::BadRequest,
        _ => MemberErrorKind::Other,
    }
}

impl fmt::Display for MemberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            MemberErrorKind::NoClientUrl => write!(f, "no usable client URL: {}", self.message),
            _ => write!(f, "etcd members error (status {}): {}", self.status.as_u16(), self.message),
        }
    }
}

impl std::error::Error for MemberError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_etcds_statuses_and_messages() {
        for (status, message, kind) in [
            (404, "No such member: 1234", MemberErrorKind::NotFound),
            (404, "Not found", MemberErrorKind::Other),
            (409, "membership: peerURL exists", MemberErrorKind::PeerUrlExists),
            (409, "membership: ID exists", MemberErrorKind::IdExists),
            (410, "Member permanently removed: cea6fe0abb0f99ca", MemberErrorKind::Removed),
            (403, "not current leader", MemberErrorKind::NotLeader),
            (401, "Insufficient credentials", MemberErrorKind::InsufficientCredentials),
            (400, "no valid URLs given", MemberErrorKind::BadRequest),
            (400, "URL scheme must be http, https, unix, or unixs: x", MemberErrorKind::BadRequest),
            (415, "Bad Content-Type text/plain, accept application/json", MemberErrorKind::BadRequest),
            (500, "Internal Server Error", MemberErrorKind::Other),
        ] {
            let error = MemberError::new(StatusCode::from_u16(status).unwrap(), message);
            assert_eq!(error.kind(), kind, "{status} {message}");
            assert_eq!((error.status().as_u16(), error.message()), (status, message));
        }
        let error = MemberError::new(StatusCode::NOT_FOUND, "No such member: 1234");
        assert_eq!(error.to_string(), "etcd members error (status 404): No such member: 1234");
        let none = MemberError::no_client_url(StatusCode::OK, "no member advertises one");
        assert_eq!(
            (none.kind(), none.to_string().as_str()),
            (MemberErrorKind::NoClientUrl, "no usable client URL: no member advertises one")
        );
    }
}
