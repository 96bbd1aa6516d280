//! etcd's v2 keys API for Rust: get, set, create, create in order, update and delete, with typed results and
//! typed errors, over a tower-based [`Client`].
//!
//! One dependency line is enough for the common case: this crate re-exports the client, its configuration and
//! every type of a response or an error.
//!
//! ```no_run
//! # async fn run() -> Result<(), etcd_keys::Error> {
//! use std::time::Duration;
//! use etcd_keys::{Client, KeysApi, SetOptions};
//!
//! let client = Client::builder(["http://127.0.0.1:2379"])
//!     .header_timeout_per_request(Duration::from_secs(1))
//!     .build()?;
//! let keys = KeysApi::new(client);
//! keys.set("/config/mode", "fast", Some(SetOptions::new().with_ttl(Duration::from_secs(60)))).await?;
//! match keys.get("/config/missing", None).await {
//!     Err(e) if e.is_key_not_found() => println!("not there"),
//!     other => println!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! Keys reach etcd byte for byte: whatever a URL path cannot carry is percent-encoded, `/` separates
//! directories, and a key with a `.` or `..` segment is refused before sending, since the server would resolve
//! it to another key.

mod api;
mod json;
mod key;
mod options;
mod request;
mod timeout;
pub mod watch;

pub use api::KeysApi;
pub use etcd_core::{
    Action, AttemptFailure, ClusterError, EndpointError, Error, ErrorCode, EtcdError, InvalidRequest,
    InvalidRequestKind, InvalidResponse, InvalidResponseKind, InvalidValue, Node, OutcomeUnknown, Report, Response,
};
#[cfg(feature = "tls")]
pub use etcd_transport::TlsConfig;
pub use etcd_transport::{Client, Config};
pub use options::{CreateInOrderOptions, DeleteOptions, GetOptions, MAX_TTL, PrevExist, SetOptions};
pub use watch::{Watcher, WatcherOptions};
