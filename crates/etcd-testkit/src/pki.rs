//! Certificates for TLS members, made by the test: so that TLS is tested against a real etcd without files
//! checked in.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use tempfile::TempDir;

use crate::Cluster;

/// A CA with a server certificate (for `localhost` and the IP address 127.0.0.1) and a client certificate, and
/// a second CA with a client certificate of its own; every file PEM, in a temporary directory removed on drop.
///
/// Files: `ca.pem`, `other-ca.pem`, `server.pem` / `server-key.pem`, `client.pem` / `client-key.pem` (signed by
/// the first CA), `stranger.pem` / `stranger-key.pem` (signed by the other CA).
#[derive(Debug)]
pub struct TestPki {
    dir: TempDir,
}

impl TestPki {
    /// Makes the CAs, certificates and keys.
    ///
    /// # Panics
    /// When the temporary directory cannot be written (a test set-up failure).
    #[must_use]
    pub fn new() -> TestPki {
        let dir = tempfile::tempdir().expect("a temporary directory for the test PKI");
        let (ca, ca_key) = new_ca("etcd test CA");
        let (other_ca, other_ca_key) = new_ca("some other CA");
        let write = |name: &str, text: String| {
            std::fs::write(dir.path().join(name), text).expect("the test PKI's files written");
        };
        write("ca.pem", ca.pem());
        write("other-ca.pem", other_ca.pem());
        let (cert, key) =
            leaf("etcd server", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, &ca, &ca_key);
        write("server.pem", cert);
        write("server-key.pem", key);
        let (cert, key) = leaf("client", &[], ExtendedKeyUsagePurpose::ClientAuth, &ca, &ca_key);
        write("client.pem", cert);
        write("client-key.pem", key);
        let (cert, key) = leaf("stranger", &[], ExtendedKeyUsagePurpose::ClientAuth, &other_ca, &other_ca_key);
        write("stranger.pem", cert);
        write("stranger-key.pem", key);
        TestPki { dir }
    }

    /// The path of one of the files.
    #[must_use]
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A member serving clients over TLS with the server certificate; with `client_cert_auth`, requiring client
    /// certificates signed by the first CA. `None` (after a loud message) when etcd is not available and not
    /// required.
    #[must_use]
    pub fn etcd(&self, client_cert_auth: bool) -> Option<Cluster> {
        let builder = Cluster::builder().client_tls(self.path("server.pem"), self.path("server-key.pem"));
        let builder = if client_cert_auth { builder.client_cert_auth(self.path("ca.pem")) } else { builder };
        builder.start_or_skip()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

fn new_ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    (params.self_signed(&key).expect("a self-signed CA"), key)
}

fn leaf(
    name: &str,
    alt_names: &[&str],
    usage: ExtendedKeyUsagePurpose,
    ca: &rcgen::Certificate,
    ca_key: &KeyPair,
) -> (String, String) {
    let key = KeyPair::generate().expect("a key");
    let names = alt_names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let mut params = CertificateParams::new(names).expect("certificate parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![usage];
    (params.signed_by(&key, ca, ca_key).expect("a certificate signed by the CA").pem(), key.serialize_pem())
}
