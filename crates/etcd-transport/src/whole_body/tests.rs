use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use etcd_core::{BoxError, InvalidResponse, InvalidResponseKind};
use http::{Request, Response, StatusCode};
use http_body::{Body as _, Frame, SizeHint};
use tower::{Layer, ServiceExt};

use super::WholeBodyLayer;
use crate::{Body, LongPoll, RequestBody};

/// A body that gives its pieces in turn; `None` in the script is a wait that never ends, and the announced
/// length is whatever the test says.
struct Script {
    pieces: VecDeque<Option<Result<Bytes, &'static str>>>,
    announced: Option<u64>,
}

impl http_body::Body for Script {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.pieces.pop_front() {
            None => Poll::Ready(None),
            Some(None) => {
                self.pieces.push_front(None);
                Poll::Pending
            }
            Some(Some(Ok(data))) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Some(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.announced.map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

async fn answer(
    pieces: Vec<Option<Result<&'static str, &'static str>>>,
    announced: Option<u64>,
    long_poll: bool,
) -> Result<Response<Body>, BoxError> {
    let pieces = pieces.into_iter().map(|p| p.map(|r| r.map(|s| Bytes::from_static(s.as_bytes())))).collect();
    let body = std::sync::Mutex::new(Some(Script { pieces, announced }));
    let service = tower::service_fn(move |_: Request<RequestBody>| {
        let body = body.lock().unwrap().take().unwrap();
        async move { Ok::<_, BoxError>(Response::builder().status(201).body(Body::new(body)).unwrap()) }
    });
    let service = WholeBodyLayer::new(10).idle_timeout(Some(Duration::from_secs(1))).layer(service);
    let mut request = Request::new(RequestBody::empty());
    if long_poll {
        request.extensions_mut().insert(LongPoll);
    }
    service.oneshot(request).await
}

fn invalid(error: BoxError) -> InvalidResponse {
    *error.downcast::<InvalidResponse>().expect("an invalid response")
}

#[tokio::test]
async fn a_body_is_read_whole_even_when_it_announces_a_terabyte() {
    let pieces = vec![Some(Ok("ab")), Some(Ok("cd")), Some(Ok("e"))];
    let response = answer(pieces, Some(1_000_000_000_000), false).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = response.into_body();
    assert_eq!(body.size_hint().exact(), Some(5), "in memory");
    assert_eq!(body.bytes().await.unwrap(), "abcde");
}

#[tokio::test]
async fn a_body_larger_than_the_limit_is_refused_without_reading_on() {
    let pieces = vec![Some(Ok("0123456789")), Some(Ok("x")), Some(Err("never read"))];
    let error = invalid(answer(pieces, None, false).await.unwrap_err());
    assert_eq!(error.kind(), InvalidResponseKind::TooLarge);
    assert_eq!(error.status(), StatusCode::CREATED, "the status says what happened to a write");
}

#[tokio::test]
async fn a_body_cut_mid_way_is_a_body_error_with_its_status() {
    let error = invalid(answer(vec![Some(Ok("{\"act")), Some(Err("reset"))], None, false).await.unwrap_err());
    assert_eq!(error.kind(), InvalidResponseKind::Body);
    assert_eq!(error.excerpt(), "{\"act");
    assert_eq!(std::error::Error::source(&error).unwrap().to_string(), "reset");
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stops_fails_after_the_idle_timeout() {
    let started = tokio::time::Instant::now();
    let error = invalid(answer(vec![Some(Ok("{")), None], None, false).await.unwrap_err());
    assert_eq!(error.kind(), InvalidResponseKind::BodyTimeout);
    assert_eq!(started.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_streams_as_it_comes() {
    let response = answer(vec![Some(Ok("event\n")), None], None, true).await.unwrap();
    let mut body = response.into_body();
    let first = http_body_util::BodyExt::frame(&mut body).await.unwrap().unwrap();
    assert_eq!(first.into_data().unwrap(), "event\n");
    let next = tokio::time::timeout(Duration::from_secs(60), http_body_util::BodyExt::frame(&mut body)).await;
    assert!(next.is_err(), "still open: the stream is not cut");
}

/// A body that sends a byte every 400 ms, for ever: never idle for a second, never done.
struct Trickle {
    next: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Trickle {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        std::task::ready!(self.next.as_mut().poll(cx));
        let at = tokio::time::Instant::now() + Duration::from_millis(400);
        self.next.as_mut().reset(at);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b" ")))))
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_that_trickles_fails_after_a_window_short_of_its_bytes() {
    let service = tower::service_fn(|_: Request<RequestBody>| async {
        let body = Trickle { next: Box::pin(tokio::time::sleep(Duration::ZERO)) };
        Ok::<_, BoxError>(Response::builder().status(200).body(Body::new(body)).unwrap())
    });
    let service = WholeBodyLayer::new(1 << 20).idle_timeout(Some(Duration::from_secs(1))).layer(service);
    let started = tokio::time::Instant::now();
    let error = invalid(service.oneshot(Request::new(RequestBody::empty())).await.unwrap_err());
    assert_eq!(error.kind(), InvalidResponseKind::BodyTimeout);
    assert!(started.elapsed() <= Duration::from_millis(1400), "one window and a piece: {:?}", started.elapsed());
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("bytes within 1s"), "{source}");
}
