//! The seam between the protocol and a store: [`V2Store`], implemented by the in-memory etcd (`etcd-fake`) and
//! meant for a store that calls a remote service (a bridge over etcd's v3 API).

use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;
use serde::Serialize;

use crate::error::V2Error;
use crate::event::Event;
use crate::request::{KeyOperation, WatchRequest};

/// Any error a layer below a store can give: a `Box<dyn Error + Send + Sync>`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// etcd's own answer: key not found, compare failed, event index cleared, ... Rendered as etcd renders it,
    /// with its status and `X-Etcd-Index`. A timeout etcd itself would report (no leader, no quorum) belongs here
    /// too, as [`ErrorCode::RaftInternal`](crate::ErrorCode::RaftInternal) with its cause (etcd answers
    /// `{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out",...}`).
    #[error(transparent)]
    V2(#[from] V2Error),
    /// The store could not be reached or gave no usable answer (a network call failed). The service fails the
    /// request with this error rather than answering: the client sees a failed attempt, as it would for a member
    /// that dropped the connection, and a write's outcome is unknown.
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    /// An answer of etcd's HTTP layer rather than its store (the members API): a status and a message, rendered
    /// as etcd's `{"message":...}`. For instance 404 `No such member: 8e9e05c52164694d`, 409
    /// `membership: peerURL exists`, 410 `Member permanently removed: 8e9e05c52164694d`.
    #[error("{status}: {message}")]
    Http {
        /// The status.
        status: http::StatusCode,
        /// The message.
        message: String,
    },
}

/// A change applied (or a read done) by a store, with the indexes etcd sends in its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The event: action, node, previous node.
    pub event: Event,
    /// `X-Etcd-Index`: the store's index after the operation.
    pub etcd_index: u64,
    /// `X-Raft-Index`: the raft log's committed index.
    pub raft_index: u64,
    /// `X-Raft-Term`: the raft term.
    pub raft_term: u64,
}

/// The events of a watch, in index order; an error ends the watch (the answer's body is cut with it).
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event, StoreError>> + Send>>;

/// A watch that started: the headers' indexes and the events to come.
pub struct Watch {
    /// `X-Etcd-Index`: the store's index when the watch started.
    pub etcd_index: u64,
    /// `X-Raft-Index`.
    pub raft_index: u64,
    /// `X-Raft-Term`.
    pub raft_term: u64,
    /// The events: for a plain wait only the first is sent; for a stream, all until the client goes away.
    pub events: EventStream,
    /// Put into the answer's extensions, for the client in the same process (the member serving the watch, or
    /// `etcd_transport::CompleteStream`); empty for a server like etcd.
    pub extensions: http::Extensions,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("etcd_index", &self.etcd_index).finish_non_exhaustive()
    }
}

/// A member as `/v2/members` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    /// The member's ID in lowercase hex, as etcd writes it.
    pub id: String,
    /// Its name (empty until it started).
    pub name: String,
    /// Its peer URLs.
    #[serde(rename = "peerURLs")]
    pub peer_urls: Vec<String>,
    /// Its client URLs (empty until it started).
    #[serde(rename = "clientURLs")]
    pub client_urls: Vec<String>,
}

/// A change of membership, as `POST`, `DELETE` and `PUT /v2/members` ask it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberChange {
    /// Add a member with these peer URLs (it has no name and no client URL until it starts).
    Add {
        /// Its peer URLs.
        peer_urls: Vec<String>,
    },
    /// Remove the member with this ID.
    Remove {
        /// The member's ID.
        id: u64,
    },
    /// Replace the peer URLs of the member with this ID.
    Update {
        /// The member's ID.
        id: u64,
        /// Its new peer URLs.
        peer_urls: Vec<String>,
    },
}

/// Which of `/v2/stats/*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsKind {
    /// `/v2/stats/self`: this member.
    Own,
    /// `/v2/stats/leader`: the followers, answered by the leader only.
    Leader,
    /// `/v2/stats/store`: the store's counters.
    Store,
}

/// A v2 key store as the protocol needs it. Implement it to serve etcd's v2 API from anything:
/// [`V2Service`](crate::V2Service) parses requests, calls these methods, and renders their results as etcd does.
///
/// # Contract
/// - Keys are clean client paths (`/`, `/a/b`); [`KeyOperation`]'s variants follow etcd's store
///   (`Set`, `Create`, `Update`, `CompareAndSwap`, `Delete`, `CompareAndDelete`, `Get`) and the store decides
///   their errors, with etcd's codes, causes (the key, or `[prev != current]`) and current index.
/// - Every method returns a `Send` future: the service runs them on any executor. They may do network calls
///   and fail: return [`StoreError::Unavailable`] when the answer is not known (for a write: it may or may not
///   have been applied), and a [`V2Error`] for an answer etcd itself would give.
/// - A write that fails must leave the store as it was; a write that succeeds is seen by every later call.
/// - [`watch`](V2Store::watch) returns once the watch is registered: events applied after the call returns
///   must reach it. `wait_index` 0 means "the next change"; an index older than the history kept fails with
///   [`ErrorCode::EventIndexCleared`](crate::ErrorCode::EventIndexCleared) (etcd keeps 1,000 events). Refresh
///   events (`Event::refresh`) are never sent to watchers.
/// - `cluster_id` is sent in `X-Etcd-Cluster-Id` on every keys and members answer.
pub trait V2Store: Send + Sync + 'static {
    /// Applies a keys operation (reads included, but [`KeyOperation::Watch`], which goes to `watch`).
    fn apply(&self, operation: KeyOperation) -> impl Future<Output = Result<Applied, StoreError>> + Send;

    /// Starts a watch.
    fn watch(&self, request: WatchRequest) -> impl Future<Output = Result<Watch, StoreError>> + Send;

    /// The cluster's ID.
    fn cluster_id(&self) -> u64;

    /// The members, for `GET /v2/members`.
    fn members(&self) -> impl Future<Output = Result<Vec<Member>, StoreError>> + Send;

    /// The leader, for `GET /v2/members/leader`; `None` during an election (answered 503).
    fn leader(&self) -> impl Future<Output = Result<Option<Member>, StoreError>> + Send;

    /// Changes membership: `Some(member)` for an added member (answered 201 with it), `None` otherwise (204).
    /// Refusals are [`StoreError::Http`] with etcd's status and message. Unless implemented, every change is
    /// answered 405 (the in-memory etcd implements it; a bridge may not).
    fn change_member(&self, change: MemberChange) -> impl Future<Output = Result<Option<Member>, StoreError>> + Send {
        let _ = change;
        async {
            Err(StoreError::Http {
                status: http::StatusCode::METHOD_NOT_ALLOWED,
                message: "membership changes are not served here".to_owned(),
            })
        }
    }

    /// `/version`: the server's and the cluster's versions. A server version starting with `3.4` also makes
    /// `/health` answer as etcd 3.4 does (no `reason` field).
    fn version(&self) -> (String, String) {
        ("3.5.1".to_owned(), "3.5.0".to_owned())
    }

    /// `/health`: `Err(reason)` when unhealthy (etcd's reasons: `RAFT NO LEADER`, ...).
    fn health(&self) -> impl Future<Output = Result<(), String>> + Send;

    /// `/v2/stats/*` as JSON; `None` for the leader's stats asked of a follower (answered 403).
    fn stats(&self, kind: StatsKind) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}
