//! Following the cluster: a client's endpoints replaced by the client URLs its members advertise.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use etcd_core::{Error, InvalidRequest, InvalidRequestKind, Member, MemberError};
use etcd_transport::{Client, Endpoint};
use http::StatusCode;

use crate::MembersApi;

/// Which endpoint a sync pins, that is, where the client's calls start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectionMode {
    /// The endpoints in random order, the first one pinned, so that clients spread over the members (the Go
    /// client's `EndpointSelectionRandom`). When the set of endpoints did not change, order and pin stay.
    #[default]
    Random,
    /// The leader's client URL pinned, the members in etcd's order (the Go client's
    /// `EndpointSelectionPrioritizeLeader`): writes skip a forward from follower to leader. Each sync asks who
    /// leads and pins it again.
    LeaderFirst,
}

/// How a sync chooses the client's endpoints: the [`SelectionMode`], and fallback endpoints kept after the
/// members' own.
#[derive(Clone, Debug, Default)]
pub struct SyncOptions {
    mode: SelectionMode,
    fallback: Vec<Endpoint>,
}

impl SyncOptions {
    /// Random selection, no fallback: the Go client's `Sync`.
    pub fn new() -> Self {
        SyncOptions::default()
    }

    /// Where calls start after the sync.
    #[must_use]
    pub fn selection_mode(mut self, mode: SelectionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Endpoints kept after the members' client URLs, whatever the members advertise: the seeds a client was
    /// configured with, for members that advertise URLs this client cannot reach (a tunnel, a proxy, a
    /// container network). Calls try them once the advertised ones fail.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a bad endpoint.
    pub fn fallback_endpoints<I, S>(mut self, endpoints: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.fallback = endpoints.into_iter().map(|e| Endpoint::parse(e.as_ref())).collect::<Result<_, _>>()?;
        Ok(self)
    }

    pub(crate) fn with_fallback(mut self, fallback: Vec<Endpoint>) -> Self {
        self.fallback = fallback;
        self
    }

    /// The selection mode.
    pub fn mode(&self) -> SelectionMode {
        self.mode
    }

    /// The fallback endpoints.
    pub fn fallback(&self) -> &[Endpoint] {
        &self.fallback
    }
}

/// What a sync did: the client's endpoints and pin afterwards, and whether the set of endpoints changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncOutcome {
    endpoints: Arc<[Endpoint]>,
    pinned: Endpoint,
    changed: bool,
}

impl SyncOutcome {
    /// The endpoints, in rotation order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The pinned endpoint: where calls start.
    pub fn pinned(&self) -> &Endpoint {
        &self.pinned
    }

    /// Whether the set of endpoints changed (not merely the pin).
    pub fn changed(&self) -> bool {
        self.changed
    }
}

/// Syncing a [`Client`]'s endpoints with the cluster's members (the Go client's `Sync`): `use
/// etcd_members::ClusterSync` and call `client.sync()`.
///
/// The members are listed through the client; their client URLs replace its endpoints, in every clone of it.
/// A member that is not started yet, or advertises no URL the client can use (`unix://` sockets), adds none.
/// The endpoints are never left empty: when no member gives a usable URL, and no fallback was given, the sync
/// fails and the endpoints stay as they were.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use etcd_members::{ClusterSync, SelectionMode, SyncOptions};
/// use etcd_transport::Client;
///
/// let seeds = ["http://10.0.0.1:2379"];
/// let client = Client::builder(seeds).build()?;
/// client.sync().await?; // every member's client URLs, in random order
/// let leader_first = SyncOptions::new().selection_mode(SelectionMode::LeaderFirst).fallback_endpoints(seeds)?;
/// let outcome = client.sync_with(&leader_first).await?;
/// println!("calls start at the leader, {}", outcome.pinned());
/// # Ok(()) }
/// ```
pub trait ClusterSync {
    /// Syncs with random selection and no fallback (the Go client's `Sync`).
    ///
    /// # Errors
    /// The members API's errors; [`Error::Member`] of kind `NoClientUrl` when no member advertises a usable
    /// client URL; [`Error::InvalidRequest`] for a client made with `Client::new`, which has no endpoints.
    fn sync(&self) -> impl Future<Output = Result<SyncOutcome, Error>> + Send;

    /// Syncs as `options` say: the selection mode, and fallback endpoints kept after the members'.
    ///
    /// # Errors
    /// As [`sync`](ClusterSync::sync); with [`SelectionMode::LeaderFirst`], also the leader's errors (a cluster
    /// without a leader) and kind `NoClientUrl` when the leader advertises no usable client URL. On error the
    /// endpoints stay as they were.
    fn sync_with(&self, options: &SyncOptions) -> impl Future<Output = Result<SyncOutcome, Error>> + Send;
}

impl ClusterSync for Client {
    async fn sync(&self) -> Result<SyncOutcome, Error> {
        sync_client(self, &SyncOptions::new()).await
    }

    async fn sync_with(&self, options: &SyncOptions) -> Result<SyncOutcome, Error> {
        sync_client(self, options).await
    }
}

async fn sync_client(client: &Client, options: &SyncOptions) -> Result<SyncOutcome, Error> {
    let Some(set) = client.endpoints() else {
        let reason = "a client made with Client::new has no endpoints to sync";
        return Err(InvalidRequest::new(InvalidRequestKind::Config, reason).into());
    };
    let api = MembersApi::new(client.clone());
    let members = api.list().await?;
    let advertised = usable_client_urls(&members);
    let leader = match options.mode {
        SelectionMode::Random => None,
        SelectionMode::LeaderFirst => {
            let leader = api.leader().await?;
            let url = first_usable(&leader.client_urls).ok_or_else(|| {
                let message =
                    format!("the leader {} ({}) advertises no client URL this client can use", leader.id, leader.name);
                MemberError::no_client_url(StatusCode::OK, message)
            })?;
            Some(url)
        }
    };
    let mut endpoints = advertised.clone();
    let seen: HashSet<Endpoint> = advertised.iter().cloned().collect();
    endpoints.extend(options.fallback.iter().filter(|e| !seen.contains(*e)).cloned());
    if endpoints.is_empty() {
        let names: Vec<String> = members.iter().map(|m| format!("{} {:?}", m.id, m.client_urls)).collect();
        let message =
            format!("no member advertises a client URL this client can use ({}); endpoints kept", names.join(", "));
        return Err(MemberError::no_client_url(StatusCode::OK, message).into());
    }

    let current = set.endpoints();
    let unchanged = same_set(&current, &endpoints);
    match leader {
        None if unchanged => {}
        None => {
            fastrand::shuffle(&mut endpoints[..advertised.len()]);
            let first = endpoints[0].clone();
            set.replace(endpoints)?;
            // A changed set gets a new random pin, so that clients spread over new members (the Go client's rule).
            set.pin_to(&first);
        }
        Some(leader) => {
            if !unchanged {
                set.replace(endpoints)?;
            }
            set.pin_to(&leader);
        }
    }
    Ok(SyncOutcome { endpoints: set.endpoints(), pinned: set.pinned(), changed: !unchanged })
}

/// The client URLs of every member that this client can send to, in the members' order, without duplicates.
fn usable_client_urls(members: &[Member]) -> Vec<Endpoint> {
    let mut seen = HashSet::new();
    members
        .iter()
        .flat_map(|member| member.client_urls.iter())
        .filter_map(|url| Endpoint::parse(url).ok())
        .filter(|endpoint| seen.insert(endpoint.clone()))
        .collect()
}

fn first_usable(urls: &[String]) -> Option<Endpoint> {
    urls.iter().find_map(|url| Endpoint::parse(url).ok())
}

fn same_set(a: &[Endpoint], b: &[Endpoint]) -> bool {
    a.len() == b.len() && a.iter().collect::<HashSet<_>>() == b.iter().collect::<HashSet<_>>()
}

#[cfg(test)]
mod tests {
    use etcd_core::MemberId;

    use super::*;

    fn member(id: u64, client_urls: &[&str]) -> Member {
        let urls = client_urls.iter().map(|u| (*u).to_owned()).collect();
        Member::new(MemberId::new(id), format!("m{id}"), vec![format!("http://127.0.0.1:{id}")], urls)
    }

    #[test]
    fn usable_urls_skip_sockets_bad_urls_and_duplicates() {
        let members = [
            member(1, &["http://a:1", "unix://etcd.sock"]),
            member(2, &[]),
            member(3, &["http://b:2", "http://a:1/", "not a url"]),
        ];
        let urls: Vec<String> = usable_client_urls(&members).iter().map(|e| e.as_str().to_owned()).collect();
        assert_eq!(urls, ["http://a:1", "http://b:2"]);
        assert!(same_set(
            &usable_client_urls(&members),
            &usable_client_urls(&[members[2].clone(), members[0].clone()])
        ));
        assert!(!same_set(&usable_client_urls(&members[..1]), &usable_client_urls(&members)));
    }
}
