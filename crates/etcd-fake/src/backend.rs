//! The store as one member serves it: [`V2Store`] over the shared store, with this member's view of the
//! cluster (leader, partition).

use std::sync::Arc;

use etcd_v2_server::{
    Applied, ErrorCode, KeyOperation, Member, MemberChange, StatsKind, StoreError, V2Error, V2Store, Watch,
    WatchRequest, format_id,
};

use crate::fake::Shared;

/// etcd's answer when a proposal cannot commit (no leader, no quorum).
const TIMED_OUT: &str = "etcdserver: request timed out";

pub(crate) struct MemberStore {
    pub(crate) shared: Arc<Shared>,
    pub(crate) member: usize,
}

impl MemberStore {
    /// Whether this member can commit: there is a leader and this member is not cut off.
    fn has_quorum(&self) -> bool {
        self.shared.raft().leader.is_some()
            && !self.shared.members[self.member].faults().partitioned
            && self.shared.roster().has_quorum(&self.shared)
    }
}

impl V2Store for MemberStore {
    async fn apply(&self, operation: KeyOperation) -> Result<Applied, StoreError> {
        let quorum = operation.needs_quorum();
        if quorum && !self.has_quorum() {
            if !self.shared.quorum_timeout.is_zero() {
                tokio::time::sleep(self.shared.quorum_timeout).await;
            }
            return Err(V2Error::new(ErrorCode::RaftInternal, TIMED_OUT, 0).into());
        }
        self.shared.expire_due();
        let mut store = self.shared.store();
        let mut raft = self.shared.raft();
        if quorum {
            raft.index += 1;
        }
        let event = store.apply(operation)?;
        let etcd_index = store.index();
        drop(store);
        let applied = Applied { event, etcd_index, raft_index: raft.index, raft_term: raft.term };
        drop(raft);
        if quorum {
            // A TTL may have been set: the expiry task re-reads the earliest expiry.
            self.shared.wake.notify_one();
        }
        Ok(applied)
    }

    async fn watch(&self, request: WatchRequest) -> Result<Watch, StoreError> {
        self.shared.expire_due();
        let registered = {
            let mut store = self.shared.store();
            store.watch(&request.key, request.recursive, request.stream, request.wait_index)?
        };
        let raft = self.shared.raft();
        let (raft_index, raft_term) = (raft.index, raft.term);
        drop(raft);
        let etcd_index = registered.start_index;
        let events = crate::stream::events(Arc::clone(&self.shared), self.member, registered);
        Ok(Watch { etcd_index, raft_index, raft_term, events, extensions: http::Extensions::new() })
    }

    fn cluster_id(&self) -> u64 {
        self.shared.cluster_id
    }

    async fn members(&self) -> Result<Vec<Member>, StoreError> {
        Ok(self.shared.roster().list(&self.shared))
    }

    async fn leader(&self) -> Result<Option<Member>, StoreError> {
        if !self.has_quorum() {
            return Ok(None);
        }
        let leader = self.shared.raft().leader;
        Ok(leader.and_then(|i| self.shared.roster().find(&self.shared, i)))
    }

    async fn change_member(&self, change: MemberChange) -> Result<Option<Member>, StoreError> {
        if !self.has_quorum() {
            // etcd answers every membership failure that is not its own HTTP error so.
            let message = "Internal Server Error".to_owned();
            return Err(StoreError::Http { status: http::StatusCode::INTERNAL_SERVER_ERROR, message });
        }
        // A membership change is a raft entry, and records in etcd's own part of the v2 store: one for an add
        // or an update, two for a removal (the member's record deleted, a removed-member record made).
        self.shared.raft().index += 1;
        let writes = if matches!(change, MemberChange::Remove { .. }) { 2 } else { 1 };
        let changed = self.shared.roster().change(&self.shared, change)?;
        self.shared.store().internal_writes(writes);
        Ok(changed)
    }

    fn version(&self) -> (String, String) {
        self.shared.version.clone()
    }

    async fn health(&self) -> Result<(), String> {
        if !self.has_quorum() {
            return Err("RAFT NO LEADER".to_owned());
        }
        // etcd checks its health with a quorum read: a raft entry.
        self.shared.raft().index += 1;
        Ok(())
    }

    async fn stats(&self, kind: StatsKind) -> Result<Option<String>, StoreError> {
        let leader = self.shared.raft().leader;
        let json = match kind {
            StatsKind::Store => {
                let store = self.shared.store();
                let mut stats = store.stats.clone();
                stats.watchers = store.watcher_count() as u64;
                serde_json::to_string(&stats).unwrap_or_default()
            }
            StatsKind::Own => {
                let state = &self.shared.members[self.member];
                let started = etcd_v2_server::format_rfc3339_nanos(self.shared.started);
                let leader_id = leader.map(|i| format_id(self.shared.members[i].id)).unwrap_or_default();
                let role = if leader == Some(self.member) { "StateLeader" } else { "StateFollower" };
                serde_json::json!({
                    "name": state.name,
                    "id": format_id(state.id),
                    "state": role,
                    "startTime": started,
                    "leaderInfo": { "leader": leader_id, "uptime": "", "startTime": started },
                    "recvAppendRequestCnt": 0,
                    "sendAppendRequestCnt": 0
                })
                .to_string()
            }
            StatsKind::Leader => {
                if leader != Some(self.member) {
                    return Ok(None);
                }
                let followers: serde_json::Map<String, serde_json::Value> = (0..self.shared.members.len())
                    .filter(|i| *i != self.member)
                    .map(|i| {
                        let stats = serde_json::json!({
                            "latency": { "current": 0.0, "average": 0.0, "standardDeviation": 0.0, "minimum": 0.0, "maximum": 0.0 },
                            "counts": { "fail": 0, "success": 0 }
                        });
                        (format_id(self.shared.members[i].id), stats)
                    })
                    .collect();
                #[derive(serde::Serialize)]
                struct LeaderStats {
                    leader: String,
                    followers: serde_json::Map<String, serde_json::Value>,
                }
                let leader = format_id(self.shared.members[self.member].id);
                serde_json::to_string(&LeaderStats { leader, followers }).unwrap_or_default()
            }
        };
        Ok(Some(json))
    }
}
