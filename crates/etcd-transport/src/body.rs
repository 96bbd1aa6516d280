use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use etcd_core::BoxError;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// The body of a response on its way up the stack: any HTTP body of [`Bytes`], boxed.
///
/// A transport of your own, or a mock, answers with `http::Response<Body>`; build one from a string or bytes
/// (`Body::from("{...}")`) or wrap any `http_body::Body` with [`Body::new`]. The client's API does not name
/// hyper's types, so a hyper upgrade is not a breaking change for you.
pub struct Body {
    inner: UnsyncBoxBody<Bytes, BoxError>,
}

impl Body {
    /// Wraps any body whose chunks are `Bytes`.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body { inner: body.map_err(Into::into).boxed_unsync() }
    }

    /// A body with no bytes.
    pub fn empty() -> Self {
        Body::new(http_body_util::Empty::new())
    }

    /// Reads the whole body into one buffer.
    ///
    /// # Errors
    /// The transport's error when the body could not be read to its end (the connection closed, ...).
    pub async fn bytes(self) -> Result<Bytes, BoxError> {
        Ok(self.collect().await?.to_bytes())
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body").finish_non_exhaustive()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::new(http_body_util::Full::new(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::from(Bytes::from(bytes))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
