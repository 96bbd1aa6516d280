//! The concurrent workloads, each a task with a client of its own, recording every operation.
//!
//! - shared keys: unconditional sets, quorum gets and compare-and-swaps of a few keys by several clients, for
//!   the linearizability check; the keys change every window, so that each history stays small enough for it;
//! - CAS counters: read, then swap in the next number, the value naming the operation (`7:w123`);
//! - a queue: create-in-order with unique values;
//! - unique creates: `prevExist=false` of keys nobody else writes;
//! - recursive watchers of the whole test tree.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_keys::{Error, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

use super::history::{History, Op, Outcome, Record, WatchEvent, WatchLog};
use super::linearizable::value_of;

/// The value a counter starts with.
pub const COUNTER_START: &str = "0:init";

/// What a workload client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sets, gets and compare-and-swaps of the shared keys.
    Shared,
    /// Compare-and-swap increments of a counter.
    Counter,
    /// Create-in-order into the queue.
    Queue,
    /// Creates of keys of its own.
    Create,
}

/// The keys of one run, all under one root directory.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The run's directory, for example `/chaos-42`.
    pub root: String,
    /// How many shared keys there are at a time.
    pub shared_keys: usize,
    /// How long a shared key is used before its successor takes over.
    pub window: Duration,
    /// How many counters there are.
    pub counters: usize,
}

impl Layout {
    /// The shared key `k` of the window `at` falls in (windows counted from `start`).
    pub fn shared_key(&self, k: usize, start: Instant, at: Instant) -> String {
        let window = at.saturating_duration_since(start).as_millis() / self.window.as_millis().max(1);
        format!("{}/reg/k{k}-w{window}", self.root)
    }

    /// Whether `key` is a shared key.
    pub fn is_shared(&self, key: &str) -> bool {
        key.starts_with(&format!("{}/reg/", self.root))
    }

    /// Counter `k`.
    pub fn counter(&self, k: usize) -> String {
        format!("{}/counter/c{k}", self.root)
    }

    /// The queue's directory.
    pub fn queue(&self) -> String {
        format!("{}/queue", self.root)
    }

    /// The directory of the unique creates.
    pub fn unique_dir(&self) -> String {
        format!("{}/uniq", self.root)
    }

    /// The key written once at the end, so that watchers can be waited for.
    pub fn fence(&self) -> String {
        format!("{}/fence", self.root)
    }
}

/// What every workload task shares.
#[derive(Clone, Debug)]
pub struct Context {
    /// Where operations are recorded.
    pub history: Arc<History>,
    /// Set when the run is over.
    pub stop: Arc<AtomicBool>,
    /// When the workload started (windows count from here).
    pub start: Instant,
    /// The keys.
    pub layout: Arc<Layout>,
}

impl Context {
    /// Runs one call, recording it as operation `id`.
    async fn record<F>(&self, id: u64, client: usize, key: &str, op: Op, call: F) -> Outcome
    where
        F: Future<Output = Result<Response, Error>>,
    {
        let invoke = Instant::now();
        let result = call.await;
        let complete = Instant::now();
        let outcome = Outcome::of(&op, &result);
        self.history.push(Record { id, client, key: key.to_string(), op, invoke, complete, outcome: outcome.clone() });
        outcome
    }
}

/// Runs the workload of `role` as client `client` until the context says stop.
pub async fn run(role: Role, client: usize, keys: KeysApi, cx: Context, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    // The value this client last saw of each shared key, for its compare-and-swaps.
    let mut seen: Vec<Option<(String, String)>> = vec![None; cx.layout.shared_keys];
    while !cx.stop.load(Ordering::Relaxed) {
        match role {
            Role::Shared => shared_step(client, &keys, &cx, &mut rng, &mut seen).await,
            Role::Counter => counter_step(client, &keys, &cx, &mut rng).await,
            Role::Queue => {
                let id = cx.history.next_id();
                let value = format!("q{id}");
                let dir = cx.layout.queue();
                let call = keys.create_in_order(&dir, &value, None);
                cx.record(id, client, &dir, Op::Enqueue { value: value.clone() }, call).await;
            }
            Role::Create => {
                let id = cx.history.next_id();
                let key = format!("{}/c{client}-{id}", cx.layout.unique_dir());
                let value = format!("u{id}");
                cx.record(id, client, &key, Op::Create { value: value.clone() }, keys.create(&key, &value)).await;
            }
        }
        // Pacing, so that each shared key's history stays small enough for the checker, and the write rate
        // stays well within etcd's 1,000-event watch history.
        tokio::time::sleep(Duration::from_millis(rng.random_range(5..30))).await;
    }
}

/// One operation on a shared key: a set (35 %), a quorum get (50 %), or a compare-and-swap from the last
/// value this client saw (15 %). Reads are the majority since each one pins the value down, which keeps the
/// checker's search short.
async fn shared_step(
    client: usize,
    keys: &KeysApi,
    cx: &Context,
    rng: &mut StdRng,
    seen: &mut [Option<(String, String)>],
) {
    let k = rng.random_range(0..cx.layout.shared_keys);
    let key = cx.layout.shared_key(k, cx.start, Instant::now());
    let id = cx.history.next_id();
    let roll: u32 = rng.random_range(0..100);
    let known = seen[k].as_ref().filter(|(seen_key, _)| *seen_key == key).map(|(_, v)| v.clone());
    let outcome = match (roll, known) {
        (0..35, _) | (85.., None) => {
            let value = value_of(id);
            let op = Op::Write { value: value.clone() };
            let outcome = cx.record(id, client, &key, op, keys.set(&key, &value, None)).await;
            if matches!(outcome, Outcome::Ok { .. }) {
                seen[k] = Some((key.clone(), value));
            }
            return;
        }
        (35..85, _) => {
            let call = keys.get(&key, Some(GetOptions::new().with_quorum()));
            cx.record(id, client, &key, Op::Read, call).await
        }
        (_, Some(expected)) => {
            let new = value_of(id);
            let op = Op::Cas { expected: expected.clone(), prev_index: None, new: new.clone() };
            let call = keys.set(&key, &new, Some(SetOptions::new().with_prev_value(expected)));
            cx.record(id, client, &key, op, call).await
        }
    };
    if let Outcome::Ok { value: Some(v), .. } = outcome {
        seen[k] = Some((key, v));
    }
}

/// One increment of a random counter: a quorum get, then a compare-and-swap of the next number, conditioned
/// on the value read (`prevValue`) or on its index (`prevIndex`), alternately; etcd takes one or the other.
async fn counter_step(client: usize, keys: &KeysApi, cx: &Context, rng: &mut StdRng) {
    let key = cx.layout.counter(rng.random_range(0..cx.layout.counters));
    let id = cx.history.next_id();
    let read = cx.record(id, client, &key, Op::Read, keys.get(&key, Some(GetOptions::new().with_quorum()))).await;
    let Outcome::Ok { value: Some(current), modified_index, .. } = read else { return };
    let Some(n) = counter_number(&current) else { return };
    let id = cx.history.next_id();
    let new = format!("{}:{}", n + 1, value_of(id));
    let (options, prev_index) = if id % 2 == 0 {
        (SetOptions::new().with_prev_value(current.clone()), None)
    } else {
        (SetOptions::new().with_prev_index(modified_index), Some(modified_index))
    };
    let op = Op::Cas { expected: current, prev_index, new: new.clone() };
    cx.record(id, client, &key, op, keys.set(&key, &new, Some(options))).await;
}

/// The number in a counter's value (`7` in `7:w123`).
pub fn counter_number(value: &str) -> Option<u64> {
    value.split_once(':').and_then(|(n, _)| n.parse().ok())
}

/// Watches the whole tree from after `after_index` into `log`, announcing each event's index on `progress`,
/// until the watch ends or the task is aborted.
pub async fn watch(
    keys: KeysApi,
    root: String,
    after_index: u64,
    log: Arc<Mutex<WatchLog>>,
    progress: watch::Sender<u64>,
) {
    // A short liveness probe, so that a watch on a frozen member moves within about two seconds.
    let options = WatcherOptions::new()
        .with_recursive()
        .with_after_index(after_index)
        .with_liveness_probe(Duration::from_secs(1), Duration::from_secs(1));
    let mut watcher = keys.watcher(&root, Some(options));
    loop {
        let item = watcher.next().await;
        let failed = {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            match item {
                None => {
                    log.ended = true;
                    return;
                }
                Some(Ok(event)) => {
                    log.events.push(WatchEvent {
                        index: event.index,
                        key: event.node.key.clone(),
                        action: event.action.to_string(),
                        value: event.node.value.clone(),
                    });
                    progress.send_replace(event.index);
                    false
                }
                Some(Err(e)) => {
                    let at = log.events.len();
                    log.errors.push((at, e.to_string()));
                    true
                }
            }
        };
        if failed {
            // The watcher tries again from the same index when polled again; a short pause keeps a cluster
            // that is down from turning this into a busy loop.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
