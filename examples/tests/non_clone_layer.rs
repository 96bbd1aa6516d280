//! What `examples/custom_middleware.rs` says about a layer whose service is not `Clone` (tower's RateLimit): behind a
//! Buffer, in one `Config::layer`, it fits, and every clone of the client shares its one limit.

use std::convert::Infallible;
use std::time::Duration;

use etcd_keys::{Client, KeysApi};
use etcd_transport::{Body, RequestBody};
use http::{Request, Response};
use tower::ServiceBuilder;
use tower::buffer::BufferLayer;
use tower::limit::RateLimitLayer;

#[tokio::test(start_paused = true)]
async fn a_rate_limit_behind_a_buffer_is_shared_by_every_clone_of_the_client() {
    let network = tower::service_fn(|_request: Request<RequestBody>| async {
        let body = r#"{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":7,"createdIndex":7}}"#;
        Ok::<_, Infallible>(Response::builder().header("x-etcd-index", "7").body(Body::from(body)).unwrap())
    });
    let client = Client::builder(["http://etcd:2379"])
        .transport(network)
        .layer(
            ServiceBuilder::new()
                .layer(BufferLayer::<Request<RequestBody>>::new(8))
                .layer(RateLimitLayer::new(1, Duration::from_secs(1))),
        )
        .build()
        .unwrap();

    // Four calls through four clones, at once: one a second, whichever clone sent it.
    let started = tokio::time::Instant::now();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let keys = KeysApi::new(client.clone());
            tokio::spawn(async move { keys.get("/k", None).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().node.value, "v");
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(4), "{elapsed:?}");
}
