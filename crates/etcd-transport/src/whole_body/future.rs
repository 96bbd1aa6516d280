use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use etcd_core::{BoxError, InvalidResponse, InvalidResponseKind};
use http::Response;
use http::response::Parts;
use http_body::Body as _;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::Body;

pin_project! {
    /// The response future of [`WholeBody`](super::WholeBody): the headers, then the body to its end.
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        reading: Option<Reading>,
        streams: bool,
        limit: usize,
        idle: Option<Duration>,
    }
}

/// A body on its way in.
struct Reading {
    parts: Parts,
    body: Body,
    /// The first piece, and the others: most answers come in one piece, which then needs no vector.
    first: Option<Bytes>,
    rest: Vec<Bytes>,
    len: usize,
    /// Made the first time the body keeps us waiting: most answers arrive with their headers, and need no timer.
    /// It runs for one idle window, and is set again only once the window brought [`WINDOW_BYTES`].
    timer: Option<Pin<Box<Sleep>>>,
    /// What arrived since the current window began.
    window: usize,
}

/// What a body must bring in each idle window (or end within it): a server that sends a byte now and then,
/// never quite idle, is stopped like one that sends nothing. 16 KiB per header timeout (5 s by default) is a
/// link slower than 3.3 KiB/s; etcd's answers come at loopback or LAN speed.
pub(super) const WINDOW_BYTES: usize = 16 * 1024;

impl<F> ResponseFuture<F> {
    pub(super) fn new(response: F, streams: bool, limit: usize, idle: Option<Duration>) -> Self {
        ResponseFuture { response, reading: None, streams, limit, idle }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Body>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let reading = match this.reading {
            Some(reading) => reading,
            None => {
                let response = ready!(this.response.poll(cx)).map_err(Into::into)?;
                if *this.streams {
                    return Poll::Ready(Ok(response));
                }
                let (parts, body) = response.into_parts();
                this.reading.insert(Reading {
                    parts,
                    body,
                    first: None,
                    rest: Vec::new(),
                    len: 0,
                    timer: None,
                    window: 0,
                })
            }
        };
        let result = ready!(reading.poll_body(cx, *this.limit, *this.idle));
        let Some(reading) = this.reading.take() else {
            return Poll::Ready(Err("a whole-body future polled after it completed".into()));
        };
        Poll::Ready(match result {
            Ok(()) => Ok(Response::from_parts(reading.parts, Body::whole(join(reading.first, reading.rest)))),
            Err((kind, source)) => {
                let excerpt = reading.first.as_deref().unwrap_or_default();
                let error = InvalidResponse::new(kind, reading.parts.status, excerpt);
                Err(match source {
                    Some(source) => error.with_source(source),
                    None => error,
                }
                .into())
            }
        })
    }
}

type Failure = (InvalidResponseKind, Option<BoxError>);

impl Reading {
    /// Reads pieces until the body ends, fails, grows past `limit`, or brings less than [`WINDOW_BYTES`] in a
    /// window of `idle`.
    fn poll_body(&mut self, cx: &mut Context<'_>, limit: usize, idle: Option<Duration>) -> Poll<Result<(), Failure>> {
        loop {
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err((InvalidResponseKind::Body, Some(error)))),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else { continue }; // trailers
                    let arrived = data.len();
                    self.len = self.len.saturating_add(arrived);
                    if self.len > limit {
                        let source = format!("more than {limit} bytes");
                        return Poll::Ready(Err((InvalidResponseKind::TooLarge, Some(source.into()))));
                    }
                    if !data.is_empty() {
                        match self.first {
                            None => self.first = Some(data),
                            Some(_) => self.rest.push(data),
                        }
                    }
                    if let (Some(timer), Some(idle)) = (&mut self.timer, idle) {
                        self.window = self.window.saturating_add(arrived);
                        if self.window >= WINDOW_BYTES {
                            timer.as_mut().reset(Instant::now() + idle);
                            self.window = 0;
                        }
                    }
                }
                Poll::Pending => {
                    let Some(idle) = idle else { return Poll::Pending };
                    let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                    ready!(timer.as_mut().poll(cx));
                    let source = match self.window {
                        0 => format!("no data within {idle:?}"),
                        some => {
                            format!("{some} bytes within {idle:?}, under the {WINDOW_BYTES} bytes a window must bring")
                        }
                    };
                    return Poll::Ready(Err((InvalidResponseKind::BodyTimeout, Some(source.into()))));
                }
            }
        }
    }
}

/// The pieces as one buffer: a single piece (most answers) as it is, no copy; more, joined once at their exact
/// total rather than grown by doubling.
fn join(first: Option<Bytes>, rest: Vec<Bytes>) -> Bytes {
    let Some(first) = first else { return Bytes::new() };
    if rest.is_empty() {
        return first;
    }
    let mut buffer = BytesMut::with_capacity(first.len() + rest.iter().map(Bytes::len).sum::<usize>());
    buffer.extend_from_slice(&first);
    for piece in rest {
        buffer.extend_from_slice(&piece);
    }
    buffer.freeze()
}
