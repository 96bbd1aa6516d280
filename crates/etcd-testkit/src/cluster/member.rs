//! One member: the flags that make it, where it listens, how it is probed, and how its failures are told.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::binary::EtcdBinary;
use crate::http;
use crate::process;
use crate::tls::{self, ClientTls};

/// Timeout of one readiness probe (connect, write, read).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How much of a member's log goes into error messages.
pub(super) const LOG_TAIL_LINES: usize = 25;

/// What the testkit last did to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// Started (or restarted, or continued) and not killed since.
    Running,
    /// Frozen with SIGSTOP by [`Cluster::stop`](super::Cluster::stop).
    Stopped,
    /// Killed with SIGKILL by [`Cluster::kill`](super::Cluster::kill) (or found dead); not running.
    Killed,
}

/// The command-line flags that make a member: who it is, where it listens, which cluster it starts or joins.
struct MemberFlags<'a> {
    name: &'a str,
    data_dir: &'a Path,
    client_url: &'a str,
    advertised_client_url: &'a str,
    peer_url: &'a str,
    initial_cluster: &'a str,
    /// `new` for a member of a new cluster, `existing` for one joining a running cluster.
    initial_state: &'a str,
    token: &'a str,
    /// Whether to serve the v2 API (`--enable-v2=true`).
    v2: bool,
}

impl MemberFlags<'_> {
    fn args(&self, binary: &EtcdBinary, tls: Option<(&ClientTls, u16)>, extra_args: &[String]) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let mut push = |flag: &str, value: &dyn AsRef<std::ffi::OsStr>| {
            args.push(flag.into());
            args.push(value.as_ref().to_os_string());
        };
        push("--name", &self.name);
        push("--data-dir", &self.data_dir);
        push("--listen-client-urls", &self.client_url);
        push("--advertise-client-urls", &self.advertised_client_url);
        push("--listen-peer-urls", &self.peer_url);
        push("--initial-advertise-peer-urls", &self.peer_url);
        push("--initial-cluster", &self.initial_cluster);
        push("--initial-cluster-state", &self.initial_state);
        push("--initial-cluster-token", &self.token);
        if self.v2 {
            args.push("--enable-v2=true".into());
        }
        args.push("--logger=zap".into());
        args.push("--log-outputs=stderr".into());
        if binary.supports_unsafe_no_fsync() {
            args.push("--unsafe-no-fsync".into());
        }
        if let Some((client_tls, metrics_port)) = tls {
            args.extend(client_tls.args(metrics_port));
        }
        args.extend(extra_args.iter().map(OsString::from));
        args
    }
}

/// One etcd member of a [`Cluster`](super::Cluster).
#[derive(Debug)]
pub struct Member {
    pub(super) name: String,
    /// What the member advertises as its client URL; the real one unless the test chose otherwise.
    pub(super) advertised_client_url: String,
    pub(super) client_port: u16,
    pub(super) peer_port: u16,
    /// The plain-HTTP metrics and health listener of a member serving clients over TLS.
    pub(super) metrics_port: Option<u16>,
    pub(super) dir: PathBuf,
    pub(super) data_dir: PathBuf,
    pub(super) args: Vec<OsString>,
    pub(super) child: Option<Child>,
    pub(super) stopped: bool,
    /// Whether the member serves the v2 API (`--enable-v2`), so that readiness probes it.
    pub(super) serves_v2: bool,
}

/// What makes a new member, started with a new cluster or joining a running one.
pub(super) struct NewMember<'a> {
    pub(super) name: String,
    /// Its client and peer ports, then a metrics port when it serves clients over TLS.
    pub(super) ports: &'a [u16],
    /// The cluster's directory, where the member's own (`<name>/`) is made.
    pub(super) root: &'a Path,
    /// What it advertises instead of its real client URL, if anything.
    pub(super) advertised_client_url: Option<String>,
    pub(super) initial_cluster: &'a str,
    /// `new` for a member of a new cluster, `existing` for one joining a running cluster.
    pub(super) initial_state: &'a str,
    pub(super) token: &'a str,
    pub(super) binary: &'a EtcdBinary,
    pub(super) client_tls: Option<&'a ClientTls>,
    pub(super) extra_args: &'a [String],
    pub(super) v2: bool,
}

/// How many ports a member takes: client and peer, and a plain metrics listener when it serves clients over TLS.
pub(super) fn ports_per_member(tls: bool) -> usize {
    if tls { 3 } else { 2 }
}

impl Member {
    /// A member not yet started: its directory made, its flags decided.
    pub(super) fn new(new: NewMember<'_>) -> io::Result<Member> {
        let member_dir = new.root.join(&new.name);
        fs::create_dir_all(&member_dir)?;
        let scheme = if new.client_tls.is_some() { "https" } else { "http" };
        let client_url = format!("{scheme}://127.0.0.1:{}", new.ports[0]);
        let peer_url = format!("http://127.0.0.1:{}", new.ports[1]);
        let metrics_port = new.client_tls.map(|_| new.ports[2]);
        let data_dir = member_dir.join("data");
        let advertised_client_url = new.advertised_client_url.unwrap_or_else(|| client_url.clone());
        let flags = MemberFlags {
            name: &new.name,
            data_dir: &data_dir,
            client_url: &client_url,
            advertised_client_url: &advertised_client_url,
            peer_url: &peer_url,
            initial_cluster: new.initial_cluster,
            initial_state: new.initial_state,
            token: new.token,
            v2: new.v2,
        };
        let args = flags.args(new.binary, new.client_tls.zip(metrics_port), new.extra_args);
        Ok(Member {
            name: new.name,
            advertised_client_url,
            client_port: new.ports[0],
            peer_port: new.ports[1],
            metrics_port,
            dir: member_dir,
            data_dir,
            args,
            child: None,
            stopped: false,
            serves_v2: new.v2,
        })
    }

    /// Member name (`m0`, `m1`, ...), as passed to `--name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Client URL, for example `http://127.0.0.1:41234` (`https://` for a
    /// member serving clients over TLS).
    pub fn client_url(&self) -> String {
        let scheme = if self.metrics_port.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    /// The client URL the member advertises (what the members API lists for it): [`Member::client_url`], unless
    /// the cluster was built with [`ClusterBuilder::advertise_client_urls`](super::ClusterBuilder::advertise_client_urls).
    pub fn advertised_client_url(&self) -> &str {
        &self.advertised_client_url
    }

    /// Peer URL, for example `http://127.0.0.1:41235`.
    pub fn peer_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer_port)
    }

    /// Client address (`127.0.0.1:port`).
    pub fn client_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.client_port))
    }

    /// Process id, or `None` while the member is killed.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What the testkit last did to this member.
    pub fn state(&self) -> MemberState {
        match (&self.child, self.stopped) {
            (None, _) => MemberState::Killed,
            (Some(_), true) => MemberState::Stopped,
            (Some(_), false) => MemberState::Running,
        }
    }

    /// The member's `--data-dir`; it survives [`Cluster::kill`](super::Cluster::kill) and is reused
    /// by [`Cluster::restart`](super::Cluster::restart).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// File receiving the member's stdout and stderr (appended to across restarts).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("etcd.log")
    }

    /// The last `lines` lines of the member's log.
    pub fn log_tail(&self, lines: usize) -> String {
        read_tail(&self.log_path(), lines)
    }

    /// Whether the member answers `GET /health` with `"health":"true"` within
    /// about two seconds. A member that is killed, frozen, or without a leader
    /// is not healthy.
    pub fn is_healthy(&self) -> bool {
        http::get(self.health_addr(), "/health", PROBE_TIMEOUT)
            .is_ok_and(|r| r.status == 200 && http::is_healthy_body(&r.body))
    }

    /// Whether the member is healthy and serves the v2 API (`GET /v2/keys/`
    /// answers 200; not probed on a member serving clients over TLS).
    pub fn is_ready(&self) -> bool {
        self.probe().is_ok()
    }

    /// `Ok` when ready, otherwise a description of what was seen.
    pub(super) fn probe(&self) -> Result<(), String> {
        match http::get(self.health_addr(), "/health", PROBE_TIMEOUT) {
            Ok(r) if r.status == 200 && http::is_healthy_body(&r.body) => {}
            Ok(r) => return Err(format!("/health answered {} {}", r.status, r.body.trim())),
            Err(e) => return Err(format!("/health: {e}")),
        }
        if self.metrics_port.is_some() || !self.serves_v2 {
            return Ok(());
        }
        match http::get(self.client_addr(), "/v2/keys/", PROBE_TIMEOUT) {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(format!("/v2/keys/ answered {} {} (is the v2 API enabled?)", r.status, r.body.trim())),
            Err(e) => Err(format!("/v2/keys/: {e}")),
        }
    }

    /// Whether the member says it is the raft leader (`GET /v2/stats/self`).
    pub(super) fn says_leader(&self) -> bool {
        if let Some(port) = self.metrics_port {
            let metrics = SocketAddr::from(([127, 0, 0, 1], port));
            return http::get(metrics, "/metrics", PROBE_TIMEOUT)
                .is_ok_and(|r| r.status == 200 && tls::metrics_say_leader(&r.body));
        }
        http::get(self.client_addr(), "/v2/stats/self", PROBE_TIMEOUT).is_ok_and(|r| {
            r.status == 200 && r.body.replace(char::is_whitespace, "").contains("\"state\":\"StateLeader\"")
        })
    }

    /// Where `/health` is served in plain HTTP: the client address, or the
    /// metrics listener of a member serving clients over TLS.
    fn health_addr(&self) -> SocketAddr {
        let port = self.metrics_port.unwrap_or(self.client_port);
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// Sends SIGCONT if frozen, then SIGKILL, and reaps the process.
    pub(super) fn terminate(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if self.stopped {
            // SIGKILL works on a stopped process too; continuing it first
            // just keeps the process table tidy if the kill fails.
            let _ = process::send_signal(child.id(), Signal::SIGCONT);
            self.stopped = false;
        }
        let killed = child.kill();
        let waited = child.wait();
        killed.and(waited.map(|_| ()))
    }
}

pub(super) fn not_running(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, format!("member {name} is not running (killed); restart it first"))
}

pub(super) fn exited_error(m: &Member, status: ExitStatus) -> io::Error {
    let tail = m.log_tail(LOG_TAIL_LINES);
    let hint = if tail.contains("address already in use") { " (a port was taken by another process)" } else { "" };
    io::Error::other(format!(
        "member {} ({}) exited during startup with {status}{hint}; last {LOG_TAIL_LINES} lines of {}:\n{}",
        m.name,
        m.client_url(),
        m.log_path().display(),
        indent(&tail)
    ))
}

pub(super) fn indent(text: &str) -> String {
    if text.trim().is_empty() {
        return "    (empty)".to_string();
    }
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// The last `lines` lines of the file (reading at most its last 16 KiB).
pub(super) fn read_tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 16 * 1024;
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX && f.seek(SeekFrom::Start(len - MAX)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    // When the read started mid-file, the first line is likely partial.
    let skip_partial = usize::from(len > MAX);
    let start = all.len().saturating_sub(lines).max(skip_partial.min(all.len()));
    all[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tail_of_a_log() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        fs::write(&p, "a\nb\nc\nd\n").unwrap();
        assert_eq!(read_tail(&p, 2), "c\nd");
        assert_eq!(read_tail(&p, 10), "a\nb\nc\nd");
        assert_eq!(read_tail(&dir.path().join("missing"), 3), "");
        let long: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        fs::write(&p, long).unwrap();
        assert_eq!(read_tail(&p, 2), "line 4998\nline 4999");
    }
}
