//! Where clusters live: free ports, the cluster directory and its owner file, and the sweep of directories left
//! behind by killed test processes.

use std::env;
use std::fs;
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tempfile::TempDir;

use crate::process;

/// Environment variable naming the directory under which cluster directories
/// are created, overriding the default (`/dev/shm` when it exists and has room,
/// otherwise the system temporary directory).
pub const DATA_ROOT_ENV: &str = "ETCD_TESTKIT_TMPDIR";

/// Every cluster directory is named `etcd-testkit-<random>`.
pub(crate) const DIR_PREFIX: &str = "etcd-testkit-";

/// Name of the file, in a cluster directory, holding the pid of the process
/// that created it (used to recognise directories left behind by a test
/// process that was killed).
const OWNER_FILE: &str = "owner.pid";

/// `n` distinct free TCP ports on 127.0.0.1. They are free when this returns,
/// but another process may take one before etcd binds it; starts are retried
/// for that reason.
pub(crate) fn free_ports(n: usize) -> io::Result<Vec<u16>> {
    let listeners = (0..n).map(|_| TcpListener::bind(("127.0.0.1", 0))).collect::<io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect()
}

pub(super) fn unique_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("etcd-testkit-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `$ETCD_TESTKIT_TMPDIR`, else `/dev/shm` if it exists and has room for
/// the members' preallocated WAL files (64 MiB each), else the temp dir.
pub(super) fn default_data_root(members: usize) -> PathBuf {
    if let Some(dir) = env::var_os(DATA_ROOT_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    let needed = (members as u128 + 2) * 128 * 1024 * 1024;
    let has_room = nix::sys::statvfs::statvfs(shm)
        .is_ok_and(|s| u128::from(s.blocks_available()) * u128::from(s.fragment_size()) >= needed);
    if shm.is_dir() && has_room { shm.to_path_buf() } else { env::temp_dir() }
}

/// Creates `<parent>/etcd-testkit-XXXXXX` (falling back to the system temp
/// directory when `parent` is not writable) and records the owner pid in it.
pub(super) fn make_cluster_dir(parent: &Path) -> io::Result<TempDir> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix(DIR_PREFIX);
        b
    };
    let dir = match builder.tempdir_in(parent) {
        Ok(d) => d,
        Err(_) if parent != env::temp_dir() => builder.tempdir_in(env::temp_dir())?,
        Err(e) => {
            return Err(io::Error::new(e.kind(), format!("cannot create a directory in {}: {e}", parent.display())));
        }
    };
    fs::write(dir.path().join(OWNER_FILE), std::process::id().to_string())?;
    Ok(dir)
}

/// Removes cluster directories under `parent` left behind by test processes
/// that died without cleaning up (killed by a signal, for example), so that
/// they do not pile up in `/dev/shm`. A directory is removed only when the
/// process that created it is gone and no running process mentions it on its
/// command line (a detached cluster's members do). Runs once per `parent` per
/// process.
pub(super) fn sweep_stale_dirs(parent: &Path) {
    static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if swept.iter().any(|p| p == parent) {
            return;
        }
        swept.push(parent.to_path_buf());
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let mut cmdlines: Option<Vec<String>> = None;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours =
            entry.file_name().to_string_lossy().starts_with(DIR_PREFIX) && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_ours {
            continue;
        }
        let owner: Option<u32> = fs::read_to_string(path.join(OWNER_FILE)).ok().and_then(|s| s.trim().parse().ok());
        let owner_gone = match owner {
            Some(pid) => !process::is_alive(pid),
            // Being created right now, or not made by this crate: leave it.
            None => false,
        };
        if !owner_gone {
            continue;
        }
        let cmdlines = cmdlines.get_or_insert_with(process::all_cmdlines);
        let needle = path.to_string_lossy();
        if cmdlines.iter().any(|c| c.contains(needle.as_ref())) {
            continue;
        }
        let _ = fs::remove_dir_all(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_ports(6).unwrap();
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 6);
        assert!(ports.iter().all(|&p| p != 0));
    }

    #[test]
    fn tokens_are_unique() {
        assert_ne!(unique_token(), unique_token());
    }
    #[test]
    fn sweeps_only_dead_owners_dirs() {
        let parent = tempfile::tempdir().unwrap();
        let dead = parent.path().join(format!("{DIR_PREFIX}dead"));
        let alive = parent.path().join(format!("{DIR_PREFIX}alive"));
        let unowned = parent.path().join(format!("{DIR_PREFIX}unowned"));
        let other = parent.path().join("something-else");
        for d in [&dead, &alive, &unowned, &other] {
            fs::create_dir(d).unwrap();
        }
        // A pid that cannot exist on Linux (pid_max is at most 2^22).
        fs::write(dead.join(OWNER_FILE), "4294967290").unwrap();
        fs::write(alive.join(OWNER_FILE), std::process::id().to_string()).unwrap();
        fs::write(other.join(OWNER_FILE), "4294967290").unwrap();
        sweep_stale_dirs(parent.path());
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(unowned.exists());
        assert!(other.exists());
    }
}
