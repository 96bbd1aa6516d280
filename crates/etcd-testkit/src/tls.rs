//! Members that serve clients over TLS, watched over plain HTTP.
//!
//! A member started with [`ClusterBuilder::client_tls`](crate::ClusterBuilder::client_tls) listens for clients on
//! `https://` with the certificate and key given, and with
//! [`ClusterBuilder::client_cert_auth`](crate::ClusterBuilder::client_cert_auth) requires client certificates
//! signed by the CA given. This crate
//! speaks no TLS: it checks such a member through a second, plain-HTTP listener for metrics and health
//! (`--listen-metrics-urls`), which serves `/health` and `/metrics` whatever the client listener requires.

use std::ffi::OsString;
use std::path::PathBuf;

/// The client-side TLS files and options of every member.
#[derive(Clone, Debug)]
pub(crate) struct ClientTls {
    pub(crate) cert_file: PathBuf,
    pub(crate) key_file: PathBuf,
    /// The CA client certificates must be signed by; none means no client certificate is asked for.
    pub(crate) trusted_ca_file: Option<PathBuf>,
}

impl ClientTls {
    /// etcd's flags for these files, and for the plain-HTTP metrics listener on `metrics_port`.
    pub(crate) fn args(&self, metrics_port: u16) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--cert-file".into(),
            self.cert_file.clone().into(),
            "--key-file".into(),
            self.key_file.clone().into(),
            "--listen-metrics-urls".into(),
            format!("http://127.0.0.1:{metrics_port}").into(),
        ];
        // etcd asks for client certificates whenever it has a trusted CA, `--client-cert-auth` or not; both are
        // given so that the command line says what the member does.
        if let Some(ca) = &self.trusted_ca_file {
            args.extend(["--trusted-ca-file".into(), ca.clone().into(), "--client-cert-auth".into()]);
        }
        args
    }
}

/// Whether a `/metrics` body says the member is the raft leader (`etcd_server_is_leader 1`).
pub(crate) fn metrics_say_leader(body: &str) -> bool {
    body.lines().any(|line| line.split_whitespace().collect::<Vec<_>>() == ["etcd_server_is_leader", "1"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_cert_auth_without_client_tls_is_refused() {
        let err = crate::Cluster::builder().client_cert_auth("/ca.pem").start().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("client_cert_auth needs client_tls"), "{err}");
    }

    #[test]
    fn reads_leadership_from_metrics() {
        let leader = "# HELP etcd_server_is_leader ...\n# TYPE etcd_server_is_leader gauge\netcd_server_is_leader 1\n";
        assert!(metrics_say_leader(leader));
        assert!(!metrics_say_leader("etcd_server_is_leader 0\netcd_server_is_learner 1\n"));
        assert!(!metrics_say_leader(""));
    }

    #[test]
    fn flags_name_every_file_and_client_cert_auth_only_when_asked() {
        let tls = ClientTls { cert_file: "/c.pem".into(), key_file: "/k.pem".into(), trusted_ca_file: None };
        let args = tls.args(4000);
        let text: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            text,
            ["--cert-file", "/c.pem", "--key-file", "/k.pem", "--listen-metrics-urls", "http://127.0.0.1:4000"]
        );
        let strict = ClientTls { trusted_ca_file: Some("/ca.pem".into()), ..tls };
        let args = strict.args(1);
        let tail: Vec<&str> = args[6..].iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(tail, ["--trusted-ca-file", "/ca.pem", "--client-cert-auth"]);
    }
}
