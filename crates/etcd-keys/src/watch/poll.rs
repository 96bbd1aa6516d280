//! The watch loop: open a stream of events, deliver them, and open it again where it left off.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use etcd_core::decode::X_ETCD_INDEX;
use etcd_core::{Action, Error, ErrorCode, InvalidResponse, InvalidResponseKind, Node, Response, decode};
use etcd_transport::{Body, Endpoint};
use http::StatusCode;
use http_body_util::BodyExt;

use super::event;
use super::options::{Liveness, WatcherOptions};
use crate::{GetOptions, KeysApi, request};

/// etcd drops a streaming watcher, silently and without closing its stream, when its sending falls 100 events
/// behind. So when a stream that brought events goes quiet this long, the loop asks etcd, with a plain wait at
/// the next index, whether events came that the stream did not bring. A watch with no events costs nothing.
const QUIET_AFTER_EVENTS: Duration = Duration::from_millis(300);
/// A plain wait that answers within this time found an event in etcd's history: the stream was dropped.
const HISTORY_ANSWER: Duration = Duration::from_millis(250);

/// The longest pause between two polls that delivered nothing.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// The state of a watch between two events.
pub(crate) struct WatchLoop {
    keys: KeysApi,
    key: String,
    options: WatcherOptions,
    /// The index the next request waits from; 0 until the first watch registered (then: from now on).
    next_index: Arc<AtomicU64>,
    open: Option<OpenStream>,
    /// Polls in a row that delivered no event: the backoff grows with them.
    quiet_polls: u32,
    ended: bool,
}

/// A stream of events etcd is sending.
struct OpenStream {
    body: Body,
    endpoint: Option<Endpoint>,
    /// etcd's index when it registered the watch: an event at or below it came from etcd's history, and etcd
    /// sends nothing after such an event.
    registered_at: u64,
    buffer: Vec<u8>,
    delivered: bool,
    /// Whether events came since the last check that etcd still sends this stream everything.
    unchecked: bool,
}

/// How reading a stream went.
enum Read {
    Data,
    /// The stream ended or broke (etcd closed it, the member died, a proxy cut it).
    Over,
    /// The liveness probe found the member frozen or cut off from its cluster.
    Unwell(Endpoint),
    /// etcd dropped the watcher behind the stream: events came that the stream did not bring.
    Dropped,
}

impl WatchLoop {
    pub(crate) fn new(keys: KeysApi, key: &str, options: WatcherOptions) -> Self {
        let next_index = options.after_index.map_or(0, |after| after.saturating_add(1));
        WatchLoop {
            keys,
            key: key.to_owned(),
            options,
            next_index: Arc::new(AtomicU64::new(next_index)),
            open: None,
            quiet_polls: 0,
            ended: false,
        }
    }

    pub(crate) fn progress(&self) -> Arc<AtomicU64> {
        self.next_index.clone()
    }

    pub(crate) fn next_index(&self) -> Option<u64> {
        Some(self.next_index.load(Ordering::Relaxed)).filter(|&index| index > 0)
    }

    /// Runs until the next item: an event, a snapshot, an error, or the end (`None`).
    pub(crate) async fn step(mut self: Box<Self>) -> (Box<Self>, Option<Result<Response, Error>>) {
        let item = self.next_item().await;
        (self, item)
    }

    async fn next_item(&mut self) -> Option<Result<Response, Error>> {
        loop {
            if self.ended {
                return None;
            }
            let Some(open) = self.open.as_mut() else {
                if let Some(item) = self.open_stream().await {
                    return Some(item);
                }
                continue;
            };
            if let Some(line) = open.take_line() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match event::decode(&line) {
                    Ok(event) => {
                        if let Some(item) = self.deliver(event) {
                            return Some(item);
                        }
                    }
                    Err(error) => {
                        let error = with_endpoint(error, self.open.take().and_then(|o| o.endpoint).as_ref());
                        self.quiet_polls += 1;
                        return Some(Err(error));
                    }
                }
                continue;
            }
            match self.read_more().await {
                Read::Data => {}
                Read::Over => self.close(),
                Read::Dropped => {
                    tracing::debug!(next_index = ?self.next_index(), "etcd dropped the streaming watcher; resuming");
                    self.close();
                }
                Read::Unwell(endpoint) => {
                    tracing::debug!(%endpoint, "the member serving the watch is unwell; moving the watch");
                    if let Some(endpoints) = self.keys.client().endpoints() {
                        endpoints.unpin(&endpoint);
                    }
                    self.close();
                }
            }
        }
    }

    /// An event to deliver, unless it is one already delivered.
    fn deliver(&mut self, event: Response) -> Option<Result<Response, Error>> {
        let index = event.index;
        if self.next_index().is_some_and(|next| index < next) {
            return None;
        }
        let open = self.open.as_mut().expect("events come from an open stream");
        self.next_index.store(index + 1, Ordering::Relaxed);
        open.delivered = true;
        open.unchecked = true;
        self.quiet_polls = 0;
        if index <= open.registered_at {
            // From etcd's history: etcd answers such a watch with this one event and then nothing.
            self.open = None;
        }
        Some(Ok(event))
    }

    fn close(&mut self) {
        if let Some(open) = self.open.take() {
            if !open.delivered {
                self.quiet_polls += 1;
            }
        }
    }

    /// Opens a stream from the next index; an item when there is something to tell the caller instead.
    async fn open_stream(&mut self) -> Option<Result<Response, Error>> {
        if self.quiet_polls > 0 {
            let exponent = (self.quiet_polls - 1).min(8);
            tokio::time::sleep((FIRST_BACKOFF * 2u32.pow(exponent)).min(MAX_BACKOFF)).await;
        }
        let request = match request::watch(self.keys.prefix(), &self.key, self.options.recursive, self.next_index()) {
            Ok(request) => request,
            Err(invalid) => {
                self.ended = true;
                return Some(Err(invalid.into()));
            }
        };
        let response = match self.keys.client().send(request).await {
            Ok(response) => response,
            Err(error) => {
                // No member could be reached: say so; polled again, the watch tries again from the same index.
                self.quiet_polls += 1;
                return Some(Err(error));
            }
        };
        let (parts, body) = response.into_parts();
        let endpoint = parts.extensions.get::<Endpoint>().cloned();
        if parts.status == StatusCode::OK {
            let registered_at = match parts.headers.get(X_ETCD_INDEX).and_then(|v| v.to_str().ok()?.parse().ok()) {
                Some(index) => index,
                None => {
                    self.quiet_polls += 1;
                    let kind = InvalidResponseKind::MissingHeader("X-Etcd-Index");
                    let error = InvalidResponse::new(kind, parts.status, b"").into();
                    return Some(Err(with_endpoint(error, endpoint.as_ref())));
                }
            };
            if self.next_index().is_none() {
                self.next_index.store(registered_at + 1, Ordering::Relaxed);
            }
            self.open = Some(OpenStream {
                body,
                endpoint,
                registered_at,
                buffer: Vec::new(),
                delivered: false,
                unchecked: false,
            });
            return None;
        }
        let error = match body.bytes().await {
            Ok(bytes) => decode::error(parts.status, &bytes),
            Err(e) => InvalidResponse::new(InvalidResponseKind::Body, parts.status, b"").with_source(e).into(),
        };
        let error = with_endpoint(error, endpoint.as_ref());
        if error.is_event_index_cleared() && self.options.recover_when_cleared {
            return Some(self.snapshot().await);
        }
        if error.code() == Some(ErrorCode::WATCHER_CLEARED) {
            // etcd dropped its watchers while recovering: ask again from the same index.
            self.quiet_polls += 1;
            return None;
        }
        // etcd's refusals (401 without recovery included) would be repeated: end after saying it.
        if error.is_etcd() {
            self.ended = true;
        } else {
            self.quiet_polls += 1;
        }
        Some(Err(error))
    }

    /// Reads the watched key or tree, and continues the watch after that read.
    async fn snapshot(&mut self) -> Result<Response, Error> {
        let mut options = GetOptions::new().with_quorum().with_sort();
        if self.options.recursive {
            options = options.with_recursive();
        }
        match self.keys.get(&self.key, Some(options)).await {
            Ok(snapshot) => {
                self.next_index.store(snapshot.index + 1, Ordering::Relaxed);
                Ok(snapshot)
            }
            Err(error) if error.is_key_not_found() => {
                let index = error.as_etcd().map_or(0, |e| e.index());
                self.next_index.store(index + 1, Ordering::Relaxed);
                let mut empty = Response::new(Action::Get, Node::default());
                empty.index = index;
                Ok(empty)
            }
            Err(error) => {
                self.quiet_polls += 1;
                Err(error)
            }
        }
    }

    async fn read_more(&mut self) -> Read {
        let client = self.keys.client().clone();
        let liveness = self.options.liveness;
        let (prefix, key, recursive) = (self.keys.prefix().to_owned(), self.key.clone(), self.options.recursive);
        let next_index = self.next_index();
        let open = self.open.as_mut().expect("reading an open stream");
        loop {
            let after_events = open.unchecked;
            let wait = match (after_events, liveness) {
                (true, _) => Some(QUIET_AFTER_EVENTS),
                (false, Some(liveness)) if open.endpoint.is_some() => Some(liveness.interval),
                (false, _) => None,
            };
            let frame = match wait {
                None => open.body.frame().await,
                Some(wait) => match tokio::time::timeout(wait, open.body.frame()).await {
                    Ok(frame) => frame,
                    Err(_quiet) if after_events => {
                        open.unchecked = false;
                        if has_missed_events(&client, &prefix, &key, recursive, next_index).await {
                            return Read::Dropped;
                        }
                        continue;
                    }
                    Err(_quiet) => {
                        let (Some(Liveness { interval: liveness_interval, timeout }), Some(endpoint)) =
                            (liveness, &open.endpoint)
                        else {
                            continue;
                        };
                        let probes = self.keys.probes();
                        if probes.is_well(&client, endpoint, liveness_interval, timeout).await {
                            continue;
                        }
                        return Read::Unwell(endpoint.clone());
                    }
                },
            };
            match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        open.buffer.extend_from_slice(&data);
                        return Read::Data;
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, "the watch stream broke");
                    return Read::Over;
                }
                None => return Read::Over,
            }
        }
    }
}

/// Whether etcd has an event at or after `next_index` that the stream did not bring: a plain (not streaming)
/// wait answers at once from etcd's history when there is one, and waits when there is none.
async fn has_missed_events(
    client: &etcd_transport::Client,
    prefix: &str,
    key: &str,
    recursive: bool,
    next_index: Option<u64>,
) -> bool {
    let Ok(request) = request::wait_once(prefix, key, recursive, next_index) else { return false };
    let check = async {
        let response = client.send(request).await.ok()?;
        if response.status() != StatusCode::OK {
            // An error (such as the index cleared) is for a new stream to meet and report.
            return Some(true);
        }
        let body = response.into_body().bytes().await.ok()?;
        Some(!body.is_empty())
    };
    // The headers come at once either way; an event in the body within a moment means history had one.
    matches!(tokio::time::timeout(HISTORY_ANSWER, check).await, Ok(Some(true)))
}

impl OpenStream {
    /// The next complete line of the stream (etcd ends each event with a newline).
    fn take_line(&mut self) -> Option<Vec<u8>> {
        let end = self.buffer.iter().position(|&b| b == b'\n')?;
        let rest = self.buffer.split_off(end + 1);
        let mut line = std::mem::replace(&mut self.buffer, rest);
        line.pop();
        Some(line)
    }
}

fn with_endpoint(error: Error, endpoint: Option<&Endpoint>) -> Error {
    match endpoint {
        Some(endpoint) => error.with_endpoint(endpoint.as_str()),
        None => error,
    }
}
