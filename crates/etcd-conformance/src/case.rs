//! A case: a named sequence of raw v2 HTTP requests, and the steps a v2 conversation needs around them (long
//! polls answered by a later write, the first events of a stream, many writes at once).
//!
//! Paths and bodies are written as a client sends them. Indexes are written relative to the index the server
//! had when the case started: `{i}` is that index, `{i+3}` the index of the case's third write. So a case says
//! `prevIndex={i+1}` and means "the index my first write got" on every server, whatever that server's absolute
//! index is.

/// One request, as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `PUT`, `POST`, `DELETE`, ...
    pub method: String,
    /// Path and query, with `{i+N}` placeholders (see the module's docs).
    pub path: String,
    /// The body, with placeholders, and its content type; `None` sends no body.
    pub body: Option<(String, &'static str)>,
    /// `(user, password)` for HTTP basic auth.
    pub basic_auth: Option<(String, String)>,
    /// Which member of the server's cluster gets it (0 unless a case of a cluster group says otherwise).
    pub member: usize,
}

/// How long a stream may stay quiet by default: long enough for a 1-second TTL to expire (etcd sweeps expired
/// keys every 500 ms).
pub const DEFAULT_QUIET_MS: u64 = 5_000;

/// The content type of a form body (what etcd's keys API reads).
pub const FORM: &str = "application/x-www-form-urlencoded";
/// The content type of a JSON body (what etcd's auth and members APIs read).
pub const JSON: &str = "application/json";

impl Request {
    /// A request with no body and no credentials.
    pub fn new(method: &str, path: &str) -> Request {
        Request { method: method.to_owned(), path: path.to_owned(), body: None, basic_auth: None, member: 0 }
    }
}

/// What the runner does at one step of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Sends a request and records its answer.
    Send(Request),
    /// Sends a long poll (`wait=true`) and goes on once its headers arrived (etcd flushes them at once), without
    /// reading the body; [`Step::Collect`] records the answer later.
    StartWait {
        /// The name [`Step::Collect`] refers to.
        name: String,
        /// The `wait=true` request.
        request: Request,
    },
    /// Like [`Step::StartWait`] for `stream=true`: [`Step::Collect`] records the first `events` events.
    StartStream {
        /// The name [`Step::Collect`] refers to.
        name: String,
        /// The `wait=true&stream=true` request.
        request: Request,
        /// How many events to read before closing the stream.
        events: usize,
        /// How long the stream may stay quiet before it is recorded as it is (etcd goes quiet on purpose after
        /// an event from its history).
        quiet_ms: u64,
    },
    /// Records the answer of a wait or stream started earlier (bounded: a missing answer is recorded as such).
    Collect(String),
    /// Sends the request `count` times (`{n}` in it is the repetition, from 1) and records one answer: the last,
    /// with the statuses of all. For history overflow: more than 1,000 writes in one step.
    Repeat {
        /// How many times.
        count: usize,
        /// The request, with `{n}`.
        request: Request,
    },
}

/// A named sequence of steps. Build it with the methods, which read like the conversation:
///
/// ```
/// use etcd_conformance::Case;
///
/// let case = Case::new("compare_and_swap")
///     .put("/v2/keys/cas/a", "value=1")
///     .put("/v2/keys/cas/a", "value=2&prevIndex={i+1}") // the index of the first write
///     .put("/v2/keys/cas/a", "value=3&prevValue=nope"); // 101 compare failed
/// assert_eq!(case.steps.len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Unique within a suite; printed in every difference.
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Case {
    /// An empty case.
    pub fn new(name: &str) -> Case {
        Case { name: name.to_owned(), steps: Vec::new() }
    }

    /// Adds any request.
    pub fn send(mut self, request: Request) -> Case {
        self.steps.push(Step::Send(request));
        self
    }

    /// `GET path`.
    pub fn get(self, path: &str) -> Case {
        self.send(Request::new("GET", path))
    }

    /// `PUT path` with a form body (empty string: an empty form).
    pub fn put(self, path: &str, form: &str) -> Case {
        self.send(with_body(Request::new("PUT", path), form, FORM))
    }

    /// `POST path` with a form body (create in order).
    pub fn post(self, path: &str, form: &str) -> Case {
        self.send(with_body(Request::new("POST", path), form, FORM))
    }

    /// `DELETE path` (options in the query, as clients send them).
    pub fn delete(self, path: &str) -> Case {
        self.send(Request::new("DELETE", path))
    }

    /// A request with a JSON body (none when `body` is empty) and basic auth when `auth` is
    /// `Some((user, password))`.
    pub fn json(self, method: &str, path: &str, body: &str, auth: Option<(&str, &str)>) -> Case {
        let mut request = Request::new(method, path);
        if !body.is_empty() {
            request = with_body(request, body, JSON);
        }
        request.basic_auth = auth.map(|(u, p)| (u.to_owned(), p.to_owned()));
        self.send(request)
    }

    /// A request without a body, as `user` with `password`.
    pub fn as_user(self, method: &str, path: &str, form: Option<&str>, user: &str, password: &str) -> Case {
        let mut request = Request::new(method, path);
        if let Some(form) = form {
            request = with_body(request, form, FORM);
        }
        request.basic_auth = Some((user.to_owned(), password.to_owned()));
        self.send(request)
    }

    /// Sends the last request added (or started as a wait or stream) to member `member` instead of the first:
    /// for groups run on a cluster ([`Group::members`](crate::Group::members)).
    pub fn on_member(mut self, member: usize) -> Case {
        match self.steps.last_mut() {
            Some(Step::Send(request) | Step::StartWait { request, .. } | Step::StartStream { request, .. }) => {
                request.member = member;
            }
            Some(Step::Repeat { request, .. }) => request.member = member,
            Some(Step::Collect(_)) | None => {}
        }
        self
    }

    /// Starts a long poll `GET path` (which should have `wait=true`); see [`Step::StartWait`].
    pub fn start_wait(mut self, name: &str, path: &str) -> Case {
        self.steps.push(Step::StartWait { name: name.to_owned(), request: Request::new("GET", path) });
        self
    }

    /// Starts a streaming watch `GET path` and keeps its first `events` events; see [`Step::StartStream`].
    pub fn start_stream(self, name: &str, path: &str, events: usize) -> Case {
        self.start_stream_quiet_after(name, path, events, DEFAULT_QUIET_MS)
    }

    /// Like [`Case::start_stream`], for a stream expected to go quiet before `events` events: recorded as it is
    /// after `quiet_ms` without data.
    pub fn start_stream_quiet_after(mut self, name: &str, path: &str, events: usize, quiet_ms: u64) -> Case {
        let request = Request::new("GET", path);
        self.steps.push(Step::StartStream { name: name.to_owned(), request, events, quiet_ms });
        self
    }

    /// Records the answer of the wait or stream `name`.
    pub fn collect(mut self, name: &str) -> Case {
        self.steps.push(Step::Collect(name.to_owned()));
        self
    }

    /// `PUT path` with `form`, `count` times (`{n}` is the repetition); records the last answer.
    pub fn put_many(mut self, count: usize, path: &str, form: &str) -> Case {
        self.steps.push(Step::Repeat { count, request: with_body(Request::new("PUT", path), form, FORM) });
        self
    }

    /// How many answers the case records (one per step except the starts of waits and streams).
    pub fn recorded(&self) -> usize {
        self.steps.iter().filter(|s| !matches!(s, Step::StartWait { .. } | Step::StartStream { .. })).count()
    }
}

fn with_body(mut request: Request, body: &str, content_type: &'static str) -> Request {
    request.body = Some((body.to_owned(), content_type));
    request
}

/// Replaces `{i}`, `{i+N}` (the case's start index plus N) and `{n}` (a repetition) in `text`.
///
/// Anything else in braces is left as it is, so JSON bodies pass through untouched.
pub fn expand(text: &str, start_index: u64, repetition: Option<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let replaced = after.find('}').and_then(|close| {
            let inner = &after[..close];
            let value = match (inner, repetition) {
                ("i", _) => Some(start_index.to_string()),
                ("n", Some(n)) => Some(n.to_string()),
                _ => inner
                    .strip_prefix("i+")
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(|n| start_index.saturating_add(n).to_string()),
            }?;
            Some((value, close))
        });
        match replaced {
            Some((value, close)) => {
                out.push_str(&value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_relative_to_the_start_index() {
        assert_eq!(expand("prevIndex={i+2}&waitIndex={i}", 40, None), "prevIndex=42&waitIndex=40");
        assert_eq!(expand("value=v{n}", 40, Some(7)), "value=v7");
        assert_eq!(expand(r#"{"user":"root","roles":["a"]}"#, 40, None), r#"{"user":"root","roles":["a"]}"#);
        assert_eq!(expand("{i+x}{", 1, None), "{i+x}{");
    }

    #[test]
    fn a_case_counts_what_it_records() {
        let case = Case::new("c").put("/v2/keys/c/a", "value=1").start_wait("w", "/v2/keys/c/a?wait=true").collect("w");
        assert_eq!(case.recorded(), 2);
    }
}
