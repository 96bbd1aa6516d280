//! The members' `status` suite (`crates/etcd-members/tests/suites/status.rs`: the version and health of each
//! member and of the cluster, two members killed along the way), run with the status API over a client bridged
//! onto an etcd started WITHOUT v2: only the fixture in `members_common` differs. Skips loudly without etcd;
//! fails with `ETCD_REQUIRED=1`.

#[path = "members_common/mod.rs"]
mod common;

include!("../../etcd-members/tests/suites/status.rs");
