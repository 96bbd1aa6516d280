//! The etcd v2 client's transport: [`Client`], its [`Config`], and the tower layers that make a call reach a
//! member.
//!
//! A [`Client`] is a boxed tower service. [`Config::build`] stacks, from the caller inwards: your call layers,
//! [`failover`] (pinned endpoint, rotation, cluster errors, no unsafe replays), your attempt layers,
//! [`header_timeout`] (one attempt's wait for headers), [`basic_auth`], and a [`Transport`]
//! ([`HyperTransport`] by default). Each layer is usable alone in a `tower::ServiceBuilder` of your own.
//!
//! Nothing here knows about keys: the API crates build `http::Request<Bytes>` with a relative URI and an
//! [`Idempotency`] extension, and decode the response with `etcd-core`.

pub mod basic_auth;
mod body;
mod client;
mod config;
mod endpoint;
pub mod failover;
pub mod header_timeout;
mod idempotency;
mod transport;

pub use body::Body;
pub use client::Client;
pub use config::Config;
pub use endpoint::Endpoint;
pub use etcd_core::{BoxError, Error};
pub use failover::EndpointSet;
pub use idempotency::Idempotency;
pub use transport::{BoxedService, ConnectError, HyperTransport, Transport};
