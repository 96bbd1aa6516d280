//! The server's state before any workload: the small keys written (through v2 and through the bridge), the
//! 10,000-key directory filled.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use etcd_keys::{DeleteOptions, KeysApi};
use tokio::task::JoinSet;

use crate::data::{self, Data, LIST_DIR, LIST_KEYS};
use crate::raw::{self, RawClient};

/// Writes the small keys, and the listed directory anew; returns the size of the listing's JSON in bytes.
///
/// # Errors
/// The first call that failed.
pub async fn prepare(endpoint: &str, data: &Data) -> Result<usize, String> {
    let client = etcd_keys::Client::builder([endpoint]).build().map_err(|e| e.to_string())?;
    let keys = KeysApi::new(client.clone());
    // In etcd's v2 store, and in the bridge's tree in its v3 keyspace, for the bridge's get.
    let bridged = KeysApi::new(etcd_v2v3::bridge(client));
    for (key, value) in data.small_keys.iter().zip(&data.small_values) {
        keys.set(key, value, None).await.map_err(|e| format!("set {key}: {e}"))?;
        bridged.set(key, value, None).await.map_err(|e| format!("set {key} through the bridge: {e}"))?;
    }
    match keys.delete(LIST_DIR, Some(DeleteOptions::new().with_recursive())).await {
        Err(e) if !e.is_key_not_found() => return Err(format!("delete {LIST_DIR}: {e}")),
        _ => {}
    }
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = JoinSet::new();
    for _ in 0..32 {
        let (keys, next) = (keys.clone(), next.clone());
        writers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= LIST_KEYS {
                    return Ok::<_, String>(());
                }
                let key = data::list_key(i);
                keys.set(&key, &data::list_value(i), None).await.map_err(|e| format!("set {key}: {e}"))?;
            }
        });
    }
    while let Some(result) = writers.join_next().await {
        result.map_err(|e| format!("a writer task failed: {e}"))??;
    }
    let (_, _, body) = RawClient::new().send(raw::get_request(&data.list_uri)).await?;
    Ok(body.len())
}

/// etcd's version as the server reports it at `/version` (`{"etcdserver":"3.4.23",...}`).
///
/// # Errors
/// When the server does not answer or the answer has no version.
pub async fn server_version(endpoint: &str) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        etcdserver: String,
    }
    let uri = format!("{}/version", endpoint.trim_end_matches('/'));
    let (_, _, body) = RawClient::new().send(raw::get_request(&uri)).await?;
    let version: Version = serde_json::from_slice(&body).map_err(|e| format!("/version: {e}"))?;
    Ok(version.etcdserver)
}
