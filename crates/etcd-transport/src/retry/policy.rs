use std::future::{Ready, ready};
use std::sync::Arc;

use crate::RequestBody;
use etcd_core::{AttemptFailure, BoxError};
use http::{Method, Request, Response};
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

use super::attempts::{Attempts, is_unreadable_answer};
use crate::rotation::{AttemptError, AttemptOn};
use crate::{Body, Idempotency};

/// The default retry policy: a request goes to the next endpoint only when that cannot apply it twice, or apply
/// a late copy over a newer write; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct SafeRetryPolicy {
    budget: Arc<TpsBudget>,
    attempts: Attempts,
}

impl SafeRetryPolicy {
    /// A policy with tower's default retry budget: at least 10 retries a second, and beyond that 20% of the
    /// calls of the last 10 seconds.
    pub fn new() -> Self {
        SafeRetryPolicy::with_budget(TpsBudget::default())
    }

    /// A policy with a retry budget of your own.
    pub fn with_budget(budget: TpsBudget) -> Self {
        SafeRetryPolicy { budget: Arc::new(budget), attempts: Attempts::default() }
    }

    /// Whether a request of this kind may be sent elsewhere after this failure: a read (or a write no copy of
    /// which can change anything) after anything but an answer it could not read; any request after a failure
    /// that certainly did not apply it.
    pub fn may_replay(failure: &AttemptFailure, idempotency: Idempotency) -> bool {
        if idempotency.is_replay_safe() {
            !is_unreadable_answer(failure, idempotency)
        } else {
            !failure.may_have_been_applied()
        }
    }
}

impl Default for SafeRetryPolicy {
    fn default() -> Self {
        SafeRetryPolicy::new()
    }
}

impl Policy<Request<RequestBody>, Response<Body>, BoxError> for SafeRetryPolicy {
    type Future = Ready<()>;

    fn retry(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<Ready<()>> {
        let idempotency = policy_idempotency(request);
        let attempt = match take_attempt_error(result)? {
            Ok(attempt) => attempt,
            Err(()) => {
                self.budget.deposit();
                return None;
            }
        };
        let replay = SafeRetryPolicy::may_replay(attempt.failure(), idempotency);
        let next = self.attempts.record(attempt);
        decide(request, result, next.filter(|_| replay && self.budget.withdraw()), &mut self.attempts, idempotency)
    }

    fn clone_request(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        Some(request.clone())
    }
}

/// The Go client's rule, for users who need its behaviour: every failed attempt goes on to the next endpoint,
/// except a create (`prevExist=false`) and a delete, which are sent once (the Go client's "one-shot" requests).
///
/// What it costs: an unconditional set, a compare-and-swap or a create-in-order whose attempt timed out on a
/// member that then applies it is applied twice, and the late copy can undo a newer write of another client (a
/// lost acknowledged write, a second queue entry). Prefer [`SafeRetryPolicy`].
#[derive(Clone, Debug, Default)]
pub struct GoRetryPolicy {
    attempts: Attempts,
}

impl GoRetryPolicy {
    /// The Go client's policy.
    pub fn new() -> Self {
        GoRetryPolicy::default()
    }

    /// Whether the Go client sends this request once only: a delete, or a set with `prevExist=false`.
    pub fn is_one_shot(request: &Request<RequestBody>) -> bool {
        request.method() == Method::DELETE
            || request.uri().query().is_some_and(|query| query.split('&').any(|pair| pair == "prevExist=false"))
    }
}

impl Policy<Request<RequestBody>, Response<Body>, BoxError> for GoRetryPolicy {
    type Future = Ready<()>;

    fn retry(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<Ready<()>> {
        let Ok(attempt) = take_attempt_error(result)? else { return None };
        let next = self.attempts.record(attempt);
        decide(request, result, next, &mut self.attempts, policy_idempotency(request))
    }

    fn clone_request(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        // A one-shot request is never retried: no copy, and the failover layer judges its one failure.
        (!GoRetryPolicy::is_one_shot(request)).then(|| request.clone())
    }
}

/// A request's idempotency; one without the extension is taken as a write that must not be replayed.
pub(crate) fn policy_idempotency(request: &Request<RequestBody>) -> Idempotency {
    request.extensions().get::<Idempotency>().copied().unwrap_or(Idempotency::NonIdempotentWrite)
}

/// The attempt's error out of `result`: `None` for an error that is not an attempt's (a layer of the user's),
/// left in place; `Some(Err(()))` for an answer.
fn take_attempt_error(result: &mut Result<Response<Body>, BoxError>) -> Option<Result<AttemptError, ()>> {
    let Err(error) = result else { return Some(Err(())) };
    if !error.is::<AttemptError>() {
        return None;
    }
    // A zero-sized placeholder, put in without an allocation, until the final error replaces it.
    let Err(error) = std::mem::replace(result, Err(Box::new(Taken))) else { return None };
    error.downcast::<AttemptError>().ok().map(|attempt| Ok(*attempt))
}

/// Sends the call on to `next`, or ends it with the error built from every attempt.
fn decide(
    request: &mut Request<RequestBody>,
    result: &mut Result<Response<Body>, BoxError>,
    next: Option<crate::Endpoint>,
    attempts: &mut Attempts,
    idempotency: Idempotency,
) -> Option<Ready<()>> {
    match next {
        Some(next) => {
            tracing::debug!(next = %next, "retrying on the next endpoint");
            request.extensions_mut().insert(AttemptOn(next));
            Some(ready(()))
        }
        None => {
            *result = Err(std::mem::take(attempts).into_error(idempotency));
            None
        }
    }
}

#[derive(Debug)]
struct Taken;

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the attempt's error, taken by the retry policy")
    }
}

impl std::error::Error for Taken {}
