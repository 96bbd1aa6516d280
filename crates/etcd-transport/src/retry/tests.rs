//! The policies alone: what each decides for a failure, where it sends the next attempt, and the error it ends
//! a call with.

use std::sync::Arc;
use std::time::Duration;

use etcd_core::{AttemptFailure, BoxError, Error, InvalidResponse, InvalidResponseKind};
use http::{Method, Request, Response, StatusCode};
use tower::retry::Policy;

use super::{GoRetryPolicy, SafeRetryPolicy};
use crate::rotation::{AttemptError, AttemptOn};
use crate::{Body, Endpoint, Idempotency, RequestBody};

fn endpoints() -> Arc<[Endpoint]> {
    ["http://a:1", "http://b:2", "http://c:3"].iter().map(|u| Endpoint::parse(u).unwrap()).collect()
}

fn failed(at: &str, failure: AttemptFailure) -> Result<Response<Body>, BoxError> {
    Err(AttemptError::new(Endpoint::parse(at).unwrap(), failure, endpoints()).into())
}

fn request(method: Method, uri: &str, idempotency: Idempotency) -> Request<RequestBody> {
    let mut request = Request::builder().method(method).uri(uri).body(RequestBody::empty()).unwrap();
    request.extensions_mut().insert(idempotency);
    request
}

fn next(request: &Request<RequestBody>) -> Option<&str> {
    request.extensions().get::<AttemptOn>().map(|AttemptOn(e)| e.as_str())
}

fn reset() -> AttemptFailure {
    AttemptFailure::Io("reset".into())
}

#[test]
fn a_read_goes_to_each_endpoint_once_in_rotation_order_then_ends_with_every_failure() {
    let mut policy = SafeRetryPolicy::new();
    let mut read = request(Method::GET, "/v2/keys/k", Idempotency::Read);
    let mut result = failed("http://b:2", reset());
    assert!(policy.retry(&mut read, &mut result).is_some());
    assert_eq!(next(&read), Some("http://c:3"));
    let mut result = failed("http://c:3", AttemptFailure::HeaderTimeout(Duration::from_secs(1)));
    assert!(policy.retry(&mut read, &mut result).is_some());
    assert_eq!(next(&read), Some("http://a:1"), "wraps around");
    let mut result = failed("http://a:1", AttemptFailure::Connect("refused".into()));
    assert!(policy.retry(&mut read, &mut result).is_none(), "every endpoint tried");
    let error = *result.unwrap_err().downcast::<Error>().unwrap();
    let cluster = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    let order: Vec<&str> = cluster.errors().iter().map(|e| e.endpoint()).collect();
    assert_eq!(order, ["http://b:2", "http://c:3", "http://a:1"]);
}

#[test]
fn any_write_that_may_have_been_applied_ends_with_an_unknown_outcome_and_one_that_never_left_goes_on() {
    for idempotency in [Idempotency::IdempotentWrite, Idempotency::NonIdempotentWrite] {
        let mut policy = SafeRetryPolicy::new();
        let mut write = request(Method::PUT, "/v2/keys/k", idempotency);
        let mut result = failed("http://a:1", AttemptFailure::Connect("refused".into()));
        assert!(policy.retry(&mut write, &mut result).is_some(), "never left: {idempotency:?}");
        for failure in [reset(), AttemptFailure::HeaderTimeout(Duration::from_secs(1))] {
            let mut policy = policy.clone();
            let mut result = failed("http://b:2", failure);
            assert!(policy.retry(&mut write, &mut result).is_none(), "{idempotency:?}");
            let error = *result.unwrap_err().downcast::<Error>().unwrap();
            assert!(error.is_outcome_unknown(), "{error}");
        }
    }
    // A clone is a new call: it starts with no failures.
    let template = SafeRetryPolicy::new();
    let mut write = request(Method::PUT, "/v2/keys/k", Idempotency::NonIdempotentWrite);
    let mut result = failed("http://b:2", reset());
    assert!(template.clone().retry(&mut write, &mut result).is_none());
    let Error::OutcomeUnknown(unknown) = *result.unwrap_err().downcast::<Error>().unwrap() else { panic!() };
    assert!(unknown.earlier().is_empty());
}

#[test]
fn an_answer_too_large_is_final_and_a_cut_one_moves_a_read_on() {
    let too_large = || InvalidResponse::new(InvalidResponseKind::TooLarge, StatusCode::OK, b"");
    let mut read = request(Method::GET, "/v2/keys/k", Idempotency::Read);
    let mut result = failed("http://a:1", AttemptFailure::InvalidResponse(too_large()));
    assert!(SafeRetryPolicy::new().retry(&mut read, &mut result).is_none());
    let error = *result.unwrap_err().downcast::<Error>().unwrap();
    assert!(matches!(&error, Error::InvalidResponse(e) if e.endpoint() == Some("http://a:1")), "{error}");

    let cut = InvalidResponse::new(InvalidResponseKind::Body, StatusCode::OK, b"{");
    let mut result = failed("http://a:1", AttemptFailure::InvalidResponse(cut));
    assert!(SafeRetryPolicy::new().retry(&mut read, &mut result).is_some());
}

#[test]
fn an_answer_or_an_error_of_another_layer_is_left_as_it_is() {
    let mut read = request(Method::GET, "/v2/keys/k", Idempotency::Read);
    let mut ok: Result<Response<Body>, BoxError> = Ok(Response::new(Body::empty()));
    assert!(SafeRetryPolicy::new().retry(&mut read, &mut ok).is_none());
    assert!(ok.is_ok());
    let mut other: Result<Response<Body>, BoxError> = Err("rate limited".into());
    assert!(SafeRetryPolicy::new().retry(&mut read, &mut other).is_none());
    assert_eq!(other.unwrap_err().to_string(), "rate limited");
}

#[test]
fn the_go_policy_retries_any_write_but_a_create_or_a_delete() {
    let mut set = request(Method::PUT, "/v2/keys/k?prevValue=a", Idempotency::NonIdempotentWrite);
    let mut result = failed("http://a:1", AttemptFailure::HeaderTimeout(Duration::from_secs(1)));
    assert!(GoRetryPolicy::new().retry(&mut set, &mut result).is_some());
    assert_eq!(next(&set), Some("http://b:2"));

    let create = request(Method::PUT, "/v2/keys/k?prevExist=false", Idempotency::NonIdempotentWrite);
    let delete = request(Method::DELETE, "/v2/keys/k", Idempotency::NonIdempotentWrite);
    let in_order = request(Method::POST, "/v2/keys/q", Idempotency::NonIdempotentWrite);
    assert!(GoRetryPolicy::is_one_shot(&create) && GoRetryPolicy::is_one_shot(&delete));
    assert!(!GoRetryPolicy::is_one_shot(&in_order), "Go replays a create-in-order");
    assert!(GoRetryPolicy::new().clone_request(&create).is_none(), "a one-shot request is never kept for a retry");
}
