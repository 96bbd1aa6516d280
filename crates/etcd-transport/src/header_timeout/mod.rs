//! A bound on one attempt: connect, send, and wait for the response headers.
//!
//! The Go client's `HeaderTimeoutPerRequest`. It bounds a single attempt on a single endpoint, not the whole
//! call (that is the caller's deadline), and it stops at the headers (the body's pieces are bounded by
//! [`whole_body`](crate::whole_body), a watch's stream by the watcher). When it fires, the attempt fails with
//! [`HeaderTimeoutElapsed`]; the retry policy then decides whether another endpoint may be tried.
//!
//! Why not `tower::timeout`: its `Elapsed` does not say which bound fired nor how long it was, and the
//! rotation turns this error into [`AttemptFailure::HeaderTimeout`](etcd_core::AttemptFailure::HeaderTimeout)
//! with its duration, which the caller's error shows.

mod future;
mod layer;
mod service;

use std::fmt;
use std::time::Duration;

pub use future::ResponseFuture;
pub use layer::HeaderTimeoutLayer;
pub use service::HeaderTimeout;

/// No response headers arrived within the per-attempt header timeout. The request may have been applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderTimeoutElapsed {
    timeout: Duration,
}

impl HeaderTimeoutElapsed {
    pub(crate) fn new(timeout: Duration) -> Self {
        HeaderTimeoutElapsed { timeout }
    }

    /// The timeout that elapsed.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl fmt::Display for HeaderTimeoutElapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no response headers within {:?}", self.timeout)
    }
}

impl std::error::Error for HeaderTimeoutElapsed {}

impl From<HeaderTimeoutElapsed> for etcd_core::AttemptFailure {
    fn from(elapsed: HeaderTimeoutElapsed) -> Self {
        etcd_core::AttemptFailure::HeaderTimeout(elapsed.timeout)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{Request, Response};
    use tower::{Layer, ServiceExt};
    use tower_test::mock;

    use super::*;
    use crate::{Body, RequestBody};

    #[tokio::test(start_paused = true)]
    async fn fires_when_headers_are_late_and_not_when_they_are_on_time() {
        let (service, mut handle) = mock::pair::<Request<RequestBody>, Response<Body>>();
        let service = HeaderTimeoutLayer::new(Duration::from_secs(1)).layer(service);

        let on_time = tokio::spawn(service.clone().oneshot(Request::new(RequestBody::empty())));
        let (_, respond) = handle.next_request().await.unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
        respond.send_response(Response::new(Body::empty()));
        assert!(on_time.await.unwrap().is_ok());

        let late = tokio::spawn(service.oneshot(Request::new(RequestBody::empty())));
        let (_, _never) = handle.next_request().await.unwrap();
        let err = late.await.unwrap().unwrap_err();
        let elapsed = err.downcast_ref::<HeaderTimeoutElapsed>().expect("a header timeout");
        assert_eq!(elapsed.timeout(), Duration::from_secs(1));
    }
}
