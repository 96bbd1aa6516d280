//! The real servers compared: the etcd the test kit finds (`ETCD_BIN` selects it), and a second etcd of another
//! minor version when one is installed (`/usr/bin/etcd`, or one provisioned under `target/etcd/`).

use std::io::Write;
use std::path::PathBuf;

use etcd_testkit::{Cluster, EtcdBinary};

/// The etcd the test kit finds, or `None` after a loud skip message; panics when `ETCD_REQUIRED=1` and there is
/// none, or when `ETCD_BIN` is set and unusable.
#[track_caller]
pub fn etcd_or_skip(test: &str) -> Option<EtcdBinary> {
    match etcd_testkit::try_find_etcd() {
        Err(e) => panic!("etcd-conformance: {e}"),
        Ok(Some(bin)) => Some(bin),
        Ok(None) if etcd_testkit::etcd_required() => {
            panic!("etcd-conformance: {test} needs etcd and ETCD_REQUIRED=1 is set, but no etcd binary was found")
        }
        Ok(None) => {
            loud(&format!(
                "\n!!!!!!!! SKIPPED: {test}: no etcd binary found (set ETCD_BIN or run `cargo xtask test`) !!!!!!!!\n"
            ));
            None
        }
    }
}

/// An installed etcd whose major.minor version differs from `primary`'s (so 3.5 when `primary` is 3.4).
pub fn other_version(primary: &EtcdBinary) -> Option<EtcdBinary> {
    let minor = |b: &EtcdBinary| b.version_triple().map(|(major, minor, _)| (major, minor));
    let mut candidates = vec![PathBuf::from("/usr/bin/etcd")];
    if let Some(Ok(entries)) = etcd_testkit::target_dir().map(|t| std::fs::read_dir(t.join("etcd"))) {
        candidates.extend(entries.flatten().map(|e| e.path().join("etcd")));
    }
    candidates
        .into_iter()
        .filter(|path| path.is_file())
        .filter_map(|path| EtcdBinary::new(path).ok())
        .find(|b| minor(b).is_some() && minor(b) != minor(primary))
}

/// A fresh cluster of `members` members of `binary` (fresh store, free ports, temporary data); panics when it
/// does not start, since etcd was found and a start failure is a real failure.
#[track_caller]
pub fn fresh_cluster(binary: &EtcdBinary, members: usize) -> Cluster {
    match Cluster::builder().binary(binary.clone()).members(members).start() {
        Ok(cluster) => cluster,
        Err(e) => panic!("etcd-conformance: a {members}-member etcd {} did not start: {e}", binary.version()),
    }
}

/// The name a server goes by in the summary: `etcd 3.4.23`.
pub fn label(binary: &EtcdBinary) -> String {
    format!("etcd {}", binary.version())
}

/// Writes to the process's stderr itself, past the test harness's capture: a skip must be seen.
pub fn loud(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{message}");
    let _ = err.flush();
}
