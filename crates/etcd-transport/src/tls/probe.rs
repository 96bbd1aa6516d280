use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use http::Uri;
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
