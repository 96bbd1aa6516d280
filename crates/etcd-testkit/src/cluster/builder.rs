//! The options of a cluster and its start: ports, directories, members, and retries when a port was taken.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::Cluster;
use super::dirs::{default_data_root, free_ports, make_cluster_dir, sweep_stale_dirs, unique_token};
use super::member::{Member, NewMember, ports_per_member};
use crate::binary::EtcdBinary;
use crate::tls::ClientTls;
use crate::watchdog;

/// How long [`Cluster::start`] and [`Cluster::restart`] wait for members to
/// become ready, unless told otherwise ([`ClusterBuilder::ready_timeout`]).
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a start is tried with fresh ports before giving up
/// ([`ClusterBuilder::start_attempts`]).
pub const DEFAULT_START_ATTEMPTS: u32 = 3;

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
    /// Whether members serve the v2 API (on by default: this is a v2 client's test kit).
    v2: bool,
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
            v2: true,
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

    /// Starts members without the v2 API (no `--enable-v2`), as etcd 3.4 and 3.5 run by default: for tests of
    /// what a client does with a cluster that serves only v3. Readiness then means `/health` alone.
    pub fn without_v2(mut self) -> Self {
        self.v2 = false;
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
        let per_member = ports_per_member(client_tls.is_some());
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
            let member = Member::new(NewMember {
                name,
                ports: &ports[per_member * i..per_member * (i + 1)],
                root: &root,
                advertised_client_url: self.advertised_client_urls.get(i).cloned(),
                initial_cluster: &initial_cluster,
                initial_state: "new",
                token: &token,
                binary,
                client_tls: client_tls.as_ref(),
                extra_args: &self.extra_args,
                v2: self.v2,
            });
            members.push(member.map_err(StartError::Fatal)?);
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
            v2: self.v2,
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

pub(super) enum StartError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_members_is_an_error() {
        let err = ClusterBuilder::new().members(0).start().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
