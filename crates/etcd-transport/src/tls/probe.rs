use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use http::Uri;
use http::uri::Authority;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tower::ServiceExt;

use super::TlsError;

/// How long the probe may take: a connection, a handshake, and the member's first record after it (a Go server,
/// etcd, sends its session tickets or its refusal within a round trip). Generous for a loaded machine; it runs
/// only on a failure, and under the attempt's header timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the member refuses our client certificate (or its absence), asked again on a connection of its own.
///
/// Why: with TLS 1.3 the client's side of the handshake ends before the server has checked the client
/// certificate, or seen that none came; a server that refuses says so with an alert right after. When that alert closes the connection
/// before hyper wrote the request, hyper-util reports only that the connection was not ready, and the cause is
/// lost. This probe, run only then, makes a connection, reads the server's first record and returns the TLS
/// error it meets, so that the caller gets the typed reason (a certificate required or rejected) rather than a
/// bare connection failure. `None` when the probe meets no TLS error in time.
pub(crate) async fn refused_after_handshake(
    connector: HttpsConnector<HttpConnector>,
    uri: Uri,
    presents_client_certificate: bool,
) -> Option<TlsError> {
    let probe = async {
        let mut stream = connector.oneshot(uri).await?;
        let mut byte = [0u8; 1];
        let mut buffer = hyper::rt::ReadBuf::new(&mut byte);
        poll_fn(|cx| hyper::rt::Read::poll_read(Pin::new(&mut stream), cx, buffer.unfilled())).await?;
        Ok::<(), etcd_core::BoxError>(())
    };
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Err(error)) => super::classify(&*error, true, presents_client_certificate),
        _ => None,
    }
}

/// Whether the member behind a plain `http://` endpoint speaks TLS: it finished a handshake, or refused one with
/// a TLS error of its own (an unknown CA, a name mismatch, an alert), which a plain HTTP server cannot send.
///
/// Why: a member serving TLS closes a plain connection without a word, which hyper reports as a connection
/// closed before the answer came; without this probe the caller sees only that, and not the likely mistake,
/// an `http://` endpoint for an `https://` member. Run only on that failure, on a connection of its own.
pub(crate) async fn speaks_tls(connector: HttpsConnector<HttpConnector>, plain: &Authority) -> bool {
    let Some(https) = https_uri(plain, 80) else { return false };
    match tokio::time::timeout(PROBE_TIMEOUT, connector.oneshot(https)).await {
        Ok(Ok(_)) => true,
        // A plain server answers a ClientHello with HTTP text (not a TLS record) or closes (an io error).
        Ok(Err(error)) => super::error::find_rustls_error(&*error)
            .is_some_and(|error| !matches!(error, rustls::Error::InvalidMessage(_))),
        Err(_) => false,
    }
}

/// `https://` to this host and port (`default_port` when the authority names none), for a probe's connection.
pub(crate) fn https_uri(authority: &Authority, default_port: u16) -> Option<Uri> {
    let host = authority.host();
    let port = authority.port_u16().unwrap_or(default_port);
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    format!("https://{host}:{port}/").parse().ok()
}

#[cfg(test)]
mod tests {
    use etcd_testkit::TestPki;

    use super::*;
    use crate::TlsConfig;
    use crate::tls::{TlsErrorKind, https_connector};

    fn connector(tls: &TlsConfig) -> HttpsConnector<HttpConnector> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        https_connector(Some(tls), http).expect("a valid TLS configuration")
    }

    /// The race the probe exists for cannot be forced through the client, so the probe itself is asked: a member
    /// that requires a client certificate, or rejects the one given, says so after the handshake, and the probe
    /// finds it; a member that accepts the certificate gives it nothing to report.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finds_a_refusal_that_comes_after_the_handshake() {
        let pki = TestPki::new();
        let Some(etcd) = pki.etcd(true) else { return };
        let uri: Uri = format!("{}/v2/keys/probe", etcd.endpoints()[0]).parse().unwrap();

        let anonymous = TlsConfig::new().ca_pem_file(pki.path("ca.pem"));
        let found = refused_after_handshake(connector(&anonymous), uri.clone(), false).await;
        assert_eq!(found.map(|e| e.kind()), Some(TlsErrorKind::ClientCertificateRequired));

        let stranger = TlsConfig::new()
            .ca_pem_file(pki.path("ca.pem"))
            .client_identity_pem_files(pki.path("stranger.pem"), pki.path("stranger-key.pem"));
        let found = refused_after_handshake(connector(&stranger), uri.clone(), true).await;
        assert_eq!(found.map(|e| e.kind()), Some(TlsErrorKind::ClientCertificateRejected));

        let accepted = TlsConfig::new()
            .ca_pem_file(pki.path("ca.pem"))
            .client_identity_pem_files(pki.path("client.pem"), pki.path("client-key.pem"));
        assert!(refused_after_handshake(connector(&accepted), uri, true).await.is_none());
    }

    #[test]
    fn the_probe_keeps_host_and_port() {
        let https = |authority: &str| https_uri(&authority.parse().unwrap(), 80).map(|uri| uri.to_string());
        assert_eq!(https("10.0.0.1:2379").as_deref(), Some("https://10.0.0.1:2379/"));
        assert_eq!(https("etcd.local").as_deref(), Some("https://etcd.local:80/"));
        assert_eq!(https("[::1]:2379").as_deref(), Some("https://[::1]:2379/"));
    }
}
