//! One attempt on one endpoint: which endpoint, the absolute URI, the pin, and what a failure was.
//!
//! [`EndpointRotation`] sends a request to the endpoint it names ([`AttemptOn`], set by a retry policy, or
//! [`SendTo`]) or else to the pinned one, and makes the pin follow the outcome: an answer from another endpoint
//! moves the pin there, and a failure moves it off the failed endpoint, so that the next call goes elsewhere at
//! once, even when this one cannot be retried. It turns what went wrong into an [`AttemptError`]: the endpoint,
//! the [`AttemptFailure`](etcd_core::AttemptFailure) (a connection that could not be made, a header timeout, a
//! connection lost, a body that broke, or a 5xx answer, whose etcd error body, 300 "Raft Internal Error" or 301
//! "During Leader Election", is read and kept), and the endpoints as they were, from which a policy picks the
//! next. Any other status is an answer and goes up as it is.
//!
//! Alone, it is a client that sends every request to its pinned member and moves the pin on failure (the Go
//! client's behaviour for a one-shot request); under [`Failover`](crate::failover::Failover), a retry policy
//! decides whether the call goes on, and where.

mod error;
mod future;
mod layer;
mod service;

pub use error::AttemptError;
pub use future::ResponseFuture;
pub use layer::EndpointRotationLayer;
pub use service::EndpointRotation;

use crate::Endpoint;

/// A request extension sending a request to one endpoint only, leaving the pin where it is, whatever the outcome.
/// For requests about one member (a health probe of the member serving a watch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendTo(pub Endpoint);

/// A request extension sending the next attempt of a call to this endpoint, set by a retry policy that chose it;
/// the pin follows the outcome as for any attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptOn(pub Endpoint);

#[cfg(test)]
mod tests {
    use http::{Request, Response};
    use tower::{Layer, ServiceExt};
    use tower_test::mock;

    use super::*;
    use crate::{Body, ConnectError, EndpointSet, RequestBody};
    use etcd_core::AttemptFailure;

    fn request(extension: Option<impl Clone + Send + Sync + 'static>) -> Request<RequestBody> {
        let mut request = Request::builder().uri("/v2/keys/k").body(RequestBody::empty()).unwrap();
        if let Some(extension) = extension {
            request.extensions_mut().insert(extension);
        }
        request
    }

    /// Alone, over a mock: the pinned endpoint by default, the one named by `AttemptOn` or `SendTo` otherwise;
    /// the pin follows answers and failures, except for `SendTo`.
    #[tokio::test]
    async fn alone_it_sends_to_the_pin_and_the_pin_follows_the_outcome() {
        let endpoints = EndpointSet::parse(["http://a:1", "http://b:2", "http://c:3"]).unwrap();
        let (service, mut handle) = mock::pair::<Request<RequestBody>, Response<Body>>();
        let rotation = EndpointRotationLayer::new(endpoints.clone()).layer(service);

        let call = tokio::spawn(rotation.clone().oneshot(request(None::<SendTo>)));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://a:1/v2/keys/k");
        respond.send_error(ConnectError::new("refused"));
        let error = call.await.unwrap().unwrap_err().downcast::<AttemptError>().unwrap();
        assert_eq!(error.endpoint().as_str(), "http://a:1");
        assert!(matches!(error.failure(), AttemptFailure::Connect(_)) && !error.may_have_been_applied());
        assert_eq!(error.endpoints().len(), 3);
        assert_eq!(endpoints.pinned().as_str(), "http://b:2", "a failure moves the pin off");

        let c = Endpoint::parse("http://c:3").unwrap();
        let call = tokio::spawn(rotation.clone().oneshot(request(Some(AttemptOn(c.clone())))));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://c:3/v2/keys/k");
        respond.send_response(Response::new(Body::empty()));
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.extensions().get::<Endpoint>(), Some(&c));
        assert_eq!(endpoints.pinned(), c, "an answer from another endpoint moves the pin there");

        let a = Endpoint::parse("http://a:1").unwrap();
        let call = tokio::spawn(rotation.oneshot(request(Some(SendTo(a)))));
        let (sent, respond) = handle.next_request().await.unwrap();
        assert_eq!(sent.uri(), "http://a:1/v2/keys/k");
        respond.send_error("reset");
        let error = call.await.unwrap().unwrap_err().downcast::<AttemptError>().unwrap();
        assert!(matches!(error.failure(), AttemptFailure::Io(_)) && error.may_have_been_applied());
        assert_eq!(endpoints.pinned(), c, "SendTo leaves the pin alone");
    }
}
