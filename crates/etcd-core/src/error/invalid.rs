use std::fmt;

use http::StatusCode;

use super::BoxError;

/// What was wrong with an answer that is not an etcd response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidResponseKind {
    /// The body was empty where etcd always sends JSON.
    EmptyBody,
    /// The body was not the JSON etcd sends (not JSON, or JSON of another shape).
    Json,
    /// A header etcd always sends was missing (`X-Etcd-Index`): likely not an etcd server.
    MissingHeader(&'static str),
    /// A header had a value etcd would not send.
    BadHeader(&'static str),
    /// The status was neither success nor an etcd error (a proxy's page, a server that is not etcd).
    UnexpectedStatus,
    /// The body could not be read to its end (connection closed, truncated).
    Body,
    /// The body was larger than the client accepts (`Config::max_response_size`): nothing more was read.
    TooLarge,
    /// The body stopped arriving: less than 16 KiB (and not its end) within a per-attempt timeout while more was
    /// due, a server that sends nothing or a byte now and then alike.
    BodyTimeout,
    /// A watch stream's line (one event) grew past the watcher's limit without ending.
    EventTooLarge,
}

/// An answer that is not an etcd response: which endpoint, what was wrong, and a short excerpt of the body.
///
/// The status is kept: a write answered with 201 and a truncated body was applied, even though its answer
/// could not be read.
#[derive(Debug)]
pub struct InvalidResponse {
    kind: InvalidResponseKind,
    status: StatusCode,
    endpoint: Option<String>,
    excerpt: String,
    source: Option<BoxError>,
}

/// How much of an unexpected body an error keeps.
const EXCERPT_BYTES: usize = 160;

impl InvalidResponse {
    /// A new invalid-response error; `body` is cut to a short excerpt.
    pub fn new(kind: InvalidResponseKind, status: StatusCode, body: &[u8]) -> Self {
        let cut = &body[..body.len().min(EXCERPT_BYTES)];
        let lossy = String::from_utf8_lossy(cut);
        // Each invalid byte becomes a three-byte U+FFFD: cut again, so that the excerpt keeps its bound.
        let end = (0..=lossy.len().min(EXCERPT_BYTES)).rev().find(|&end| lossy.is_char_boundary(end)).unwrap_or(0);
        let mut excerpt = lossy[..end].to_owned();
        if body.len() > EXCERPT_BYTES || end < lossy.len() {
            excerpt.push('…');
        }
        InvalidResponse { kind, status, endpoint: None, excerpt, source: None }
    }

    /// Records the endpoint that answered.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Records the underlying error (a JSON error, a body read error).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What was wrong.
    pub fn kind(&self) -> InvalidResponseKind {
        self.kind
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The endpoint that answered, when known.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The first bytes of the body (lossy UTF-8, at most 160 bytes).
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid response")?;
        if let Some(endpoint) = &self.endpoint {
            write!(f, " from {endpoint}")?;
        }
        write!(f, " (status {}): ", self.status.as_u16())?;
        match self.kind {
            InvalidResponseKind::EmptyBody => f.write_str("empty body")?,
            InvalidResponseKind::Json => f.write_str("body is not etcd's JSON")?,
            InvalidResponseKind::MissingHeader(h) => write!(f, "missing {h} header; is this an etcd server?")?,
            InvalidResponseKind::BadHeader(h) => write!(f, "bad {h} header")?,
            InvalidResponseKind::UnexpectedStatus => f.write_str("unexpected status; is this an etcd server?")?,
            InvalidResponseKind::Body => f.write_str("the body could not be read to its end")?,
            InvalidResponseKind::TooLarge => f.write_str("the body is larger than the client accepts")?,
            InvalidResponseKind::BodyTimeout => f.write_str("the body stopped arriving")?,
            InvalidResponseKind::EventTooLarge => f.write_str("a watch event larger than the watcher's limit")?,
        }
        if !self.excerpt.is_empty() {
            write!(f, "; body starts {:?}", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidResponse {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What part of a request was refused before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRequestKind {
    /// The key cannot be sent as is (a `.` or `..` segment, ...).
    Key,
    /// The options contradict each other or etcd would reject or ignore them.
    Options,
    /// An endpoint URL is not usable.
    Endpoint,
    /// The client's configuration is not usable.
    Config,
}

/// A request refused before anything was sent, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRequest {
    kind: InvalidRequestKind,
    reason: String,
}

impl InvalidRequest {
    /// A refusal of the given kind, with a reason a user can act on.
    pub fn new(kind: InvalidRequestKind, reason: impl Into<String>) -> Self {
        InvalidRequest { kind, reason: reason.into() }
    }

    /// What part of the request was refused.
    pub fn kind(&self) -> InvalidRequestKind {
        self.kind
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            InvalidRequestKind::Key => "invalid key",
            InvalidRequestKind::Options => "invalid options",
            InvalidRequestKind::Endpoint => "invalid endpoint",
            InvalidRequestKind::Config => "invalid configuration",
        };
        write!(f, "{what}: {}", self.reason)
    }
}

impl std::error::Error for InvalidRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_display_says_where_and_what() {
        let body = "<html>".repeat(100);
        let err = InvalidResponse::new(InvalidResponseKind::UnexpectedStatus, StatusCode::OK, body.as_bytes())
            .with_endpoint("http://x:1");
        assert!(err.excerpt().len() <= EXCERPT_BYTES + '…'.len_utf8());
        let text = err.to_string();
        assert!(text.starts_with("invalid response from http://x:1 (status 200): unexpected status"), "{text}");
        assert!(text.contains("<html>"), "{text}");
    }

    #[test]
    fn excerpt_never_splits_into_a_panic_on_multibyte_text() {
        let body = "é".repeat(200);
        let err = InvalidResponse::new(InvalidResponseKind::Json, StatusCode::OK, body.as_bytes());
        assert!(err.excerpt().starts_with("éé"));
    }

    #[test]
    fn excerpt_of_invalid_utf8_keeps_its_bound() {
        let err = InvalidResponse::new(InvalidResponseKind::Json, StatusCode::OK, &[0xff; 100]);
        assert!(err.excerpt().len() <= EXCERPT_BYTES + '…'.len_utf8(), "{}", err.excerpt().len());
        assert!(err.excerpt().starts_with('\u{fffd}') && err.excerpt().ends_with('…'));
    }
}
