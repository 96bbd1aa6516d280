//! An open stream of events: its bytes, cut into lines, and the quiet times that make the loop look at it (the
//! check after events, the liveness probe).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use etcd_transport::{Body, BoxError, Endpoint};
use http_body_util::BodyExt;
use tokio::time::{Instant, Sleep};

use super::lines::LineBuffer;
use super::options::Liveness;

/// etcd drops a streaming watcher, silently and without closing its stream, when its sending falls 100 events
/// behind. So when a stream that brought events goes quiet this long, the loop asks the member serving it whether
/// its store moved past the watch's next index (see [`check_stream`](super::check::check_stream)). A watch with no events costs nothing.
pub(super) const QUIET_AFTER_EVENTS: Duration = Duration::from_millis(300);
/// A stream of events etcd is sending.
pub(super) struct OpenStream {
    pub(super) body: Body,
    pub(super) endpoint: Option<Endpoint>,
    /// etcd's index when it registered the watch: an event at or below it came from etcd's history, and etcd
    /// sends nothing after such an event.
    pub(super) registered_at: u64,
    /// A stream of events (`stream=true`), or a plain wait, whose answer ends after its one event.
    pub(super) streaming: bool,
    /// The server marked the answer [`CompleteStream`](etcd_transport::CompleteStream): its stream sends history
    /// whole and is never dropped without a word, so neither of etcd v2's work-arounds is needed.
    pub(super) complete: bool,
    /// What came and was not taken as lines yet.
    pub(super) lines: LineBuffer,
    /// The `X-Etcd-Cluster-Id` the member sent with the stream, given to each of its events.
    pub(super) cluster_id: Option<String>,
    pub(super) delivered: bool,
    /// Whether events came since the last check that etcd still sends this stream everything.
    pub(super) unchecked: bool,
    /// The timer of a quiet stream (the check after events, the liveness probe), made once and set again for
    /// each wait; boxed because a `Sleep` must stay where it is once polled.
    pub(super) timer: Option<Pin<Box<Sleep>>>,
    /// Which quiet time `timer` runs for in the current wait, if any.
    pub(super) timing: Option<QuietWait>,
    /// What ended a wait of the watcher's (in [`WatchLoop::poll_idle`](super::poll::WatchLoop::poll_idle)), for the next step to act on.
    pub(super) woke: Option<Woke>,
    /// When the member last showed it is alive (data, or a check or probe it answered): the liveness probe is
    /// due an interval after it, whatever other waits came between, so that a frozen member is left within the
    /// interval and the probe's timeout.
    pub(super) alive_at: Instant,
}

/// What ended a wait for the stream's next bytes.
pub(super) enum Woke {
    /// Data came (appended to the buffer); `line`: it completed a line, or made the current one too long.
    Data { line: bool },
    /// The stream ended (`None`) or broke.
    Over(Option<BoxError>),
    /// Nothing came for the wait's time.
    Quiet(QuietWait),
}

/// The quiet times of an open stream.
#[derive(Clone, Copy)]
pub(super) enum QuietWait {
    /// After events: time to check that etcd still sends everything (it drops slow streaming watchers silently).
    AfterEvents,
    /// Time for the liveness probe of the serving member.
    Liveness,
}

impl OpenStream {
    /// Waits for the stream's next bytes, up to the quiet time that applies: after events, the check that etcd
    /// still sends everything; else, with a liveness probe, its interval; else for as long as it takes.
    pub(super) fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        liveness: Option<Liveness>,
        max_line: usize,
    ) -> Poll<Woke> {
        loop {
            if self.timing.is_none() {
                let wait = match (self.unchecked, liveness) {
                    (true, _) => Some((QuietWait::AfterEvents, QUIET_AFTER_EVENTS)),
                    (false, Some(liveness)) if self.endpoint.is_some() => {
                        Some((QuietWait::Liveness, liveness.interval))
                    }
                    (false, _) => None,
                };
                // A wait too long to be a deadline (`Duration::MAX` from the caller) is no wait at all. The liveness
                // probe is due an interval after the member last showed it is alive.
                let deadline = |(kind, wait): (QuietWait, Duration)| {
                    let from = match kind {
                        QuietWait::AfterEvents => Instant::now(),
                        QuietWait::Liveness => self.alive_at,
                    };
                    Some((kind, from.checked_add(wait)?))
                };
                if let Some((kind, deadline)) = wait.and_then(deadline) {
                    match self.timer.as_mut() {
                        Some(timer) => timer.as_mut().reset(deadline),
                        None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
                    }
                    self.timing = Some(kind);
                }
            }
            // The stream first, as `tokio::time::timeout` would: bytes that came with the timer are not lost.
            if let Poll::Ready(frame) = Pin::new(&mut self.body.frame()).poll(cx) {
                // Each frame starts a new wait.
                self.timing = None;
                match frame {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => {
                            self.alive_at = Instant::now();
                            self.lines.push(&data);
                            return Poll::Ready(Woke::Data { line: self.lines.has_line(max_line) });
                        }
                        // Trailers: nothing to read; wait again.
                        Err(_) => continue,
                    },
                    Some(Err(error)) => return Poll::Ready(Woke::Over(Some(error))),
                    None => return Poll::Ready(Woke::Over(None)),
                }
            }
            let Some(kind) = self.timing else { return Poll::Pending };
            let timer = self.timer.as_mut().expect("a timing wait has its timer");
            ready!(timer.as_mut().poll(cx));
            self.timing = None;
            return Poll::Ready(Woke::Quiet(kind));
        }
    }
}
