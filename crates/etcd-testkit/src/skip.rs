//! Skipping tests loudly when there is no etcd, unless etcd is required.

use std::env;
use std::io::Write;

use crate::{Cluster, ClusterBuilder};

/// Name of the environment variable that turns "no etcd, skip" into a failure.
pub const ETCD_REQUIRED_ENV: &str = "ETCD_REQUIRED";

/// Whether `ETCD_REQUIRED` is set to a true value (`1`, `true`, `yes`, `on`).
///
/// CI sets it, so that a missing etcd fails the run instead of silently
/// skipping every test that needs a server.
pub fn etcd_required() -> bool {
    env::var(ETCD_REQUIRED_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// Writes `msg` straight to the process's stderr.
///
/// The test harness captures `eprintln!` output of passing tests and never shows
/// it; a skip must be seen, so this bypasses the capture by writing to the
/// stderr handle itself.
pub(crate) fn loud(msg: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{msg}");
    let _ = err.flush();
}

pub(crate) fn current_test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!("test `{n}`"))
        .unwrap_or_else(|| "this test".to_string())
}

impl ClusterBuilder {
    /// Starts the cluster for a test, or skips the test when there is no etcd.
    ///
    /// * No etcd binary found ([`find_etcd`](crate::find_etcd)): prints a loud
    ///   `SKIPPED` line to stderr (visible even though the test passes) and
    ///   returns `None`, unless `ETCD_REQUIRED=1`, in which case it panics.
    /// * `ETCD_BIN` set but unusable, or etcd found but the cluster fails to
    ///   start: panics, since that is a real failure.
    #[track_caller]
    pub fn start_or_skip(mut self) -> Option<Cluster> {
        if self.binary.is_none() {
            match crate::try_find_etcd() {
                Err(e) => panic!("etcd-testkit: {e}"),
                Ok(Some(bin)) => self.binary = Some(bin),
                Ok(None) => {
                    let test = current_test_name();
                    if etcd_required() {
                        panic!(
                            "etcd-testkit: {test} needs etcd and {ETCD_REQUIRED_ENV}=1 is set, but no etcd binary was found \
                             (looked at $ETCD_BIN, `etcd` on PATH, and target/etcd/*/etcd; \
                             run `cargo xtask etcd provision` or set ETCD_BIN)"
                        );
                    }
                    loud(&format!(
                        "\n!!!!!!!! SKIPPED: {test}: no etcd binary found \
                         (set ETCD_BIN or run `cargo xtask test`) !!!!!!!!\n"
                    ));
                    return None;
                }
            }
        }
        let members = self.members;
        match self.start() {
            Ok(cluster) => Some(cluster),
            Err(e) => panic!("etcd-testkit: failed to start a {members}-member etcd cluster: {e}"),
        }
    }
}

/// Starts a `members`-member cluster for a test, or skips the test loudly when
/// no etcd binary is available. See [`ClusterBuilder::start_or_skip`].
///
/// ```no_run
/// // In a test function:
/// fn talks_to_etcd() {
///     let Some(cluster) = etcd_testkit::cluster_or_skip(1) else {
///         return; // skipped, and said so on stderr
///     };
///     let endpoints = cluster.endpoints();
///     // ... run the client against `endpoints` ...
/// }
/// ```
#[track_caller]
pub fn cluster_or_skip(members: usize) -> Option<Cluster> {
    Cluster::builder().members(members).start_or_skip()
}
