use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use etcd_core::BoxError;
use etcd_core::decode::X_ETCD_CLUSTER_ID;
use pin_project_lite::pin_project;

use super::{ClusterId, ForeignClusterAnswer};

pin_project! {
    /// The response future of [`ClusterIdCheck`](super::ClusterIdCheck).
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        expected: ClusterId,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(response: F, expected: ClusterId) -> Self {
        ResponseFuture { response, expected }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<http::Response<B>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.response.poll(cx)).map_err(Into::into)?;
        let Some(value) = response.headers().get(X_ETCD_CLUSTER_ID) else {
            return Poll::Ready(Ok(response));
        };
        let answered = String::from_utf8_lossy(value.as_bytes());
        if ClusterId::parse(&answered).is_ok_and(|id| id == *this.expected) {
            return Poll::Ready(Ok(response));
        }
        Poll::Ready(Err(ForeignClusterAnswer::new(*this.expected, answered).into()))
    }
}
