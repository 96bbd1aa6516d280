//! The server side of etcd's v2 HTTP API, shared by every store that serves it: the in-memory etcd
//! (`etcd-fake`) and a bridge over etcd's v3 API.
//!
//! - [`parse_key_request`]: a `/v2/keys` request into a [`KeyOperation`], validated as etcd validates it.
//! - [`V2Error`] / [`ErrorCode`]: etcd's errors, their messages and HTTP statuses.
//! - [`Event`] / [`NodeView`]: what a store answers, rendered with etcd's field order and omissions.
//! - [`V2Store`]: what a store implements; [`V2Service`]: the tower `Service` that serves any store, over the
//!   transport's request and response types (`etcd_transport::Client::new(service)` works as it is).
//! - `serve_http` (feature `http-server`): such services on free loopback ports over real HTTP.
//!
//! # Implementing a store
//!
//! A store answers operations; the service does the HTTP. A store that knows no key, over a client of this
//! library, serves etcd's exact 404:
//!
//! ```
//! use etcd_v2_server::{
//!     Applied, ErrorCode, KeyOperation, Member, StatsKind, StoreError, V2Error, V2Service, V2Store, Watch,
//!     WatchRequest,
//! };
//!
//! struct Empty;
//!
//! impl V2Store for Empty {
//!     async fn apply(&self, operation: KeyOperation) -> Result<Applied, StoreError> {
//!         // A real store reads or writes here, maybe over the network (then `StoreError::Unavailable`).
//!         Err(V2Error::new(ErrorCode::KeyNotFound, operation.key(), 3).into())
//!     }
//!     async fn watch(&self, _request: WatchRequest) -> Result<Watch, StoreError> {
//!         Err(V2Error::new(ErrorCode::EventIndexCleared, "no history here", 3).into())
//!     }
//!     fn cluster_id(&self) -> u64 {
//!         0x1234
//!     }
//!     async fn members(&self) -> Result<Vec<Member>, StoreError> {
//!         Ok(Vec::new())
//!     }
//!     async fn leader(&self) -> Result<Option<Member>, StoreError> {
//!         Ok(None)
//!     }
//!     async fn health(&self) -> Result<(), String> {
//!         Ok(())
//!     }
//!     async fn stats(&self, _kind: StatsKind) -> Result<Option<String>, StoreError> {
//!         Ok(None)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let client = etcd_transport::Client::new(V2Service::new(Empty));
//! let answer = client.send(http::Request::get("/v2/keys/a").body(()).unwrap()).await.unwrap();
//! assert_eq!(answer.status(), 404);
//! assert_eq!(answer.headers()["x-etcd-cluster-id"], "1234");
//! let body = answer.into_body().bytes().await.unwrap();
//! assert_eq!(body, "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/a\",\"index\":3}\n");
//! # }
//! ```
//!
//! Bodies are byte for byte etcd's: Go's JSON escaping (`<` as `\u003c`, ...), a trailing newline where
//! etcd's `json.Encoder` writes one, `X-Etcd-Cluster-Id`, `X-Etcd-Index`, `X-Raft-Index`, `X-Raft-Term`.

mod error;
mod event;
mod form;
#[cfg(feature = "http-server")]
mod http_server;
mod json;
mod members;
mod render;
mod request;
mod service;
mod store;

pub use error::{ErrorCode, V2Error};
pub use event::{Action, Event, NodeView, format_rfc3339_nanos};
pub use form::clean_key;
#[cfg(feature = "http-server")]
pub use http_server::{Served, serve_http};
pub use render::{
    X_ETCD_CLUSTER_ID, X_ETCD_INDEX, X_RAFT_INDEX, X_RAFT_TERM, event_line, format_id, render_applied, render_error,
    render_http_error, render_json, render_method_not_allowed, render_text, render_watch,
};
pub use request::{KeyOperation, KeyRequest, Ttl, WatchRequest, parse_key_request};
pub use service::{V2Service, serve};
pub use store::{Applied, BoxError, EventStream, Member, MemberChange, StatsKind, StoreError, V2Store, Watch};
