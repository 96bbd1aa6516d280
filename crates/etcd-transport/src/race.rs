//! The race both [`Deadline`](crate::deadline::Deadline) and [`HeaderTimeout`](crate::header_timeout::HeaderTimeout)
//! run: a call against a timer, each with its own error when the timer wins (why neither is `tower::timeout` is
//! in their module docs).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use etcd_core::BoxError;
use tokio::time::Sleep;

/// Polls `response`, then `timer` (when there is one): an answer ready at the same moment as the timer wins, so
/// that a call that did finish is never reported as timed out.
pub(crate) fn poll_against_timer<F, T, E>(
    response: Pin<&mut F>,
    timer: Option<Pin<&mut Sleep>>,
    cx: &mut Context<'_>,
    elapsed: impl FnOnce() -> BoxError,
) -> Poll<Result<T, BoxError>>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    if let Poll::Ready(result) = response.poll(cx) {
        return Poll::Ready(result.map_err(Into::into));
    }
    match timer.map(|timer| timer.poll(cx)) {
        Some(Poll::Ready(())) => Poll::Ready(Err(elapsed())),
        _ => Poll::Pending,
    }
}
