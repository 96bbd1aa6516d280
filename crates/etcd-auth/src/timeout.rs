//! A deadline on each call of an [`AuthApi`] handle.

use std::time::Duration;

use etcd_transport::PerCallTimeout;

use crate::AuthApi;

impl AuthApi {
    /// This API with every call bounded by `timeout`: the call ends in
    /// [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded) when its answer has not arrived within it,
    /// across every attempt and member. It replaces the client's
    /// [`call_timeout`](etcd_transport::Config::call_timeout) for these calls. A change that runs out of time
    /// after it was sent (a user added, a role granted) may still be applied; read it back to know.
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(auth: etcd_auth::AuthApi) -> Result<(), etcd_auth::Error> {
    /// let enabled = auth.with_timeout(std::time::Duration::from_secs(1)).is_enabled().await?;
    /// # Ok(()) }
    /// ```
    #[must_use = "with_timeout returns a new handle; the original keeps its budget"]
    pub fn with_timeout(&self, timeout: Duration) -> AuthApi {
        let mut auth = self.clone();
        auth.timeout = PerCallTimeout::new(Some(timeout));
        auth
    }

    /// The budget of each call through this handle, if [`with_timeout`](AuthApi::with_timeout) set one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.get()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use etcd_transport::{Body, Client, RequestBody};

    use super::*;

    /// A client whose every call is answered `{"enabled":true}` after 300 ms.
    fn slow_client() -> Client {
        Client::new(tower::service_fn(|_request: http::Request<RequestBody>| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, Infallible>(http::Response::new(Body::from(r#"{"enabled":true}"#)))
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn calls_end_at_their_budget() {
        let auth = AuthApi::new(slow_client());
        let quick = auth.with_timeout(Duration::from_millis(100));
        assert_eq!((auth.timeout(), quick.timeout()), (None, Some(Duration::from_millis(100))));
        let error = quick.is_enabled().await.unwrap_err();
        assert!(error.is_deadline_exceeded() && error.to_string().contains("100ms"), "{error}");
        let error = quick.add_user("alice", "pw").await.unwrap_err();
        assert!(error.is_deadline_exceeded(), "{error}");
        assert!(auth.is_enabled().await.unwrap());
        assert!(auth.with_timeout(Duration::from_secs(1)).is_enabled().await.unwrap());
    }
}
