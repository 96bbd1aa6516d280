use std::fmt;

use http::StatusCode;

/// What etcd's v2 auth API refused, as far as its answer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The request's credentials are missing, wrong, or not those of a user allowed to do this (401,
    /// "Insufficient credentials").
    InsufficientCredentials,
    /// No such user (404).
    UserNotFound,
    /// No such role (404); also what etcd answers when reading a user granted a role that no longer exists.
    RoleNotFound,
    /// The user or role already exists (409).
    AlreadyExists,
    /// The root user or role cannot be changed that way (403: deleting root while auth is enabled, changing the
    /// root role).
    Forbidden,
    /// The request contradicts the current state (409): a role granted twice or revoked without being granted,
    /// auth already enabled or disabled, no root user to enable auth with.
    Conflict,
    /// etcd found the request malformed or changing nothing (400): an empty password, a name with `/`, a
    /// revoke of a permission the role does not have.
    BadRequest,
    /// Any other refusal.
    Other,
}

/// etcd's v2 auth API said no: its HTTP status and message (`{"message":"auth: User bob does not exist."}`).
///
/// The keys API does not answer this way: a key request without the right credentials is an
/// [`EtcdError`](super::EtcdError) with code 110; [`Error::is_unauthorized`](super::Error::is_unauthorized) is
/// true for both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    kind: AuthErrorKind,
    status: StatusCode,
    message: String,
}

impl AuthError {
    /// The error of an auth answer with this status and message; the kind is read from both.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let message = message.into();
        let kind = classify(status, &message);
        AuthError { kind, status, message }
    }

    /// What was refused.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// The HTTP status etcd answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// etcd's message, as it sent it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn classify(status: StatusCode, message: &str) -> AuthErrorKind {
    // etcd's messages start with "auth: " except the 401's; the subject follows.
    let subject = message.strip_prefix("auth: ").unwrap_or(message);
    match status {
        StatusCode::UNAUTHORIZED => AuthErrorKind::InsufficientCredentials,
        StatusCode::NOT_FOUND if subject.starts_with("User ") => AuthErrorKind::UserNotFound,
        StatusCode::NOT_FOUND if subject.starts_with("Role ") => AuthErrorKind::RoleNotFound,
        StatusCode::CONFLICT if subject.contains("already exists") => AuthErrorKind::AlreadyExists,
        StatusCode::CONFLICT => AuthErrorKind::Conflict,
        StatusCode::FORBIDDEN => AuthErrorKind::Forbidden,
        StatusCode::BAD_REQUEST => AuthErrorKind::BadRequest,
        _ => AuthErrorKind::Other,
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd auth error (status {}): {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_etcds_statuses_and_messages() {
        for (status, message, kind) in [
            (401, "Insufficient credentials", AuthErrorKind::InsufficientCredentials),
            (404, "auth: User bob does not exist.", AuthErrorKind::UserNotFound),
            (404, "auth: User bob does not exist", AuthErrorKind::UserNotFound),
            (404, "auth: Role app doesn't exist.", AuthErrorKind::RoleNotFound),
            (409, "auth: User bob already exists.", AuthErrorKind::AlreadyExists),
            (409, "auth: Role app already exists.", AuthErrorKind::AlreadyExists),
            (409, "auth: Granting duplicate role app for user bob", AuthErrorKind::Conflict),
            (409, "auth: already enabled", AuthErrorKind::Conflict),
            (403, "auth: Cannot delete root user while auth is enabled.", AuthErrorKind::Forbidden),
            (400, "auth: Cannot create user bob with an empty password", AuthErrorKind::BadRequest),
            (500, "boom", AuthErrorKind::Other),
            (404, "something else", AuthErrorKind::Other),
        ] {
            let error = AuthError::new(StatusCode::from_u16(status).unwrap(), message);
            assert_eq!(error.kind(), kind, "{status} {message}");
            assert_eq!((error.status().as_u16(), error.message()), (status, message));
        }
        let error = AuthError::new(StatusCode::NOT_FOUND, "auth: User bob does not exist.");
        assert_eq!(error.to_string(), "etcd auth error (status 404): auth: User bob does not exist.");
    }
}
