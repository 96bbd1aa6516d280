use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The body of a request on its way down the stack: whole, in memory, and cheap to clone, so that a retry or a
/// redirect can send it again.
///
/// It is an `http_body::Body`, so that tower-http's layers (tracing, compression, ...) take the client's requests
/// as they are. A mock transport reads it with [`RequestBody::as_bytes`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct RequestBody {
    bytes: Bytes,
}

impl RequestBody {
    /// A body holding `bytes`.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        RequestBody { bytes: bytes.into() }
    }

    /// A body with no bytes.
    pub fn empty() -> Self {
        RequestBody::default()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The bytes, taken out.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.bytes, f)
    }
}

impl AsRef<[u8]> for RequestBody {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        RequestBody { bytes }
    }
}

impl From<String> for RequestBody {
    fn from(text: String) -> Self {
        RequestBody::new(text)
    }
}

impl From<&'static str> for RequestBody {
    fn from(text: &'static str) -> Self {
        RequestBody::new(text)
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(bytes: Vec<u8>) -> Self {
        RequestBody::new(bytes)
    }
}

impl From<()> for RequestBody {
    fn from((): ()) -> Self {
        RequestBody::empty()
    }
}

impl From<RequestBody> for Bytes {
    fn from(body: RequestBody) -> Bytes {
        body.bytes
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.bytes.is_empty() {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut self.bytes)))))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn yields_its_bytes_once_with_an_exact_size() {
        let body = RequestBody::from("value=v");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(7));
        let again = body.clone();
        assert_eq!(body.collect().await.unwrap().to_bytes(), "value=v");
        assert_eq!(again.as_bytes(), "value=v", "a clone keeps its bytes for a retry");
        assert!(http_body::Body::is_end_stream(&RequestBody::empty()));
    }
}
