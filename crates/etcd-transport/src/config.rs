use std::sync::Arc;
use std::time::Duration;

use etcd_core::Error;
use tower::Layer;

use crate::basic_auth::{BasicAuthLayer, Credentials};
use crate::failover::Failover;
use crate::header_timeout::HeaderTimeoutLayer;
use crate::transport::{BoxedService, boxed};
use crate::{Client, EndpointSet, HyperTransport, Transport};

type LayerFn = Arc<dyn Fn(BoxedService) -> BoxedService + Send + Sync>;

/// How to build a [`Client`]: endpoints, transport, timeouts, credentials and extra layers (the Go client's
/// `Config`). Every setter returns the config, so a configuration reads as one expression.
///
/// The stack, from the caller inwards:
///
/// ```text
/// [layers added with .layer(), first added outermost]    around the whole call
/// failover                                               pinned endpoint, rotation, ClusterError, OutcomeUnknown
/// [layers added with .attempt_layer(), first outermost]  around each attempt on one endpoint
/// header timeout                                         connect + send + response headers of one attempt
/// basic auth
/// transport                                              HyperTransport unless .transport() replaced it
/// ```
#[must_use = "a Config does nothing until .build()"]
#[derive(Clone)]
pub struct Config {
    endpoints: Vec<String>,
    transport: Option<BoxedService>,
    header_timeout: Option<Duration>,
    credentials: Option<Credentials>,
    call_layers: Vec<LayerFn>,
    attempt_layers: Vec<LayerFn>,
}

impl Config {
    /// A configuration for these endpoints (`http://host:port` or `https://host:port`), checked by
    /// [`Config::build`].
    pub fn new<I, S>(endpoints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Config {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            transport: None,
            header_timeout: None,
            credentials: None,
            call_layers: Vec::new(),
            attempt_layers: Vec::new(),
        }
    }

    /// Sends requests through `transport` instead of the default [`HyperTransport`]: a transport of your own,
    /// or a mock (`tower::service_fn`, `tower_test::mock`) in tests. It receives absolute URIs.
    pub fn transport<T: Transport>(mut self, transport: T) -> Self {
        self.transport = Some(boxed(transport));
        self
    }

    /// Bounds each attempt's connect, send and wait for response headers (the seed's `HeaderTimeoutPerRequest`),
    /// so that a dead or frozen member is left for the next one. It does not cut a streaming body. None by
    /// default.
    pub fn header_timeout_per_request(mut self, timeout: Duration) -> Self {
        self.header_timeout = Some(timeout);
        self
    }

    /// Authenticates every attempt with HTTP basic auth. The password never appears in `Debug` output.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::new(username, password));
        self
    }

    /// Adds a layer around the whole call (tracing of calls, metrics, a rate limit). The first layer added is the
    /// outermost.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<BoxedService> + Send + Sync + 'static,
        L::Service: Transport,
    {
        self.call_layers.push(Arc::new(move |inner| boxed(layer.layer(inner))));
        self
    }

    /// Adds a layer around each attempt on one endpoint (tracing of attempts, per-member metrics). Its requests
    /// have absolute URIs. The first layer added is the outermost.
    pub fn attempt_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<BoxedService> + Send + Sync + 'static,
        L::Service: Transport,
    {
        self.attempt_layers.push(Arc::new(move |inner| boxed(layer.layer(inner))));
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a bad endpoint, or saying there is none.
    pub fn build(self) -> Result<Client, Error> {
        let endpoints = EndpointSet::parse(&self.endpoints)?;
        let mut attempt = self.transport.unwrap_or_else(|| boxed(HyperTransport::new()));
        if let Some(credentials) = self.credentials {
            attempt = boxed(BasicAuthLayer::new(credentials).layer(attempt));
        }
        if let Some(timeout) = self.header_timeout {
            attempt = boxed(HeaderTimeoutLayer::new(timeout).layer(attempt));
        }
        for layer in self.attempt_layers.iter().rev() {
            attempt = layer(attempt);
        }
        let mut call = boxed(Failover::new(attempt, endpoints.clone()));
        for layer in self.call_layers.iter().rev() {
            call = layer(call);
        }
        Ok(Client::from_parts(call, endpoints))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("endpoints", &self.endpoints)
            .field("custom_transport", &self.transport.is_some())
            .field("header_timeout_per_request", &self.header_timeout)
            .field("credentials", &self.credentials)
            .field("call_layers", &self.call_layers.len())
            .field("attempt_layers", &self.attempt_layers.len())
            .finish()
    }
}
