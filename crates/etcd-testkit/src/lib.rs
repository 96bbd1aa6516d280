//! Real etcd servers for tests: single-member and multi-member clusters on free
//! loopback ports, with temporary data directories, that can be broken on
//! purpose (killed, frozen, restarted) and are cleaned up on drop.
//!
//! # Finding etcd
//!
//! [`find_etcd`] looks at `$ETCD_BIN`, then `etcd` on `PATH`, then a copy
//! provisioned under the workspace's `target/etcd/<version>/etcd` (what
//! `cargo xtask etcd provision` creates). Tests should use [`cluster_or_skip`]:
//! without an etcd binary it prints a loud `SKIPPED` line and returns `None`,
//! unless `ETCD_REQUIRED=1` is set, in which case it panics.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! let Some(mut cluster) = etcd_testkit::cluster_or_skip(3) else {
//!     return; // no etcd here; the skip was reported on stderr
//! };
//! let endpoints: Vec<String> = cluster.endpoints();
//! let leader = cluster.wait_leader(Duration::from_secs(10)).unwrap();
//! cluster.kill(leader).unwrap(); // the two others elect a new leader
//! cluster.restart(leader).unwrap(); // rejoins with the same name, ports and data
//! // Dropping `cluster` kills every member and removes its directory.
//! ```
//!
//! # How members are run
//!
//! Every member gets `--enable-v2=true` (this is a v2 client's test kit), a
//! data directory under `/dev/shm` when available (`$ETCD_TESTKIT_TMPDIR`
//! overrides), `--unsafe-no-fsync` when the binary supports it (etcd 3.5+),
//! and its stdout/stderr in `<cluster dir>/mN/etcd.log`, whose tail is quoted
//! in startup errors. `ETCD_*` variables of the test's environment are not
//! passed on, since etcd would read them as flags.
//!
//! Members can serve clients over TLS ([`ClusterBuilder::client_tls`], and
//! [`ClusterBuilder::client_cert_auth`] to require client certificates);
//! this crate then watches them through a plain-HTTP metrics listener, since
//! it speaks no TLS itself.
//!
//! # Cleanup
//!
//! Dropping a [`Cluster`] (also while a test panics) sends SIGKILL to every
//! member, reaps it and removes the cluster directory. A test process that is
//! itself killed cannot clean up: members that got the signal too (Ctrl-C
//! reaches the whole process group) exit, and their directory is removed by
//! the next cluster start in the same data root once no process uses it.
//! [`Cluster::into_detached`] hands the processes over to a caller that
//! cleans up later (`cargo xtask etcd start`/`stop`).
//!
//! # Hostile servers
//!
//! [`ScriptedServer`] is not etcd: a loopback listener that answers each request with the raw bytes of a
//! script of [`Step`]s (headers, chunked pieces, stalls, a close), for huge headers, broken chunking, garbage
//! lines and redirects that a real etcd will not produce on demand.
//!
//! Processes are driven with signals (SIGKILL, SIGSTOP, SIGCONT), so this
//! crate is for Unix; `/proc` is used on Linux to confirm state changes.
#![deny(missing_docs)]

mod binary;
mod cluster;
mod detached;
mod http;
mod pki;
mod process;
mod scripted;
mod skip;
mod tls;
mod watchdog;

pub use binary::{ETCD_BIN_ENV, EtcdBinary, find_etcd, target_dir, try_find_etcd, workspace_root};
pub use cluster::{
    Cluster, ClusterBuilder, DATA_ROOT_ENV, DEFAULT_READY_TIMEOUT, DEFAULT_START_ATTEMPTS, Member, MemberState,
};
pub use detached::{DetachedCluster, DetachedMember};
pub use pki::TestPki;
pub use process::is_etcd_process_in;
pub use scripted::{ScriptedRequest, ScriptedServer, Step};
pub use skip::{ETCD_REQUIRED_ENV, cluster_or_skip, etcd_required};

#[cfg(test)]
mod tests;
