//! Watching keys: a [`Watcher`] is a `Stream` of events that never loses one and never hangs.
//!
//! It asks etcd for a stream of events (`?wait=true&stream=true`) from the index after the last event it
//! delivered, so that every event is delivered once, in index order, across reconnects and member failures:
//!
//! - the next wait index follows the last event's modified index; before the first event, it follows the
//!   `X-Etcd-Index` etcd sent when it registered the watch, so a watch moved to another member resumes exactly;
//! - etcd answers a watch whose index is still in its history with that one event and then nothing: the
//!   watcher sees that the event predates the watch's registration and asks again from the next index, with
//!   plain waits (whose answers end, so that each reuses the connection of the one before) until it is past
//!   the index etcd had then, and streams again (a server whose answer is marked
//!   [`CompleteStream`](etcd_transport::CompleteStream), such as the v2-over-v3 bridge, sends history whole:
//!   the stream is kept, and no check of the member's index after events is needed);
//! - a stream that ends without an event (a proxy closing it) is asked again from the same index, with a short
//!   backoff rather than a busy loop;
//! - a member that dies mid-watch ends its stream; one that freezes or loses the cluster is found by a liveness
//!   probe of its `/health` ([`WatcherOptions::with_liveness_probe`]); either way the watch moves to another
//!   member (the client's failover) and resumes from the same index, and the caller sees nothing of it;
//! - when etcd no longer has the events needed (error 401, "event index cleared"), the watcher yields that error
//!   and ends, or, with [`WatcherOptions::with_recovery_when_cleared`], yields a snapshot read and goes on;
//! - when no member at all can be reached, the watcher yields the cluster error and, if polled again, tries
//!   again from the same index.
//!
//! Dropping a watcher cancels its request and closes its connection.

mod backoff;
mod check;
mod errors;
mod event;
mod lines;
mod liveness;
mod options;
mod poll;
mod stream;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use etcd_core::{Error, Response};
use futures_core::Stream;

pub(crate) use liveness::ProbeCache;
pub use options::{DEFAULT_LIVENESS_INTERVAL, DEFAULT_LIVENESS_TIMEOUT, DEFAULT_MAX_EVENT_SIZE, WatcherOptions};
use poll::Step;
pub(crate) use poll::WatchLoop;

/// A step of the loop in flight: opening a stream, acting on an event or a quiet timer.
type StepFuture = Pin<Box<dyn Future<Output = (Box<WatchLoop>, Step)> + Send>>;

/// A stream of the events of a key or a tree, in index order, each once; see the [module docs](self).
///
/// Each item is one event: its action (set, update, create, delete, expire, compareAndSwap, compareAndDelete),
/// its node and previous node. A [`Response`] whose action is [`Action::Get`](crate::Action::Get) is a snapshot
/// (see [`WatcherOptions::with_recovery_when_cleared`]). For an event, [`Response::index`] is the event's
/// modified index.
///
/// # Examples
/// ```no_run
/// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_keys::Error> {
/// use etcd_keys::WatcherOptions;
/// let mut watcher = keys.watcher("/config", Some(WatcherOptions::new().with_recursive()));
/// while let Some(event) = watcher.next().await {
///     let event = event?;
///     println!("{} {} {}", event.action, event.node.key, event.node.modified_index);
/// }
/// # Ok(()) }
/// ```
pub struct Watcher {
    /// The loop's state, while no step is in flight; `None` once the watch ended.
    state: Option<Box<WatchLoop>>,
    /// Only while there is something to do: an idle watcher waits in [`WatchLoop::poll_idle`] instead, so that
    /// it holds its state and not a suspended step sized for everything a step may do.
    step: Option<StepFuture>,
    progress: Arc<AtomicU64>,
}

impl Watcher {
    pub(crate) fn new(state: WatchLoop) -> Self {
        Watcher { progress: state.progress(), state: Some(Box::new(state)), step: None }
    }

    /// The next event, or `None` when the watch ended (after a 401 without recovery, or an error etcd will
    /// repeat). The same as `StreamExt::next`, without the import.
    pub async fn next(&mut self) -> Option<Result<Response, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The index the next request of this watch will wait from; `None` before the watch registered.
    pub fn next_index(&self) -> Option<u64> {
        Some(self.progress.load(Ordering::Relaxed)).filter(|&index| index > 0)
    }
}

impl Stream for Watcher {
    type Item = Result<Response, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(step) = this.step.as_mut() {
                let (state, step) = ready!(step.as_mut().poll(cx));
                this.step = None;
                match step {
                    Step::Item(item) => {
                        this.state = Some(state);
                        return Poll::Ready(Some(item));
                    }
                    Step::End => return Poll::Ready(None),
                    Step::Idle => this.state = Some(state),
                }
            }
            let Some(state) = this.state.as_mut() else { return Poll::Ready(None) };
            ready!(state.poll_idle(cx));
            let state = this.state.take().expect("the state is here");
            this.step = Some(Box::pin(state.step()));
        }
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher").field("next_index", &self.next_index()).finish_non_exhaustive()
    }
}
