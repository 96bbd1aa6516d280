//! [`V3Store`]: the v2 store over etcd's v3 API, and [`bridge`], a v2 [`Client`] over it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use etcd_transport::rotation::SendTo;
use etcd_transport::{Body, Client, RequestBody};
use etcd_v2_server::{
    Applied, BoxError, ErrorCode, KeyOperation, Member, MemberChange, StatsKind, StoreError, V2Error, V2Service,
    V2Store, Watch, WatchRequest, format_id,
};

use crate::gateway::{Gateway, Header, StatusAnswer, V3Member};
use crate::layout::Layout;
use http::{Request, Response};

/// Where the v2 tree lives in v3 unless told otherwise.
pub const DEFAULT_PREFIX: &str = "/etcd-v2v3";

/// A v2 key store kept in etcd's v3 keyspace under a prefix, reached through etcd's v3 JSON gateway with an
/// inner [`Client`] (its endpoints, failover, timeouts, TLS). Serve it with [`V2Service`], or use [`bridge`].
///
/// See the crate docs for the layout, the semantics and what differs from v2.
#[derive(Debug)]
pub struct V3Store {
    pub(crate) gateway: Gateway,
    pub(crate) layout: Layout,
    prefix: String,
    cluster_id: AtomicU64,
    version: Mutex<Option<(String, String)>>,
}

impl V3Store {
    /// A store under [`DEFAULT_PREFIX`], calling etcd through `client`.
    pub fn new(client: Client) -> V3Store {
        V3Store::with_prefix(client, DEFAULT_PREFIX)
    }

    /// A store under `prefix` (a v3 key prefix, such as `/etcd-v2v3`): two stores with different prefixes are
    /// separate trees on one cluster.
    pub fn with_prefix(client: Client, prefix: &str) -> V3Store {
        let prefix = prefix.trim_end_matches('/').to_owned();
        V3Store {
            gateway: Gateway::new(client),
            layout: Layout::new(&prefix),
            prefix,
            cluster_id: AtomicU64::new(0),
            version: Mutex::new(None),
        }
    }

    /// The v3 key prefix the tree lives under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Notes what every v3 answer says about the cluster.
    pub(crate) fn saw(&self, header: &Header) {
        if header.cluster_id != 0 {
            self.cluster_id.store(header.cluster_id, Ordering::Relaxed);
        }
    }

    /// Learns the cluster's ID and version from etcd's status, once: the v2 answers carry them from the first
    /// on (`X-Etcd-Cluster-Id`, `/version`). A failure is left for the call itself to meet.
    pub(crate) async fn learn(&self) {
        let known = self.version.lock().map(|version| version.is_some()).unwrap_or(true);
        if known && self.cluster_id() != 0 {
            return;
        }
        if let Ok(status) = self.gateway.status().await {
            self.saw_status(&status);
        }
    }

    fn saw_status(&self, status: &StatusAnswer) {
        self.saw(&status.header);
        let minor: Vec<&str> = status.version.split('.').take(2).collect();
        if let Ok(mut version) = self.version.lock() {
            *version = Some((status.version.clone(), format!("{}.0", minor.join("."))));
        }
    }

    async fn v3_members(&self) -> Result<Vec<V3Member>, StoreError> {
        let answer = self.gateway.members().await?;
        self.saw(&answer.header);
        Ok(answer.members)
    }
}

/// A v3 member as v2 lists it (the ID in hex).
pub(crate) fn v2_member(member: V3Member) -> Member {
    Member { id: format_id(member.id), name: member.name, peer_urls: member.peer_urls, client_urls: member.client_urls }
}

impl V2Store for V3Store {
    async fn apply(&self, operation: KeyOperation) -> Result<Applied, StoreError> {
        let in_order = matches!(operation, KeyOperation::Create { in_order: true, .. });
        if operation.is_write() && operation.key() == "/" && !in_order {
            // etcd answers with its current index; create-in-order in the root makes a child, as in v2.
            let revision = self.snapshot("/", false, false).await?.revision;
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", revision).into());
        }
        match operation {
            KeyOperation::Get { key, recursive, quorum, .. } => self.get(&key, recursive, quorum).await,
            KeyOperation::Set { key, dir, value, ttl } => self.set(&key, dir, &value, &ttl).await,
            KeyOperation::Create { key, dir, value, ttl, in_order } => {
                self.create(&key, dir, &value, &ttl, in_order).await
            }
            KeyOperation::Update { key, value, ttl } => self.update(&key, &value, &ttl).await,
            KeyOperation::CompareAndSwap { key, prev_value, prev_index, value, ttl } => {
                self.compare_and_swap(&key, &prev_value, prev_index, &value, &ttl).await
            }
            KeyOperation::Delete { key, dir, recursive } => self.delete(&key, dir, recursive).await,
            KeyOperation::CompareAndDelete { key, prev_value, prev_index } => {
                self.compare_and_delete(&key, &prev_value, prev_index).await
            }
            other => {
                Err(V2Error::new(ErrorCode::InvalidField, format!("unsupported operation on {}", other.key()), 0)
                    .into())
            }
        }
    }

    async fn watch(&self, request: WatchRequest) -> Result<Watch, StoreError> {
        self.start_watch(request).await
    }

    fn cluster_id(&self) -> u64 {
        self.cluster_id.load(Ordering::Relaxed)
    }

    async fn members(&self) -> Result<Vec<Member>, StoreError> {
        Ok(self.v3_members().await?.into_iter().map(v2_member).collect())
    }

    async fn change_member(&self, change: MemberChange) -> Result<Option<Member>, StoreError> {
        self.change(change).await
    }

    async fn leader(&self) -> Result<Option<Member>, StoreError> {
        let status = self.gateway.status().await?;
        self.saw(&status.header);
        let members = self.v3_members().await?;
        Ok(members.into_iter().find(|member| member.id == status.leader).map(v2_member))
    }

    fn version(&self) -> (String, String) {
        let known = self.version.lock().ok().and_then(|version| version.clone());
        known.unwrap_or_else(|| ("3.5.1".to_owned(), "3.5.0".to_owned()))
    }

    async fn health(&self) -> Result<(), String> {
        let status = self.gateway.status().await.map_err(|e| e.to_string())?;
        self.saw_status(&status);
        if status.leader == 0 { Err("RAFT NO LEADER".to_owned()) } else { Ok(()) }
    }

    async fn stats(&self, kind: StatsKind) -> Result<Option<String>, StoreError> {
        let status = self.gateway.status().await?;
        self.saw(&status.header);
        let own = status.header.member_id;
        let json = match kind {
            StatsKind::Own => {
                let state = if own == status.leader { "StateLeader" } else { "StateFollower" };
                serde_json::json!({
                    "id": format_id(own),
                    "state": state,
                    "leaderInfo": { "leader": format_id(status.leader) },
                })
            }
            StatsKind::Leader if own != status.leader => return Ok(None),
            // etcd's field order, `leader` then `followers` (`json!` would sort them).
            StatsKind::Leader => return Ok(Some(format!(r#"{{"leader":"{}","followers":{{}}}}"#, format_id(own)))),
            // v3 keeps no v2 store counters; the bridge does not count either.
            _ => serde_json::json!({}),
        };
        Ok(Some(json.to_string()))
    }
}

/// A v2 [`Client`] whose calls are answered by a [`V3Store`] under [`DEFAULT_PREFIX`] over `client`: pass it to
/// `KeysApi::new` (or any API of this library) and the code runs unchanged on a cluster that serves only v3.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let v3 = etcd_transport::Client::builder(["http://127.0.0.1:2379"]).build()?;
/// let keys = etcd_keys::KeysApi::new(etcd_v2v3::bridge(v3));
/// keys.set("/config/mode", "fast", None).await?;
/// # Ok(()) }
/// ```
pub fn bridge(client: Client) -> Client {
    bridge_with_prefix(client, DEFAULT_PREFIX)
}

/// [`bridge`] with the tree under `prefix`.
pub fn bridge_with_prefix(client: Client, prefix: &str) -> Client {
    let store = V3Store::with_prefix(client.clone(), prefix);
    Client::new(Bridge { service: V2Service::new(store) }).with_endpoints_of(&client)
}

/// [`V2Service`] over a [`V3Store`] that learns the cluster's ID and version before its first answer.
#[derive(Clone, Debug)]
struct Bridge {
    service: V2Service<V3Store>,
}

impl tower::Service<Request<RequestBody>> for Bridge {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let service = self.service.clone();
        if request.extensions().get::<SendTo>().is_some() && matches!(request.uri().path(), "/health" | "/version") {
            // A question for one member (a watcher's liveness probe, the members API's version of each member):
            // etcd serves these two without v2, so that member answers itself.
            let inner = service.store().gateway.client().clone();
            return Box::pin(async move { inner.send(request).await.map_err(BoxError::from) });
        }
        Box::pin(async move {
            service.store().learn().await;
            service.call_request(request).await
        })
    }
}
