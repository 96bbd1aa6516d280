// What the recipes' suites check with, shared by every fixture that runs them (`etcd-recipes/tests/common` over
// etcd with v2, `etcd-v2v3/tests/common` through the bridge over etcd without v2): each `common` module includes
// this file after its fixture, with `std::time::Instant` imported.

/// One holding of a lock: from when its holder learned it had the lock to when it stopped using it.
#[derive(Clone, Debug)]
pub struct Held {
    pub who: String,
    pub token: u64,
    pub acquired: Instant,
    pub released: Instant,
}

/// Panics unless no two holdings overlap, by fencing token (each released before the next token was acquired)
/// and by time (tokens grow with the time of acquisition).
pub fn assert_exclusive(held: &[Held]) {
    let mut by_token = held.to_vec();
    by_token.sort_by_key(|h| h.token);
    for pair in by_token.windows(2) {
        assert!(pair[0].token < pair[1].token, "two holdings with one token: {pair:#?}");
        assert!(pair[0].released <= pair[1].acquired, "two holders at once: {pair:#?}");
    }
    let mut by_time = held.to_vec();
    by_time.sort_by_key(|h| h.acquired);
    for pair in by_time.windows(2) {
        assert!(pair[0].token < pair[1].token, "a later holder with a smaller token: {pair:#?}");
    }
}

/// A unique directory for a test's lock.
pub fn dir(name: &str) -> String {
    format!("/recipes-test/{name}")
}
