// What the members' suites wait and check with, shared by every fixture that runs them (`etcd-members/tests/
// common` over etcd with v2, `etcd-v2v3/tests/members_common` through the bridge over etcd without v2): each
// includes this file after its fixture (`over(client)`, `cluster_builder(members)`), with `std::future::Future`,
// `std::time::Duration`, `etcd_transport::Client` and `tokio::sync::{Mutex, MutexGuard}` imported.

/// Upper bound for anything a test waits for (elections take 1 to 2 s; a joining member a few seconds).
pub const BOUND: Duration = Duration::from_secs(30);

/// The per-attempt header timeout of the tests' clients: a dead member is left quickly.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Three-member clusters are heavy on a two-core machine: the tests of a binary take turns.
static ONE_CLUSTER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Waits for this test's turn to run a cluster.
pub async fn turn() -> MutexGuard<'static, ()> {
    ONE_CLUSTER_AT_A_TIME.lock().await
}

/// A client over `endpoints`, in the order given (the first pinned), as the runner serves it (`over`).
pub fn client<I, S>(endpoints: I) -> Client
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    over(
        Client::builder(endpoints)
            .shuffle_endpoints(false)
            .header_timeout_per_request(HEADER_TIMEOUT)
            .build()
            .expect("the test cluster's endpoints are valid"),
    )
}

/// The client's endpoints, as text.
pub fn endpoints(client: &Client) -> Vec<String> {
    client.endpoints().unwrap().endpoints().iter().map(|e| e.as_str().to_owned()).collect()
}

/// The client's pinned endpoint, as text.
pub fn pinned(client: &Client) -> String {
    client.endpoints().unwrap().pinned().as_str().to_owned()
}

/// Polls `check` every 100 ms until it gives `Some`, for at most [`BOUND`]: for server state that no event
/// announces (a member's start published, a leader elected).
pub async fn poll<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {BOUND:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Like [`poll`], for a check that says what it saw when it is not satisfied; the last of which goes into the
/// failure message.
pub async fn poll_seeing<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let seen = match check().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {BOUND:?}; last seen: {seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs blocking testkit work (starting a member, waiting for a leader) without holding up the runtime.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}
