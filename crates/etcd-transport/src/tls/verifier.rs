//! The server-certificate checks of our own: the system's roots, loaded on first use, and accepting anything (on
//! request only). Both check the handshake's signatures with the same provider.

use std::sync::{Arc, OnceLock};

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// How a server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Against the system's roots, loaded once per process on the first handshake: a client that only ever talks
    /// `http://` never reads the system's certificate store.
    SystemRoots,
    /// Not at all; the handshake's signatures are still checked, so the server must hold the key of the
    /// certificate it sent. Only [`TlsConfig::danger_accept_invalid_certificates`](super::TlsConfig) asks for it.
    AcceptAny,
}

/// A server-certificate verifier doing [`Check`], with the provider's signature algorithms.
#[derive(Debug)]
pub(super) struct Verifier {
    check: Check,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    pub(super) fn new(check: Check, provider: Arc<CryptoProvider>) -> Self {
        Verifier { check, provider }
    }

    /// The process-wide verifier over the system's roots, or why there is none.
    fn system_roots(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        static SYSTEM: OnceLock<Result<Arc<WebPkiServerVerifier>, String>> = OnceLock::new();
        SYSTEM
            .get_or_init(|| {
                let loaded = rustls_native_certs::load_native_certs();
                let mut roots = rustls::RootCertStore::empty();
                let (_added, _unparsable) = roots.add_parsable_certificates(loaded.certs);
                if roots.is_empty() {
                    let errors = loaded.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    return Err(format!(
                        "no trusted root certificates: none found on this system{} (install the CA certificates, \
                         point SSL_CERT_FILE at a bundle, or give the CA with TlsConfig::ca_pem)",
                        if errors.is_empty() { String::new() } else { format!(" ({errors})") }
                    ));
                }
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|e| format!("the system's root certificates cannot verify servers: {e}"))
            })
            .as_ref()
            .map_err(|reason| rustls::Error::General(reason.clone()))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.check {
            Check::SystemRoots => {
                self.system_roots()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            Check::AcceptAny => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
