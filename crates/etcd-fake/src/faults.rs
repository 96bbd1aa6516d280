//! A request's way to a member: its faults first (down, frozen, slow, an error status), then the protocol,
//! then a cut body if asked.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use etcd_transport::{Body, ConnectError, RequestBody};
use etcd_v2_server::BoxError;
use http::{Request, Response};
use http_body::Frame;

use crate::backend::MemberStore;
use crate::fake::Shared;

pub(crate) async fn call_member(
    shared: Arc<Shared>,
    member: usize,
    request: Request<RequestBody>,
) -> Result<Response<Body>, BoxError> {
    let faults = shared.members[member].faults().clone();
    if faults.down {
        let refused = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused (etcd-fake: the member is down)",
        );
        return Err(ConnectError::new(refused).into());
    }
    let frozen = *shared.members[member].frozen.borrow();
    if frozen {
        // A frozen member keeps the request and applies it when thawed, whether or not the caller still waits.
        let (answer, answered) = tokio::sync::oneshot::channel();
        let mut thawed = shared.members[member].frozen.subscribe();
        tokio::spawn(async move {
            // The sender lives in `shared`, which this task holds: the channel cannot close first.
            let _ = thawed.wait_for(|frozen| !*frozen).await;
            let _ = answer.send(answer_unfrozen(shared, member, request).await);
        });
        return answered.await.map_err(|_| BoxError::from("etcd-fake: the frozen member's task ended"))?;
    }
    answer_unfrozen(shared, member, request).await
}

async fn answer_unfrozen(
    shared: Arc<Shared>,
    member: usize,
    request: Request<RequestBody>,
) -> Result<Response<Body>, BoxError> {
    let faults = shared.members[member].faults().clone();
    if let Some(delay) = faults.slow {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = faults.status {
        let reason = status.canonical_reason().unwrap_or("error");
        return Ok(etcd_v2_server::render_text(status, &format!("{} {reason}", status.as_u16())));
    }
    let response = match crate::auth::intercept(&shared, &request) {
        Some(answer) => answer,
        None => etcd_v2_server::serve(&MemberStore { shared, member }, request).await?,
    };
    if !faults.cut_body {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    Ok(Response::from_parts(parts, Body::new(CutBody { inner: Some(body), failed: false })))
}

/// The first piece of a body cut in half, then a failure, as a connection reset mid-answer. A watch's stream is
/// cut in its first event, without waiting for the rest.
struct CutBody {
    /// The body until its first piece; `None` once cut.
    inner: Option<Body>,
    failed: bool,
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(inner) = self.inner.as_mut() {
            let half = match Pin::new(inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => frame.into_data().map(|d| d.slice(..d.len() / 2)).unwrap_or_default(),
                Poll::Ready(_) => Bytes::new(),
            };
            self.inner = None;
            if !half.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(half))));
            }
        }
        if self.failed {
            return Poll::Ready(None);
        }
        self.failed = true;
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset (etcd-fake: body cut)");
        Poll::Ready(Some(Err(reset.into())))
    }
}
