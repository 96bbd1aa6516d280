use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::RequestBody;
use etcd_core::{BoxError, ClusterError, DeadlineExceeded, Error, InvalidRequest, InvalidRequestKind, OutcomeUnknown};
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower::ServiceExt;
use tower::util::Oneshot;

use crate::config::DefaultStack;
use crate::transport::{BoxedService, boxed};
use crate::{Body, Config, EndpointSet, Transport};

/// A handle to an etcd cluster: a tower service stack plus the endpoints it sends to. Cheap to clone; every
/// clone shares the connection pool and the pinned endpoint.
///
/// The default stack is held as its own type (no dynamic call per layer on the hot path); a stack with layers
/// of yours, or a service given to [`Client::new`], is held boxed.
///
/// Build one with [`Client::builder`] (endpoints, timeouts, credentials, layers), or wrap any service with
/// [`Client::new`] to replace the whole stack, a mock in tests for instance. The API crates (`etcd-keys`, ...)
/// turn calls into requests whose URI is a path and query relative to the endpoint, and send them with
/// [`Client::send`].
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use std::time::Duration;
/// let client = etcd_transport::Client::builder(["http://127.0.0.1:2379"])
///     .header_timeout_per_request(Duration::from_secs(1))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    stack: Stack,
    endpoints: Option<Arc<EndpointSet>>,
}

/// The default stack as it is, or any other, boxed.
#[derive(Clone)]
enum Stack {
    Default(DefaultStack),
    Boxed(BoxedService),
}

impl Client {
    /// A configuration to build a client for these endpoints; see [`Config`].
    pub fn builder<I, S>(endpoints: I) -> Config
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Config::new(endpoints)
    }

    /// A client over any service: the service receives every request as the API crates build it (a relative
    /// URI, a `Bytes` body) and answers with a response. Nothing else is added: no endpoints, no timeouts.
    ///
    /// Errors the service returns are given to the caller as [`Error::Middleware`], unless they already are an
    /// [`Error`] (or one of its kinds), as the stack's own layers produce.
    ///
    /// # Examples
    /// ```
    /// use etcd_transport::{Body, Client, RequestBody};
    /// use tower::service_fn;
    /// let client = Client::new(service_fn(|request: http::Request<RequestBody>| async move {
    ///     assert_eq!(request.uri().path(), "/v2/keys/foo");
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(Body::from("{}")))
    /// }));
    /// ```
    pub fn new<S: Transport>(service: S) -> Client {
        Client { stack: Stack::Boxed(boxed(service)), endpoints: None }
    }

    pub(crate) fn from_parts(service: BoxedService, endpoints: Arc<EndpointSet>) -> Client {
        Client { stack: Stack::Boxed(service), endpoints: Some(endpoints) }
    }

    pub(crate) fn from_default_stack(stack: DefaultStack, endpoints: Arc<EndpointSet>) -> Client {
        Client { stack: Stack::Default(stack), endpoints: Some(endpoints) }
    }

    /// This client, reporting `other`'s endpoints and pin as its own ([`Client::endpoints`],
    /// [`Client::set_endpoints`]): for a service that sends through `other`, such as the v2-over-v3 bridge, so
    /// that what moves a pin (a watch leaving a frozen member) or replaces the endpoints acts on `other`'s.
    #[must_use]
    pub fn with_endpoints_of(mut self, other: &Client) -> Client {
        self.endpoints = other.endpoints.clone();
        self
    }

    /// The endpoints this client sends to and its pin; `None` for a client made with [`Client::new`].
    pub fn endpoints(&self) -> Option<&Arc<EndpointSet>> {
        self.endpoints.as_ref()
    }

    /// Replaces the endpoints of this client and of every clone of it (the Go client's `SetEndpoints`), keeping
    /// the pin when its endpoint stays.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a bad endpoint, or when the list is empty or the client has no endpoints
    /// (made with [`Client::new`]); the endpoints are then unchanged.
    pub fn set_endpoints<I, S>(&self, endpoints: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let Some(set) = &self.endpoints else {
            let reason = "a client made with Client::new has no endpoints to replace";
            return Err(InvalidRequest::new(InvalidRequestKind::Config, reason).into());
        };
        set.replace(crate::failover::parse_endpoints(endpoints)?)?;
        Ok(())
    }

    /// Sends a request through the stack and returns the response, whatever its status; the body is not read.
    ///
    /// # Errors
    /// [`Error::Cluster`] when no endpoint answered, [`Error::OutcomeUnknown`] when a write may have been applied
    /// without an answer, [`Error::Middleware`] when a layer of yours failed.
    pub fn send(&self, request: Request<impl Into<RequestBody>>) -> SendFuture {
        let request = request.map(Into::into);
        let call = match &self.stack {
            Stack::Default(stack) => Call::Default { call: stack.clone().oneshot(request) },
            Stack::Boxed(service) => Call::Boxed { call: service.clone().oneshot(request) },
        };
        SendFuture { call }
    }
}

pin_project! {
    /// The future of [`Client::send`]: the call through the stack, whose error becomes an [`Error`].
    ///
    /// It owns what it needs (a clone of the stack, the request), so it can outlive the client it came from.
    pub struct SendFuture {
        #[pin]
        call: Call,
    }
}

pin_project! {
    #[project = CallProj]
    enum Call {
        Default { #[pin] call: Oneshot<DefaultStack, Request<RequestBody>> },
        Boxed { #[pin] call: Oneshot<BoxedService, Request<RequestBody>> },
    }
}

impl Future for SendFuture {
    type Output = Result<Response<Body>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().call.project() {
            CallProj::Default { call } => call.poll(cx).map_err(into_error),
            CallProj::Boxed { call } => call.poll(cx).map_err(into_error),
        }
    }
}

impl std::fmt::Debug for SendFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.endpoints.as_ref().map(|set| set.endpoints()))
            .finish_non_exhaustive()
    }
}

/// The client's edge: the stack's errors are `BoxError`s; the caller gets an [`Error`].
fn into_error(error: BoxError) -> Error {
    let error = match error.downcast::<Error>() {
        Ok(error) => return *error,
        Err(other) => other,
    };
    let error = match error.downcast::<ClusterError>() {
        Ok(error) => return Error::Cluster(*error),
        Err(other) => other,
    };
    let error = match error.downcast::<OutcomeUnknown>() {
        Ok(error) => return Error::OutcomeUnknown(*error),
        Err(other) => other,
    };
    match error.downcast::<DeadlineExceeded>() {
        Ok(error) => Error::DeadlineExceeded(*error),
        Err(other) => Error::Middleware(other),
    }
}
