//! etcd's v2 cluster membership and information for Rust, over the tower-based
//! [`Client`](etcd_transport::Client): the members API, following a cluster whose members change, SRV discovery,
//! and each member's version, health and statistics.
//!
//! - [`MembersApi`]: list, add, remove, update, leader (the Go client's `MembersAPI`), with typed errors
//!   ([`MemberError`]: no such member, peer URL exists, ...);
//! - [`ClusterSync`]: `client.sync()` replaces a client's endpoints with its members' client URLs, randomly
//!   ordered or with the leader first ([`SelectionMode`]), with fallback endpoints kept ([`SyncOptions`]);
//!   [`AutoSync`] does it on an interval, with the client's seeds kept as fallback;
//! - [`StatusApi`]: `/version`, `/health` (each member's and the cluster's), `/v2/stats/self`,
//!   `/v2/stats/leader` and `/v2/stats/store`, typed;
//! - `discover_srv` and `SrvDiscovery` (feature `srv`): the client endpoints named by a domain's SRV records.
//!
//! ```no_run
//! # async fn run() -> Result<(), etcd_core::Error> {
//! use etcd_members::{ClusterSync, MembersApi, StatusApi};
//! use etcd_transport::Client;
//!
//! let client = Client::builder(["http://127.0.0.1:2379"]).build()?;
//! let leader = MembersApi::new(client.clone()).leader().await?;
//! println!("{} leads", leader.name);
//! client.sync().await?; // now talks to every member
//! let health = StatusApi::new(client).health().await?;
//! for member in health.unhealthy() {
//!     println!("{} ({}) is not healthy: {:?}", member.member.name, member.member.id, member.health);
//! }
//! # Ok(()) }
//! ```
//!
//! # Advertised URLs
//!
//! A member's client URLs are what it advertises (`--advertise-client-urls`), which a client behind a tunnel, a
//! proxy or another network may not reach. [`AutoSync`] keeps the client's seeds after them, so calls still get
//! through; a client that must keep its configured endpoints does not sync at all.
//!
//! # Features
//!
//! - `srv` (opt-in): `discover_srv` and `SrvDiscovery`, through hickory-resolver, which more than doubles
//!   the dependency tree.

mod answer;
mod auto_sync;
mod health;
mod join;
mod members;
mod request;
#[cfg(feature = "srv")]
mod srv;
mod stats;
mod status;
mod sync;
mod timeout;
mod version;

pub use auto_sync::{AutoSync, AutoSyncHandle, AutoSyncReport, DEFAULT_AUTO_SYNC_INTERVAL};
pub use etcd_core::{Error, Member, MemberError, MemberErrorKind, MemberId, ParseMemberIdError};
pub use health::{ClusterHealth, Health, MemberHealth};
pub use members::MembersApi;
#[cfg(feature = "srv")]
pub use srv::{DiscoveryError, SrvDiscovery, discover_srv};
pub use stats::{CountStats, FollowerStats, LatencyStats, LeaderInfo, LeaderStats, RaftState, SelfStats, StoreStats};
pub use status::StatusApi;
pub use sync::{ClusterSync, SelectionMode, SyncOptions, SyncOutcome};
pub use version::Version;
