//! A deadline on each request of a [`MembersApi`] or [`StatusApi`] handle.

use std::time::Duration;

use etcd_transport::PerCallTimeout;

use crate::{MembersApi, StatusApi};

impl MembersApi {
    /// This API with every call bounded by `timeout`: the call ends in
    /// [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded) when its answer has not arrived within it,
    /// across every attempt and member. It replaces the client's
    /// [`call_timeout`](etcd_transport::Config::call_timeout) for these calls. Dropping a call, or its running
    /// out of time, after it was sent may leave it applied: an added member is then in
    /// [`list`](MembersApi::list).
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(members: etcd_members::MembersApi) -> Result<(), etcd_members::Error> {
    /// let leader = members.with_timeout(std::time::Duration::from_secs(1)).leader().await?;
    /// # Ok(()) }
    /// ```
    #[must_use = "with_timeout returns a new handle; the original keeps its budget"]
    pub fn with_timeout(&self, timeout: Duration) -> MembersApi {
        let mut members = self.clone();
        members.timeout = PerCallTimeout::new(Some(timeout));
        members
    }

    /// The budget of each call through this handle, if [`with_timeout`](MembersApi::with_timeout) set one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.get()
    }
}

impl StatusApi {
    /// This API with every request bounded by `timeout`, ending in
    /// [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded); see [`MembersApi::with_timeout`]. A call that
    /// asks several members ([`health`](StatusApi::health), [`leader_stats`](StatusApi::leader_stats)) bounds
    /// each of its requests; a member that does not answer in time is reported as such, like any other failure.
    #[must_use = "with_timeout returns a new handle; the original keeps its budget"]
    pub fn with_timeout(&self, timeout: Duration) -> StatusApi {
        let mut status = self.clone();
        status.timeout = PerCallTimeout::new(Some(timeout));
        status
    }

    /// The budget of each request through this handle, if [`with_timeout`](StatusApi::with_timeout) set one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.get()
    }

    /// The members API on the same client, with the same budget.
    pub(crate) fn members(&self) -> MembersApi {
        let mut members = MembersApi::new(self.client().clone());
        members.timeout = self.timeout;
        members
    }
}
