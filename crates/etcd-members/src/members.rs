use etcd_core::{Error, Member, MemberErrorKind, MemberId};
use etcd_transport::{Client, PerCallTimeout};
use serde::Deserialize;

use crate::answer;
use crate::request;

/// etcd's v2 members API over a [`Client`]: the cluster's members, adding, removing and updating them, and the
/// leader (the Go client's `MembersAPI`).
///
/// Once auth is enabled, only root may use it. Cheap to clone.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use etcd_members::MembersApi;
/// use etcd_transport::{Client, PerCallTimeout};
///
/// let members = MembersApi::new(Client::builder(["http://127.0.0.1:2379"]).build()?);
/// for member in members.list().await? {
///     println!("{} {} peers at {:?}, clients at {:?}", member.id, member.name, member.peer_urls, member.client_urls);
/// }
/// // Announce a new member, then start it with --initial-cluster-state existing.
/// let added = members.add(["http://10.0.0.4:2380"]).await?;
/// println!("added {}", added.id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MembersApi {
    client: Client,
    pub(crate) timeout: PerCallTimeout,
}

impl MembersApi {
    /// The members API of the cluster `client` talks to.
    pub fn new(client: Client) -> Self {
        MembersApi { client, timeout: PerCallTimeout::default() }
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every member of the cluster, in etcd's order (by ID), started or not.
    ///
    /// # Errors
    /// The transport's errors; [`Error::is_unauthorized`] when auth is enabled and the client is not root.
    pub async fn list(&self) -> Result<Vec<Member>, Error> {
        #[derive(Deserialize)]
        struct Members {
            #[serde(default)]
            members: Option<Vec<Member>>,
        }
        let members: Members = answer::call(&self.client, self.timeout, request::list()).await?.json()?;
        Ok(members.members.unwrap_or_default())
    }

    /// Announces a new member reachable by its peers at `peer_urls`; start it afterwards with
    /// `--initial-cluster-state existing`. Returns the member as etcd added it: its ID, its peer URLs, no name
    /// and no client URL until it starts.
    ///
    /// The URLs are checked before sending (`http://host:port`, `https://host:port`, `unix://...`). The call is
    /// not replayed on another member after a failure that may have reached the cluster: a replay would answer
    /// "peer URL exists" although the first attempt worked; the call ends with [`Error::OutcomeUnknown`] instead,
    /// and [`list`](MembersApi::list) tells.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a URL etcd would refuse; [`Error::is_peer_url_exists`] when a member has one
    /// of these URLs; a [`MemberError`](etcd_core::MemberError) of kind `IdExists`; etcd answers a cluster that
    /// cannot take one more member now (strict reconfiguration check) with a 500, which is an
    /// [`Error::OutcomeUnknown`].
    pub async fn add<I, S>(&self, peer_urls: I) -> Result<Member, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        answer::call(&self.client, self.timeout, request::add(peer_urls)?).await?.json()
    }

    /// Removes a member from the cluster. A member that was already removed counts as removed (etcd answers
    /// 410 Gone, the Go client's rule), so the call may be retried.
    ///
    /// # Errors
    /// [`Error::is_member_not_found`] when no member ever had that ID.
    pub async fn remove(&self, id: MemberId) -> Result<(), Error> {
        match answer::call(&self.client, self.timeout, request::remove(id)).await {
            Ok(_) => Ok(()),
            Err(Error::Member(e)) if e.kind() == MemberErrorKind::Removed => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Replaces the peer URLs of a member (before moving it to another address, say). The URLs are checked
    /// before sending.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a URL etcd would refuse; [`Error::is_member_not_found`];
    /// [`Error::is_peer_url_exists`] when another member has one of these URLs. etcd answers a member that was
    /// removed with a 500, which ends the call with a cluster error.
    pub async fn update<I, S>(&self, id: MemberId, peer_urls: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        answer::call(&self.client, self.timeout, request::update(id, peer_urls)?).await.map(drop)
    }

    /// The leader, as the member that answers sees it.
    ///
    /// # Errors
    /// During an election members answer 503, so every endpoint fails: [`Error::Cluster`].
    pub async fn leader(&self) -> Result<Member, Error> {
        answer::call(&self.client, self.timeout, request::leader()).await?.json()
    }
}
