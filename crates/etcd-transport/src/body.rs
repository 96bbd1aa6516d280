use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
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
    inner: Inner,
}

/// hyper's body as it is (the default transport's answers: no allocation and no dynamic call per piece), a body
/// already read whole (what the stack answers with, but for long polls), or any other body, boxed.
enum Inner {
    Hyper(hyper::body::Incoming),
    Whole(Option<Bytes>),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// Wraps any body whose chunks are `Bytes`.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body { inner: Inner::Boxed(body.map_err(Into::into).boxed_unsync()) }
    }

    /// hyper's body, unboxed: what the default transport answers with.
    pub(crate) fn from_hyper(body: hyper::body::Incoming) -> Self {
        Body { inner: Inner::Hyper(body) }
    }

    /// A body already in memory, read whole by [`WholeBody`](crate::whole_body::WholeBody).
    pub(crate) fn whole(bytes: Bytes) -> Self {
        Body { inner: Inner::Whole(Some(bytes)) }
    }

    /// A body with no bytes.
    pub fn empty() -> Self {
        Body::whole(Bytes::new())
    }

    /// Reads the whole body into one buffer.
    ///
    /// # Errors
    /// The transport's error when the body could not be read to its end (the connection closed, ...).
    pub async fn bytes(mut self) -> Result<Bytes, BoxError> {
        if let Inner::Whole(bytes) = &mut self.inner {
            // What the stack answers with: already read, within the client's limits.
            return Ok(bytes.take().unwrap_or_default());
        }
        let Some(first) = self.next_data().await? else { return Ok(Bytes::new()) };
        let Some(second) = self.next_data().await? else {
            // Most answers come in one piece: no copy.
            return Ok(first);
        };
        // Keep the pieces and join them once, at their exact total, rather than grow a buffer by doubling. Never
        // sized from the announced length (Content-Length): a server could announce a terabyte and send a byte.
        let mut pieces = vec![first, second];
        while let Some(data) = self.next_data().await? {
            pieces.push(data);
        }
        let mut buffer = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
        for piece in pieces {
            buffer.extend_from_slice(&piece);
        }
        Ok(buffer.freeze())
    }

    /// The next piece of data, skipping trailers.
    async fn next_data(&mut self) -> Result<Option<Bytes>, BoxError> {
        while let Some(frame) = self.frame().await {
            if let Ok(data) = frame?.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
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
        Body::whole(bytes)
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
        match &mut self.inner {
            Inner::Hyper(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            Inner::Whole(bytes) => Poll::Ready(bytes.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Inner::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Hyper(body) => body.is_end_stream(),
            Inner::Whole(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Inner::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Hyper(body) => body.size_hint(),
            Inner::Whole(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::Boxed(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(pieces: Vec<Result<Frame<Bytes>, std::io::Error>>) -> Body {
        struct Pieces(std::collections::VecDeque<Result<Frame<Bytes>, std::io::Error>>);
        impl http_body::Body for Pieces {
            type Data = Bytes;
            type Error = std::io::Error;
            fn poll_frame(
                mut self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
                Poll::Ready(self.0.pop_front())
            }
        }
        Body::new(Pieces(pieces.into()))
    }

    #[tokio::test]
    async fn bytes_joins_pieces_skips_trailers_and_keeps_a_single_piece_as_it_is() {
        let one = Bytes::from_static(b"{\"action\":\"get\"}");
        let read = Body::from(one.clone()).bytes().await.unwrap();
        assert_eq!(read.as_ptr(), one.as_ptr(), "one piece: no copy");

        let pieces = vec![
            Ok(Frame::data(Bytes::from_static(b"ab"))),
            Ok(Frame::trailers(http::HeaderMap::new())),
            Ok(Frame::data(Bytes::from_static(b"cd"))),
            Ok(Frame::data(Bytes::from_static(b"ef"))),
        ];
        assert_eq!(frames(pieces).bytes().await.unwrap(), "abcdef");

        let broken = vec![Ok(Frame::data(Bytes::from_static(b"ab"))), Err(std::io::Error::other("reset"))];
        assert_eq!(frames(broken).bytes().await.unwrap_err().to_string(), "reset");
        assert_eq!(Body::empty().bytes().await.unwrap(), "");
    }
}
