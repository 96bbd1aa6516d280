use std::fmt;
use std::time::Duration;

use http::StatusCode;

use super::{BoxError, EtcdError, InvalidResponse, Report};

/// Why one attempt on one endpoint failed.
///
/// The variants separate what a retry may and may not do: [`AttemptFailure::Connect`] certainly never reached a
/// server, [`AttemptFailure::ForeignCluster`] reached a server of another cluster; the others may have applied the
/// request.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttemptFailure {
    /// The connection could not be made (refused, DNS, TLS handshake): the request never left.
    Connect(BoxError),
    /// No response headers within the per-attempt header timeout; the request may have been applied.
    HeaderTimeout(Duration),
    /// The connection failed after the request may have been sent (reset, closed early).
    Io(BoxError),
    /// The member answered with a 5xx; etcd's own error body is kept when there was one
    /// (300 "Raft Internal Error", 301 "During Leader Election", ...).
    ServerError {
        /// The HTTP status.
        status: StatusCode,
        /// etcd's error body, when the answer carried one.
        etcd: Option<EtcdError>,
        /// The start of a body that is not etcd's error (a proxy's `502 Bad Gateway` page, a plain-text message):
        /// at most 200 bytes, invalid UTF-8 replaced, whitespace runs folded, so that the error says what the
        /// server said.
        text: Option<String>,
    },
    /// The member answered with something that is not an etcd response.
    InvalidResponse(InvalidResponse),
    /// The server answered for another cluster than the one the client was told to expect (its
    /// `X-Etcd-Cluster-Id`): a stale endpoint, or a member since moved to another cluster. The request may have
    /// been applied by that other cluster, but not by the expected one, so another endpoint may be tried.
    ForeignCluster {
        /// The cluster ID the client expects (hexadecimal, as etcd writes it).
        expected: String,
        /// The cluster ID the server answered with.
        answered: String,
    },
}

impl AttemptFailure {
    /// Whether the request certainly never reached a server, so that sending it elsewhere cannot apply it twice.
    pub fn is_never_sent(&self) -> bool {
        matches!(self, AttemptFailure::Connect(_))
    }

    /// Whether the request may have been applied by the cluster: it may have reached one of its members and no
    /// answer said otherwise. A failure to connect rules that out, and so does an answer from another cluster.
    pub fn may_have_been_applied(&self) -> bool {
        !self.is_never_sent() && !matches!(self, AttemptFailure::ForeignCluster { .. })
    }

    /// Whether this failure is a per-attempt header timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, AttemptFailure::HeaderTimeout(_))
    }
}

impl fmt::Display for AttemptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailure::Connect(_) => f.write_str("connection failed"),
            AttemptFailure::HeaderTimeout(t) => write!(f, "no response headers within {t:?}"),
            AttemptFailure::Io(_) => f.write_str("connection lost"),
            AttemptFailure::ServerError { status, etcd: Some(etcd), .. } => write!(f, "server error {status}: {etcd}"),
            AttemptFailure::ServerError { status, etcd: None, text: Some(text) } => {
                write!(f, "server error {status}: {text:?}")
            }
            AttemptFailure::ServerError { status, etcd: None, text: None } => write!(f, "server error {status}"),
            AttemptFailure::InvalidResponse(e) => fmt::Display::fmt(e, f),
            AttemptFailure::ForeignCluster { expected, answered } => {
                write!(f, "answered for cluster {answered}, not the expected cluster {expected}")
            }
        }
    }
}

/// `Display` says what happened to the attempt ("connection failed"); `source()` says why (the transport's error,
/// down to the `io::Error`), so that a chain printer shows each cause once.
impl std::error::Error for AttemptFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AttemptFailure::Connect(e) | AttemptFailure::Io(e) => Some(e.as_ref()),
            // Displayed as the invalid response itself, so its cause is the response's cause.
            AttemptFailure::InvalidResponse(e) => e.source(),
            AttemptFailure::HeaderTimeout(_) | AttemptFailure::ServerError { .. } => None,
            AttemptFailure::ForeignCluster { .. } => None,
        }
    }
}

/// One endpoint's failure within a call: the endpoint and why.
#[derive(Debug)]
pub struct EndpointError {
    endpoint: String,
    failure: AttemptFailure,
}

impl EndpointError {
    /// Pairs an endpoint with the failure met there.
    pub fn new(endpoint: impl Into<String>, failure: AttemptFailure) -> Self {
        EndpointError { endpoint: endpoint.into(), failure }
    }

    /// The endpoint, as configured (`http://10.0.0.1:2379`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What went wrong there.
    pub fn failure(&self) -> &AttemptFailure {
        &self.failure
    }

    /// The endpoint and the failure, taken apart.
    pub fn into_parts(self) -> (String, AttemptFailure) {
        (self.endpoint, self.failure)
    }
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.endpoint, self.failure)
    }
}

/// The failure's causes: `Display` is the endpoint and the failure's own line.
impl std::error::Error for EndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failure.source()
    }
}

/// Every endpoint tried failed: each with its own cause, in the order tried.
///
/// `Display` gives one line per endpoint, so the whole error reads well in a log.
#[derive(Debug)]
pub struct ClusterError {
    errors: Vec<EndpointError>,
}

impl ClusterError {
    /// A cluster error from the failures met, in the order tried.
    pub fn new(errors: Vec<EndpointError>) -> Self {
        ClusterError { errors }
    }

    /// Each endpoint's failure, in the order tried.
    pub fn errors(&self) -> &[EndpointError] {
        &self.errors
    }

    /// Whether every failure was a header timeout.
    pub fn is_timeout(&self) -> bool {
        !self.errors.is_empty() && self.errors.iter().all(|e| e.failure.is_timeout())
    }
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            0 => f.write_str("no endpoint could be tried"),
            1 => write!(f, "the endpoint failed: {}", self.errors[0]),
            n => {
                write!(f, "all {n} endpoints failed:")?;
                // The last endpoint's causes are `source()`'s; the others are reachable only here, so their lines
                // carry their causes. A chain printer appends the last one's to the last line.
                let (last, earlier) = self.errors.split_last().expect("n > 1");
                for e in earlier {
                    write!(f, "\n  {}", Report::new(e))?;
                }
                write!(f, "\n  {last}")
            }
        }
    }
}

/// `source()` is the last endpoint's cause (the others' are in `Display`, one line each, and in `errors()`).
impl std::error::Error for ClusterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors.last().and_then(|e| e.failure.source())
    }
}

/// A write that may or may not have been applied: the request may have reached a member, and no answer came.
///
/// Replaying it could apply it twice (a second queue entry, a false "key exists"), or apply a late copy over a
/// newer write of someone else's, so the client returns this instead; read the key to find out what happened.
/// The failures of the call's other attempts are kept, in the order tried (with the default retry policy they
/// all came before it, and none of them applied the write).
#[derive(Debug)]
pub struct OutcomeUnknown {
    // Boxed: it keeps `Error`, and so every `Result` of the API, small.
    inner: Box<Unknown>,
}

#[derive(Debug)]
struct Unknown {
    endpoint: EndpointError,
    earlier: Vec<EndpointError>,
}

impl OutcomeUnknown {
    /// The endpoint the write went to, and what happened there.
    pub fn new(endpoint: EndpointError) -> Self {
        OutcomeUnknown { inner: Box::new(Unknown { endpoint, earlier: Vec::new() }) }
    }

    /// Records the failures of the call's other attempts, in the order tried.
    #[must_use]
    pub fn with_earlier(mut self, earlier: Vec<EndpointError>) -> Self {
        self.inner.earlier = earlier;
        self
    }

    /// The endpoint that may have applied the write.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.endpoint()
    }

    /// What happened there.
    pub fn failure(&self) -> &AttemptFailure {
        self.inner.endpoint.failure()
    }

    /// The failures of the call's other attempts, in the order tried.
    pub fn earlier(&self) -> &[EndpointError] {
        &self.inner.earlier
    }
}

impl fmt::Display for OutcomeUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Unknown { endpoint, earlier } = &*self.inner;
        if earlier.is_empty() {
            return write!(f, "the write may or may not have been applied by {endpoint}");
        }
        // The endpoint that may have applied it last, so that a chain printer appends its causes to its line.
        f.write_str("the write may or may not have been applied:")?;
        for e in earlier {
            write!(f, "\n  tried {}", Report::new(e))?;
        }
        write!(f, "\n  then {}, which may have applied it: {}", endpoint.endpoint, endpoint.failure)
    }
}

/// `source()` is the cause of the failure at the endpoint that may have applied the write.
impl std::error::Error for OutcomeUnknown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.endpoint.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_each_endpoint_on_its_own_line() {
        let err = ClusterError::new(vec![
            EndpointError::new("http://a:1", AttemptFailure::Connect("connection refused".into())),
            EndpointError::new("http://b:2", AttemptFailure::HeaderTimeout(Duration::from_secs(1))),
        ]);
        assert_eq!(
            err.to_string(),
            "all 2 endpoints failed:\n  http://a:1: connection failed: connection refused\n  http://b:2: no response headers within 1s"
        );
        assert!(!err.is_timeout());
    }

    #[test]
    fn an_answer_from_another_cluster_was_not_applied_by_ours() {
        let foreign = AttemptFailure::ForeignCluster { expected: "a1".into(), answered: "b2".into() };
        assert!(!foreign.may_have_been_applied() && !foreign.is_never_sent() && !foreign.is_timeout());
        assert_eq!(foreign.to_string(), "answered for cluster b2, not the expected cluster a1");
    }
}
