use etcd_core::{AttemptFailure, Error, Member, MemberError, MemberErrorKind};
use etcd_transport::{Client, Endpoint, PerCallTimeout};
use http::StatusCode;

use crate::answer;
use crate::health::{ClusterHealth, Health, MemberHealth, WireHealth};
use crate::join::join_all;
use crate::request;
use crate::stats::{LeaderStats, SelfStats, StoreStats};
use crate::version::Version;

/// The version, health and statistics of a cluster and of each of its members, over a [`Client`].
///
/// Calls without an endpoint go to whichever member the client reaches (its pinned endpoint first); the `_at`
/// calls ask one endpoint only, with no failover and without moving the client's pin. Cheap to clone.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use etcd_members::StatusApi;
/// use etcd_transport::Client;
///
/// let status = StatusApi::new(Client::builder(["http://127.0.0.1:2379"]).build()?);
/// let health = status.health().await?;
/// for member in &health.members {
///     println!("{}: {:?}", member.member.name, member.health);
/// }
/// println!("cluster healthy: {}", health.is_healthy());
/// println!("{:?}", status.store_stats().await?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct StatusApi {
    client: Client,
    pub(crate) timeout: PerCallTimeout,
}

impl StatusApi {
    /// The status API of the cluster `client` talks to.
    pub fn new(client: Client) -> Self {
        StatusApi { client, timeout: PerCallTimeout::default() }
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The versions of whichever member answers, and of the cluster (`GET /version`).
    ///
    /// # Errors
    /// The transport's errors.
    pub async fn version(&self) -> Result<Version, Error> {
        answer::call(&self.client, self.timeout, request::info("/version", None)).await?.json()
    }

    /// The versions of the member at `endpoint`.
    ///
    /// # Errors
    /// The transport's errors, for this endpoint alone.
    pub async fn version_at(&self, endpoint: &Endpoint) -> Result<Version, Error> {
        answer::call(&self.client, self.timeout, request::info("/version", Some(endpoint))).await?.json()
    }

    /// The health of the member at `endpoint` (`GET /health`).
    ///
    /// # Errors
    /// When the endpoint could not be asked or did not answer (refused, timed out, not etcd); an answer saying
    /// "unhealthy", with a 503 or not, is `Ok(Health::Unhealthy)`.
    pub async fn health_at(&self, endpoint: &Endpoint) -> Result<Health, Error> {
        match answer::call(&self.client, self.timeout, request::info("/health", Some(endpoint))).await {
            Ok(answer) => Ok(answer.json::<WireHealth>()?.into_health(endpoint.clone())),
            Err(error) if is_unavailable(&error) => Ok(Health::Unhealthy { endpoint: endpoint.clone(), reason: None }),
            Err(error) => Err(error),
        }
    }

    /// The health of `member`, asked at each of its client URLs in turn until one answers (etcdctl's
    /// `cluster-health`). Never fails: a member that cannot be asked is [`Health::Unreachable`].
    pub async fn member_health(&self, member: &Member) -> MemberHealth {
        let mut last_error = None;
        for endpoint in member.client_urls.iter().filter_map(|url| Endpoint::parse(url).ok()) {
            match self.health_at(&endpoint).await {
                Ok(health) => return MemberHealth { member: member.clone(), health },
                Err(error) => last_error = Some(error),
            }
        }
        MemberHealth { member: member.clone(), health: Health::Unreachable { error: last_error } }
    }

    /// The health of every member, asked at once; see [`ClusterHealth::is_healthy`] for the cluster's.
    ///
    /// # Errors
    /// When the members cannot be listed; a member that cannot be asked is reported, not an error.
    pub async fn health(&self) -> Result<ClusterHealth, Error> {
        let members = self.members().list().await?;
        let members = join_all(members.iter().map(|member| self.member_health(member)).collect()).await;
        Ok(ClusterHealth { members })
    }

    /// What whichever member answers says about itself (`GET /v2/stats/self`).
    ///
    /// # Errors
    /// The transport's errors.
    pub async fn self_stats(&self) -> Result<SelfStats, Error> {
        answer::call(&self.client, self.timeout, request::info("/v2/stats/self", None)).await?.json()
    }

    /// What the member at `endpoint` says about itself.
    ///
    /// # Errors
    /// The transport's errors, for this endpoint alone.
    pub async fn self_stats_at(&self, endpoint: &Endpoint) -> Result<SelfStats, Error> {
        answer::call(&self.client, self.timeout, request::info("/v2/stats/self", Some(endpoint))).await?.json()
    }

    /// The leader's view of its followers (`GET /v2/stats/leader`): the leader is looked up first, then asked at
    /// its client URLs.
    ///
    /// # Errors
    /// The leader's errors (none during an election); [`MemberError`] of kind `NoClientUrl` when the leader
    /// advertises no client URL this client can use, of kind `NotLeader` when leadership moved meanwhile.
    pub async fn leader_stats(&self) -> Result<LeaderStats, Error> {
        let leader = self.members().leader().await?;
        let mut last_error = None;
        for endpoint in leader.client_urls.iter().filter_map(|url| Endpoint::parse(url).ok()) {
            match answer::call(&self.client, self.timeout, request::info("/v2/stats/leader", Some(&endpoint))).await {
                Ok(answer) => return answer.json(),
                Err(error) if error.as_member().is_some_and(|e| e.kind() == MemberErrorKind::NotLeader) => {
                    return Err(error);
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            let message =
                format!("the leader {} ({}) advertises no client URL this client can use", leader.id, leader.name);
            MemberError::no_client_url(StatusCode::OK, message).into()
        }))
    }

    /// The v2 store's operation counts of whichever member answers (`GET /v2/stats/store`).
    ///
    /// # Errors
    /// The transport's errors.
    pub async fn store_stats(&self) -> Result<StoreStats, Error> {
        answer::call(&self.client, self.timeout, request::info("/v2/stats/store", None)).await?.json()
    }

    /// The v2 store's operation counts of the member at `endpoint`.
    ///
    /// # Errors
    /// The transport's errors, for this endpoint alone.
    pub async fn store_stats_at(&self, endpoint: &Endpoint) -> Result<StoreStats, Error> {
        answer::call(&self.client, self.timeout, request::info("/v2/stats/store", Some(endpoint))).await?.json()
    }
}

/// Whether the one attempt of a single-endpoint call was answered 503: what `/health` answers when unhealthy.
fn is_unavailable(error: &Error) -> bool {
    let Some(cluster) = error.as_cluster() else {
        return false;
    };
    matches!(
        cluster.errors(),
        [only] if matches!(only.failure(), AttemptFailure::ServerError { status, .. } if *status == StatusCode::SERVICE_UNAVAILABLE)
    )
}
