//! A [`TlsConfig`] made into rustls's client configuration and hyper-rustls's connector.

use std::sync::Arc;

use etcd_core::{InvalidRequest, InvalidRequestKind};
use hyper_rustls::{DefaultServerNameResolver, FixedServerNameResolver, HttpsConnector, ResolveServerName};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::ClientConfig;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::verifier::{Check, Verifier};
use super::{Pem, TlsConfig};

/// A connector for `http://` and `https://` URIs over `http`; `None` means the defaults (system roots).
///
/// # Errors
/// [`InvalidRequest`] of kind `Config` naming what is wrong: an unreadable file, PEM without a certificate or
/// key, a key that does not match the certificate, a server name that is neither a DNS name nor an IP address.
pub(crate) fn https_connector(
    tls: Option<&TlsConfig>,
    http: HttpConnector,
) -> Result<HttpsConnector<HttpConnector>, InvalidRequest> {
    let default = TlsConfig::default();
    let tls = tls.unwrap_or(&default);
    let config = client_config(tls)?;
    let resolver: Arc<dyn ResolveServerName + Send + Sync> = match &tls.server_name {
        Some(name) => Arc::new(FixedServerNameResolver::new(server_name(name)?)),
        None => Arc::new(DefaultServerNameResolver::default()),
    };
    Ok(HttpsConnector::new(http, config, false, resolver))
}

fn client_config(tls: &TlsConfig) -> Result<ClientConfig, InvalidRequest> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = if tls.accept_invalid_certificates {
        tracing::warn!(
            "TLS certificate verification is OFF (TlsConfig::danger_accept_invalid_certificates): anyone on the \
             path to etcd can read and change every request; never use this outside a throw-away test cluster"
        );
        Arc::new(Verifier::new(Check::AcceptAny, provider.clone()))
    } else if tls.cas.is_empty() {
        Arc::new(Verifier::new(Check::SystemRoots, provider.clone()))
    } else {
        trusted_cas(&tls.cas, provider.clone())?
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("the TLS provider cannot run: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match &tls.identity {
        None => Ok(builder.with_no_client_auth()),
        Some((cert_pem, key_pem)) => {
            let chain = certificates(cert_pem, "client certificate")?;
            let key = private_key(key_pem)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                invalid(format!("the client certificate {cert_pem} and key {key_pem} cannot be used together: {e}"))
            })
        }
    }
}

/// A verifier trusting the CAs of these bundles only.
fn trusted_cas(bundles: &[Pem], provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, InvalidRequest> {
    let mut roots = rustls::RootCertStore::empty();
    for bundle in bundles {
        for cert in certificates(bundle, "CA bundle")? {
            roots
                .add(cert)
                .map_err(|e| invalid(format!("the CA bundle {bundle} holds an unusable certificate: {e}")))?;
        }
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| invalid(format!("the CA bundles cannot verify servers: {e}")))?;
    Ok(verifier)
}

/// Every certificate of a PEM text; at least one.
fn certificates(pem: &Pem, what: &str) -> Result<Vec<CertificateDer<'static>>, InvalidRequest> {
    let text = pem.read(what)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("the {what} {pem} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!("the {what} {pem} holds no certificate (no BEGIN CERTIFICATE block)")));
    }
    Ok(certs)
}

/// The first private key of a PEM text.
fn private_key(pem: &Pem) -> Result<PrivateKeyDer<'static>, InvalidRequest> {
    let text = pem.read("client key")?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => invalid(format!(
            "the client key {pem} holds no private key (no BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
        )),
        other => invalid(format!("the client key {pem} is not valid PEM: {other}")),
    })
}

fn server_name(name: &str) -> Result<ServerName<'static>, InvalidRequest> {
    let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    ServerName::try_from(bare.to_owned())
        .map_err(|_| invalid(format!("the TLS server name {name:?} is neither a DNS name nor an IP address")))
}

fn invalid(reason: String) -> InvalidRequest {
    InvalidRequest::new(InvalidRequestKind::Config, format!("TLS: {reason}"))
}

impl Pem {
    /// The PEM text, read from its file when it is one.
    fn read(&self, what: &str) -> Result<Vec<u8>, InvalidRequest> {
        match self {
            Pem::Text(text) => Ok(text.clone()),
            Pem::File(path) => {
                std::fs::read(path).map_err(|e| invalid(format!("cannot read the {what} file {}: {e}", path.display())))
            }
        }
    }
}

/// How a PEM source is named in errors: its file, or "(given as PEM text)".
impl std::fmt::Display for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::Text(_) => f.write_str("(given as PEM text)"),
            Pem::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(tls: &TlsConfig) -> String {
        match client_config(tls) {
            Ok(_) => panic!("{tls:?} was accepted"),
            Err(e) => {
                assert_eq!(e.kind(), InvalidRequestKind::Config);
                e.to_string()
            }
        }
    }

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn good_pem_text_and_files_build() {
        let (cert, key) = self_signed("localhost");
        client_config(&TlsConfig::new().ca_pem(cert.clone()).client_identity_pem(cert.clone(), key.clone())).unwrap();
        let dir = std::env::temp_dir().join(format!("etcd-transport-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, &cert).unwrap();
        std::fs::write(&key_path, &key).unwrap();
        let built =
            client_config(&TlsConfig::new().ca_pem_file(&cert_path).client_identity_pem_files(&cert_path, &key_path));
        std::fs::remove_dir_all(&dir).unwrap();
        built.unwrap();
        client_config(&TlsConfig::new()).unwrap();
        client_config(&TlsConfig::new().danger_accept_invalid_certificates()).unwrap();
    }

    #[test]
    fn bad_input_is_a_config_error_naming_the_problem() {
        let (cert, key) = self_signed("localhost");
        let (_, other_key) = self_signed("localhost");

        let missing = reason(&TlsConfig::new().ca_pem_file("/nonexistent/ca.pem"));
        assert!(missing.contains("cannot read the CA bundle file /nonexistent/ca.pem"), "{missing}");
        let empty = reason(&TlsConfig::new().ca_pem("not a certificate"));
        assert!(empty.contains("holds no certificate"), "{empty}");
        let no_key = reason(&TlsConfig::new().client_identity_pem(cert.clone(), cert.clone()));
        assert!(no_key.contains("holds no private key"), "{no_key}");
        let no_cert = reason(&TlsConfig::new().client_identity_pem(key.clone(), key.clone()));
        assert!(no_cert.contains("client certificate (given as PEM text) holds no certificate"), "{no_cert}");
        let mismatch = reason(&TlsConfig::new().client_identity_pem(cert, other_key));
        assert!(mismatch.contains("cannot be used together"), "{mismatch}");
        let debug = format!("{:?}", TlsConfig::new().client_identity_pem("c", key.clone()));
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    }

    #[test]
    fn server_names_are_dns_names_or_ip_addresses() {
        assert!(server_name("etcd.example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("not a name").unwrap_err().to_string().contains("neither a DNS name"));
    }
}
