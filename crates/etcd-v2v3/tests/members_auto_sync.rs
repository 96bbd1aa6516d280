//! The members' `auto_sync` suite (`crates/etcd-members/tests/suites/auto_sync.rs`, the cases
//! `crates/etcd-members/tests/auto_sync.rs` runs on etcd with v2), run with the members API and sync over a client
//! bridged onto an etcd started WITHOUT v2: only the fixture in `members_common` differs. Skips loudly without etcd;
//! fails with `ETCD_REQUIRED=1`.

#[path = "members_common/mod.rs"]
mod common;

include!("../../etcd-members/tests/suites/auto_sync.rs");
