//! The etcd v2 client's transport: [`Client`], its [`Config`], and the tower layers that make a call reach a
//! member.
//!
//! A [`Client`] is a tower service stack (held as its concrete type, boxed only when you add layers).
//! [`Config::build`] stacks, from the caller inwards: your call layers, [`deadline`] (the call's budget),
//! [`failover`] (a [`retry`] policy over [`rotation`]: pinned endpoint, each endpoint once, cluster errors, no
//! write ever sent twice), [`whole_body`] (the answer read whole, bounded in size and time), your attempt layers,
//! [`header_timeout`] (one attempt's wait for headers), [`cluster_id`] (when told which cluster to expect),
//! [`redirect`], [`basic_auth`], and a [`Transport`] ([`HyperTransport`] by default). Each layer is usable alone
//! in a `tower::ServiceBuilder` of your own.
//!
//! Nothing here knows about keys: the API crates build `http::Request<RequestBody>` with a relative URI and an
//! [`Idempotency`] extension, and decode the response with `etcd-core`.
//!
//! # Features
//!
//! - `tls` (default): `https://` endpoints through rustls with the `ring` provider: the system's roots, or your
//!   CA and client certificate ([`TlsConfig`], [`Config::tls`]); see [`tls`].

mod answer;
pub mod basic_auth;
mod body;
mod client;
pub mod cluster_id;
mod config;
pub mod deadline;
mod endpoint;
pub mod failover;
mod from_env;
pub mod header_timeout;
mod idempotency;
mod per_call;
mod race;
pub mod redirect;
mod request_body;
pub mod retry;
pub mod rotation;
#[cfg(feature = "tls")]
pub mod tls;
mod transport;
pub mod whole_body;

pub use answer::Answer;
pub use body::Body;
pub use client::{Client, SendFuture};
pub use config::{Config, DEFAULT_HEADER_TIMEOUT};
pub use endpoint::Endpoint;
pub use etcd_core::{BoxError, Error};
pub use failover::EndpointSet;
pub use from_env::DEFAULT_ENDPOINTS;
pub use idempotency::Idempotency;
pub use per_call::PerCallTimeout;
pub use request_body::RequestBody;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
pub use transport::{
    BoxedService, CompleteStream, ConnectError, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_POOL_MAX_IDLE_PER_HOST,
    HyperResponseFuture, HyperTransport, LongPoll, Transport,
};
