//! The default transport's idle pool is bounded: a burst of concurrent calls leaves at most
//! `pool_max_idle_per_host` connections open, and none past `pool_idle_timeout`. Against a loopback server that
//! counts its open connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use etcd_transport::{Client, Idempotency, RequestBody};
use http::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Barrier;

/// A server that holds each answer until `burst` requests are in, so that the burst takes `burst` connections,
/// and counts the connections still open.
async fn server(burst: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let open = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(burst));
    let count = open.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (open, barrier) = (count.clone(), barrier.clone());
            open.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut first = true;
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                    while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        buffer.drain(..end + 4);
                        if std::mem::take(&mut first) {
                            barrier.wait().await;
                        }
                        let answer = "HTTP/1.1 200 OK\r\nx-etcd-index: 1\r\ncontent-length: 2\r\n\r\n{}";
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (address, open)
}

fn get() -> Request<RequestBody> {
    let mut request = Request::get("/v2/keys/k").body(RequestBody::empty()).unwrap();
    request.extensions_mut().insert(Idempotency::Read);
    request
}

async fn burst(client: &Client, calls: usize) {
    let calls = (0..calls).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.send(get()).await.unwrap().into_body().bytes().await.unwrap() })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap();
    }
}

/// Waits up to 3 s for the open count to be `expected`.
async fn settles_at(open: &AtomicUsize, expected: usize) -> usize {
    for _ in 0..60 {
        if open.load(Ordering::SeqCst) == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_leaves_at_most_max_idle_connections_and_none_after_the_idle_timeout() {
    let (address, open) = server(40).await;
    let client = Client::builder([address.as_str()]).pool_max_idle_per_host(4).build().unwrap();
    burst(&client, 40).await;
    assert_eq!(settles_at(&open, 4).await, 4, "36 of the 40 connections close once idle");

    let (address, open) = server(10).await;
    let client = Client::builder([address.as_str()]).pool_idle_timeout(Duration::from_millis(200)).build().unwrap();
    burst(&client, 10).await;
    assert_eq!(settles_at(&open, 0).await, 0, "idle connections close after the idle timeout");
}
