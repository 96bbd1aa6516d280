//! The `watch` workload: one recursive watcher following a writer.
//!
//! The writer is a child process (`etcd-bench writer`), not a task of the phase's process: `getrusage` then
//! charges the phase with the watcher's CPU alone, whatever the writer spends. It sets new keys under
//! [`WATCH_DIR`] as fast as etcd takes them, with the workload's number of writes in flight and the raw client on
//! both sides, so the two sides follow the same stream of events. The events per second are set by the writer
//! and etcd; what the watcher itself costs shows in its CPU per event.
//!
//! The `watch` workload's writer has one write in flight: each event arrives on its own, the common case of a
//! watcher, at about 6,000 events a second here. Concurrent writes are faster (4 in flight: about 11,500 a
//! second), but then etcd often drops the watcher (below), and a run measures that rather than the watcher.
//!
//! A phase: delete the directory (its index is where the watch starts), open the watch (the library's `Watcher`
//! or the raw stream, both asking for `?wait=true&recursive=true&stream=true&waitIndex=N`), wait until etcd
//! holds it, write a marker key and wait for the watcher to deliver it (the stream is live), start the writer,
//! and measure from the writer's first event to its last. Both sides must then have seen every index the writer
//! got from etcd, once each, in order.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use etcd_keys::{Watcher, WatcherOptions};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::data::{self, Data, WATCH_DIR};
use crate::measure::{Reading, Sample};
use crate::raw::{self, RawClient, RawWatch};
use crate::watchers;
use crate::workload::{Side, Workload};

/// How long the watcher may go without an event while the writer writes before the phase is declared stuck.
///
/// etcd drops a streaming watcher whose events pile up 100 deep in its buffer, without closing the stream: on two
/// busy cores, its goroutine writing the stream can fall that far behind. The raw stream then stays silent; the
/// library notices (a quiet stream after events) and catches up one request per event, which cannot keep pace
/// with this writer, and fails when etcd's history of 1,000 events runs out. Either way the phase fails, and the
/// orchestrator runs it again. In a trial of 16 phases each on the 2-core machine while others built, 5 failed so
/// with 16 writes in flight, 1 with 4, none with 1; in a full run with 4, one side failed three times in a row.
const STALL: Duration = Duration::from_secs(3);
/// How long the writer may take to finish after the watcher saw its last event.
const WRITER_EXIT: Duration = Duration::from_secs(30);

/// Runs `workload` on `side` for `events` events (at least two: the measured part runs from the first to the
/// last) and returns the measured sample.
///
/// # Errors
/// When a step fails or stalls, or when the watcher missed, repeated or reordered an event.
pub async fn run(side: &Side, data: &Data, workload: Workload, events: usize) -> Result<Sample, String> {
    let events = events.max(2);
    let raw = RawClient::new();
    let (status, headers, body) =
        raw.send(raw::delete_request(&format!("{}?recursive=true", data.key_uri(WATCH_DIR)))).await?;
    if !status.is_success() && status != http::StatusCode::NOT_FOUND {
        return Err(format!("delete {WATCH_DIR}: {status}: {}", String::from_utf8_lossy(&body)));
    }
    let start_index = raw::etcd_index(&headers).ok_or("no X-Etcd-Index on the delete")?;
    watchers::wait_for_none(&raw, data, Duration::from_secs(10)).await?;

    let source = match side {
        Side::Raw(client) => Source::Raw(client.clone(), data.watch_uri(WATCH_DIR, true, Some(start_index + 1))),
        Side::Client(keys) => {
            let options = WatcherOptions::new().with_recursive().with_after_index(start_index);
            Source::Client(Box::new(keys.watcher(WATCH_DIR, Some(options))))
        }
    };
    let (marker_seen, marker_index) = oneshot::channel();
    let progress = Arc::new(AtomicUsize::new(0));
    let mut follower = tokio::spawn(follow(source, events, marker_seen, progress.clone()));
    let registered = || {
        if follower.is_finished() { Err("the watcher ended before etcd held it".to_owned()) } else { Ok(true) }
    };
    watchers::wait_for(&raw, data, 1, Duration::from_secs(10), registered).await?;

    let marker = format!("{WATCH_DIR}/ready");
    let set = raw.call(raw::set_request(&data.key_uri(&marker), "value=ready")).await?;
    let written = set.modified_index().ok_or("the marker's set has no node")?;
    match tokio::time::timeout(Duration::from_secs(10), marker_index).await {
        Ok(Ok(seen)) if seen == written => {}
        Ok(Ok(seen)) => return Err(format!("the watcher's first event is {seen}, not the marker's {written}")),
        Ok(Err(_)) => return Err(follower.await.map_err(|e| e.to_string())?.err().unwrap_or_default()),
        Err(_) => return Err("the watcher did not deliver the marker within 10 s".into()),
    }

    let mut writer = Writer::start(data, workload, events)?;
    let (mut last_seen, mut last_progress) = (0, tokio::time::Instant::now());
    let followed = loop {
        match tokio::time::timeout(Duration::from_millis(500), &mut follower).await {
            Ok(Ok(Ok(followed))) => break followed,
            Ok(Ok(Err(e))) => return Err(writer.stop(e)),
            Ok(Err(e)) => return Err(writer.stop(format!("the watcher's task failed: {e}"))),
            Err(_) => {
                let seen = progress.load(Ordering::Relaxed);
                if seen != last_seen {
                    (last_seen, last_progress) = (seen, tokio::time::Instant::now());
                } else if last_progress.elapsed() >= STALL {
                    follower.abort();
                    let held = watchers::count(&raw, data).await.map_or_else(|e| e, |n| n.to_string());
                    return Err(writer.stop(format!(
                        "the watcher saw no event for {STALL:?} after {seen} of {events} (etcd holds {held} \
                         watchers; it drops a streaming watcher that falls 100 events behind)"
                    )));
                }
            }
        }
    };
    let (sample, seen) = followed;
    let mut written = writer.indices(WRITER_EXIT).await?;
    written.sort_unstable();
    if seen != written {
        let first = seen.iter().zip(&written).position(|(a, b)| a != b).unwrap_or(seen.len().min(written.len()));
        return Err(format!(
            "the watcher saw {} events, the writer made {}; first difference at event {first}: saw {:?}, wrote {:?}",
            seen.len(),
            written.len(),
            seen.get(first),
            written.get(first)
        ));
    }
    Ok(sample)
}

/// What the watcher reads: the library's `Watcher`, or the raw client and the watch's URI.
enum Source {
    Raw(RawClient, String),
    Client(Box<Watcher>),
}

/// An open stream.
enum Open {
    Raw(RawWatch),
    Client(Box<Watcher>),
}

impl Open {
    /// The next event's index (its node's modified index).
    async fn next_index(&mut self) -> Result<u64, String> {
        match self {
            Open::Raw(watch) => {
                let event = watch.next_event().await?.ok_or("the raw stream ended")?;
                Ok(event.node.map_or(0, |node| node.modified_index))
            }
            Open::Client(watcher) => {
                let event = watcher.next().await.ok_or("the watcher ended")?.map_err(|e| e.to_string())?;
                Ok(event.index)
            }
        }
    }
}

/// Opens the stream, delivers the marker's index, then reads `events` events and measures from the first to
/// the last; returns the sample and every index seen, in the order seen.
async fn follow(
    source: Source,
    events: usize,
    marker: oneshot::Sender<u64>,
    progress: Arc<AtomicUsize>,
) -> Result<(Sample, Vec<u64>), String> {
    let mut open = match source {
        Source::Raw(client, uri) => Open::Raw(client.watch(&uri).await?),
        Source::Client(watcher) => Open::Client(watcher),
    };
    let _ = marker.send(open.next_index().await?);
    let mut seen = Vec::with_capacity(events);
    seen.push(open.next_index().await?);
    let before = Reading::now();
    while seen.len() < events {
        seen.push(open.next_index().await?);
        progress.fetch_add(1, Ordering::Relaxed);
    }
    let after = Reading::now();
    Ok((before.until(&after, events as u64 - 1), seen))
}

/// The writer's child process.
struct Writer {
    child: Option<Child>,
}

impl Writer {
    /// Starts `etcd-bench writer` for `events` keys, with the writes in flight of `workload`.
    fn start(data: &Data, workload: Workload, events: usize) -> Result<Writer, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let child = Command::new(exe)
            .args(["writer", "--endpoint", &data.endpoint, "--workload", workload.name, "--ops", &events.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the writer: {e}"))?;
        Ok(Writer { child: Some(child) })
    }

    /// Kills the writer after a failure and returns `error`.
    fn stop(&mut self, error: String) -> String {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        error
    }

    /// Waits for the writer to finish and returns the index of every key it set.
    async fn indices(&mut self, deadline: Duration) -> Result<Vec<u64>, String> {
        let child = self.child.take().ok_or("the writer is gone")?;
        let pid = child.id();
        let output =
            match tokio::time::timeout(deadline, tokio::task::spawn_blocking(|| child.wait_with_output())).await {
                Ok(output) => output.map_err(|e| e.to_string())?.map_err(|e| format!("the writer: {e}"))?,
                Err(_) => {
                    if let Ok(pid) = i32::try_from(pid) {
                        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                    }
                    return Err(format!("the writer did not finish within {deadline:?}"));
                }
            };
        if !output.status.success() {
            return Err(format!("the writer failed ({})", output.status));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let json = stdout.lines().find_map(|l| l.strip_prefix("INDICES ")).ok_or("the writer printed no indices")?;
        serde_json::from_str(json).map_err(|e| format!("the writer printed bad indices: {e}"))
    }
}

/// `etcd-bench writer`: sets `count` new keys under [`WATCH_DIR`], `in_flight` at a time, and returns the index
/// etcd gave each.
///
/// # Errors
/// The first set that failed.
pub async fn write(endpoint: &str, in_flight: usize, count: usize) -> Result<Vec<u64>, String> {
    let data = Arc::new(Data::new(endpoint));
    let raw = RawClient::new();
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = JoinSet::new();
    for _ in 0..in_flight.max(1) {
        let (raw, data, next) = (raw.clone(), data.clone(), next.clone());
        writers.spawn(async move {
            let mut indices = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, String>(indices);
                }
                let uri = data.key_uri(&data::watch_key(i));
                let set = raw.call(raw::set_request(&uri, &data.small_forms[Data::small(i)])).await?;
                indices.push(set.modified_index().ok_or("a set without a node")?);
            }
        });
    }
    let mut indices = Vec::with_capacity(count);
    while let Some(result) = writers.join_next().await {
        indices.extend(result.map_err(|e| format!("a writer task failed: {e}"))??);
    }
    Ok(indices)
}
