use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::BoxError;
use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::HeaderTimeoutElapsed;

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
        if let Poll::Ready(result) = this.response.poll(cx) {
            return Poll::Ready(result.map_err(Into::into));
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(HeaderTimeoutElapsed::new(*this.timeout).into())),
            Poll::Pending => Poll::Pending,
        }
    }
}
