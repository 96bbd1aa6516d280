//! The lock against a real three-member cluster: try_lock, timeouts, tokens, a lost key, an orphan entry, and
//! mutual exclusion among contenders while members are killed, frozen and restarted. Each test starts its own
//! cluster; it skips loudly without etcd and fails with `ETCD_REQUIRED=1`.

mod common;

include!("suites/lock.rs");
