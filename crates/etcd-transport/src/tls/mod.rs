//! HTTPS to etcd members: which certificates to trust, which client certificate to present, and what a failed
//! handshake means.
//!
//! `https://` endpoints work with no configuration: the server's certificate is checked against the system's
//! roots (loaded once per process, on the first handshake, honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`). A
//! [`TlsConfig`] given to [`Config::tls`](crate::Config::tls) replaces them with your own CA and adds a client
//! certificate, as an etcd started with `--trusted-ca-file` and `--client-cert-auth` needs:
//!
//! ```no_run
//! # fn run() -> Result<(), etcd_core::Error> {
//! use etcd_transport::{Client, TlsConfig};
//!
//! let client = Client::builder(["https://10.0.0.1:2379"])
//!     .tls(
//!         TlsConfig::new()
//!             .ca_pem_file("/etc/etcd/ca.pem")
//!             .client_identity_pem_files("/etc/etcd/client.pem", "/etc/etcd/client-key.pem"),
//!     )
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! The server's name is the endpoint's host, a DNS name or an IP address (which the certificate must list as an
//! IP address); [`TlsConfig::server_name`] overrides it. A handshake that fails ends the attempt with a
//! [`TlsError`] inside a [`ConnectError`](crate::ConnectError): the request never left, so the next endpoint may
//! be tried whatever the request. Its [`kind`](TlsError::kind) says which side refused and why.
//!
//! Built with rustls and its `ring` provider, behind the `tls` feature (on by default).

mod client_config;
mod error;
mod probe;
mod verifier;

use std::fmt;
use std::path::PathBuf;

pub use error::{TlsError, TlsErrorKind};

pub(crate) use client_config::https_connector;
pub(crate) use error::classify;
pub(crate) use probe::{https_uri, refused_after_handshake, speaks_tls};

/// How to talk TLS to `https://` endpoints: the CAs to trust, the client certificate to present, the name to
/// check. Every setter returns the config; files are read, and PEM parsed, when the client is built, so that a
/// mistake is a [`Config::build`](crate::Config::build) error naming the file.
///
/// The default trusts the system's roots and presents no client certificate.
#[must_use = "a TlsConfig does nothing until given to Config::tls"]
#[derive(Clone, Default)]
pub struct TlsConfig {
    cas: Vec<Pem>,
    identity: Option<(Pem, Pem)>,
    server_name: Option<String>,
    accept_invalid_certificates: bool,
}

/// PEM text, given as is or as a file read at build time.
#[derive(Clone)]
enum Pem {
    Text(Vec<u8>),
    File(PathBuf),
}

impl TlsConfig {
    /// The system's roots, no client certificate, the endpoint's host as the server name.
    pub fn new() -> Self {
        TlsConfig::default()
    }

    /// Trusts the CA certificates of this PEM bundle instead of the system's roots (etcd's `--trusted-ca-file`
    /// on the client side). Call it again to trust more bundles.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.cas.push(Pem::Text(pem.into()));
        self
    }

    /// Like [`TlsConfig::ca_pem`], reading the bundle from `path` when the client is built.
    pub fn ca_pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cas.push(Pem::File(path.into()));
        self
    }

    /// Presents this client certificate (its chain, leaf first) and private key (PKCS#8, PKCS#1 or SEC1), for a
    /// member started with `--client-cert-auth`.
    pub fn client_identity_pem(mut self, cert_chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.identity = Some((Pem::Text(cert_chain.into()), Pem::Text(key.into())));
        self
    }

    /// Like [`TlsConfig::client_identity_pem`], reading both files when the client is built.
    pub fn client_identity_pem_files(mut self, cert_chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.identity = Some((Pem::File(cert_chain.into()), Pem::File(key.into())));
        self
    }

    /// Checks the server's certificate against `name` (a DNS name or an IP address) instead of the endpoint's
    /// host: for members reached through addresses their certificates do not list.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Accepts any server certificate: expired, self-signed, for another name, from an unknown CA.
    ///
    /// Anyone between you and etcd can then read and change every request, credentials included. Meant for a
    /// throw-away test cluster only; building a client with it logs a warning.
    pub fn danger_accept_invalid_certificates(mut self) -> Self {
        self.accept_invalid_certificates = true;
        self
    }
}

impl TlsConfig {
    /// Whether handshakes offer a client certificate.
    pub(crate) fn presents_client_certificate(&self) -> bool {
        self.identity.is_some()
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cas", &self.cas)
            .field("client_identity", &self.identity.as_ref().map(|(cert, _key)| cert))
            .field("server_name", &self.server_name)
            .field("accept_invalid_certificates", &self.accept_invalid_certificates)
            .finish()
    }
}

/// Names the file, never prints PEM text (a key could be in it).
impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::Text(text) => write!(f, "<{} bytes of PEM>", text.len()),
            Pem::File(path) => write!(f, "{path:?}"),
        }
    }
}
