//! The recipes' `lock` suite (`crates/etcd-recipes/tests/suites/lock.rs`, the cases `crates/etcd-recipes/tests/lock.rs`
//! runs on etcd with v2), run through the bridge against a three-member etcd started WITHOUT v2: only the fixture in
//! `common` differs. Each test starts its own cluster; it skips loudly without etcd and fails with `ETCD_REQUIRED=1`.

mod common;

include!("../../etcd-recipes/tests/suites/lock.rs");
