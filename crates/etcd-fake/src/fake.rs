//! [`FakeEtcd`]: the store, the simulated cluster around it, and the tower `Service` a client sends to.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use etcd_transport::{Body, RequestBody};
use etcd_v2_server::BoxError;
use http::{Request, Response};
use tokio::sync::Notify;

use crate::member::{Member, MemberState};
use crate::store::Store;

/// A fresh single-member etcd's store index (its membership records) and raft state: a first write gets store
/// index 4 and raft index 5, as there (each `/health` is a raft entry too, as in etcd).
const START_INDEX: u64 = 3;
const START_RAFT_INDEX: u64 = 4;
const START_TERM: u64 = 2;

/// The raft state the headers report.
#[derive(Debug)]
pub(crate) struct Raft {
    pub(crate) index: u64,
    pub(crate) term: u64,
    pub(crate) leader: Option<usize>,
}

pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) auth: Mutex<crate::auth::AuthState>,
    pub(crate) roster: Mutex<crate::roster::Roster>,
    pub(crate) raft: Mutex<Raft>,
    pub(crate) members: Vec<MemberState>,
    pub(crate) cluster_id: u64,
    pub(crate) version: (String, String),
    pub(crate) quorum_timeout: Duration,
    /// Wakes the expiry task when a TTL was set (it sleeps until the earliest expiry).
    pub(crate) wake: Arc<Notify>,
    pub(crate) started: std::time::SystemTime,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn auth(&self) -> MutexGuard<'_, crate::auth::AuthState> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn roster(&self) -> MutexGuard<'_, crate::roster::Roster> {
        self.roster.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn raft(&self) -> MutexGuard<'_, Raft> {
        self.raft.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Expires what is due now; an expiry is a raft entry (etcd's SYNC), so it moves the raft index.
    pub(crate) fn expire_due(&self) {
        let expired = self.store().expire(tokio::time::Instant::now());
        if expired > 0 {
            self.raft().index += 1;
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Lets the expiry task see the store is gone.
        self.wake.notify_one();
    }
}

/// An in-memory etcd v2: etcd's store (keys, directories, TTLs, the 1,000-event history, watches), its v2 API
/// answered byte for byte as etcd answers it, and a simulated cluster of members with faults.
///
/// It is a tower `Service` of the transport's request and response types: `Client::new(fake.clone())` (relative
/// URIs go to the leader, or the first member) or `Config::transport(fake.clone())` with
/// [`endpoints`](FakeEtcd::endpoints) (absolute URIs go to the member they name). Clones share everything.
///
/// Time is tokio's: under `tokio::time::pause()`, `advance()` makes TTLs expire exactly when due, with their
/// `expire` events. Nothing here is random: the same calls give the same answers, every run.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let fake = etcd_fake::FakeEtcd::new();
/// let client = etcd_transport::Client::new(fake.clone());
/// let response = client.send(http::Request::put("/v2/keys/a").header("content-type", "application/x-www-form-urlencoded").body("value=1").unwrap()).await.unwrap();
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.headers()["x-etcd-index"], "4");
/// # }
/// ```
#[derive(Clone)]
pub struct FakeEtcd {
    pub(crate) shared: Arc<Shared>,
}

impl Default for FakeEtcd {
    fn default() -> Self {
        FakeEtcd::new()
    }
}

impl FakeEtcd {
    /// A single-member fake. Call it inside a tokio runtime for TTLs to expire on their own (without a runtime
    /// they expire when the next request arrives).
    pub fn new() -> FakeEtcd {
        FakeEtcd::builder().build()
    }

    /// A fake of several members, a seed, a version; see [`Builder`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The members' client URLs, in order: what to give `Client::builder`.
    pub fn endpoints(&self) -> Vec<String> {
        self.shared.members.iter().map(MemberState::client_url).collect()
    }

    /// The member at `index` (0-based), to turn its faults on and off.
    ///
    /// # Panics
    /// When there is no such member: a mistake in the test itself.
    pub fn member(&self, index: usize) -> Member {
        assert!(
            index < self.shared.members.len(),
            "the fake has {} members, not {}",
            self.shared.members.len(),
            index + 1
        );
        Member { shared: Arc::clone(&self.shared), index }
    }

    /// The members.
    pub fn members(&self) -> Vec<Member> {
        (0..self.shared.members.len()).map(|index| self.member(index)).collect()
    }

    /// The leader's index, if there is one.
    pub fn leader(&self) -> Option<usize> {
        self.shared.raft().leader
    }

    /// Makes `index` the leader (or no member, `None`: an election that does not end): the term moves on.
    /// Without a leader, writes and quorum reads fail on every member with etcd's timeout.
    pub fn set_leader(&self, index: Option<usize>) {
        let mut raft = self.shared.raft();
        raft.leader = index.filter(|i| *i < self.shared.members.len());
        raft.term += 1;
    }

    /// The cluster's ID, as `X-Etcd-Cluster-Id` carries it (lowercase hex).
    pub fn cluster_id(&self) -> String {
        etcd_v2_server::format_id(self.shared.cluster_id)
    }

    /// The store's index (`X-Etcd-Index` of the next answer).
    pub fn index(&self) -> u64 {
        self.shared.store().index()
    }

    /// How many watchers wait in the store.
    pub fn watcher_count(&self) -> usize {
        self.shared.store().watcher_count()
    }

    /// The member a request goes to: the one whose client URL's authority the URI names, else the leader,
    /// else the first.
    pub(crate) fn route(&self, uri: &http::Uri) -> usize {
        if let Some(authority) = uri.authority() {
            let found = self.shared.members.iter().position(|m| {
                m.client_url().parse::<http::Uri>().ok().and_then(|u| u.authority().cloned()).as_ref()
                    == Some(authority)
            });
            if let Some(index) = found {
                return index;
            }
        }
        self.leader().unwrap_or(0)
    }
}

impl std::fmt::Debug for FakeEtcd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeEtcd").field("endpoints", &self.endpoints()).field("index", &self.index()).finish()
    }
}

impl tower::Service<Request<RequestBody>> for FakeEtcd {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let member = self.route(request.uri());
        Box::pin(crate::faults::call_member(Arc::clone(&self.shared), member, request))
    }
}

/// Builds a [`FakeEtcd`]: how many members, the seed of their IDs, the version it reports.
#[derive(Clone, Debug)]
pub struct Builder {
    members: usize,
    seed: u64,
    version: (String, String),
    quorum_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            members: 1,
            seed: 0x00e7_cd00,
            version: ("3.5.1".to_owned(), "3.5.0".to_owned()),
            quorum_timeout: Duration::ZERO,
        }
    }
}

impl Builder {
    /// How many members (at least one; 1 unless set). Member `i` is `http://fake-member-{i}:2379`, until served
    /// over HTTP ([`serve`](crate::serve)).
    pub fn members(mut self, members: usize) -> Self {
        self.members = members.max(1);
        self
    }

    /// The seed of the cluster's and members' IDs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// What `/version` answers (`etcdserver`, `etcdcluster`); 3.5.1 and 3.5.0 unless set. Where etcd 3.4 and 3.5
    /// answer differently, the fake answers as the server version says: a `3.4` version updates a directory's
    /// TTL (`PUT dir=true&prevExist=true&ttl=..`), any other answers that update with 3.5.1's 500.
    pub fn version(mut self, server: impl Into<String>, cluster: impl Into<String>) -> Self {
        self.version = (server.into(), cluster.into());
        self
    }

    /// How long a write or quorum read waits before failing when there is no quorum (no leader, or the member
    /// is partitioned): etcd waits its request timeout (seconds); the fake answers at once unless set.
    pub fn quorum_timeout(mut self, timeout: Duration) -> Self {
        self.quorum_timeout = timeout;
        self
    }

    /// The fake. Inside a tokio runtime, a task expires TTLs when due (it ends when the last clone is dropped).
    pub fn build(self) -> FakeEtcd {
        let mut seed = self.seed;
        let cluster_id = splitmix(&mut seed);
        let members = (0..self.members)
            .map(|i| {
                let id = splitmix(&mut seed);
                MemberState::new(
                    id,
                    format!("fake{i}"),
                    format!("http://fake-member-{i}:2379"),
                    format!("http://fake-member-{i}:2380"),
                )
            })
            .collect::<Vec<MemberState>>();
        let entries = members
            .iter()
            .enumerate()
            .map(|(i, m)| crate::roster::Entry {
                id: m.id,
                name: m.name.clone(),
                peer_urls: vec![m.peer_url.clone()],
                served: Some(i),
            })
            .collect();
        let roster = crate::roster::Roster { entries, removed: Default::default(), next_seed: seed };
        let mut store = Store::new(START_INDEX);
        store.dir_update_fails = !self.version.0.starts_with("3.4");
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            auth: Mutex::new(crate::auth::AuthState::default()),
            roster: Mutex::new(roster),
            raft: Mutex::new(Raft { index: START_RAFT_INDEX, term: START_TERM, leader: Some(0) }),
            members,
            cluster_id,
            version: self.version,
            quorum_timeout: self.quorum_timeout,
            wake: Arc::new(Notify::new()),
            started: std::time::SystemTime::now(),
        });
        crate::expiry::spawn(&shared);
        FakeEtcd { shared }
    }
}

/// splitmix64: IDs from a seed, the same every run.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
