//! A failed TLS handshake, told plainly.

use std::error::Error as StdError;
use std::fmt;

use etcd_core::BoxError;
use rustls::{AlertDescription, CertificateError};

/// Why a TLS handshake failed, in the terms of what to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server's certificate is not signed by a trusted CA: give its CA with
    /// [`TlsConfig::ca_pem`](super::TlsConfig::ca_pem).
    UnknownIssuer,
    /// The server's certificate does not list the name (or IP address) it was reached by: use a listed name in
    /// the endpoint, or [`TlsConfig::server_name`](super::TlsConfig::server_name).
    NameMismatch,
    /// The server's certificate was refused for another reason (expired, not yet valid, revoked, malformed).
    InvalidCertificate,
    /// The server wants a client certificate and none was given: see
    /// [`TlsConfig::client_identity_pem`](super::TlsConfig::client_identity_pem).
    ClientCertificateRequired,
    /// The server refused the client certificate given (not signed by a CA it trusts, expired, ...).
    ClientCertificateRejected,
    /// The server does not speak TLS: the endpoint is likely `http://`.
    NotTls,
    /// The endpoint is `http://` but the member speaks only TLS (it closed the connection on the plain request,
    /// and answered a TLS handshake): the endpoint is likely `https://`.
    OnlyTls,
    /// Any other handshake failure (no protocol version or cipher suite in common, ...).
    Other,
}

/// A TLS handshake with a member failed; the request was never sent.
///
/// Found in [`AttemptFailure::Connect`](etcd_core::AttemptFailure::Connect) (downcast the error to `TlsError`).
/// `Display` says what failed in plain words; `source()` is rustls's own error
/// (`invalid peer certificate: UnknownIssuer`), or for [`TlsErrorKind::OnlyTls`] the plain request's failure.
#[derive(Debug)]
pub struct TlsError {
    kind: TlsErrorKind,
    source: BoxError,
}

impl TlsError {
    /// What failed.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// `presented`: whether the handshake offered a client certificate. Servers refuse a missing one with the
    /// same alert as a bad one (Go sends `bad_certificate` for both), so only this side knows which it was.
    fn new(source: rustls::Error, presented: bool) -> Self {
        let kind = match &source {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => TlsErrorKind::UnknownIssuer,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => TlsErrorKind::NameMismatch,
            rustls::Error::InvalidCertificate(_) => TlsErrorKind::InvalidCertificate,
            rustls::Error::AlertReceived(alert) if is_client_certificate_alert(*alert) => {
                if presented && *alert != AlertDescription::CertificateRequired {
                    TlsErrorKind::ClientCertificateRejected
                } else {
                    TlsErrorKind::ClientCertificateRequired
                }
            }
            rustls::Error::InvalidMessage(_) => TlsErrorKind::NotTls,
            _ => TlsErrorKind::Other,
        };
        TlsError { kind, source: source.into() }
    }

    /// A plain request to a member that speaks only TLS; `source` is the plain request's own failure.
    pub(crate) fn only_tls(source: BoxError) -> Self {
        TlsError { kind: TlsErrorKind::OnlyTls, source }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            TlsErrorKind::UnknownIssuer => {
                "TLS handshake failed: the server's certificate is not signed by a trusted CA"
            }
            TlsErrorKind::NameMismatch => {
                "TLS handshake failed: the server's certificate is not valid for the name it was reached by"
            }
            TlsErrorKind::InvalidCertificate => "TLS handshake failed: the server's certificate was refused",
            TlsErrorKind::ClientCertificateRequired => {
                "TLS handshake failed: the server requires a client certificate and none was given"
            }
            TlsErrorKind::ClientCertificateRejected => {
                "TLS handshake failed: the server refused the client certificate"
            }
            TlsErrorKind::NotTls => "TLS handshake failed: the server does not speak TLS (is the endpoint http://?)",
            TlsErrorKind::OnlyTls => "no answer over plain HTTP: the member speaks TLS (is the endpoint https://?)",
            TlsErrorKind::Other => "TLS handshake failed",
        })
    }
}

impl StdError for TlsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// Alerts a server sends while refusing a client certificate, or the lack of one, during the handshake only.
fn is_client_certificate_alert(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
    )
}

/// The TLS failure inside a transport's error, when there is one.
///
/// While connecting, any rustls error is the handshake's. After the connection was handed over (TLS 1.3 lets a
/// client send its request before the server has checked the client's certificate), only the alerts a server
/// sends when refusing a client certificate count: the server refused the connection, so it never processed the
/// request.
///
/// `presented_client_certificate`: whether the handshake offered one.
pub(crate) fn classify(
    error: &(dyn StdError + 'static),
    connecting: bool,
    presented_client_certificate: bool,
) -> Option<TlsError> {
    let rustls_error = find_rustls_error(error)?;
    let refused_certificate =
        matches!(rustls_error, rustls::Error::AlertReceived(alert) if is_client_certificate_alert(*alert));
    (connecting || refused_certificate).then(|| TlsError::new(rustls_error.clone(), presented_client_certificate))
}

/// rustls's error anywhere in the chain. `io::Error` hides its payload from `source()` (it returns the
/// payload's source), so its payload is looked at too.
pub(super) fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(payload) = error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            if let Some(found) = find_rustls_error(payload) {
                return Some(found);
            }
        }
        next = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    /// As tokio-rustls and hyper-rustls wrap it: an `io::Error` inside an `io::Error`, behind hyper's error.
    #[derive(Debug)]
    struct Outer(io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("client error (Connect)")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    fn wrapped(error: rustls::Error) -> Outer {
        Outer(io::Error::other(io::Error::new(io::ErrorKind::InvalidData, error)))
    }

    #[test]
    fn finds_rustls_errors_through_io_errors_and_names_them_plainly() {
        let unknown =
            classify(&wrapped(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)), true, false);
        let unknown = unknown.unwrap();
        assert_eq!(unknown.kind(), TlsErrorKind::UnknownIssuer);
        assert_eq!(unknown.to_string(), "TLS handshake failed: the server's certificate is not signed by a trusted CA");
        assert_eq!(unknown.source().unwrap().to_string(), "invalid peer certificate: UnknownIssuer");

        let name =
            classify(&wrapped(rustls::Error::InvalidCertificate(CertificateError::NotValidForName)), true, false);
        assert_eq!(name.unwrap().kind(), TlsErrorKind::NameMismatch);
        let required =
            classify(&wrapped(rustls::Error::AlertReceived(AlertDescription::CertificateRequired)), true, false);
        assert_eq!(required.unwrap().kind(), TlsErrorKind::ClientCertificateRequired);
        let missing = classify(&wrapped(rustls::Error::AlertReceived(AlertDescription::BadCertificate)), true, false);
        assert_eq!(missing.unwrap().kind(), TlsErrorKind::ClientCertificateRequired);
        let rejected = classify(&wrapped(rustls::Error::AlertReceived(AlertDescription::BadCertificate)), true, true);
        assert_eq!(rejected.unwrap().kind(), TlsErrorKind::ClientCertificateRejected);
        assert!(classify(&Outer(io::Error::from(io::ErrorKind::ConnectionRefused)), true, false).is_none());
    }

    #[test]
    fn after_connecting_only_a_refused_client_certificate_counts() {
        let refused =
            classify(&wrapped(rustls::Error::AlertReceived(AlertDescription::CertificateRequired)), false, false);
        assert_eq!(refused.unwrap().kind(), TlsErrorKind::ClientCertificateRequired);
        assert!(
            classify(&wrapped(rustls::Error::AlertReceived(AlertDescription::DecodeError)), false, false).is_none()
        );
        assert!(classify(&wrapped(rustls::Error::DecryptError), false, false).is_none());
    }
}
