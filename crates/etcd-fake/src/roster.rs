//! The cluster's membership as `/v2/members` lists it: the served members, members added by the API (not
//! started: no name, no client URL), and the IDs of removed ones. A removed served member stops answering.

use std::collections::BTreeSet;

use etcd_v2_server::{Member, MemberChange, StoreError, format_id};
use http::StatusCode;

use crate::fake::Shared;

/// One member of the roster; `served` is its index among the fake's members, if it is one of them.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) peer_urls: Vec<String>,
    pub(crate) served: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Roster {
    pub(crate) entries: Vec<Entry>,
    pub(crate) removed: BTreeSet<u64>,
    pub(crate) next_seed: u64,
}

impl Roster {
    pub(crate) fn list(&self, shared: &Shared) -> Vec<Member> {
        self.entries.iter().map(|entry| member(shared, entry)).collect()
    }

    pub(crate) fn find(&self, shared: &Shared, index: usize) -> Option<Member> {
        self.entries.iter().find(|e| e.served == Some(index)).map(|entry| member(shared, entry))
    }

    /// Applies a change as etcd's membership does, with its refusals.
    pub(crate) fn change(&mut self, shared: &Shared, change: MemberChange) -> Result<Option<Member>, StoreError> {
        let refuse = |status: StatusCode, message: String| Err(StoreError::Http { status, message });
        match change {
            MemberChange::Add { peer_urls } => {
                if !self.ready_to_add() {
                    // etcd's strict reconfiguration check: the new member must not cost the cluster its quorum.
                    return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error".into());
                }
                if self.taken(&peer_urls, None) {
                    return refuse(StatusCode::CONFLICT, "membership: peerURL exists".into());
                }
                self.next_seed = self.next_seed.wrapping_add(1);
                let id = crate::fake::splitmix(&mut self.next_seed);
                let entry = Entry { id, name: String::new(), peer_urls, served: None };
                let added = member(shared, &entry);
                self.entries.push(entry);
                Ok(Some(added))
            }
            MemberChange::Remove { id } => {
                if self.removed.contains(&id) {
                    return refuse(StatusCode::GONE, format!("Member permanently removed: {}", format_id(id)));
                }
                let Some(at) = self.entries.iter().position(|e| e.id == id) else {
                    return refuse(StatusCode::NOT_FOUND, format!("No such member: {}", format_id(id)));
                };
                let entry = self.entries.remove(at);
                self.removed.insert(id);
                if let Some(index) = entry.served {
                    // A removed member shuts down: it refuses connections from now on.
                    shared.members[index].go_down();
                }
                Ok(None)
            }
            MemberChange::Update { id, peer_urls } => {
                if self.removed.contains(&id) {
                    // etcd answers an update of a removed member with a plain error: a 500.
                    return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error".into());
                }
                if self.taken(&peer_urls, Some(id)) {
                    return refuse(StatusCode::CONFLICT, "membership: peerURL exists".into());
                }
                let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) else {
                    return refuse(StatusCode::NOT_FOUND, format!("No such member: {}", format_id(id)));
                };
                entry.peer_urls = peer_urls;
                Ok(None)
            }
            _ => refuse(StatusCode::METHOD_NOT_ALLOWED, "unsupported membership change".into()),
        }
    }

    /// Whether enough members are up for the cluster to commit: more than half of all members, added but never
    /// started ones included, are served and neither down, frozen nor partitioned.
    pub(crate) fn has_quorum(&self, shared: &Shared) -> bool {
        let alive = self
            .entries
            .iter()
            .filter_map(|e| e.served)
            .filter(|&i| {
                let member = &shared.members[i];
                let faults = member.faults();
                !faults.down && !faults.partitioned && !*member.frozen.borrow()
            })
            .count();
        alive > self.entries.len() / 2
    }

    /// etcd's `IsReadyToAddVotingMember`: the started members stay a quorum of the grown cluster (growing a
    /// single member to two is allowed).
    fn ready_to_add(&self) -> bool {
        let members = self.entries.len() + 1;
        let started = self.entries.iter().filter(|e| e.served.is_some()).count();
        (started == 1 && members == 2) || started > members / 2
    }

    /// Whether another member than `except` has one of these peer URLs.
    fn taken(&self, peer_urls: &[String], except: Option<u64>) -> bool {
        self.entries.iter().filter(|e| Some(e.id) != except).any(|e| e.peer_urls.iter().any(|u| peer_urls.contains(u)))
    }
}

fn member(shared: &Shared, entry: &Entry) -> Member {
    let client_urls = entry.served.map(|i| vec![shared.members[i].client_url()]).unwrap_or_default();
    Member { id: format_id(entry.id), name: entry.name.clone(), peer_urls: entry.peer_urls.clone(), client_urls }
}
