//! A create in order whose answer is lost after etcd applied it (the client reports an unknown outcome): the
//! waiter finds its entry by its unique value and uses it, so no orphan entry blocks the queue.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{cluster, keys};
use etcd_keys::{Client, GetOptions, KeysApi};
use etcd_recipes::Lock;
use etcd_transport::{Body, BoxError, BoxedService, RequestBody};
use http::{Method, Request, Response};
use tokio::time::timeout;
use tower::Service;

/// Passes every request on, and loses the answer of the next `lose` POSTs (creates in order) once they came.
#[derive(Clone)]
struct LoseAnswers {
    inner: BoxedService,
    lose: Arc<AtomicUsize>,
}

impl Service<Request<RequestBody>> for LoseAnswers {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let lose = request.method() == Method::POST
            && self.lose.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await?;
            if lose { Err("the answer was lost on its way back".into()) } else { Ok(answer) }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_is_found_and_used_not_left_as_an_orphan() {
    let Some(cluster) = cluster() else { return };
    let lose = Arc::new(AtomicUsize::new(1));
    let layer_lose = lose.clone();
    let client = Client::builder(cluster.endpoints())
        .header_timeout_per_request(common::HEADER_TIMEOUT)
        .attempt_layer(tower::layer::layer_fn(move |inner| LoseAnswers { inner, lose: layer_lose.clone() }))
        .build()
        .unwrap();
    let lossy = KeysApi::new(client);
    let error = lossy.create_in_order("/lossy-check", "v", None).await.unwrap_err();
    assert!(error.is_outcome_unknown(), "the layer makes an unknown outcome: {error}");

    lose.store(1, Ordering::SeqCst);
    let lock = Lock::new(lossy, "/lossy").with_ttl(Duration::from_secs(5));
    let guard = timeout(Duration::from_secs(5), lock.lock()).await.unwrap().unwrap();
    assert_eq!(lose.load(Ordering::SeqCst), 0, "the create's answer was lost");
    let queue = keys(&cluster).get("/lossy", Some(GetOptions::new().with_quorum())).await.unwrap().node.nodes;
    assert_eq!(queue.len(), 1, "one entry, the holder's: {queue:?}");
    assert_eq!((queue[0].key.as_str(), queue[0].created_index), (guard.key(), guard.token()));
    guard.unlock().await.unwrap();
}
