//! A call over the cluster: the attempts, and the one error the caller gets when they all failed.
//!
//! [`Failover`] runs a call through a [`tower::retry::Retry`] of a retry policy (see [`retry`](crate::retry),
//! where the call is decided) over [`EndpointRotation`](crate::rotation::EndpointRotation). A call that can have
//! one attempt only (one endpoint, or a request for one member) skips the retry machinery, and its failure is
//! judged by the same rule as the policy's: [`OutcomeUnknown`](etcd_core::OutcomeUnknown) when a write may have
//! been applied, else a [`ClusterError`](etcd_core::ClusterError).
//!
//! Every call starts at the pinned endpoint, each endpoint is tried at most once, an answer from another
//! endpoint moves the pin there, and a failure moves it off, so that a client sticks with a member that works
//! (the Go client's first two caveats).
//!
//! Why not `tower::balance`: it spreads calls over ready services by load, where etcd wants every call of a
//! client on one member (a consistent view, one connection) until that member fails, and a failed call decided
//! per request by what it may have applied.

mod endpoints;
mod future;
mod layer;
mod service;

pub use endpoints::EndpointSet;
pub(crate) use endpoints::parse_all as parse_endpoints;
pub use future::ResponseFuture;
pub use layer::FailoverLayer;
pub use service::Failover;

#[cfg(test)]
mod tests {
    use etcd_core::Error;
    use http::{Request, Response};
    use tower::{Layer, ServiceExt};
    use tower_test::mock;

    use super::*;
    use crate::{Body, ConnectError, Endpoint, Idempotency, RequestBody};

    fn request(idempotency: Idempotency) -> Request<RequestBody> {
        let mut request = Request::builder().uri("/v2/keys/k").body(RequestBody::empty()).unwrap();
        request.extensions_mut().insert(idempotency);
        request
    }

    /// Alone in a stack of one's own, over a mock: a refused read moves on and is answered; a write that may have
    /// reached its member is never sent elsewhere and ends in `OutcomeUnknown`.
    #[tokio::test]
    async fn alone_it_moves_a_read_on_and_never_resends_a_write() {
        let endpoints = EndpointSet::parse(["http://a:1", "http://b:2"]).unwrap();
        assert!(endpoints.pin_to(&Endpoint::parse("http://a:1").unwrap()));
        let (service, mut handle) = mock::pair::<Request<RequestBody>, Response<Body>>();
        let failover = FailoverLayer::new(endpoints.clone()).layer(service);

        let read = tokio::spawn(failover.clone().oneshot(request(Idempotency::Read)));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://a:1/v2/keys/k");
        respond.send_error(ConnectError::new("refused"));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://b:2/v2/keys/k");
        respond.send_response(Response::new(Body::from("answer")));
        let response = read.await.unwrap().unwrap();
        assert_eq!(response.extensions().get::<Endpoint>().map(Endpoint::as_str), Some("http://b:2"));
        assert_eq!(endpoints.pinned().as_str(), "http://b:2");

        let write = tokio::spawn(failover.clone().oneshot(request(Idempotency::NonIdempotentWrite)));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://b:2/v2/keys/k");
        respond.send_error("connection reset");
        let error = write.await.unwrap().unwrap_err();
        assert!(error.downcast_ref::<Error>().is_some_and(Error::is_outcome_unknown), "{error}");
        // The next request the mock sees is a new call's, not the write sent again.
        let read = tokio::spawn(failover.oneshot(request(Idempotency::Read)));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.extensions().get::<Idempotency>(), Some(&Idempotency::Read));
        respond.send_response(Response::new(Body::empty()));
        read.await.unwrap().unwrap();
    }
}
