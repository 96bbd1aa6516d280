//! TTLs as leases: one granted per write with a TTL, or the node's own lease renewed when it was granted for
//! the same TTL, so that a directory's refresh keeps what below it shares the directory's lease.

use std::sync::Mutex;

use etcd_v2_server::{Applied, StoreError, Ttl};

use crate::layout::expiry_from_now;
use crate::read::Node;
use crate::store::V3Store;

/// v3's largest lease TTL (`MaxLeaseTTL`, 9,000,000,000 s); v2 accepts larger and keeps them as given.
const MAX_LEASE_TTL: u64 = 9_000_000_000;

/// A lease granted by an earlier try of the same write, for the next try to use rather than grant another.
#[derive(Debug, Default)]
pub(crate) struct Granted(Mutex<Option<u64>>);

impl V3Store {
    /// The lease and expiry (ms since the epoch) a write with `ttl` puts its node with, or `None` without a
    /// TTL. The node's own lease (it has a TTL of its own, not one inherited from its directory) is renewed when
    /// it was granted for the same TTL: what shares it (the nodes made below a directory) stays with it.
    pub(crate) async fn lease_for(
        &self,
        ttl: &Ttl,
        node: Option<&Node>,
        granted: &Granted,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let Some(asked) = ttl.seconds else { return Ok(None) };
        let Some(expires_ms) = expiry_from_now(asked) else { return Ok(None) };
        let seconds = asked.clamp(1, MAX_LEASE_TTL);
        if let Some(node) = node.filter(|node| node.lease != 0 && node.record.expires_ms.is_some()) {
            if self.gateway.granted_ttl(node.lease).await? == Some(seconds)
                && self.gateway.keep_alive(node.lease).await?
            {
                return Ok(Some((node.lease, expires_ms)));
            }
        }
        if let Some(lease) = granted.0.lock().ok().and_then(|lease| *lease) {
            return Ok(Some((lease, expires_ms)));
        }
        let lease = self.gateway.grant(seconds).await?;
        if let Ok(mut slot) = granted.0.lock() {
            *slot = Some(lease);
        }
        Ok(Some((lease, expires_ms)))
    }

    /// Revokes a lease this write granted when the write was refused (etcd's answer: nothing was committed with
    /// it), rather than leave it to its TTL. Not after an unknown outcome: the write may hold it. Best effort.
    pub(crate) async fn release_unused(&self, granted: &Granted, result: &Result<Applied, StoreError>) {
        if !matches!(result, Err(StoreError::V2(_))) {
            return;
        }
        let lease = granted.0.lock().ok().and_then(|mut lease| lease.take());
        if let Some(lease) = lease {
            let _ = self.gateway.revoke(lease).await;
        }
    }
}
