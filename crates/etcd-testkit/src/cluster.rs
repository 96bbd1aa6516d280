//! Starting, breaking and cleaning up etcd clusters.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::binary::{EtcdBinary, etcd_command};
use crate::detached::{DetachedCluster, DetachedMember};
use crate::http;
use crate::process;
use crate::tls::{self, ClientTls};
use crate::watchdog;

/// How long [`Cluster::start`] and [`Cluster::restart`] wait for members to
/// become ready, unless told otherwise ([`ClusterBuilder::ready_timeout`]).
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a start is tried with fresh ports before giving up
/// ([`ClusterBuilder::start_attempts`]).
pub const DEFAULT_START_ATTEMPTS: u32 = 3;

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

/// Timeout of one readiness probe (connect, write, read).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Pause between two rounds of readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long `stop`/`cont` wait for the kernel to report the new process state.
const SIGNAL_SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of a member's log goes into error messages.
const LOG_TAIL_LINES: usize = 25;

/// Options for starting a [`Cluster`]; obtained from [`Cluster::builder`].
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    pub(crate) members: usize,
    pub(crate) binary: Option<EtcdBinary>,
    extra_args: Vec<String>,
    ready_timeout: Duration,
    start_attempts: u32,
    data_root: Option<PathBuf>,
    /// The certificate and key members serve clients with.
    client_tls: Option<(PathBuf, PathBuf)>,
    /// The CA client certificates must be signed by.
    trusted_ca: Option<PathBuf>,
    /// What members advertise as their client URLs instead of the real ones, in member order.
    advertised_client_urls: Vec<String>,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        ClusterBuilder {
            members: 1,
            binary: None,
            extra_args: Vec::new(),
            ready_timeout: DEFAULT_READY_TIMEOUT,
            start_attempts: DEFAULT_START_ATTEMPTS,
            data_root: None,
            client_tls: None,
            trusted_ca: None,
            advertised_client_urls: Vec::new(),
        }
    }
}

impl ClusterBuilder {
    /// A builder for a single-member cluster with default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of members (default 1). Must be at least 1.
    pub fn members(mut self, members: usize) -> Self {
        self.members = members;
        self
    }

    /// The etcd binary to run (default: [`find_etcd`](crate::find_etcd)).
    pub fn binary(mut self, binary: EtcdBinary) -> Self {
        self.binary = Some(binary);
        self
    }

    /// Adds a command-line argument passed to every member, after the ones
    /// this crate sets (for example `--heartbeat-interval=50`).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// Adds several arguments, see [`ClusterBuilder::arg`].
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// How long to wait for every member to become ready, per start attempt
    /// and per [`Cluster::restart`] (default [`DEFAULT_READY_TIMEOUT`]).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// How many times to try the start, each time with new ports, when a
    /// member exits during startup (typically because another process took
    /// its port in the meantime). Default [`DEFAULT_START_ATTEMPTS`]; at least 1.
    pub fn start_attempts(mut self, attempts: u32) -> Self {
        self.start_attempts = attempts.max(1);
        self
    }

    /// Directory under which the cluster's temporary directory is created
    /// (default: `$ETCD_TESTKIT_TMPDIR`, else `/dev/shm` when it exists and has
    /// room, else the system temporary directory).
    pub fn data_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_root = Some(dir.into());
        self
    }

    /// Serves clients over TLS: client URLs become `https://127.0.0.1:<port>`,
    /// with this certificate and key (PEM files; the certificate should list
    /// the IP address `127.0.0.1`). Peers still talk plain HTTP.
    ///
    /// This crate speaks no TLS: readiness and leadership are read from a
    /// plain-HTTP metrics listener (`--listen-metrics-urls`, `/health` and
    /// `/metrics`), and the v2 API is not probed (`--enable-v2` is set all the
    /// same).
    pub fn client_tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_tls = Some((cert.into(), key.into()));
        self
    }

    /// Requires a client certificate signed by the CA in the PEM file
    /// `trusted_ca` (`--trusted-ca-file` and `--client-cert-auth`; etcd asks
    /// for one whenever it has a trusted CA). Needs
    /// [`ClusterBuilder::client_tls`]; [`ClusterBuilder::start`] refuses it
    /// alone.
    pub fn client_cert_auth(mut self, trusted_ca: impl Into<PathBuf>) -> Self {
        self.trusted_ca = Some(trusted_ca.into());
        self
    }

    /// Has the members advertise these client URLs (`--advertise-client-urls`, one per member, in order) while
    /// they listen on their real ones: what the members API lists for them, and what a client's sync picks up.
    /// For tests of clients that cannot reach what members advertise (tunnels, proxies); keep the URLs on
    /// loopback (`http://127.0.0.1:1` is closed everywhere). Members beyond the list advertise their real URL.
    /// [`Member::client_url`] stays the real one.
    pub fn advertise_client_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.advertised_client_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Starts the cluster and waits until every member is ready: `/health`
    /// reports `"health":"true"` (the member sees a leader) and `GET /v2/keys/`
    /// answers 200 (the v2 API is on).
    ///
    /// Fails with [`io::ErrorKind::NotFound`] if no binary was given and none
    /// is found, and otherwise with a message that includes the end of the
    /// failing member's log.
    pub fn start(self) -> io::Result<Cluster> {
        if self.members == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a cluster needs at least one member"));
        }
        if self.trusted_ca.is_some() && self.client_tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "client_cert_auth needs client_tls: client certificates are checked over TLS only",
            ));
        }
        let binary = match &self.binary {
            Some(b) => b.clone(),
            None => crate::try_find_etcd()?.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "no etcd binary found (set ETCD_BIN, put etcd on PATH, or run `cargo xtask etcd provision`)",
                )
            })?,
        };
        let mut failures = Vec::new();
        for attempt in 1..=self.start_attempts {
            match self.try_start(&binary) {
                Ok(cluster) => return Ok(cluster),
                Err(StartError::Fatal(e)) => return Err(e),
                Err(StartError::Retry(e)) => {
                    failures.push(format!("attempt {attempt}: {e}"));
                }
            }
        }
        Err(io::Error::other(format!(
            "{binary}: cluster of {} failed to start {} times:\n{}",
            self.members,
            self.start_attempts,
            failures.join("\n")
        )))
    }

    fn try_start(&self, binary: &EtcdBinary) -> Result<Cluster, StartError> {
        let n = self.members;
        let root_parent = match &self.data_root {
            Some(d) => d.clone(),
            None => default_data_root(n),
        };
        sweep_stale_dirs(&root_parent);
        let dir = make_cluster_dir(&root_parent).map_err(StartError::Fatal)?;
        let root = dir.path().to_path_buf();
        let client_tls = self.client_tls.as_ref().map(|(cert, key)| ClientTls {
            cert_file: cert.clone(),
            key_file: key.clone(),
            trusted_ca_file: self.trusted_ca.clone(),
        });
        // Per member: client and peer ports, and a metrics port for members serving TLS.
        let per_member = if client_tls.is_some() { 3 } else { 2 };
        let ports = free_ports(per_member * n).map_err(StartError::Fatal)?;
        let token = unique_token();
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let initial_cluster = names
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name}=http://127.0.0.1:{}", ports[per_member * i + 1]))
            .collect::<Vec<_>>()
            .join(",");

        let mut members = Vec::with_capacity(n);
        for (i, name) in names.into_iter().enumerate() {
            let member_dir = root.join(&name);
            fs::create_dir_all(&member_dir).map_err(StartError::Fatal)?;
            let scheme = if client_tls.is_some() { "https" } else { "http" };
            let client_url = format!("{scheme}://127.0.0.1:{}", ports[per_member * i]);
            let peer_url = format!("http://127.0.0.1:{}", ports[per_member * i + 1]);
            let metrics_port = client_tls.as_ref().map(|_| ports[per_member * i + 2]);
            let data_dir = member_dir.join("data");
            let advertised_client_url =
                self.advertised_client_urls.get(i).cloned().unwrap_or_else(|| client_url.clone());
            let flags = MemberFlags {
                name: &name,
                data_dir: &data_dir,
                client_url: &client_url,
                advertised_client_url: &advertised_client_url,
                peer_url: &peer_url,
                initial_cluster: &initial_cluster,
                initial_state: "new",
                token: &token,
            };
            let args = flags.args(binary, client_tls.as_ref().zip(metrics_port), &self.extra_args);
            members.push(Member {
                name,
                advertised_client_url,
                client_port: ports[per_member * i],
                peer_port: ports[per_member * i + 1],
                metrics_port,
                dir: member_dir,
                data_dir,
                args,
                child: None,
                stopped: false,
            });
        }

        // Best effort: without `sh`, clusters are still cleaned up on drop, as before.
        let watchdog = watchdog::spawn(&root).ok();
        let mut cluster = Cluster {
            binary: binary.clone(),
            members,
            dir: Some(dir),
            root,
            ready_timeout: self.ready_timeout,
            token,
            client_tls,
            extra_args: self.extra_args.clone(),
            watchdog,
        };
        for i in 0..n {
            // A failure to spawn at all (binary gone, no permission) is not
            // something new ports would fix.
            cluster.spawn(i).map_err(StartError::Fatal)?;
        }
        let all: Vec<usize> = (0..n).collect();
        cluster.wait_members(&all, self.ready_timeout)?;
        Ok(cluster)
        // On error, dropping `cluster` kills what was started and removes the directory.
    }
}

enum StartError {
    /// A member exited during startup: worth another try with new ports.
    Retry(io::Error),
    /// Anything else.
    Fatal(io::Error),
}

impl From<StartError> for io::Error {
    fn from(e: StartError) -> io::Error {
        match e {
            StartError::Retry(e) | StartError::Fatal(e) => e,
        }
    }
}

/// What the testkit last did to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// Started (or restarted, or continued) and not killed since.
    Running,
    /// Frozen with SIGSTOP by [`Cluster::stop`].
    Stopped,
    /// Killed with SIGKILL by [`Cluster::kill`] (or found dead); not running.
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
        args.push("--enable-v2=true".into());
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

/// One etcd member of a [`Cluster`].
#[derive(Debug)]
pub struct Member {
    name: String,
    /// What the member advertises as its client URL; the real one unless the test chose otherwise.
    advertised_client_url: String,
    client_port: u16,
    peer_port: u16,
    /// The plain-HTTP metrics and health listener of a member serving clients over TLS.
    metrics_port: Option<u16>,
    dir: PathBuf,
    data_dir: PathBuf,
    args: Vec<OsString>,
    child: Option<Child>,
    stopped: bool,
}

impl Member {
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
    /// the cluster was built with [`ClusterBuilder::advertise_client_urls`].
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

    /// The member's `--data-dir`; it survives [`Cluster::kill`] and is reused
    /// by [`Cluster::restart`].
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
    fn probe(&self) -> Result<(), String> {
        match http::get(self.health_addr(), "/health", PROBE_TIMEOUT) {
            Ok(r) if r.status == 200 && http::is_healthy_body(&r.body) => {}
            Ok(r) => return Err(format!("/health answered {} {}", r.status, r.body.trim())),
            Err(e) => return Err(format!("/health: {e}")),
        }
        if self.metrics_port.is_some() {
            return Ok(());
        }
        match http::get(self.client_addr(), "/v2/keys/", PROBE_TIMEOUT) {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(format!("/v2/keys/ answered {} {} (is the v2 API enabled?)", r.status, r.body.trim())),
            Err(e) => Err(format!("/v2/keys/: {e}")),
        }
    }

    /// Whether the member says it is the raft leader (`GET /v2/stats/self`).
    fn says_leader(&self) -> bool {
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
    fn terminate(&mut self) -> io::Result<()> {
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
        let per_member = if self.client_tls.is_some() { 3 } else { 2 };
        let ports = free_ports(per_member)?;
        let member_dir = self.root.join(&name);
        fs::create_dir_all(&member_dir)?;
        let scheme = if self.client_tls.is_some() { "https" } else { "http" };
        let client_url = format!("{scheme}://127.0.0.1:{}", ports[0]);
        let peer_url = format!("http://127.0.0.1:{}", ports[1]);
        let metrics_port = self.client_tls.as_ref().map(|_| ports[2]);
        let initial_cluster = self
            .members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .chain([format!("{name}={peer_url}")])
            .collect::<Vec<_>>()
            .join(",");
        let data_dir = member_dir.join("data");
        let flags = MemberFlags {
            name: &name,
            data_dir: &data_dir,
            client_url: &client_url,
            advertised_client_url: &client_url,
            peer_url: &peer_url,
            initial_cluster: &initial_cluster,
            initial_state: "existing",
            token: &self.token,
        };
        let args = flags.args(&self.binary, self.client_tls.as_ref().zip(metrics_port), &self.extra_args);
        self.members.push(Member {
            name,
            advertised_client_url: client_url,
            client_port: ports[0],
            peer_port: ports[1],
            metrics_port,
            dir: member_dir,
            data_dir,
            args,
            child: None,
            stopped: false,
        });
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

fn not_running(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, format!("member {name} is not running (killed); restart it first"))
}

fn exited_error(m: &Member, status: ExitStatus) -> io::Error {
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

fn indent(text: &str) -> String {
    if text.trim().is_empty() {
        return "    (empty)".to_string();
    }
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// The last `lines` lines of the file (reading at most its last 16 KiB).
fn read_tail(path: &Path, lines: usize) -> String {
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

/// `n` distinct free TCP ports on 127.0.0.1. They are free when this returns,
/// but another process may take one before etcd binds it; starts are retried
/// for that reason.
pub(crate) fn free_ports(n: usize) -> io::Result<Vec<u16>> {
    let listeners = (0..n).map(|_| TcpListener::bind(("127.0.0.1", 0))).collect::<io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect()
}

fn unique_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("etcd-testkit-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `$ETCD_TESTKIT_TMPDIR`, else `/dev/shm` if it exists and has room for
/// the members' preallocated WAL files (64 MiB each), else the temp dir.
fn default_data_root(members: usize) -> PathBuf {
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
fn make_cluster_dir(parent: &Path) -> io::Result<TempDir> {
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
fn sweep_stale_dirs(parent: &Path) {
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

    #[test]
    fn zero_members_is_an_error() {
        let err = Cluster::builder().members(0).start().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
