use std::future::Future;
use std::pin::Pin;

use etcd_core::BoxError;
use http::{Request, Response};
use tower::retry::Policy;

use super::SafeRetryPolicy;
use crate::{Body, RequestBody};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The retry policy a [`Config`](crate::Config) was given: the default [`SafeRetryPolicy`], kept as it is so that
/// the default stack has no dynamic dispatch and no allocation per call for it, or any policy of the user's, boxed
/// (`Config::retry_policy` accepts any type, and the stack's type must not depend on it).
#[derive(Clone)]
pub(crate) enum ConfiguredPolicy {
    Safe(SafeRetryPolicy),
    Custom(Box<dyn ErasedPolicy>),
}

impl ConfiguredPolicy {
    pub(crate) fn custom<P>(policy: P) -> Self
    where
        P: Policy<Request<RequestBody>, Response<Body>, BoxError> + Clone + Send + Sync + 'static,
        P::Future: Send + 'static,
    {
        ConfiguredPolicy::Custom(Box::new(policy))
    }
}

impl Default for ConfiguredPolicy {
    fn default() -> Self {
        ConfiguredPolicy::Safe(SafeRetryPolicy::new())
    }
}

impl std::fmt::Debug for ConfiguredPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfiguredPolicy::Safe(policy) => policy.fmt(f),
            ConfiguredPolicy::Custom(_) => f.write_str("a custom retry policy"),
        }
    }
}

impl Policy<Request<RequestBody>, Response<Body>, BoxError> for ConfiguredPolicy {
    // Boxed for the default policy too: a future exists only when an attempt is retried, the rare case.
    type Future = BoxFuture;

    fn retry(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<Self::Future> {
        match self {
            ConfiguredPolicy::Safe(policy) => policy.retry(request, result).map(|ready| Box::pin(ready) as BoxFuture),
            ConfiguredPolicy::Custom(policy) => policy.retry_boxed(request, result),
        }
    }

    fn clone_request(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        match self {
            ConfiguredPolicy::Safe(policy) => policy.clone_request(request),
            ConfiguredPolicy::Custom(policy) => policy.clone_request_boxed(request),
        }
    }
}

/// A [`Policy`] behind a pointer: its future boxed, and cloneable as a box.
pub(crate) trait ErasedPolicy: Send + Sync {
    fn retry_boxed(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<BoxFuture>;
    fn clone_request_boxed(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>>;
    fn clone_box(&self) -> Box<dyn ErasedPolicy>;
}

impl<P> ErasedPolicy for P
where
    P: Policy<Request<RequestBody>, Response<Body>, BoxError> + Clone + Send + Sync + 'static,
    P::Future: Send + 'static,
{
    fn retry_boxed(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<BoxFuture> {
        self.retry(request, result).map(|future| Box::pin(future) as BoxFuture)
    }

    fn clone_request_boxed(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        self.clone_request(request)
    }

    fn clone_box(&self) -> Box<dyn ErasedPolicy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn ErasedPolicy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}
