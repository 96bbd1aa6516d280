//! Clusters whose processes outlive the process that started them.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::cluster::DIR_PREFIX;
use crate::{http, process};

/// How long [`DetachedCluster::kill`] waits for each killed process to go away.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// A cluster left running by [`Cluster::into_detached`](crate::Cluster::into_detached):
/// enough to find, check and kill its members later, from any process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetachedCluster {
    /// The cluster's directory (member data and logs), removed by
    /// [`DetachedCluster::kill`].
    pub dir: PathBuf,
    /// The members, in order.
    pub members: Vec<DetachedMember>,
}

/// One member of a [`DetachedCluster`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetachedMember {
    /// Member name (`m0`, `m1`, ...).
    pub name: String,
    /// Process id of the etcd process.
    pub pid: u32,
    /// Client URL, for example `http://127.0.0.1:41234`.
    pub client_url: String,
    /// Peer URL.
    pub peer_url: String,
}

impl DetachedMember {
    /// Whether the member answers `GET /health` with `"health":"true"` within
    /// about two seconds.
    pub fn is_healthy(&self) -> bool {
        let addr = self
            .client_url
            .strip_prefix("http://")
            .and_then(|hostport| hostport.trim_end_matches('/').parse::<SocketAddr>().ok());
        addr.is_some_and(|addr| {
            http::get(addr, "/health", Duration::from_secs(2))
                .is_ok_and(|r| r.status == 200 && http::is_healthy_body(&r.body))
        })
    }
}

impl DetachedCluster {
    /// Client URLs of all members, in order.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// Pids of the members that are still running *and* are still etcd
    /// processes using this cluster's directory (a pid that was reused by
    /// another program does not count).
    pub fn running_pids(&self) -> Vec<u32> {
        self.members.iter().map(|m| m.pid).filter(|&pid| process::is_etcd_process_in(pid, &self.dir)).collect()
    }

    /// Kills the members that [`DetachedCluster::running_pids`] lists (and no
    /// other process), waits until they are gone, then removes the cluster
    /// directory.
    ///
    /// The directory is removed only if its name is one this crate creates
    /// (`etcd-testkit-*`), as a guard against a corrupted state file.
    pub fn kill(&self) -> io::Result<()> {
        let pids = self.running_pids();
        for &pid in &pids {
            // A frozen member dies of SIGKILL too; SIGCONT is just tidy.
            let _ = process::send_signal(pid, Signal::SIGCONT);
            process::send_signal(pid, Signal::SIGKILL)?;
        }
        for &pid in &pids {
            if !process::wait_until(KILL_TIMEOUT, || !process::is_alive(pid)) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("etcd process {pid} still alive {KILL_TIMEOUT:?} after SIGKILL"),
                ));
            }
        }
        remove_cluster_dir(&self.dir)
    }
}

/// Removes a cluster directory, refusing anything not named `etcd-testkit-*`.
fn remove_cluster_dir(dir: &Path) -> io::Result<()> {
    let ours = dir.file_name().is_some_and(|n| n.to_string_lossy().starts_with(DIR_PREFIX));
    if !ours {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to remove {}: not a directory created by etcd-testkit", dir.display()),
        ));
    }
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_remove_foreign_dirs() {
        let d = tempfile::tempdir().unwrap();
        let c = DetachedCluster { dir: d.path().to_path_buf(), members: vec![] };
        assert!(c.kill().is_err());
        assert!(d.path().exists());
    }

    #[test]
    fn ignores_pids_that_are_not_its_etcd() {
        let d = tempfile::Builder::new().prefix(DIR_PREFIX).tempdir().unwrap();
        let c = DetachedCluster {
            dir: d.path().to_path_buf(),
            members: vec![DetachedMember {
                name: "m0".into(),
                pid: std::process::id(),
                client_url: "http://127.0.0.1:1".into(),
                peer_url: "http://127.0.0.1:2".into(),
            }],
        };
        assert!(c.running_pids().is_empty());
        assert!(!c.members[0].is_healthy());
        // Must not signal this test process, only remove the directory.
        c.kill().unwrap();
        assert!(!d.path().exists());
        assert_eq!(c.endpoints(), vec!["http://127.0.0.1:1".to_string()]);
    }
}
