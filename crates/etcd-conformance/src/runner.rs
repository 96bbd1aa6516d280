//! Sends a case's raw requests to one server with a plain hyper client (not this workspace's client: the point
//! is the server's own answer) and records what came back.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use bytes::{Bytes, BytesMut};
use http::{Method, Request as HttpRequest, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::case::{Case, Request, Step, expand};
use crate::json::Json;
use crate::record::{Body, Exchange, HEADERS, Recording};

/// How long one answer may take (an ordinary request, or a wait after the write that answers it).
const ANSWER_BOUND: Duration = Duration::from_secs(5);
/// How much longer than its own bound a long poll's task may take before Collect gives up on it.
const LONG_POLL_SLACK: Duration = Duration::from_secs(1);
/// How long the headers of a long poll may take: etcd flushes them as soon as the watch is registered.
const WAIT_HEADERS_BOUND: Duration = Duration::from_secs(3);

/// Why a case could not be run at all (a failed request is recorded, not an error).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The base URL and a path did not make a URI.
    #[error("bad request URI {uri:?}: {reason}")]
    BadUri {
        /// The URI.
        uri: String,
        /// What was wrong.
        reason: String,
    },
    /// The index at the start of the case could not be read.
    #[error("could not read the server's index at the start of case {case:?}: {reason}")]
    StartIndex {
        /// The case.
        case: String,
        /// What went wrong.
        reason: String,
    },
    /// A case collected a wait or stream it never started.
    #[error("case {case:?} collects {name:?}, which it did not start")]
    UnknownWait {
        /// The case.
        case: String,
        /// The name collected.
        name: String,
    },
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Runs cases against one server (or one cluster: a request goes to the member it names).
#[derive(Clone, Debug)]
pub struct Runner {
    client: HttpClient,
    members: Vec<String>,
}

impl Runner {
    /// A runner for the server at `base_url` (`http://127.0.0.1:PORT`, no trailing slash needed).
    pub fn new(base_url: &str) -> Runner {
        Runner::cluster([base_url])
    }

    /// A runner for a cluster: member `n` of a [`Request`] is the `n`th URL.
    pub fn cluster<I, S>(member_urls: I) -> Runner
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let members = member_urls.into_iter().map(|url| url.as_ref().trim_end_matches('/').to_owned()).collect();
        Runner { client, members }
    }

    /// The first member's base URL.
    pub fn base_url(&self) -> &str {
        self.members.first().map_or("", String::as_str)
    }

    /// Runs every step of `case` and records the answers.
    pub async fn run(&self, case: &Case) -> Result<Recording, RunError> {
        let start_index =
            self.current_index().await.map_err(|reason| RunError::StartIndex { case: case.name.clone(), reason })?;
        let mut pending: HashMap<String, (String, JoinHandle<Exchange>)> = HashMap::new();
        let mut exchanges = Vec::new();
        for step in &case.steps {
            match step {
                Step::Send(request) => {
                    let sent = expand_request(request, start_index, None);
                    exchanges.push(self.exchange(label(request), &sent).await?);
                }
                Step::StartWait { name, request } | Step::StartStream { name, request, .. } => {
                    let events = match step {
                        Step::StartStream { events, quiet_ms, .. } => Some((*events, Duration::from_millis(*quiet_ms))),
                        _ => None,
                    };
                    let sent = expand_request(request, start_index, None);
                    let handle = self.start_long_poll(label(request), &sent, events).await?;
                    pending.insert(name.clone(), (label(request), handle));
                }
                Step::Collect(name) => {
                    let (step_label, handle) = pending
                        .remove(name)
                        .ok_or_else(|| RunError::UnknownWait { case: case.name.clone(), name: name.clone() })?;
                    let exchange = match timeout(ANSWER_BOUND + LONG_POLL_SLACK, handle).await {
                        Ok(Ok(exchange)) => exchange,
                        Ok(Err(e)) => Exchange::failed(step_label, format!("the long poll's task failed: {e}")),
                        Err(_) => Exchange::failed(step_label, "no answer to the long poll".to_owned()),
                    };
                    exchanges.push(exchange);
                }
                Step::Repeat { count, request } => {
                    let mut statuses: Vec<(Option<u16>, usize)> = Vec::new();
                    let mut last = None;
                    for n in 1..=*count {
                        let sent = expand_request(request, start_index, Some(n));
                        let exchange = self.exchange(label(request), &sent).await?;
                        match statuses.last_mut() {
                            Some((status, times)) if *status == exchange.status => *times += 1,
                            _ => statuses.push((exchange.status, 1)),
                        }
                        last = Some(exchange);
                    }
                    if let Some(mut exchange) = last {
                        let counts: Vec<String> = statuses
                            .iter()
                            .map(|(s, t)| format!("{t} x {}", s.map_or("no answer".to_owned(), |s| s.to_string())))
                            .collect();
                        exchange.note = Some(format!("{count} requests: {}", counts.join(", ")));
                        exchanges.push(exchange);
                    }
                }
            }
        }
        for (_, (_, handle)) in pending {
            handle.abort();
        }
        Ok(Recording { case: case.name.clone(), start_index, exchanges })
    }

    /// Waits (within `bound`) until every member says the cluster's version is decided (`/version`'s
    /// `etcdcluster` is not `not_decided`): etcd writes that version into the v2 store once all members are up,
    /// which takes an index, and must not happen in the middle of a case.
    pub async fn wait_settled(&self, bound: Duration) -> Result<(), String> {
        let settled = async {
            for member in 0..self.members.len() {
                let mut probe = Request::new("GET", "/version");
                probe.member = member;
                loop {
                    let answer = self.exchange(String::new(), &probe).await.map_err(|e| e.to_string())?;
                    let decided = match &answer.body {
                        Body::Json { value, .. } => {
                            value.get("etcdcluster").and_then(Json::as_str).is_some_and(|v| v != "not_decided")
                        }
                        _ => false,
                    };
                    if answer.status == Some(200) && decided {
                        break;
                    }
                    // Polling an answer that has no push: a short pause between probes, bounded as a whole.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            Ok::<_, String>(())
        };
        timeout(bound, settled).await.map_err(|_| format!("the cluster's version was not decided within {bound:?}"))?
    }

    /// The server's `X-Etcd-Index`, read from `GET /v2/keys/` (which changes nothing).
    pub async fn current_index(&self) -> Result<u64, String> {
        let probe = Request::new("GET", "/v2/keys/");
        let exchange = self.exchange(String::new(), &probe).await.map_err(|e| e.to_string())?;
        exchange
            .header("X-Etcd-Index")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no X-Etcd-Index in the answer to GET /v2/keys/: {exchange:?}"))
    }

    async fn exchange(&self, step: String, request: &Request) -> Result<Exchange, RunError> {
        let http_request = self.http_request(request)?;
        let answer = timeout(ANSWER_BOUND, async {
            let response = self.client.request(http_request).await.map_err(|e| format!("request failed: {e}"))?;
            let (status, headers) = head(&response);
            let bytes = response.into_body().collect().await.map_err(|e| format!("body failed: {e}"))?.to_bytes();
            Ok::<_, String>((status, headers, bytes))
        })
        .await;
        Ok(match answer {
            Ok(Ok((status, headers, bytes))) => {
                Exchange { step, status: Some(status), headers, body: parse_body(&bytes), note: None }
            }
            Ok(Err(why)) => Exchange::failed(step, why),
            Err(_) => Exchange::failed(step, format!("no answer within {ANSWER_BOUND:?}")),
        })
    }

    /// Sends a long poll and returns once its headers arrived (or their bound ran out); the returned task reads
    /// the body: the whole of it, or `events` JSON documents of a stream.
    async fn start_long_poll(
        &self,
        step: String,
        request: &Request,
        events: Option<(usize, Duration)>,
    ) -> Result<JoinHandle<Exchange>, RunError> {
        let http_request = self.http_request(request)?;
        let client = self.client.clone();
        let (headers_arrived, on_headers) = oneshot::channel();
        let handle = tokio::spawn(async move {
            let response = match client.request(http_request).await {
                Ok(response) => response,
                Err(e) => {
                    let _ = headers_arrived.send(());
                    return Exchange::failed(step, format!("request failed: {e}"));
                }
            };
            let _ = headers_arrived.send(());
            let (status, headers) = head(&response);
            let body = match events {
                None => match timeout(ANSWER_BOUND, response.into_body().collect()).await {
                    Ok(Ok(collected)) => parse_body(&collected.to_bytes()),
                    Ok(Err(e)) => Body::Failed(format!("body failed: {e}")),
                    Err(_) => Body::Failed(format!("no answer within {ANSWER_BOUND:?} after the wait started")),
                },
                Some((wanted, quiet)) => read_events(response.into_body(), wanted, quiet).await,
            };
            Exchange { step, status: Some(status), headers, body, note: None }
        });
        // A late header is not an error of the runner: the answer (or its absence) is recorded by Collect.
        let _ = timeout(WAIT_HEADERS_BOUND, on_headers).await;
        Ok(handle)
    }

    fn http_request(&self, request: &Request) -> Result<HttpRequest<Full<Bytes>>, RunError> {
        let base = self.members.get(request.member).ok_or_else(|| RunError::BadUri {
            uri: request.path.clone(),
            reason: format!("member {} of a server with {}", request.member, self.members.len()),
        })?;
        let uri = format!("{base}{}", request.path);
        let method = Method::from_bytes(request.method.as_bytes())
            .map_err(|e| RunError::BadUri { uri: uri.clone(), reason: e.to_string() })?;
        let mut builder = HttpRequest::builder().method(method).uri(&uri);
        if let Some((user, password)) = &request.basic_auth {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            builder = builder.header(header::AUTHORIZATION, format!("Basic {token}"));
        }
        let body = match &request.body {
            Some((body, content_type)) => {
                builder = builder.header(header::CONTENT_TYPE, *content_type);
                Bytes::from(body.clone())
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body)).map_err(|e| RunError::BadUri { uri, reason: e.to_string() })
    }
}

/// The step's label: the request as the case wrote it, so it is the same on every server.
fn label(request: &Request) -> String {
    let mut label = format!("{} {}", request.method, request.path);
    if let Some((body, _)) = &request.body {
        label.push(' ');
        label.push_str(body);
    }
    if request.member > 0 {
        label.push_str(&format!(" (on member {})", request.member));
    }
    if let Some((user, _)) = &request.basic_auth {
        label.push_str(" (as ");
        label.push_str(user);
        label.push(')');
    }
    label
}

fn expand_request(request: &Request, start_index: u64, repetition: Option<usize>) -> Request {
    let mut sent = request.clone();
    sent.path = expand(&request.path, start_index, repetition);
    if let Some((body, content_type)) = &request.body {
        sent.body = Some((expand(body, start_index, repetition), content_type));
    }
    sent
}

fn head(response: &http::Response<Incoming>) -> (u16, Vec<Option<String>>) {
    let headers = HEADERS
        .iter()
        .map(|name| response.headers().get(*name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    (response.status().as_u16(), headers)
}

fn parse_body(bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    let newline = bytes.ends_with(b"\n");
    match Json::parse(bytes) {
        Ok(value) if matches!(value, Json::Object(_) | Json::Array(_)) => {
            let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            let unusual_encoding =
                (text != value.go_encoding().as_bytes()).then(|| String::from_utf8_lossy(text).into_owned());
            Body::Json { value, newline, unusual_encoding }
        }
        _ => Body::Text(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// Reads JSON documents from a stream until `wanted` arrived, the stream ended, or it was quiet for `quiet`.
async fn read_events(mut body: Incoming, wanted: usize, quiet: Duration) -> Body {
    let mut buffer = BytesMut::new();
    let mut consumed = 0;
    let mut events = Vec::new();
    let partial = |events, then: &str| Body::PartialEvents { events, then: then.to_owned() };
    while events.len() < wanted {
        let frame = match timeout(quiet, body.frame()).await {
            Err(_) => return partial(events, "quiet"),
            Ok(None) => return partial(events, "ended"),
            Ok(Some(Err(e))) => return partial(events, &format!("failed: {e}")),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        buffer.extend_from_slice(&data);
        let mut documents = serde_json::Deserializer::from_slice(&buffer[consumed..]).into_iter::<Json>();
        loop {
            match documents.next() {
                Some(Ok(event)) => events.push(event),
                Some(Err(e)) if e.is_eof() => break,
                Some(Err(e)) => return partial(events, &format!("not JSON: {e}")),
                None => break,
            }
        }
        consumed += documents.byte_offset();
    }
    events.truncate(wanted);
    Body::Events(events)
}
