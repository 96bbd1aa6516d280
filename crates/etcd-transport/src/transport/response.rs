//! The answer of [`HyperTransport`](super::HyperTransport): hyper-util's future, with its errors sorted into
//! those that never left ([`ConnectError`](super::ConnectError)) and the rest, and TLS mistakes diagnosed (a probe, on failure only).

use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::task::{Context, Poll};

use etcd_core::BoxError;
use http::Response;

use super::ConnectError;
#[cfg(feature = "tls")]
use super::hyper::Clients;
use crate::Body;

/// The response future of [`HyperTransport`](super::HyperTransport): hyper-util's, with its errors sorted into those that never left
/// ([`ConnectError`](super::ConnectError)) and the rest. Not boxed again: hyper-util's future already is.
pub struct HyperResponseFuture {
    pub(super) stage: Stage,
}

pub(super) enum Stage {
    Responding {
        response: hyper_util::client::legacy::ResponseFuture,
        /// What telling a TLS mistake from other failures needs; taken on the first error.
        diagnosis: Option<Diagnosis>,
    },
    /// A probe of what went wrong with TLS (`tls::refused_after_handshake`, `tls::speaks_tls`), which gives the
    /// attempt's error.
    #[cfg(feature = "tls")]
    Probing(Pin<Box<dyn Future<Output = BoxError> + Send>>),
}

/// Without the `tls` feature there is no TLS mistake to diagnose.
#[cfg(not(feature = "tls"))]
pub(super) enum Diagnosis {}

#[cfg(feature = "tls")]
pub(super) struct Diagnosis {
    clients: Arc<Clients>,
    authority: Option<http::uri::Authority>,
    /// Whether the request was sent over TLS (any scheme but `http`).
    https: bool,
    presents_client_certificate: bool,
}

impl Future for HyperResponseFuture {
    type Output = Result<Response<Body>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (response, diagnosis) = match &mut self.stage {
            Stage::Responding { response, diagnosis } => (response, diagnosis),
            #[cfg(feature = "tls")]
            Stage::Probing(probe) => return probe.as_mut().poll(cx).map(Err),
        };
        let error = match std::task::ready!(Pin::new(response).poll(cx)) {
            Ok(response) => return Poll::Ready(Ok(response.map(Body::from_hyper))),
            Err(error) => error,
        };
        #[cfg(feature = "tls")]
        if let Some(diagnosis) = diagnosis.take() {
            if !diagnosis.https {
                if closed_before_answering(&error) {
                    self.stage = Stage::Probing(Box::pin(diagnosis.only_tls(error)));
                    return self.poll(cx);
                }
            } else {
                let presented = diagnosis.presents_client_certificate;
                if let Some(tls) = crate::tls::classify(&error, error.is_connect(), presented) {
                    return Poll::Ready(Err(ConnectError::new(tls).into()));
                }
                if was_never_sent(&error) {
                    self.stage = Stage::Probing(Box::pin(diagnosis.refused_after_handshake(classify(error))));
                    return self.poll(cx);
                }
            }
        }
        #[cfg(not(feature = "tls"))]
        let _: &mut Option<Diagnosis> = diagnosis;
        Poll::Ready(Err(classify(error)))
    }
}

#[cfg(feature = "tls")]
impl Diagnosis {
    pub(super) fn new(clients: Arc<Clients>, uri: &http::Uri, presents_client_certificate: bool) -> Self {
        Diagnosis {
            clients,
            // The authority alone: its bytes are shared (a reference count), where the path's would be copied.
            authority: uri.authority().cloned(),
            https: uri.scheme() != Some(&http::uri::Scheme::HTTP),
            presents_client_certificate,
        }
    }

    /// The attempt's error once the probe looked: the TLS refusal it found, else `original`.
    async fn refused_after_handshake(self, original: BoxError) -> BoxError {
        let connector = self.clients.https_connector.clone();
        let Some(uri) = self.authority.and_then(|authority| crate::tls::https_uri(&authority, 443)) else {
            return original;
        };
        match crate::tls::refused_after_handshake(connector, uri, self.presents_client_certificate).await {
            Some(tls) => ConnectError::new(tls).into(),
            None => original,
        }
    }

    /// The attempt's error for a plain request whose connection closed unanswered: when the member speaks TLS, it
    /// never read the request as HTTP, so the request never left (a [`ConnectError`](super::ConnectError)) and the error says so.
    async fn only_tls(self, original: hyper_util::client::legacy::Error) -> BoxError {
        let speaks_tls = match &self.authority {
            Some(authority) => crate::tls::speaks_tls(self.clients.https_connector.clone(), authority).await,
            None => false,
        };
        if speaks_tls {
            ConnectError::new(crate::tls::TlsError::only_tls(original.into())).into()
        } else {
            classify(original)
        }
    }
}

/// Whether the connection closed before any answer came, as a member serving TLS does to a plain request.
#[cfg(feature = "tls")]
fn closed_before_answering(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_incomplete_message) {
            return true;
        }
        cause = error.source();
    }
    false
}

impl std::fmt::Debug for HyperResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperResponseFuture").finish_non_exhaustive()
    }
}

/// A failure to connect becomes a [`ConnectError`](super::ConnectError) (a failed TLS handshake too, above); the rest may have
/// reached the member.
#[cold]
fn classify(error: hyper_util::client::legacy::Error) -> BoxError {
    if error.is_connect() || was_never_sent(&error) { ConnectError::new(error).into() } else { error.into() }
}

/// Whether hyper dropped the request before writing it: its connection closed before it was ready ("canceled"),
/// as when a TLS server refuses the handshake after the client thought it done.
fn was_never_sent(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled) {
            return true;
        }
        cause = error.source();
    }
    false
}
