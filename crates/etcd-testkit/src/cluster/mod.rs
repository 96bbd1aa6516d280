//! Starting, breaking and cleaning up etcd clusters: the options and the start ([`builder`]), one member
//! ([`member`]), where clusters live on disk ([`dirs`]), and here what a test does to a running cluster.

mod builder;
mod dirs;
mod member;

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tempfile::TempDir;

use builder::StartError;
pub use builder::{ClusterBuilder, DEFAULT_READY_TIMEOUT, DEFAULT_START_ATTEMPTS};
pub use dirs::DATA_ROOT_ENV;
pub(crate) use dirs::{DIR_PREFIX, free_ports};
use member::{LOG_TAIL_LINES, NewMember, exited_error, indent, not_running, ports_per_member};
pub use member::{Member, MemberState};

use crate::binary::{EtcdBinary, etcd_command};
use crate::detached::{DetachedCluster, DetachedMember};
use crate::process;
use crate::tls::ClientTls;
use crate::watchdog;

/// Pause between two rounds of readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long `stop`/`cont` wait for the kernel to report the new process state.
const SIGNAL_SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// A running etcd cluster of one or more members on loopback ports, with its
/// own temporary directory. Dropping it kills every member and removes the
/// directory (also when a test panics).
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use etcd_testkit::Cluster;
///
/// let mut cluster = Cluster::start(3)?;
/// let endpoints = cluster.endpoints(); // ["http://127.0.0.1:…", …]
/// cluster.kill(0)?;                     // SIGKILL member m0
/// cluster.restart(0)?;                  // same name, ports and data; waits until ready
/// cluster.stop(1)?;                     // SIGSTOP: m1 hangs without closing connections
/// cluster.cont(1)?;                     // SIGCONT
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Cluster {
    binary: EtcdBinary,
    members: Vec<Member>,
    dir: Option<TempDir>,
    root: PathBuf,
    ready_timeout: Duration,
    /// The `--initial-cluster-token` of the members, for members joining later.
    token: String,
    /// The client TLS files of the members, for members joining later.
    client_tls: Option<ClientTls>,
    /// The builder's extra arguments, for members joining later.
    extra_args: Vec<String>,
    /// Whether members serve the v2 API, for members joining later.
    v2: bool,
    /// Kills the members and removes the directory if this process dies without dropping the cluster (see
    /// the watchdog module); `None` where `sh` could not be started.
    watchdog: Option<Child>,
}

impl Cluster {
    /// A builder, for options beyond the member count.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::new()
    }

    /// Starts a cluster of `members` members with the etcd binary from
    /// [`find_etcd`](crate::find_etcd), and waits until all are ready.
    /// See [`ClusterBuilder::start`].
    pub fn start(members: usize) -> io::Result<Cluster> {
        ClusterBuilder::new().members(members).start()
    }

    /// The etcd binary the members run.
    pub fn binary(&self) -> &EtcdBinary {
        &self.binary
    }

    /// Client URLs of all members, in member order (killed ones included).
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(Member::client_url).collect()
    }

    /// All members, in order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Member `index`.
    ///
    /// # Panics
    /// If `index` is out of range.
    pub fn member(&self, index: usize) -> &Member {
        &self.members[index]
    }

    /// The cluster's temporary directory, holding one `mN/` directory per
    /// member (with `data/` and `etcd.log`).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Index of the member that currently says it is the leader, among those
    /// not killed or stopped, or `None` if none does.
    pub fn leader(&self) -> Option<usize> {
        self.members.iter().position(|m| m.state() == MemberState::Running && m.says_leader())
    }

    /// Waits until some running member says it is the leader, at most `timeout`.
    pub fn wait_leader(&self, timeout: Duration) -> io::Result<usize> {
        let mut found = None;
        if process::wait_until(timeout, || {
            found = self.leader();
            found.is_some()
        }) {
            found.ok_or_else(|| io::Error::other("leader vanished"))
        } else {
            Err(io::Error::new(io::ErrorKind::TimedOut, format!("no member reported itself leader within {timeout:?}")))
        }
    }

    /// Kills member `index` with SIGKILL and reaps it. Its data directory is
    /// kept, for [`Cluster::restart`]. Killing a killed member does nothing.
    ///
    /// # Panics
    /// If `index` is out of range (as do all methods taking a member index).
    pub fn kill(&mut self, index: usize) -> io::Result<()> {
        self.members[index].terminate()
    }

    /// Freezes member `index` with SIGSTOP: it keeps its sockets open but
    /// answers nothing, like a hung or partitioned machine. Returns once the
    /// kernel reports the process stopped.
    pub fn stop(&mut self, index: usize) -> io::Result<()> {
        let m = &mut self.members[index];
        let pid = m.pid().ok_or_else(|| not_running(&m.name))?;
        process::send_signal(pid, Signal::SIGSTOP)?;
        m.stopped = true;
        process::wait_until(SIGNAL_SETTLE_TIMEOUT, || matches!(process::process_state(pid), Some('T' | 't') | None));
        Ok(())
    }

    /// Resumes member `index` after [`Cluster::stop`] with SIGCONT. Returns once
    /// the kernel reports the process no longer stopped; it does not wait for
    /// the member to be healthy again (see [`Cluster::wait_ready`]).
    pub fn cont(&mut self, index: usize) -> io::Result<()> {
        let m = &mut self.members[index];
        let pid = m.pid().ok_or_else(|| not_running(&m.name))?;
        process::send_signal(pid, Signal::SIGCONT)?;
        m.stopped = false;
        process::wait_until(SIGNAL_SETTLE_TIMEOUT, || !matches!(process::process_state(pid), Some('T' | 't')));
        Ok(())
    }

    /// Starts member `index` again with the same name, ports and data
    /// directory (killing it first if it is still running), then waits until
    /// it is ready, at most the builder's ready timeout.
    ///
    /// Readiness needs a leader, so in a multi-member cluster that has lost
    /// quorum use [`Cluster::restart_no_wait`] for all but the last member.
    pub fn restart(&mut self, index: usize) -> io::Result<()> {
        self.restart_no_wait(index)?;
        self.wait_members(&[index], self.ready_timeout).map_err(io::Error::from)
    }

    /// Adds a member to this value without starting it, for a test that grows the cluster: the next name (`m3`
    /// after `m0` to `m2`), free loopback ports, a data directory, and the flags to join the running cluster
    /// (`--initial-cluster-state existing`, `--initial-cluster` naming every member of this value, killed ones
    /// included, and the new one). Returns its index.
    ///
    /// Announce its peer URL ([`Member::peer_url`]) to the cluster first (the members API's add, `POST
    /// /v2/members`), then start it with [`Cluster::start_member`]: etcd refuses a member it was not told about,
    /// and one whose `--initial-cluster` differs from its member list (so a test that removed members through
    /// the API should not add more this way).
    pub fn new_member(&mut self) -> io::Result<usize> {
        let index = self.members.len();
        let name = (index..).map(|i| format!("m{i}")).find(|n| self.members.iter().all(|m| &m.name != n));
        let name = name.expect("an unbounded range has a free name");
        let ports = free_ports(ports_per_member(self.client_tls.is_some()))?;
        let initial_cluster = self
            .members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .chain([format!("{name}=http://127.0.0.1:{}", ports[1])])
            .collect::<Vec<_>>()
            .join(",");
        let member = Member::new(NewMember {
            name,
            ports: &ports,
            root: &self.root,
            advertised_client_url: None,
            initial_cluster: &initial_cluster,
            initial_state: "existing",
            token: &self.token,
            binary: &self.binary,
            client_tls: self.client_tls.as_ref(),
            extra_args: &self.extra_args,
            v2: self.v2,
        })?;
        self.members.push(member);
        Ok(index)
    }

    /// Starts member `index`, one made by [`Cluster::new_member`] (it then joins the cluster) or one that was
    /// killed, and waits until it is ready, at most the builder's ready timeout. The same as
    /// [`Cluster::restart`].
    pub fn start_member(&mut self, index: usize) -> io::Result<()> {
        self.restart(index)
    }

    /// Like [`Cluster::restart`], without waiting for readiness.
    pub fn restart_no_wait(&mut self, index: usize) -> io::Result<()> {
        self.members[index].terminate()?;
        self.spawn(index)
    }

    /// Waits until every member that is neither killed nor stopped is ready
    /// (healthy and serving v2), at most `timeout`.
    pub fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let running: Vec<usize> =
            (0..self.members.len()).filter(|&i| self.members[i].state() == MemberState::Running).collect();
        self.wait_members(&running, timeout).map_err(io::Error::from)
    }

    /// Lets the member processes outlive this value (and this process): they
    /// are not killed, and the directory is not removed, on drop. The returned
    /// value tells what to clean up later, see [`DetachedCluster::kill`].
    pub fn into_detached(mut self) -> DetachedCluster {
        if let Some(watchdog) = self.watchdog.take() {
            watchdog::stop(watchdog);
        }
        let root = match self.dir.take() {
            Some(dir) => dir.keep(),
            None => self.root.clone(),
        };
        let members = std::mem::take(&mut self.members)
            .into_iter()
            .filter_map(|mut m| {
                // Dropping a `Child` neither kills nor waits for the process.
                let pid = m.child.take()?.id();
                Some(DetachedMember { name: m.name.clone(), pid, client_url: m.client_url(), peer_url: m.peer_url() })
            })
            .collect();
        DetachedCluster { dir: root, members }
    }

    fn spawn(&mut self, index: usize) -> io::Result<()> {
        let m = &mut self.members[index];
        let log = OpenOptions::new().create(true).append(true).open(m.log_path())?;
        let mut cmd = etcd_command(self.binary.path());
        cmd.args(&m.args).stdout(log.try_clone()?).stderr(log);
        let child = cmd.spawn().map_err(|e| {
            io::Error::new(e.kind(), format!("cannot start {} for member {}: {e}", self.binary, m.name))
        })?;
        m.child = Some(child);
        m.stopped = false;
        // Best effort too: a watchdog without the newest pid still removes the directory.
        let pids = self.members.iter().filter_map(|m| m.child.as_ref().map(Child::id));
        let _ = watchdog::write_pids(&self.root, pids);
        Ok(())
    }

    /// Waits until the members `indices` are ready. A member that exits is a
    /// retryable error; the deadline passing is not.
    fn wait_members(&mut self, indices: &[usize], timeout: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        let mut pending: Vec<usize> = indices.to_vec();
        let mut last_seen: Vec<(usize, String)> = Vec::new();
        loop {
            last_seen.clear();
            let mut still = Vec::new();
            for &i in &pending {
                let m = &mut self.members[i];
                let Some(child) = m.child.as_mut() else {
                    return Err(StartError::Fatal(not_running(&m.name)));
                };
                if let Some(status) = child.try_wait().map_err(StartError::Fatal)? {
                    m.child = None;
                    return Err(StartError::Retry(exited_error(m, status)));
                }
                if let Err(seen) = m.probe() {
                    last_seen.push((i, seen));
                    still.push(i);
                }
            }
            pending = still;
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let mut msg = format!(
                    "{}: not ready within {timeout:?} (cluster directory {}):",
                    self.binary,
                    self.root.display()
                );
                for (i, seen) in &last_seen {
                    let m = &self.members[*i];
                    let _ = write!(
                        msg,
                        "\n- member {} ({}): {seen}\n  last {LOG_TAIL_LINES} lines of {}:\n{}",
                        m.name,
                        m.client_url(),
                        m.log_path().display(),
                        indent(&m.log_tail(LOG_TAIL_LINES))
                    );
                }
                return Err(StartError::Fatal(io::Error::new(io::ErrorKind::TimedOut, msg)));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for m in &mut self.members {
            let _ = m.terminate();
        }
        if let Some(watchdog) = self.watchdog.take() {
            watchdog::stop(watchdog);
        }
        // `self.dir` (a `TempDir`) then removes the directory.
    }
}
