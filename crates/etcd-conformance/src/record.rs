//! What a server answered to a case: per request, the status, etcd's headers and the body.

use crate::json::Json;

/// The headers a v2 client reads, in the order they are compared.
pub const HEADERS: [&str; 5] = ["X-Etcd-Index", "X-Raft-Index", "X-Raft-Term", "X-Etcd-Cluster-Id", "Content-Type"];

/// A body as it arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// No bytes.
    Empty,
    /// One JSON document; `newline` says whether a `\n` followed it (Go's encoder writes one).
    Json {
        /// The document, fields in order.
        value: Json,
        /// Whether the document ended with a newline.
        newline: bool,
    },
    /// Anything else, as text (`404 page not found`, ...).
    Text(String),
    /// The first events of a stream, in order: all that were asked for.
    Events(Vec<Json>),
    /// The events a stream sent before it ended or went quiet for the step's bound, and which of the two.
    PartialEvents {
        /// The events, in order.
        events: Vec<Json>,
        /// `ended`, `quiet`, or what failed.
        then: String,
    },
    /// No answer, or not all of it: the connection failed or the bound ran out.
    Failed(String),
}

/// One request's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// The step as the case wrote it (`PUT /v2/keys/a value=1`): the same on every server.
    pub step: String,
    /// The HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// The values of [`HEADERS`], in that order.
    pub headers: Vec<Option<String>>,
    /// The body.
    pub body: Body,
    /// Facts of the step that are not an HTTP answer (the statuses of a repeated request).
    pub note: Option<String>,
}

impl Exchange {
    /// An exchange that got no answer.
    pub fn failed(step: String, why: String) -> Exchange {
        Exchange { step, status: None, headers: vec![None; HEADERS.len()], body: Body::Failed(why), note: None }
    }

    /// The value of one of [`HEADERS`].
    pub fn header(&self, name: &str) -> Option<&str> {
        let i = HEADERS.iter().position(|h| h.eq_ignore_ascii_case(name))?;
        self.headers.get(i)?.as_deref()
    }

    /// Sets the value of one of [`HEADERS`] (normalization).
    pub fn set_header(&mut self, name: &str, value: Option<String>) {
        if let Some(i) = HEADERS.iter().position(|h| h.eq_ignore_ascii_case(name)) {
            self.headers[i] = value;
        }
    }
}

/// A case's answers on one server.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// The case's name.
    pub case: String,
    /// The server's `X-Etcd-Index` when the case started: what `{i}` stood for.
    pub start_index: u64,
    /// One per recorded step, in order.
    pub exchanges: Vec<Exchange>,
}
