//! A deadline on each call of a [`KeysApi`] handle.

use std::time::Duration;

use etcd_transport::PerCallTimeout;

use crate::KeysApi;

impl KeysApi {
    /// This API with every call bounded by `timeout`: the call ends in [`Error::DeadlineExceeded`] when the
    /// answer has not arrived (whole) within it, across every attempt and member. The handle is a cheap clone
    /// sharing the client; the original keeps its own budget.
    ///
    /// The budget replaces the client's [`Config::call_timeout`](crate::Config::call_timeout) for these calls,
    /// longer or shorter. The per-attempt header timeout still applies within it, so that one frozen member does
    /// not eat the whole budget. A write that runs out of time may still be applied (see the
    /// [cancel-safety notes](KeysApi#cancel-safety)).
    ///
    /// A [`Watcher`](crate::Watcher) made from this handle is not bounded: a watch lasts as long as it is polled
    /// (its snapshot reads, with [`with_recovery_when_cleared`](crate::WatcherOptions::with_recovery_when_cleared),
    /// are). [`get_and_watch`](KeysApi::get_and_watch)'s read is bounded.
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_keys::Error> {
    /// use std::time::Duration;
    ///
    /// let quick = keys.with_timeout(Duration::from_millis(300));
    /// match quick.get("/config/mode", None).await {
    ///     Err(e) if e.is_deadline_exceeded() => println!("no answer within 300 ms; using the default"),
    ///     other => println!("{:?}", other?.node.value),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// [`Error::DeadlineExceeded`]: crate::Error::DeadlineExceeded
    #[must_use = "with_timeout returns a new handle; the original keeps its budget"]
    pub fn with_timeout(&self, timeout: Duration) -> KeysApi {
        let mut keys = self.clone();
        keys.timeout = PerCallTimeout::new(Some(timeout));
        keys
    }

    /// The budget of each call through this handle, set by [`with_timeout`](KeysApi::with_timeout); `None`: the
    /// client's [`call_timeout`](crate::Config::call_timeout), if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.get()
    }
}
