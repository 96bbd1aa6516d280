use std::sync::Arc;
use std::time::Duration;

use crate::RequestBody;
use etcd_core::{BoxError, Error};
use http::{Request, Response};
use tower::retry::Policy;
use tower::util::Either;
use tower::{Layer, ServiceBuilder};

use crate::basic_auth::{BasicAuth, BasicAuthLayer, Credentials};
use crate::cluster_id::{ClusterId, ClusterIdCheck, ClusterIdCheckLayer};
use crate::deadline::{Deadline, DeadlineLayer};
use crate::failover::Failover;
use crate::header_timeout::{HeaderTimeout, HeaderTimeoutLayer};
use crate::redirect::{FollowRedirects, FollowRedirectsLayer, RedirectPolicy};
use crate::retry::ConfiguredPolicy;
use crate::transport::{BoxedService, PoolSettings, boxed};
use crate::whole_body::{DEFAULT_MAX_RESPONSE_SIZE, WholeBody};
use crate::{Body, Client, Endpoint, EndpointSet, HyperTransport, Transport};

type LayerFn = Arc<dyn Fn(BoxedService) -> BoxedService + Send + Sync>;

// The default stack's type, written out so that a client without layers of the user's holds it as it is: no box
// around the stack, none around each call's future, no dynamic call per poll.
type DefaultTransport = Either<HyperTransport, BoxedService>;
type WithAuth = Either<BasicAuth<DefaultTransport>, DefaultTransport>;
type WithRedirects = FollowRedirects<WithAuth>;
type WithClusterId = Either<ClusterIdCheck<WithRedirects>, WithRedirects>;
type AttemptStack = Either<HeaderTimeout<WithClusterId>, WithClusterId>;
/// The stack [`Config::build`] makes when no layer of the user's goes into it.
pub(crate) type DefaultStack = Deadline<Failover<WholeBody<AttemptStack>, ConfiguredPolicy>>;

/// The default per-attempt header timeout: long enough for a write to commit on a loaded cluster, short
/// enough that a frozen member does not hang a call.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How to build a [`Client`]: endpoints, transport, timeouts, credentials and extra layers (the Go client's
/// `Config`). Every setter returns the config, so a configuration reads as one expression.
///
/// The stack, from the caller inwards:
///
/// ```text
/// [layers added with .layer(), first added outermost]    around the whole call
/// deadline                                               the call's whole budget (.call_timeout())
/// failover                                               retry policy over endpoint rotation: pinned endpoint
///                                                        first, ClusterError, OutcomeUnknown (.retry_policy())
/// whole body                                             the answer read whole, bounded (.max_response_size())
/// [layers added with .attempt_layer(), first outermost]  around each attempt on one endpoint
/// header timeout                                         connect + send + response headers of one attempt
/// cluster ID check                                       answers of another cluster refused (.expect_cluster_id())
/// redirects                                              same method and body; credentials same-origin only (.redirect_policy())
/// basic auth
/// transport                                              HyperTransport unless .transport() replaced it
/// ```
#[must_use = "a Config does nothing until .build()"]
#[derive(Clone)]
pub struct Config {
    endpoints: Vec<String>,
    shuffle: bool,
    transport: Option<BoxedService>,
    header_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    max_response_size: usize,
    credentials: Option<Credentials>,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
    redirect_policy: RedirectPolicy,
    cluster_id: Option<String>,
    retry_policy: ConfiguredPolicy,
    call_layers: Vec<LayerFn>,
    attempt_layers: Vec<LayerFn>,
    pool: PoolSettings,
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
            shuffle: true,
            transport: None,
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            connect_timeout: None,
            call_timeout: None,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            credentials: None,
            #[cfg(feature = "tls")]
            tls: None,
            redirect_policy: RedirectPolicy::default(),
            cluster_id: None,
            retry_policy: ConfiguredPolicy::default(),
            call_layers: Vec::new(),
            attempt_layers: Vec::new(),
            pool: PoolSettings::default(),
        }
    }

    /// Whether the client pins a random endpoint when it is built, so that clients given the same list spread
    /// over the members (the Go client shuffles its list for the same reason); the rotation order stays the
    /// list's. On by default; off pins the first endpoint.
    pub fn shuffle_endpoints(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Sends requests through `transport` instead of the default [`HyperTransport`]: a transport of your own,
    /// or a mock (`tower::service_fn`, `tower_test::mock`) in tests. It receives absolute URIs.
    pub fn transport<T: Transport>(mut self, transport: T) -> Self {
        self.transport = Some(boxed(transport));
        self
    }

    /// Bounds each attempt's connect, send and wait for response headers (the Go client's
    /// `HeaderTimeoutPerRequest`), so that a dead or frozen member is left for the next one; it also bounds each
    /// wait for the next piece of a body, so that a body that stops arriving fails its attempt. It does not cut
    /// a watch's stream (the watcher's liveness probe watches those). [`DEFAULT_HEADER_TIMEOUT`] (5 s) unless set.
    pub fn header_timeout_per_request(mut self, timeout: Duration) -> Self {
        self.header_timeout = Some(timeout);
        self
    }

    /// Bounds making a TCP connection to a member (the default transport's). A connection not made in time is a
    /// connect failure, after which any request may go to the next endpoint, since it never left. Three quarters
    /// of the header timeout unless set, so that a member that does not answer SYNs (a host that is down) fails
    /// as a connect failure rather than as a header timeout, which leaves a write's outcome unknown.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Keeps at most `max` idle connections per member in the default transport's pools;
    /// [`DEFAULT_POOL_MAX_IDLE_PER_HOST`](crate::DEFAULT_POOL_MAX_IDLE_PER_HOST) (64) unless set. A burst of
    /// concurrent calls opens a connection each; those past `max` close as soon as they are idle instead of
    /// waiting for the idle timeout. 0 keeps none (a connection per call). A [`transport`](Config::transport)
    /// of your own has its own pool.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool.max_idle_per_host = max;
        self
    }

    /// Closes a connection of the default transport idle for `timeout`;
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`](crate::DEFAULT_POOL_IDLE_TIMEOUT) (90 s) unless set.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool.idle_timeout = timeout;
        self
    }

    /// Lets attempts wait for response headers as long as it takes (the Go client's default). A frozen member
    /// then hangs every call pinned to it: prefer a header timeout.
    pub fn without_header_timeout(mut self) -> Self {
        self.header_timeout = None;
        self
    }

    /// Bounds every call, across all its attempts and endpoints, from the first byte sent to the last byte of the
    /// answer read (the Go client's context deadline); when it passes the call ends with
    /// [`Error::DeadlineExceeded`]. A request can set its own with a
    /// [`CallTimeout`](crate::deadline::CallTimeout) extension. None by default.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// The largest answer a call accepts, in bytes: a larger one ends the call with
    /// [`Error::InvalidResponse`] of kind [`TooLarge`](etcd_core::InvalidResponseKind::TooLarge), naming the
    /// endpoint, and is never read further. 256 MiB unless set
    /// ([`DEFAULT_MAX_RESPONSE_SIZE`](crate::whole_body::DEFAULT_MAX_RESPONSE_SIZE)); raise it for recursive
    /// reads of a larger store. Watches are bounded per event instead.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Which failed attempts may go on to another endpoint: [`SafeRetryPolicy`](crate::retry::SafeRetryPolicy)
    /// by default, which never replays a write that may have been applied;
    /// [`GoRetryPolicy`](crate::retry::GoRetryPolicy) mimics the Go client; any `tower::retry::Policy` of yours
    /// fits.
    pub fn retry_policy<P>(mut self, policy: P) -> Self
    where
        P: Policy<Request<RequestBody>, Response<Body>, BoxError> + Clone + Send + Sync + 'static,
        P::Future: Send + 'static,
    {
        self.retry_policy = ConfiguredPolicy::custom(policy);
        self
    }

    /// Which redirects are followed: at most 10 by default (the Go client's `CheckRedirect`).
    pub fn redirect_policy(mut self, policy: RedirectPolicy) -> Self {
        self.redirect_policy = policy;
        self
    }

    /// Refuses answers from any other cluster than `cluster_id` (as etcd writes it in `X-Etcd-Cluster-Id`, and
    /// [`Response::cluster_id`](etcd_core::Response::cluster_id) gives it): such an answer fails its attempt, and
    /// the next endpoint is tried whatever the request, since the expected cluster did not apply it. Answers
    /// without the header (`/version`, `/health`, statistics) pass; see [`cluster_id`](crate::cluster_id).
    /// A text that is no cluster ID is refused by [`build`](Config::build).
    pub fn expect_cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.cluster_id = Some(cluster_id.into());
        self
    }

    /// Authenticates every attempt with HTTP basic auth. The password never appears in `Debug` output. An empty
    /// `username` sends no credentials (etcd's guest access), as the Go client does.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::new(username, password));
        self
    }

    /// Talks TLS to `https://` endpoints as `tls` says: your CA instead of the system's roots, a client
    /// certificate, a server name; see [`TlsConfig`](crate::TlsConfig). Without it, `https://` endpoints are
    /// checked against the system's roots. It configures the default [`HyperTransport`]; a
    /// [`transport`](Config::transport) of your own does its own TLS, and setting both is refused by
    /// [`build`](Config::build).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
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
    /// [`Error::InvalidRequest`] naming a bad endpoint, or saying there is none; or a TLS configuration that
    /// cannot be used (an unreadable file, PEM without a certificate or key, ...).
    pub fn build(self) -> Result<Client, Error> {
        let endpoints = EndpointSet::parse(&self.endpoints)?;
        if self.shuffle {
            endpoints.shuffle();
        }
        let connect_timeout = self.connect_timeout.or(self.header_timeout.map(|t| t * 3 / 4));
        // The default transport stays unboxed, so that an attempt through it costs no allocation of ours.
        let transport = match self.transport {
            #[cfg(feature = "tls")]
            Some(_) if self.tls.is_some() => {
                let reason = "tls(...) configures the default transport; a transport(...) of your own does its own TLS";
                return Err(etcd_core::InvalidRequest::new(etcd_core::InvalidRequestKind::Config, reason).into());
            }
            Some(transport) => Either::Right(transport),
            #[cfg(feature = "tls")]
            None => Either::Left(match &self.tls {
                None => HyperTransport::with_pool(connect_timeout, self.pool),
                Some(tls) => HyperTransport::with_tls_and_pool(tls, connect_timeout, self.pool)?,
            }),
            #[cfg(not(feature = "tls"))]
            None => Either::Left(HyperTransport::with_pool(connect_timeout, self.pool)),
        };
        let cluster_id = self.cluster_id.as_deref().map(ClusterId::parse).transpose()?;
        let attempt = ServiceBuilder::new()
            .option_layer(self.header_timeout.map(HeaderTimeoutLayer::new))
            .option_layer(cluster_id.map(ClusterIdCheckLayer::new))
            .layer(FollowRedirectsLayer::new(self.redirect_policy))
            .option_layer(self.credentials.map(BasicAuthLayer::new))
            .service(transport);
        // The stack is one concrete type unless layers of the user's go into it; then it is boxed once, at the top
        // (the attempt stack too, when attempt layers go into it). Every call clones it (tower's retry clones it
        // again), so it holds nothing costly to clone.
        let (limit, idle) = (self.max_response_size, self.header_timeout);
        if self.attempt_layers.is_empty() && self.call_layers.is_empty() {
            let failover = Failover::new(WholeBody::new(attempt, limit, idle), endpoints.clone(), self.retry_policy);
            return Ok(Client::from_default_stack(DeadlineLayer::new(self.call_timeout).layer(failover), endpoints));
        }
        let mut call = if self.attempt_layers.is_empty() {
            call_stack(WholeBody::new(attempt, limit, idle), &endpoints, self.retry_policy, self.call_timeout)
        } else {
            let mut attempt = boxed(attempt);
            for layer in self.attempt_layers.iter().rev() {
                attempt = layer(attempt);
            }
            call_stack(WholeBody::new(attempt, limit, idle), &endpoints, self.retry_policy, self.call_timeout)
        };
        for layer in self.call_layers.iter().rev() {
            call = layer(call);
        }
        Ok(Client::from_parts(call, endpoints))
    }
}

/// The call's layers over an attempt stack: failover (retries over the endpoints), then the call's deadline.
fn call_stack<S: Transport>(
    attempt: S,
    endpoints: &Arc<EndpointSet>,
    policy: ConfiguredPolicy,
    call_timeout: Option<Duration>,
) -> BoxedService {
    boxed(DeadlineLayer::new(call_timeout).layer(Failover::new(attempt, endpoints.clone(), policy)))
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("endpoints", &self.endpoints.iter().map(|e| Endpoint::redact(e)).collect::<Vec<_>>())
            .field("shuffle_endpoints", &self.shuffle)
            .field("custom_transport", &self.transport.is_some())
            .field("header_timeout_per_request", &self.header_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("credentials", &self.credentials)
            .field("redirect_policy", &self.redirect_policy)
            .field("expected_cluster_id", &self.cluster_id)
            .field("retry_policy", &self.retry_policy)
            .field("call_layers", &self.call_layers.len())
            .field("attempt_layers", &self.attempt_layers.len())
            .field("pool_max_idle_per_host", &self.pool.max_idle_per_host)
            .field("pool_idle_timeout", &self.pool.idle_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password_in_the_endpoints_or_the_credentials() {
        let config = Config::new(["http://root:pw-s3cret@h:1", "http://h:2"]).basic_auth("root", "pw-other");
        let debug = format!("{config:?}");
        assert!(!debug.contains("pw-s3cret") && !debug.contains("pw-other"), "{debug}");
        assert!(debug.contains("http://***@h:1") && debug.contains("http://h:2"), "{debug}");
        let err = config.build().unwrap_err().to_string();
        assert!(!err.contains("pw-s3cret"), "{err}");
    }
}
