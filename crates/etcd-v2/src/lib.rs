//! An etcd v2 client for Rust, in one dependency: the keys API (get, set, create, update, delete, watch), the
//! members API and cluster status, etcd's v2 auth, with typed responses and typed errors, over a tower service
//! stack that fails over between members and never sends a write twice.
//!
//! ```toml
//! [dependencies]
//! etcd-v2 = "0.1"
//! ```
//!
//! This crate only re-exports: the keys API and everything of a response or an error at its root, the rest in
//! modules ([`members`], [`auth`], [`transport`]). The crates behind it (`etcd-keys`, `etcd-members`,
//! `etcd-auth`, `etcd-transport`, `etcd-core`) can be used alone; their types are the same types.
//!
//! # A tour
//!
//! ## A client, set, get, create
//!
//! A [`Client`] is built once and cloned freely: every clone shares the connection pool and the member it is
//! pinned to. The API handles ([`KeysApi`], [`MembersApi`](members::MembersApi), [`AuthApi`](auth::AuthApi))
//! are cheap to clone too.
//!
//! ```no_run
//! use std::time::Duration;
//! use etcd_v2::{Client, KeysApi, SetOptions};
//!
//! # async fn run() -> Result<(), etcd_v2::Error> {
//! let client = Client::builder(["http://127.0.0.1:2379", "http://127.0.0.1:22379"])
//!     .header_timeout_per_request(Duration::from_secs(1)) // leave a dead member after a second
//!     .build()?;
//! let keys = KeysApi::new(client);
//! keys.set("/config/mode", "fast", Some(SetOptions::new().with_ttl(Duration::from_secs(60)))).await?;
//! let response = keys.get("/config/mode", None).await?;
//! println!("{} = {} (index {})", response.node.key, response.node.value, response.index);
//! keys.create("/jobs/42", "pending").await?; // fails if the key exists
//! keys.set("/jobs/42", "done", Some(SetOptions::new().with_prev_value("pending"))).await?; // compare-and-swap
//! # Ok(()) }
//! ```
//!
//! [`KeysApi::get_json`] and [`KeysApi::set_json`] read and write values as JSON (serde), a value that is not the
//! JSON asked for being an [`Error::InvalidValue`].
//!
//! [`Config::from_env`] reads the endpoints, TLS files and credentials from `ETCD_ENDPOINTS`, `ETCD_CA_FILE`, ...
//! (etcdctl's `ETCDCTL_*` names as fallbacks), so that a program is pointed at a cluster as `etcdctl` is:
//! `let client = etcd_v2::Config::from_env()?.build()?;`.
//!
//! ## Watching
//!
//! A [`Watcher`] is a `Stream` of events, each delivered once and in index order across reconnects and member
//! failures. [`KeysApi::get_and_watch`] reads and watches with no gap between the two.
//!
//! ```no_run
//! use etcd_v2::{KeysApi, WatcherOptions};
//!
//! # async fn run(keys: KeysApi) -> Result<(), etcd_v2::Error> {
//! let (snapshot, mut watcher) = keys.get_and_watch("/config", None, Some(WatcherOptions::new())).await?;
//! println!("{} keys now", snapshot.node.nodes.len());
//! while let Some(event) = watcher.next().await {
//!     let event = event?;
//!     println!("{} {} = {}", event.action, event.node.key, event.node.value);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Errors
//!
//! Every call returns the one [`Error`]: match on its variants, or ask it questions. etcd's refusals carry
//! etcd's code ([`Error::code`]); failures to reach the cluster list each member with its own cause.
//! `Display` says an error's own facts and `source()` its cause, down to the `io::Error` or the TLS error, so
//! that anyhow or eyre print each cause once; [`Error::report`] prints them all on one line.
//!
//! ```no_run
//! use etcd_v2::{Error, KeysApi};
//!
//! # async fn run(keys: KeysApi) -> Result<(), Error> {
//! match keys.create("/lock", "me").await {
//!     Ok(_) => println!("locked"),
//!     Err(e) if e.is_node_exist() => println!("someone else holds it"),
//!     // A write whose answer never came: it may have been applied, and it was not sent again.
//!     Err(e) if e.is_outcome_unknown() => println!("read /lock to know: {}", e.report()),
//!     Err(Error::Cluster(cluster)) => {
//!         for failure in cluster.errors() {
//!             println!("{}", etcd_v2::Report::new(failure)); // the endpoint, what failed, and why
//!         }
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Failover and timeouts
//!
//! Give the client every member. Each call starts at the pinned member and moves on when one refuses the
//! connection, does not answer within the header timeout, or fails mid-answer: reads go on to the next member,
//! a write that may have been applied is not sent again and ends in [`Error::OutcomeUnknown`]. Two timeouts
//! bound a call, and the error says which fired:
//!
//! - [`Config::header_timeout_per_request`]: one attempt on one member (5 s by default), so that a frozen member
//!   does not eat the whole call;
//! - [`Config::call_timeout`]: the whole call, every attempt and the answer's last byte; when it passes the
//!   call ends in [`Error::DeadlineExceeded`]. [`KeysApi::with_timeout`] (and the members, status and auth
//!   APIs' own) gives the calls of one handle a budget of their own, as the Go client's per-call context does.
//!
//! ```no_run
//! use std::time::Duration;
//! use etcd_v2::{Client, KeysApi};
//!
//! # async fn run() -> Result<(), etcd_v2::Error> {
//! let client = Client::builder(["http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"])
//!     .header_timeout_per_request(Duration::from_millis(500))
//!     .call_timeout(Duration::from_secs(3))
//!     .build()?;
//! let keys = KeysApi::new(client);
//! match keys.with_timeout(Duration::from_millis(200)).get("/config/mode", None).await {
//!     Err(e) if e.is_deadline_exceeded() => println!("no answer within 200 ms"),
//!     other => println!("{:?}", other?.node.value),
//! }
//! # Ok(()) }
//! ```
//!
//! Calls are futures that may be dropped at any point (a `select!` branch that lost): the request in flight is
//! dropped and its connection closed. A write dropped after it was sent may still be applied, as after
//! [`Error::OutcomeUnknown`]; a dropped [`Watcher`] closes its connection. See
//! [`KeysApi`'s notes](KeysApi#cancel-safety).
//!
//! ## TLS and credentials
//!
//! `https://` endpoints use the system's roots as they are; [`TlsConfig`] (feature `tls`, on by default) adds
//! your CA and a client certificate for members run with `--client-cert-auth`. [`Config::basic_auth`] sends
//! etcd credentials on every attempt (and never prints them).
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # fn run() -> Result<(), etcd_v2::Error> {
//! use etcd_v2::{Client, TlsConfig};
//!
//! let client = Client::builder(["https://etcd.example.com:2379"])
//!     .tls(TlsConfig::new().ca_pem_file("ca.pem").client_identity_pem_files("client.pem", "client-key.pem"))
//!     .basic_auth("app", "app-password")
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! ## Auth
//!
//! [`auth::AuthApi`] turns etcd's v2 auth on and off and manages users, roles and their key permissions.
//!
//! ```no_run
//! use etcd_v2::Client;
//! use etcd_v2::auth::{AuthApi, Permission};
//!
//! # async fn run() -> Result<(), etcd_v2::Error> {
//! let auth = AuthApi::new(Client::builder(["http://127.0.0.1:2379"]).basic_auth("root", "pw").build()?);
//! auth.add_role("reports").await?;
//! auth.grant_permission("reports", "/reports/*", Permission::Read).await?;
//! # Ok(()) }
//! ```
//!
//! ## Members and a cluster that changes
//!
//! [`members::MembersApi`] lists, adds, removes and updates members; [`members::ClusterSync`] makes a client
//! follow the cluster's membership (`client.sync()`, or [`members::AutoSync`] on an interval);
//! [`members::StatusApi`] asks for versions, health and statistics.
//!
//! ```no_run
//! use etcd_v2::Client;
//! use etcd_v2::members::{ClusterSync, MembersApi, StatusApi};
//!
//! # async fn run() -> Result<(), etcd_v2::Error> {
//! let client = Client::builder(["http://127.0.0.1:2379"]).build()?;
//! for member in MembersApi::new(client.clone()).list().await? {
//!     println!("{} {} serves {:?}", member.id, member.name, member.client_urls);
//! }
//! client.sync().await?; // now talks to every member
//! let health = StatusApi::new(client).health().await?;
//! println!("{} unhealthy members", health.unhealthy().count());
//! # Ok(()) }
//! ```
//!
//! ## Your own middleware and tests
//!
//! [`Config::layer`] wraps each call in a tower layer of yours, [`Config::attempt_layer`] each attempt on one
//! member, [`Config::transport`] replaces the network (a `tower::service_fn` or a mock in tests), and
//! [`Client::new`] takes a whole service instead of the default stack. See [`transport`] for the stack's
//! order.
//!
//! # Features
//!
//! - `tls` (default): `https://` endpoints through rustls with the `ring` provider, and [`TlsConfig`].
//! - `srv`: `members::discover_srv` and `members::SrvDiscovery`, the client endpoints named by a domain's
//!   DNS SRV records, through hickory-resolver (which more than doubles the dependency tree).
//! - `blocking`: [`blocking::Client`](crate::blocking), the keys API for programs without an async runtime,
//!   over a single-threaded runtime of its own.
//! - `recipes` (default): [`recipes`], a fair lock with fencing tokens, leader election, service registration
//!   and a watched cache, correct under failure.

pub use etcd_core::{AuthError, AuthErrorKind, DeadlineExceeded, MemberError, MemberErrorKind};
#[cfg(feature = "tls")]
pub use etcd_keys::TlsConfig;
pub use etcd_keys::{
    Action, AttemptFailure, Client, ClusterError, Config, CreateInOrderOptions, DeleteOptions, EndpointError, Error,
    ErrorCode, EtcdError, GetOptions, InvalidRequest, InvalidRequestKind, InvalidResponse, InvalidResponseKind,
    InvalidValue, KeysApi, Node, OutcomeUnknown, PrevExist, Report, Response, SetOptions, Watcher, WatcherOptions,
};

/// The keys API: [`KeysApi`] and its options, and [`watch`](keys::watch) (everything here is at the crate's
/// root too).
pub mod keys {
    pub use etcd_keys::*;
}

/// The members API ([`MembersApi`](members::MembersApi)), following a cluster's membership
/// ([`ClusterSync`](members::ClusterSync), [`AutoSync`](members::AutoSync)), each member's status
/// ([`StatusApi`](members::StatusApi)), and SRV discovery (feature `srv`).
pub mod members {
    pub use etcd_members::*;
}

/// etcd's v2 auth: [`AuthApi`](auth::AuthApi), users, roles and permissions.
pub mod auth {
    pub use etcd_auth::*;
}

/// The client's transport: [`Client`], [`Config`], the tower layers of its
/// stack (each usable alone), the [`Transport`](transport::Transport) seam.
pub mod transport {
    pub use etcd_transport::*;
}

#[cfg(feature = "blocking")]
pub mod blocking;

/// Recipes that stay correct under failure: [`Lock`](recipes::Lock), [`Election`](recipes::Election),
/// [`Registration`](recipes::Registration), [`Cache`](recipes::Cache) (feature `recipes`, on by default).
#[cfg(feature = "recipes")]
pub mod recipes {
    pub use etcd_recipes::*;
}

/// The README's examples compile, so that the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme {}
