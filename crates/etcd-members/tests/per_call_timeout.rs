//! `MembersApi::with_timeout` and `StatusApi::with_timeout` against a scripted slow server on loopback.

use std::time::{Duration, Instant};

use etcd_members::{MembersApi, StatusApi};
use etcd_transport::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const MEMBERS: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"members\":[]}";

/// A server that reads each request, waits `delay`, then answers an empty member list.
async fn slow_server(delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(1..) = socket.read(&mut buf).await {
                    tokio::time::sleep(delay).await;
                    if socket.write_all(MEMBERS).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

#[tokio::test]
async fn calls_end_at_their_budget_which_replaces_the_clients() {
    let endpoint = slow_server(Duration::from_millis(400)).await;
    let client = Client::builder([endpoint]).call_timeout(Duration::from_millis(150)).build().unwrap();
    let members = MembersApi::new(client.clone());

    let error = members.list().await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("150ms"), "{error}");
    assert!(members.with_timeout(Duration::from_secs(5)).list().await.unwrap().is_empty());

    let quick = members.with_timeout(Duration::from_millis(50));
    assert_eq!((members.timeout(), quick.timeout()), (None, Some(Duration::from_millis(50))));
    let started = Instant::now();
    let error = quick.list().await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("50ms"), "{error}");
    assert!(started.elapsed() < Duration::from_millis(140), "{:?}", started.elapsed());

    // The status API's composite calls pass their budget on to the members API they use.
    let status = StatusApi::new(client).with_timeout(Duration::from_millis(60));
    let error = status.health().await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("60ms"), "{error}");
    let error = status.version().await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("60ms"), "{error}");
}
