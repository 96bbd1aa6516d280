//! Leader-first selection against a real three-member cluster started by the test: after a sync the pin is the
//! leader's client URL, and after the leader is killed and another elected, the next sync pins the new one.
//! Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

include!("suites/leader_first.rs");
