//! The watch loop: open a stream of events, deliver them, and open it again where it left off.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use etcd_core::decode::{X_ETCD_CLUSTER_ID, X_ETCD_INDEX};
use etcd_core::{Action, Error, ErrorCode, InvalidResponse, InvalidResponseKind, Node, Response};
use etcd_transport::{CompleteStream, Endpoint};
use http::StatusCode;
use tokio::time::Instant;

use super::backoff::Backoff;
use super::check::{CHECK_TIMEOUT, StreamCheck, check_stream};
use super::errors::{no_index_after, read_refusal, with_endpoint};
use super::event;
use super::lines::LineBuffer;
use super::options::{Liveness, WatcherOptions};
use super::stream::{OpenStream, QuietWait, Woke};
use crate::{GetOptions, KeysApi, request};

/// The state of a watch between two events.
pub(crate) struct WatchLoop {
    keys: KeysApi,
    key: String,
    options: WatcherOptions,
    /// The index the next request waits from; 0 until the first watch registered (then: from now on).
    next_index: Arc<AtomicU64>,
    open: Option<OpenStream>,
    /// The highest index etcd had when it answered from its history: until the watch waits past it, it catches
    /// up with plain waits rather than streams (see [`WatchLoop::open_stream`]).
    catch_up_to: u64,
    /// The pause before the next poll, grown by polls that delivered nothing.
    backoff: Backoff,
    ended: bool,
}

/// What a step of the loop came to.
#[expect(
    clippy::large_enum_variant,
    reason = "moved once, from the step's output to the caller; boxing the item would cost an allocation per event"
)]
pub(crate) enum Step {
    /// An event, a snapshot or an error for the caller.
    Item(Result<Response, Error>),
    /// The watch ended.
    End,
    /// Nothing to do until etcd sends more on the open stream or a quiet timer fires: the caller waits in
    /// [`WatchLoop::poll_idle`], without the step's future, which is sized for everything a step may do.
    Idle,
}

/// How acting on what woke a wait went.
enum Read {
    /// Nothing to tell: wait again.
    Again,
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
            catch_up_to: 0,
            backoff: Backoff::default(),
            ended: false,
        }
    }

    pub(crate) fn progress(&self) -> Arc<AtomicU64> {
        self.next_index.clone()
    }

    pub(crate) fn next_index(&self) -> Option<u64> {
        Some(self.next_index.load(Ordering::Relaxed)).filter(|&index| index > 0)
    }

    /// Runs until the next item (an event, a snapshot, an error), the end, or an idle wait.
    pub(crate) async fn step(mut self: Box<Self>) -> (Box<Self>, Step) {
        let step = self.next_item().await;
        (self, step)
    }

    /// Waits for what the next step must act on while the stream is open and quiet: a complete line, the
    /// stream's end, a quiet timer. A thousand idle watchers hold their state and this wait, not a thousand
    /// suspended steps. Ready at once when there is no open stream: the step opens one.
    pub(crate) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let (liveness, max_line) = (self.options.liveness, self.options.max_event_size);
        let Some(open) = self.open.as_mut().filter(|_| !self.ended) else { return Poll::Ready(()) };
        if open.woke.is_some() || open.lines.has_line(max_line) {
            return Poll::Ready(());
        }
        loop {
            match ready!(open.poll_wait(cx, liveness, max_line)) {
                Woke::Data { line: false } => {}
                Woke::Data { line: true } => return Poll::Ready(()),
                woke => {
                    open.woke = Some(woke);
                    return Poll::Ready(());
                }
            }
        }
    }

    async fn next_item(&mut self) -> Step {
        loop {
            if self.ended {
                return Step::End;
            }
            let Some(open) = self.open.as_mut() else {
                if let Some(item) = self.open_stream().await {
                    return Step::Item(item);
                }
                continue;
            };
            let line = match open.lines.take_line(self.options.max_event_size) {
                Ok(line) => line,
                Err(too_long) => {
                    let error = InvalidResponse::new(
                        InvalidResponseKind::EventTooLarge,
                        StatusCode::OK,
                        open.lines.pending(),
                    )
                    .with_source(format!(
                        "a line of the watch stream reached {too_long} bytes without its end, past the watcher's \
                             limit of {} (WatcherOptions::with_max_event_size)",
                        self.options.max_event_size
                    ));
                    let endpoint = self.open.take().and_then(|open| open.endpoint);
                    // Reopened, the stream would bring the same event again: the watch ends, never skipping it.
                    return Step::Item(Err(self.end_with(error.into(), endpoint)));
                }
            };
            if let Some(line) = line {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match event::decode(&line) {
                    Ok(event) => {
                        if let Some(item) = self.deliver(event) {
                            return Step::Item(item);
                        }
                    }
                    Err(error) => {
                        let error = with_endpoint(error, self.open.take().and_then(|o| o.endpoint).as_ref());
                        self.backoff.quiet();
                        return Step::Item(Err(error));
                    }
                }
                continue;
            }
            let Some(woke) = open.woke.take() else { return Step::Idle };
            match self.on_wake(woke).await {
                Read::Again => {}
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
    fn deliver(&mut self, mut event: Response) -> Option<Result<Response, Error>> {
        let index = event.index;
        if self.next_index().is_some_and(|next| index < next) {
            return None;
        }
        let Some(next) = index.checked_add(1) else {
            let endpoint = self.open.take().and_then(|open| open.endpoint);
            return Some(Err(
                self.end_with(no_index_after(InvalidResponseKind::Json, "an event's modifiedIndex"), endpoint)
            ));
        };
        let open = self.open.as_mut().expect("events come from an open stream");
        event.cluster_id.clone_from(&open.cluster_id);
        self.next_index.store(next, Ordering::Relaxed);
        open.delivered = true;
        open.unchecked = !open.complete;
        self.backoff.reset();
        if index <= open.registered_at && !open.complete {
            // From etcd's history: etcd answers such a watch with this one event and then nothing. A stream stays
            // open: drop it. A plain wait's answer ends: read it to its end, so that its connection is reused.
            self.catch_up_to = self.catch_up_to.max(open.registered_at);
            if open.streaming {
                self.open = None;
            }
        }
        Some(Ok(event))
    }

    /// Ends the watch with `error`: what follows cannot be asked for.
    fn end_with(&mut self, error: Error, endpoint: Option<Endpoint>) -> Error {
        self.ended = true;
        self.open = None;
        with_endpoint(error, endpoint.as_ref())
    }

    fn close(&mut self) {
        if let Some(open) = self.open.take() {
            if !open.delivered {
                self.backoff.quiet();
            }
        }
    }

    /// Opens a stream from the next index; an item when there is something to tell the caller instead.
    ///
    /// Catching up through etcd's history (the next index at or below the index etcd had when it last answered
    /// from its history), it asks with a plain wait instead: etcd answers either with one event, and a stream
    /// would then stay open, silent, to be dropped with its connection. A plain wait's answer ends, and the next
    /// one reuses its connection: a watch that starts behind a burst of writes catches up one round trip per
    /// event, not one new connection per event. Once past that index, it streams again.
    async fn open_stream(&mut self) -> Option<Result<Response, Error>> {
        self.backoff.wait().await;
        let next_index = self.next_index();
        let streaming = next_index.is_none_or(|next| next > self.catch_up_to);
        let (base, recursive) = (self.keys.base(), self.options.recursive);
        let request = if streaming {
            request::watch(base, &self.key, recursive, next_index)
        } else {
            request::wait_once(base, &self.key, recursive, next_index)
        };
        let request = match request {
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
                self.backoff.quiet();
                return Some(Err(error));
            }
        };
        let (parts, body) = response.into_parts();
        let endpoint = parts.extensions.get::<Endpoint>().cloned();
        let complete = parts.extensions.get::<CompleteStream>().is_some();
        if parts.status == StatusCode::OK {
            let registered_at = match parts.headers.get(X_ETCD_INDEX).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            {
                Some(index) => index,
                None => {
                    self.backoff.quiet();
                    let kind = InvalidResponseKind::MissingHeader("X-Etcd-Index");
                    let error = InvalidResponse::new(kind, parts.status, b"").into();
                    return Some(Err(with_endpoint(error, endpoint.as_ref())));
                }
            };
            if self.next_index().is_none() {
                let Some(next) = registered_at.checked_add(1) else {
                    let error = no_index_after(InvalidResponseKind::BadHeader("X-Etcd-Index"), "X-Etcd-Index");
                    return Some(Err(self.end_with(error, endpoint)));
                };
                self.next_index.store(next, Ordering::Relaxed);
            }
            self.open = Some(OpenStream {
                body,
                endpoint,
                registered_at,
                streaming,
                complete,
                lines: LineBuffer::default(),
                cluster_id: parts.headers.get(X_ETCD_CLUSTER_ID).and_then(|v| v.to_str().ok()).map(str::to_owned),
                delivered: false,
                unchecked: false,
                timer: None,
                timing: None,
                woke: None,
                alive_at: Instant::now(),
            });
            return None;
        }
        let error = read_refusal(parts.status, body).await;
        let error = with_endpoint(error, endpoint.as_ref());
        if error.is_event_index_cleared() && self.options.recover_when_cleared {
            return Some(self.snapshot().await);
        }
        if error.code() == Some(ErrorCode::WATCHER_CLEARED) {
            // etcd dropped its watchers while recovering: ask again from the same index.
            self.backoff.quiet();
            return None;
        }
        // etcd's refusals (401 without recovery included) would be repeated: end after saying it.
        if error.is_etcd() {
            self.ended = true;
        } else {
            self.backoff.quiet();
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
                let Some(next) = snapshot.index.checked_add(1) else {
                    let error = no_index_after(InvalidResponseKind::BadHeader("X-Etcd-Index"), "X-Etcd-Index");
                    return Err(self.end_with(error, None));
                };
                self.next_index.store(next, Ordering::Relaxed);
                Ok(snapshot)
            }
            Err(error) if error.is_key_not_found() => {
                let index = error.as_etcd().map_or(0, |e| e.index());
                let Some(next) = index.checked_add(1) else {
                    return Err(self.end_with(no_index_after(InvalidResponseKind::Json, "an error's index"), None));
                };
                self.next_index.store(next, Ordering::Relaxed);
                let mut empty = Response::new(Action::Get, Node::default());
                empty.index = index;
                Ok(empty)
            }
            Err(error) => {
                self.backoff.quiet();
                Err(error)
            }
        }
    }

    /// Acts on what ended a wait of the open stream's.
    async fn on_wake(&mut self, woke: Woke) -> Read {
        let open = self.open.as_mut().expect("a wait of an open stream");
        match woke {
            Woke::Data { .. } => Read::Again,
            Woke::Over(Some(error)) => {
                tracing::debug!(%error, "the watch stream broke");
                Read::Over
            }
            Woke::Over(None) if !open.streaming && !open.lines.pending().is_empty() => {
                // A plain wait's answer is whole once it ended, its last line too, with or without a newline:
                // take that line, then meet the end again.
                open.lines.push(b"\n");
                open.woke = Some(Woke::Over(None));
                Read::Again
            }
            Woke::Over(None) => Read::Over,
            Woke::Quiet(QuietWait::AfterEvents) => {
                open.unchecked = false;
                let endpoint = open.endpoint.clone();
                let timeout = self.options.liveness.map_or(CHECK_TIMEOUT, |liveness| liveness.timeout);
                let next_index = self.next_index.load(Ordering::Relaxed);
                let (base, recursive) = (self.keys.base(), self.options.recursive);
                match check_stream(
                    self.keys.client(),
                    base,
                    &self.key,
                    recursive,
                    next_index,
                    endpoint.as_ref(),
                    timeout,
                )
                .await
                {
                    StreamCheck::UpToDate => {
                        open.alive_at = Instant::now();
                        Read::Again
                    }
                    StreamCheck::MayBeBehind => Read::Dropped,
                    StreamCheck::NoAnswer => endpoint.map_or(Read::Dropped, Read::Unwell),
                }
            }
            Woke::Quiet(QuietWait::Liveness) => {
                let (Some(Liveness { interval, timeout }), Some(endpoint)) = (self.options.liveness, &open.endpoint)
                else {
                    return Read::Again;
                };
                if self.keys.probes().is_well(self.keys.client(), endpoint, interval, timeout).await {
                    open.alive_at = Instant::now();
                    return Read::Again;
                }
                Read::Unwell(endpoint.clone())
            }
        }
    }
}
