//! Bodies a hostile or broken server sends, scripted on loopback: every call ends with a typed error within its
//! bound, and memory grows with what arrived, never with what a server announced.

use std::time::{Duration, Instant};

use etcd_keys::{Client, Error, InvalidResponseKind, KeysApi};
use etcd_testkit::{ScriptedServer, Step};

/// What the scripted server does after writing its head.
#[derive(Clone, Copy)]
enum Body {
    /// These bytes, then the connection stays open and silent.
    ThenStall(&'static [u8]),
    /// 64 KiB chunks, as fast as the client reads, for ever.
    Endless,
}

/// A server answering every request with `head`, then `body`; it serves until dropped.
fn serve(head: &'static [u8], body: Body) -> ScriptedServer {
    ScriptedServer::start(move |_| match body {
        Body::ThenStall(bytes) => vec![Step::Write(head.to_vec()), Step::Write(bytes.to_vec()), Step::HoldOpen],
        Body::Endless => {
            let Step::Write(chunk) = Step::chunk([b'x'; 64 * 1024]) else { unreachable!("a chunk is written") };
            vec![Step::Write(head.to_vec()), Step::Repeat(chunk)]
        }
    })
}

fn invalid(error: &Error) -> &etcd_keys::InvalidResponse {
    match error {
        Error::InvalidResponse(e) => e,
        Error::Cluster(cluster) => match cluster.errors().first().map(|e| e.failure()) {
            Some(etcd_keys::AttemptFailure::InvalidResponse(e)) => e,
            _ => panic!("expected an invalid response, got {error}"),
        },
        other => panic!("expected an invalid response, got {other}"),
    }
}

#[tokio::test]
async fn a_terabyte_announced_and_a_few_bytes_sent_is_a_typed_error_not_an_abort() {
    let server = serve(
        b"HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nContent-Length: 1000000000000\r\n\r\n",
        Body::ThenStall(b"{\"action\""),
    );
    let endpoint = server.url();
    let keys = KeysApi::new(
        Client::builder([endpoint.as_str()]).header_timeout_per_request(Duration::from_millis(500)).build().unwrap(),
    );
    let started = Instant::now();
    let error = keys.get("/k", None).await.unwrap_err();
    assert_eq!(invalid(&error).kind(), InvalidResponseKind::BodyTimeout, "{error}");
    assert!(started.elapsed() < Duration::from_secs(3), "the body's stall is bounded: {:?}", started.elapsed());
}

#[tokio::test]
async fn an_endless_answer_stops_at_the_size_limit_and_names_the_endpoint() {
    let server = serve(b"HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Body::Endless);
    let endpoint = server.url();
    let keys = KeysApi::new(Client::builder([endpoint.as_str()]).max_response_size(4 << 20).build().unwrap());
    let error =
        tokio::time::timeout(Duration::from_secs(20), keys.get("/k", None)).await.expect("bounded").unwrap_err();
    let Error::InvalidResponse(e) = &error else { panic!("too large is final, not retried: {error}") };
    assert_eq!(e.kind(), InvalidResponseKind::TooLarge);
    assert_eq!(e.endpoint(), Some(endpoint.as_str()));
    assert!(error.to_string().contains("larger than the client accepts"), "{error}");
}

#[tokio::test]
async fn the_call_timeout_covers_a_body_that_stalls_after_its_first_bytes() {
    let server =
        serve(b"HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nContent-Length: 100\r\n\r\n", Body::ThenStall(b"{\"action\""));
    let endpoint = server.url();
    let keys = KeysApi::new(
        Client::builder([endpoint.as_str()])
            .without_header_timeout()
            .call_timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    let started = Instant::now();
    let error = keys.get("/k", None).await.unwrap_err();
    assert!(error.is_deadline_exceeded(), "{error}");
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_write_whose_body_stalls_after_a_201_says_it_was_applied_and_is_not_replayed() {
    let server = serve(
        b"HTTP/1.1 201 Created\r\nX-Etcd-Index: 5\r\nContent-Length: 100\r\n\r\n",
        Body::ThenStall(b"{\"action\""),
    );
    let endpoint = server.url();
    let other_server = serve(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", Body::ThenStall(b""));
    let other = other_server.url();
    let keys = KeysApi::new(
        Client::builder([endpoint.as_str(), other.as_str()])
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_millis(500))
            .build()
            .unwrap(),
    );
    let error = keys.set("/k", "v", None).await.unwrap_err();
    let Error::InvalidResponse(e) = &error else { panic!("{error}") };
    assert_eq!((e.kind(), e.status().as_u16()), (InvalidResponseKind::BodyTimeout, 201));
    assert_eq!(e.endpoint(), Some(endpoint.as_str()));
}

#[tokio::test]
async fn a_watch_refused_with_a_body_that_stalls_yields_an_error_in_bounded_time() {
    let server = serve(
        b"HTTP/1.1 400 Bad Request\r\nX-Etcd-Index: 5\r\nContent-Length: 100\r\n\r\n",
        Body::ThenStall(b"{\"errorCode\":"),
    );
    let endpoint = server.url();
    let keys = KeysApi::new(Client::builder([endpoint.as_str()]).build().unwrap());
    let mut watcher = keys.watcher("/k", None);
    let started = Instant::now();
    let item = tokio::time::timeout(Duration::from_secs(10), watcher.next()).await.expect("the watch yields");
    let error = item.expect("an item").unwrap_err();
    let e = invalid(&error);
    assert_eq!((e.kind(), e.status().as_u16()), (InvalidResponseKind::BodyTimeout, 400), "{error}");
    assert!(started.elapsed() < Duration::from_secs(7), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_trickles_a_byte_at_a_time_ends_within_a_window_of_the_header_timeout() {
    // A byte every 200 ms for 20 s: never idle for the 1 s header timeout, and no call timeout set.
    let server = ScriptedServer::start(|_| {
        let mut steps = vec![Step::text("HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nTransfer-Encoding: chunked\r\n\r\n")];
        for _ in 0..100 {
            steps.push(Step::chunk(" "));
            steps.push(Step::Stall(Duration::from_millis(200)));
        }
        steps.push(Step::text("0\r\n\r\n"));
        steps
    });
    let endpoint = server.url();
    let client =
        Client::builder([endpoint.as_str()]).header_timeout_per_request(Duration::from_secs(1)).build().unwrap();
    let keys = KeysApi::new(client);
    let started = Instant::now();
    let error = keys.get("/k", None).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(invalid(&error).kind(), InvalidResponseKind::BodyTimeout, "{error}");
    assert!(took < Duration::from_secs(5), "bounded by the window, not by the trickle's 20 s: {took:?}");
}
