use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use etcd_core::BoxError;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower::Service;

use super::RedirectPolicy;
use super::service::{follow, is_redirect};
use crate::RequestBody;

type Following<B> = Pin<Box<dyn Future<Output = Result<Response<B>, BoxError>> + Send>>;

pin_project! {
    /// The response future of [`FollowRedirects`](super::FollowRedirects): the first answer, and the redirects
    /// after it when it is one.
    ///
    /// Not boxed: most answers are not redirects, and then this costs no allocation. Following redirects, the
    /// rare case, is boxed.
    pub struct ResponseFuture<S, F, B> {
        #[pin]
        first: F,
        // What following a redirect needs: the request again (without its extensions), the service as built
        // and the policy; taken when a redirect comes.
        again: Option<(Request<RequestBody>, Arc<(S, RedirectPolicy)>)>,
        following: Option<Following<B>>,
    }
}

impl<S, F, B> ResponseFuture<S, F, B> {
    pub(super) fn new(first: F, again: Request<RequestBody>, shared: Arc<(S, RedirectPolicy)>) -> Self {
        ResponseFuture { first, again: Some((again, shared)), following: None }
    }
}

impl<S, F, E, B> Future for ResponseFuture<S, F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Send + 'static,
{
    type Output = Result<Response<B>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(following) = this.following {
            return following.as_mut().poll(cx);
        }
        let response = ready!(this.first.poll(cx)).map_err(Into::into)?;
        if !is_redirect(response.status()) {
            return Poll::Ready(Ok(response));
        }
        let (request, shared) = this.again.take().expect("a redirect future polled after it completed");
        let (service, policy) = (S::clone(&shared.0), shared.1.clone());
        let mut following: Following<B> = Box::pin(follow(service, policy, request, response));
        let polled = following.as_mut().poll(cx);
        *this.following = Some(following);
        polled
    }
}
