//! An in-memory etcd v2 for tests: etcd's v2 store and API in process, in microseconds, with time under the
//! test's control and a simulated cluster whose members fail on demand.
//!
//! - [`FakeEtcd`] is a tower `Service` of the transport's types: `etcd_transport::Client::new(fake.clone())`, or
//!   `Config::transport(fake.clone())` with [`FakeEtcd::endpoints`], runs every API crate against it unchanged.
//! - Answers are etcd's, byte for byte where etcd is deterministic: status, `X-Etcd-Index`, `X-Raft-Index`,
//!   `X-Raft-Term`, `X-Etcd-Cluster-Id`, JSON bodies, error codes, messages and causes (see `etcd-v2-server`).
//! - TTLs run on tokio's clock: under `tokio::time::pause()`, `advance()` expires keys exactly when due, with
//!   `expire` events to watchers.
//! - A cluster of N members over one store ([`Builder::members`]); each [`Member`] can be down, frozen, slow,
//!   answer an error status, cut its bodies, or be partitioned; [`FakeEtcd::set_leader`] changes the leader.
//! - [`serve`] puts it on loopback ports with hyper's server, for clients in other languages.
//!
//! # Examples
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use etcd_fake::FakeEtcd;
//!
//! let fake = FakeEtcd::new();
//! let client = etcd_transport::Client::new(fake.clone());
//! let put = http::Request::put("/v2/keys/lock")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body("value=me&ttl=5")
//!     .unwrap();
//! assert_eq!(client.send(put).await.unwrap().status(), 201);
//! tokio::time::advance(Duration::from_secs(5)).await;
//! let get = client.send(http::Request::get("/v2/keys/lock").body(()).unwrap()).await.unwrap();
//! assert_eq!(get.status(), 404, "expired after exactly five seconds");
//! # }
//! ```
//!
//! # What it does not do
//! - v2 auth (users, roles, key-glob permissions, root, guest) is served, but not TLS client-certificate
//!   authentication; passwords are compared as given (etcd's bcrypt hashes are never visible either).
//! - Raft indexes after auth changes follow etcd's count of writes, not its reads (etcd's auth store also makes
//!   quorum reads, each a raft entry).
//! - Members added through `/v2/members` are listed (unstarted: no name, no client URL) but never served; a
//!   removed member stops answering. Their IDs come from the seed, not from etcd's hash of URLs and time.
//! - Listings come sorted by key whether `sorted` is asked or not (etcd's unsorted order is Go's random map order).
//! - Expiry is exact (etcd expires keys on its leader's 500 ms SYNC ticks, so up to half a second late).
//! - One store for all members: a partitioned member refuses quorum operations but its plain reads are not stale,
//!   and its watches keep receiving events.
//! - Where etcd 3.4 and 3.5 differ (a directory's TTL update: 3.4 applies it, 3.5.1 answers 500), the fake
//!   follows the version it reports ([`Builder::version`], 3.5.1 unless set); so does `/health` (3.4 leaves
//!   out `reason`).
//! - Without quorum (no leader, a partitioned member, too many members down or frozen) writes fail at once with
//!   etcd's `etcdserver: request timed out` (300); etcd waits its request timeout first
//!   ([`Builder::quorum_timeout`] waits too). The leader changes only by [`FakeEtcd::set_leader`]: a leader that
//!   goes down is not replaced by an election.
//! - In the HTTP mode a down member closes each connection rather than refusing it.
//! - `/v2/stats/*` carry etcd's fields but simple numbers (no latencies; the store counts only client calls).
//! - A member's JSON decoding errors (`POST /v2/members` with a bad body) are serde's words, not Go's.
//! - No TLS, no CORS headers (`Access-Control-*`), no `/metrics`, no v3 API.

mod auth;
mod backend;
mod expiry;
mod fake;
mod faults;
mod http_mode;
mod member;
mod roster;
mod store;
mod stream;

pub use fake::{Builder, FakeEtcd};
pub use http_mode::{Served, serve};
pub use member::Member;
