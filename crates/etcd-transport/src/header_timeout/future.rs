use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::BoxError;
use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::HeaderTimeoutElapsed;
use crate::race::poll_against_timer;

pin_project! {
    /// The response future of [`HeaderTimeout`](super::HeaderTimeout).
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        #[pin]
        sleep: Sleep,
        timeout: Duration,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(response: F, timeout: Duration) -> Self {
        ResponseFuture { response, sleep: tokio::time::sleep(timeout), timeout }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let timeout = *this.timeout;
        poll_against_timer(this.response, Some(this.sleep), cx, || HeaderTimeoutElapsed::new(timeout).into())
    }
}
