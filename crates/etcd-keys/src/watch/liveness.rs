//! Whether the member serving a watch is alive: a probe of its `/health`, shared by the watchers of a `KeysApi`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use etcd_transport::rotation::SendTo;
use etcd_transport::{Client, Endpoint, Idempotency};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use tokio::time::Instant;

/// The most of a `/health` answer a probe reads (etcd's is `{"health":"true","reason":""}`).
const PROBE_BODY_LIMIT: usize = 4096;

/// When each member last proved alive to a probe. A thousand quiet watchers on one member then cost one probe
/// per interval, not a thousand; a member that froze since its last good probe is found one interval later.
#[derive(Debug, Default)]
pub(crate) struct ProbeCache {
    alive_at: Mutex<HashMap<Endpoint, Instant>>,
}

impl ProbeCache {
    /// Whether `endpoint` is alive: proved so within `interval`, or answering a probe now within `timeout`.
    pub(crate) async fn is_well(
        &self,
        client: &Client,
        endpoint: &Endpoint,
        interval: Duration,
        timeout: Duration,
    ) -> bool {
        let recently = self.alive_at.lock().unwrap_or_else(PoisonError::into_inner).get(endpoint).copied();
        if recently.is_some_and(|at| at.elapsed() < interval) {
            return true;
        }
        let well = probe(client, endpoint, timeout).await;
        let mut alive_at = self.alive_at.lock().unwrap_or_else(PoisonError::into_inner);
        if well {
            alive_at.insert(endpoint.clone(), Instant::now());
        } else {
            alive_at.remove(endpoint);
        }
        well
    }
}

/// Whether the member answers its health check in time and says it is part of a working cluster.
async fn probe(client: &Client, endpoint: &Endpoint, timeout: Duration) -> bool {
    let mut request = Request::get("/health").body(Bytes::new()).expect("a static request");
    request.extensions_mut().insert(SendTo(endpoint.clone()));
    request.extensions_mut().insert(Idempotency::Read);
    let check = async {
        let response = client.send(request).await.ok()?;
        let status = response.status();
        // etcd's answer is a few dozen bytes; a server streaming more within the timeout is not well.
        let body = Limited::new(response.into_body(), PROBE_BODY_LIMIT).collect().await.ok()?.to_bytes();
        // A member that lost its cluster says "health":"false" (with a 503, which the rotation already turned
        // into an error); any other answer means it is awake and in its cluster.
        Some(status != StatusCode::SERVICE_UNAVAILABLE && !contains(&body, br#""health":"false""#))
    };
    matches!(tokio::time::timeout(timeout, check).await, Ok(Some(true)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
