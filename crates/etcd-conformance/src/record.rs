//! What a server answered to a case: per request, the status, etcd's headers and the body.

use std::fmt;

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
        /// The raw text, when it is not what Go's `encoding/json` writes for `value` ([`Json::go_encoding`]):
        /// other escapes, spaces, number forms.
        unusual_encoding: Option<String>,
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

    /// Every JSON document of the body (one, or a stream's events), to rewrite.
    pub fn documents_mut(&mut self) -> Vec<&mut Json> {
        match &mut self.body {
            Body::Json { value, .. } => vec![value],
            Body::Events(events) | Body::PartialEvents { events, .. } => events.iter_mut().collect(),
            _ => Vec::new(),
        }
    }

    /// Sets the value of one of [`HEADERS`] (normalization).
    pub fn set_header(&mut self, name: &str, value: Option<String>) {
        if let Some(i) = HEADERS.iter().position(|h| h.eq_ignore_ascii_case(name)) {
            self.headers[i] = value;
        }
    }
}

/// One line per fact: the request, then status, headers and body, as a transcript shows them.
impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "> {}", self.step)?;
        match self.status {
            Some(status) => write!(f, "< {status}")?,
            None => write!(f, "< no answer")?,
        }
        for (name, value) in HEADERS.iter().zip(&self.headers) {
            if let Some(value) = value {
                write!(f, " {name}: {value};")?;
            }
        }
        writeln!(f)?;
        if let Some(note) = &self.note {
            writeln!(f, "< {note}")?;
        }
        match &self.body {
            Body::Empty => writeln!(f, "< (empty)"),
            Body::Json { value, newline, unusual_encoding } => {
                writeln!(f, "< {value}{}", if *newline { "" } else { " (no newline)" })?;
                match unusual_encoding {
                    Some(raw) => writeln!(f, "< not as Go encodes it: {raw}"),
                    None => Ok(()),
                }
            }
            Body::Text(text) => writeln!(f, "< text {text:?}"),
            Body::Events(events) => events.iter().try_for_each(|e| writeln!(f, "< event {e}")),
            Body::PartialEvents { events, then } => {
                events.iter().try_for_each(|e| writeln!(f, "< event {e}"))?;
                writeln!(f, "< then {then}")
            }
            Body::Failed(why) => writeln!(f, "< FAILED {why}"),
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

/// The case's name, then every exchange: a transcript to read or to diff with another server's.
impl fmt::Display for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "## {} (start index {})", self.case, self.start_index)?;
        self.exchanges.iter().try_for_each(|e| write!(f, "{e}"))
    }
}
