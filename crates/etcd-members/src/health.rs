//! `/health`: whether a member works, and whether the cluster does.

use etcd_core::{Error, Member};
use etcd_transport::Endpoint;
use serde::Deserialize;

/// What a member's `GET /health` said.
///
/// A member is healthy when it has a leader and could serve a quorum read (etcd 3.4 and 3.5 check both), so a
/// healthy answer also says that the cluster can commit.
#[derive(Debug)]
#[non_exhaustive]
pub enum Health {
    /// The member answered `{"health":"true"}` at `endpoint`.
    Healthy {
        /// The client URL that answered.
        endpoint: Endpoint,
    },
    /// The member answered, unhealthy (no leader, an alarm, no quorum). etcd answers so with a 503, whose body
    /// the client's failover reads as a server error: the reason is known only when the member answered 200.
    Unhealthy {
        /// The client URL that answered.
        endpoint: Endpoint,
        /// etcd's reason (`"RAFT NO LEADER"`), when it gave one.
        reason: Option<String>,
    },
    /// None of the member's client URLs answered (killed, frozen, unreachable from here); `None` when the member
    /// advertises no client URL this client can use (not started yet, or only `unix://` sockets).
    Unreachable {
        /// The last URL's error.
        error: Option<Error>,
    },
}

impl Health {
    /// Whether the member said it is healthy.
    pub fn is_healthy(&self) -> bool {
        matches!(self, Health::Healthy { .. })
    }

    /// Whether the member could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Health::Unreachable { .. })
    }
}

/// One member and its health.
#[derive(Debug)]
#[non_exhaustive]
pub struct MemberHealth {
    /// The member, as the members API listed it.
    pub member: Member,
    /// What its `/health` said.
    pub health: Health,
}

impl MemberHealth {
    /// Whether the member said it is healthy.
    pub fn is_healthy(&self) -> bool {
        self.health.is_healthy()
    }
}

/// The health of every member of the cluster, in the members API's order.
#[derive(Debug)]
#[non_exhaustive]
pub struct ClusterHealth {
    /// Each member with its health.
    pub members: Vec<MemberHealth>,
}

impl ClusterHealth {
    /// Whether the cluster is healthy: a majority of its members say they are (each of which also saw a leader
    /// and a quorum). A cluster with one member of three down is healthy; with two down, it is not.
    pub fn is_healthy(&self) -> bool {
        self.healthy().count() > self.members.len() / 2
    }

    /// The members that said they are healthy.
    pub fn healthy(&self) -> impl Iterator<Item = &MemberHealth> {
        self.members.iter().filter(|m| m.is_healthy())
    }

    /// The members that did not: unhealthy or unreachable.
    pub fn unhealthy(&self) -> impl Iterator<Item = &MemberHealth> {
        self.members.iter().filter(|m| !m.is_healthy())
    }
}

/// `{"health":"true"}` (etcd 3.x; 3.5 adds `"reason"`), or `{"health":true}` (etcd 2).
#[derive(Deserialize)]
pub(crate) struct WireHealth {
    health: WireBool,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireBool {
    Text(String),
    Bool(bool),
}

impl WireHealth {
    pub(crate) fn into_health(self, endpoint: Endpoint) -> Health {
        let healthy = match self.health {
            WireBool::Text(text) => text == "true",
            WireBool::Bool(healthy) => healthy,
        };
        if healthy {
            Health::Healthy { endpoint }
        } else {
            Health::Unhealthy { endpoint, reason: self.reason.filter(|r| !r.is_empty()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use etcd_core::MemberId;

    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::parse("http://127.0.0.1:2379").unwrap()
    }

    fn health(json: &str) -> Health {
        serde_json::from_str::<WireHealth>(json).unwrap().into_health(endpoint())
    }

    #[test]
    fn decodes_every_spelling_of_health() {
        assert!(health(r#"{"health":"true"}"#).is_healthy());
        assert!(health(r#"{"health":"true","reason":""}"#).is_healthy());
        assert!(health(r#"{"health":true}"#).is_healthy());
        match health(r#"{"health":"false","reason":"RAFT NO LEADER"}"#) {
            Health::Unhealthy { reason, .. } => assert_eq!(reason.as_deref(), Some("RAFT NO LEADER")),
            other => panic!("{other:?}"),
        }
        assert!(serde_json::from_str::<WireHealth>("{}").is_err());
    }

    #[test]
    fn the_cluster_is_healthy_with_a_majority_of_healthy_members() {
        let member = |id, health| MemberHealth { member: Member::new(MemberId::new(id), "m", vec![], vec![]), health };
        let up = || Health::Healthy { endpoint: endpoint() };
        let down = || Health::Unreachable { error: None };
        let cluster = |healths: Vec<Health>| ClusterHealth {
            members: healths.into_iter().enumerate().map(|(i, h)| member(i as u64, h)).collect(),
        };
        assert!(cluster(vec![up(), up(), down()]).is_healthy());
        assert!(!cluster(vec![up(), down(), down()]).is_healthy());
        assert!(!cluster(vec![up(), up(), down(), down()]).is_healthy());
        assert!(!cluster(vec![]).is_healthy());
        assert_eq!(cluster(vec![up(), down(), up()]).unhealthy().count(), 1);
    }
}
