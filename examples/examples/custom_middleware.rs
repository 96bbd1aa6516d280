//! Your own tower middleware around the client: a concurrency limit, a rate limit and a call counter around each
//! whole call, and tower-http's tracing around each attempt on one member, so the log shows every HTTP exchange,
//! failovers included.
//!
//! `RUST_LOG=debug ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example custom_middleware`
//! (and the TLS and auth variables of [`examples::config_from_env`]); without `RUST_LOG` nothing is logged.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use etcd_keys::KeysApi;
use etcd_transport::{Body, BoxedService, RequestBody};
use tower::ServiceBuilder;
use tower::buffer::BufferLayer;
use tower::limit::{GlobalConcurrencyLimitLayer, RateLimitLayer};
use tower_http::trace::TraceLayer;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Quiet unless asked: RUST_LOG=debug shows each attempt.
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()))
        .init();

    // A metric: calls and failed calls, counted around the whole call.
    let calls = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let (c, f) = (calls.clone(), failures.clone());
    let count_calls = tower::layer::layer_fn(move |inner: BoxedService| {
        let (c, f) = (c.clone(), f.clone());
        tower::ServiceExt::map_result(inner, move |result| {
            c.fetch_add(1, Ordering::Relaxed);
            if result.is_err() {
                f.fetch_add(1, Ordering::Relaxed);
            }
            result
        })
    });

    // tower-http's TraceLayer wraps the response body in its own type; map it back to the client's Body.
    let trace_attempts = ServiceBuilder::new()
        .map_response(|response: http::Response<_>| response.map(Body::new))
        .layer(TraceLayer::new_for_http());

    let client = match examples::config_from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {}", error.report());
            return ExitCode::FAILURE;
        }
    };
    let client = client
        // At most 8 calls in flight across every clone of this client.
        .layer(GlobalConcurrencyLimitLayer::new(8))
        // A layer whose service is not `Clone`, as tower's RateLimit (it owns its window's state), goes behind a
        // Buffer, in one layer: the client clones its stack for every call, and the Buffer's clones share one
        // RateLimit in a worker task (spawned when the client is built, so build inside the runtime).
        .layer(
            ServiceBuilder::new()
                .layer(BufferLayer::<http::Request<RequestBody>>::new(64))
                .layer(RateLimitLayer::new(100, Duration::from_secs(1))),
        )
        .layer(count_calls)
        .attempt_layer(trace_attempts);
    let keys = match client.build() {
        Ok(client) => KeysApi::new(examples::for_api(client)),
        Err(error) => {
            eprintln!("error: {}", error.report());
            return ExitCode::FAILURE;
        }
    };

    let writes: Vec<_> = (0..20)
        .map(|i| {
            let keys = keys.clone();
            tokio::spawn(async move { keys.set(&format!("/middleware/{i}"), "v", None).await })
        })
        .collect();
    let mut results = Vec::new();
    for write in writes {
        results.push(write.await.expect("the write task does not panic"));
    }
    let missing = keys.get("/middleware/missing", None).await;
    println!(
        "{} calls, {} failed at the transport; the 20 writes: {} ok; the missing key: {}",
        calls.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        results.iter().filter(|r| r.is_ok()).count(),
        missing.err().map_or("found?".to_owned(), |e| e.to_string()),
    );
    match results.into_iter().find_map(Result::err) {
        Some(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}
