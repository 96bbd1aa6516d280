//! The deadline of one API call, as the API handles' `with_timeout` set it (the Go client's per-call context).

use std::future::Future;
use std::time::Duration;

use etcd_core::{DeadlineExceeded, Error};
use http::Request;

use crate::deadline::CallTimeout;
use crate::{Answer, Client, RequestBody};

/// The budget an API handle gives each of its calls, or none: what `KeysApi::with_timeout` (and the members,
/// status and auth APIs' own) keep, for crates that build an API of their own on [`Client`](crate::Client).
///
/// A call with a budget ends in [`Error::DeadlineExceeded`] when the budget runs out, whatever its attempts
/// met; the budget replaces the client's [`Config::call_timeout`](crate::Config::call_timeout) for that call,
/// longer or shorter. The budget is applied twice, so that it holds on any stack: as the request's
/// [`CallTimeout`] extension, which the client's [`deadline`](crate::deadline) layer reads (dropping the
/// attempt in flight, so that the failover stops there), and as a timer around the whole call, reading of the
/// answer included, for stacks without that layer ([`Client::new`](crate::Client::new)).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use etcd_transport::PerCallTimeout;
///
/// # async fn run() {
/// let budget = PerCallTimeout::new(Some(Duration::from_millis(10)));
/// let error = budget.run(std::future::pending::<Result<(), etcd_core::Error>>()).await.unwrap_err();
/// assert!(error.is_deadline_exceeded());
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(run());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerCallTimeout(Option<Duration>);

impl PerCallTimeout {
    /// Calls bounded by `budget`; `None`: the client's default.
    pub fn new(budget: Option<Duration>) -> Self {
        PerCallTimeout(budget)
    }

    /// The budget, if any.
    pub fn get(&self) -> Option<Duration> {
        self.0
    }

    /// Marks `request` with the budget ([`CallTimeout`]), so that the client's deadline layer bounds it by this
    /// budget instead of its default. Nothing without a budget.
    pub fn apply<B>(&self, request: &mut Request<B>) {
        if let Some(budget) = self.0 {
            request.extensions_mut().insert(CallTimeout(budget));
        }
    }

    /// Sends `request` through `client` within this budget and reads its answer whole ([`Client::execute`]):
    /// what every API call of the API crates does.
    ///
    /// # Errors
    /// As [`Client::execute`], and [`DeadlineExceeded`] when the budget ran out first.
    pub async fn execute<B: Into<RequestBody>>(
        &self,
        client: &Client,
        mut request: Request<B>,
    ) -> Result<Answer, Error> {
        let Some(budget) = self.0 else {
            // The usual case, without the timer's wrapper: one future fewer to build and move on every call.
            return client.execute(request).await;
        };
        request.extensions_mut().insert(CallTimeout(budget));
        match tokio::time::timeout(budget, client.execute(request)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(DeadlineExceeded::new(budget).into()),
        }
    }

    /// Runs `call` (the request sent and its answer read) within the budget; the call as it is without one.
    ///
    /// # Errors
    /// `call`'s; [`Error::DeadlineExceeded`] when the budget ran out first, and then `call` is dropped: a write
    /// may have been applied.
    pub async fn run<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        match self.0 {
            None => call.await,
            Some(budget) => match tokio::time::timeout(budget, call).await {
                Ok(result) => result,
                Err(_elapsed) => Err(DeadlineExceeded::new(budget).into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_budget_ends_the_call_in_deadline_exceeded_and_none_leaves_it_alone() {
        let budget = PerCallTimeout::new(Some(Duration::from_secs(2)));
        let error = budget.run(std::future::pending::<Result<(), Error>>()).await.unwrap_err();
        assert!(error.is_deadline_exceeded(), "{error}");
        assert!(error.to_string().contains("2s"), "{error}");
        let slow = async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, Error>(7)
        };
        assert_eq!(PerCallTimeout::default().run(slow).await.unwrap(), 7);
    }

    #[test]
    fn a_budget_marks_the_request_and_none_does_not() {
        let mut request = Request::new(());
        PerCallTimeout::default().apply(&mut request);
        assert_eq!(request.extensions().get::<CallTimeout>(), None);
        PerCallTimeout::new(Some(Duration::from_secs(1))).apply(&mut request);
        assert_eq!(request.extensions().get::<CallTimeout>(), Some(&CallTimeout(Duration::from_secs(1))));
    }
}
