//! The `idle-watchers` workload: the resident size that 1,000 watchers, on 1,000 keys that never change, add to a
//! process holding one client.
//!
//! The baseline is the process with its runtime and a client that has made one call (its connection pool and the
//! runtime's threads exist). Then every watcher is polled in a task of its own, and the second reading is taken
//! once each one's stream is open: the library's `Watcher` reports a next index once etcd has answered its
//! request (the raw side: once the answer's headers came), and etcd counts them all in `/v2/stats/store`. A
//! bounded settle time would only guess; a write per key would wake every watcher and put it through its
//! after-event check (a second request), which is not the idle state measured.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use etcd_keys::Watcher;
use futures_core::Stream as _;
use tokio::task::JoinSet;

use crate::data::{self, Data};
use crate::measure::{Reading, Sample, status_kib};
use crate::raw::{self, RawClient};
use crate::watchers;
use crate::workload::Side;

/// Open files besides the watchers' connections: the runtime, the harness's own connections, etcd's answers.
const OTHER_FILES: u64 = 256;

/// Starts `count` watchers on `side`, waits until all are registered, and returns the sample: `ops` is `count`,
/// the time and CPU are those of starting them, and the resident sizes are before and with them.
///
/// # Errors
/// When the process may not open enough files, when a watcher fails or ends, or when etcd does not hold them
/// all within the deadline.
pub async fn run(side: &Side, data: &Data, count: usize) -> Result<Sample, String> {
    watchers::allow_open_files(count as u64 + OTHER_FILES)?;
    let raw = RawClient::new();
    watchers::wait_for_none(&raw, data, Duration::from_secs(10)).await?;
    // One call, so that the client's connection pool and the runtime's threads are in the baseline: a read of
    // the root, which always exists.
    match side {
        Side::Raw(client) => client.call(raw::get_request(&data.key_uri("/"))).await.map(drop)?,
        Side::Client(keys) => keys.get("/", None).await.map(drop).map_err(|e| e.to_string())?,
    }
    let baseline = status_kib("VmRSS:").ok_or("no VmRSS in /proc/self/status")?;

    let registered = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let before = Reading::now();
    for i in 0..count {
        let registered = registered.clone();
        match side {
            Side::Raw(client) => {
                let (client, uri) = (client.clone(), data.watch_uri(&data::idle_key(i), false, None));
                tasks.spawn(async move { hold_raw(&client, &uri, &registered).await });
            }
            Side::Client(keys) => {
                let watcher = keys.watcher(&data::idle_key(i), None);
                tasks.spawn(async move { hold(watcher, &registered).await });
            }
        }
    }
    let deadline = Duration::from_secs(10) + Duration::from_millis(10 * count as u64);
    watchers::wait_for(&raw, data, count as u64, deadline, || match tasks.try_join_next() {
        Some(Ok(Err(e))) => Err(e),
        Some(Err(e)) => Err(format!("a watcher's task failed: {e}")),
        Some(Ok(Ok(()))) => Err("a watcher ended".to_owned()),
        None => Ok(registered.load(Ordering::Relaxed) == count),
    })
    .await?;
    let after = Reading::now();
    let watching = status_kib("VmRSS:").ok_or("no VmRSS in /proc/self/status")?;
    let mut sample = before.until(&after, count as u64);
    sample.baseline_rss_kib = baseline;
    sample.watching_rss_kib = watching;
    tasks.abort_all();
    Ok(sample)
}

/// Polls `watcher`, counting it in `registered` once its stream is open; an idle watcher never yields, so any
/// item is an error.
async fn hold(mut watcher: Watcher, registered: &AtomicUsize) -> Result<(), String> {
    let mut counted = false;
    let item = poll_fn(|cx| {
        let poll = Pin::new(&mut watcher).poll_next(cx);
        // The watch loop opens its stream and goes on waiting for data within one poll: a next index after a
        // `Pending` means the stream is open and the watcher idle.
        if !counted && watcher.next_index().is_some() {
            counted = true;
            registered.fetch_add(1, Ordering::Relaxed);
        }
        match poll {
            Poll::Pending => Poll::Pending,
            Poll::Ready(item) => Poll::Ready(item),
        }
    })
    .await;
    match item {
        Some(Ok(event)) => Err(format!("an idle watcher got an event: {} {}", event.action, event.node.key)),
        Some(Err(e)) => Err(format!("an idle watcher failed: {e}")),
        None => Err("an idle watcher ended".into()),
    }
}

/// Opens the raw streaming watch at `uri`, counts it once etcd answered, and waits on its body.
async fn hold_raw(client: &RawClient, uri: &str, registered: &AtomicUsize) -> Result<(), String> {
    let mut watch = client.watch(uri).await?;
    registered.fetch_add(1, Ordering::Relaxed);
    match watch.next_event().await? {
        Some(_) => Err(format!("the idle raw watch {uri} got an event")),
        None => Err(format!("the idle raw watch {uri} ended")),
    }
}
