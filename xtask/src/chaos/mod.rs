//! `cargo xtask chaos`: a real 3-member cluster, concurrent workloads through the library, a nemesis killing
//! and freezing members, and checkers of what the clients were told against what the cluster did.
//!
//! The run: start the cluster; lay out the keys; start the watchers and the workload clients (each pinned to a
//! member of its own, the shared-key clients spread over all three, so that the nemesis hits clients that are
//! writing); run the nemesis for the duration; stop the workload, heal every member, write a fence and wait for
//! the watchers to see it; read the whole tree with a quorum get; check; report. The cluster (processes and
//! temporary directory) is removed on every path: the nemesis thread owns it and is always joined, and a
//! Ctrl-C ends the run early instead of killing the process.

mod check;
mod history;
mod linearizable;
mod nemesis;
mod options;
mod register;
mod report;
mod workload;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use etcd_keys::{Client, Error, GetOptions, KeysApi, Response, SetOptions};
use etcd_testkit::Cluster;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::check::{FinalState, Violation};
use self::history::{History, Op, Outcome, Record, WatchLog};
use self::linearizable::{KeyVerdict, Verdict};
use self::options::Options;
use self::workload::{COUNTER_START, Context, Layout, Role};

/// The clients' per-attempt header timeout: a frozen member is left after this long.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
/// The clients' bound on a whole call, so that every operation ends.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on each wait of the end of the run (workload tasks, fence, watchers, final read).
const END_WAIT: Duration = Duration::from_secs(30);
/// The workload clients, in client-id order.
const ROLES: [Role; 9] = [
    Role::Shared,
    Role::Shared,
    Role::Shared,
    Role::Shared,
    Role::Counter,
    Role::Counter,
    Role::Queue,
    Role::Queue,
    Role::Create,
];
/// Bound on the linearizability checks of a whole run; keys left when it is spent are inconclusive.
const CHECK_TIME: Duration = Duration::from_secs(180);
/// How many recursive watchers there are.
const WATCHERS: usize = 3;
/// The client id of the final reads.
const FINAL_CLIENT: usize = 1_000;

/// `cargo xtask chaos ...`: runs, prints the report, and exits non-zero on any violation.
pub fn cmd_chaos(args: &[String]) -> Result<ExitCode, String> {
    let options = Options::parse(args)?;
    let binary = options::etcd_binary(options.version)?;
    eprintln!(
        "xtask chaos: seed {} for {:?} on a 3-member etcd {} ({})",
        options.seed,
        options.duration,
        binary.version(),
        binary.path().display()
    );
    // Bridged, etcd serves no v2 at all: nothing of the run can reach it by mistake.
    let builder = Cluster::builder().members(3).binary(binary);
    let builder = if options.bridged { builder.without_v2() } else { builder };
    let cluster = builder.start().map_err(|e| format!("cannot start etcd: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let outcome = runtime.block_on(run(cluster, &options))?;
    drop(runtime);
    let Checked { violations, keys, notes } = outcome.check();
    let clients: Vec<usize> = (0..ROLES.len()).collect();
    let report = report::Run {
        header: outcome.header.clone(),
        start: outcome.start,
        records: &outcome.records,
        clients: &clients,
        faults: &outcome.faults,
        watchers: &outcome.watch_logs,
        keys: &keys,
        violations: &violations,
        notes: &notes,
    };
    let text = report.render();
    print!("{text}");
    match report::save(&report, &text, options.seed) {
        Ok(dir) => eprintln!("xtask chaos: report and full history in {}", crate::rel(&dir)),
        Err(e) => eprintln!("xtask chaos: cannot save the history: {e}"),
    }
    eprintln!("xtask chaos: repeat with `cargo xtask chaos --seed {}`", options.seed);
    Ok(if violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The kind of a linearizability violation.
const LINEARIZABILITY: &str = "not linearizable";

/// What the checkers found.
struct Checked {
    violations: Vec<Violation>,
    keys: Vec<KeyVerdict>,
    notes: Vec<String>,
}

/// What a run leaves for the checkers.
struct Finished {
    header: String,
    start: Instant,
    layout: Layout,
    /// Every operation, the final reads of the shared keys last.
    records: Vec<Record>,
    faults: Vec<history::Fault>,
    watch_logs: Vec<WatchLog>,
    after_index: u64,
    fence: Option<u64>,
    state: Option<FinalState>,
    notes: Vec<String>,
}

/// The clients of a run, one per workload task and per watcher, each pinned to a member of its own.
///
/// Bridged (`--api v3`), the keys API goes through `etcd_v2v3::bridge` over the client; the client itself is
/// returned too, for the nemesis to read its pin.
fn client(endpoints: &[String], n: usize, bridged: bool) -> Result<(KeysApi, Client), String> {
    // Endpoints in an order of our own, not shuffled: client `n` starts pinned to member `n % 3`, so that the
    // shared-key clients cover every member and any member the nemesis freezes has writers on it.
    let mut order = endpoints.to_vec();
    order.rotate_left(n % endpoints.len());
    let client = Client::builder(order)
        .shuffle_endpoints(false)
        .header_timeout_per_request(HEADER_TIMEOUT)
        .call_timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build a client: {e}"))?;
    let keys = if bridged { KeysApi::new(etcd_v2v3::bridge(client.clone())) } else { KeysApi::new(client.clone()) };
    Ok((keys, client))
}

/// Runs the workload and the nemesis on `cluster`, heals it, and reads the final state.
async fn run(cluster: Cluster, options: &Options) -> Result<Finished, String> {
    let endpoints = cluster.endpoints();
    let header = format!(
        "seed {}, {} s, etcd {}, 3 members, {} workload clients, {WATCHERS} watchers, faults {:?}",
        options.seed,
        options.duration.as_secs(),
        cluster.binary().version(),
        ROLES.len(),
        options.faults
    );
    // A new shared key every 2 s keeps each history to about 150 operations: stateright's search has no
    // memoization, and on a history that cannot be linearized it may try every order of the concurrent writes
    // before the violation, which grows exponentially with the length (with 4 s windows, 2 of 16 histories
    // of a 30 s run were still undecided after 20 s). A stale write that lands after its key's window is over
    // is still caught, by the final read appended to every history.
    let layout = Layout { root: "/chaos".into(), shared_keys: 2, window: Duration::from_secs(2), counters: 2 };
    let (setup, _) = client(&endpoints, 0, options.bridged)?;
    let after_index = lay_out(&setup, &layout).await.map_err(|e| format!("cannot lay out the keys: {e}"))?;

    let history = Arc::new(History::new());
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let cx = Context { history: history.clone(), stop: stop.clone(), start, layout: Arc::new(layout.clone()) };

    let mut watchers = Vec::new();
    for w in 0..WATCHERS {
        let log = Arc::new(Mutex::new(WatchLog::default()));
        let (progress, seen) = watch::channel(after_index);
        let task = tokio::spawn(workload::watch(
            client(&endpoints, w, options.bridged)?.0,
            layout.root.clone(),
            after_index,
            log.clone(),
            progress,
        ));
        watchers.push((task, log, seen));
    }
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut pinned = Vec::new();
    for (id, role) in ROLES.iter().enumerate() {
        let (keys, inner) = client(&endpoints, id, options.bridged)?;
        if *role == Role::Shared {
            pinned.push(inner);
        }
        let seed = options.seed.wrapping_mul(1_000).wrapping_add(id as u64);
        tasks.push(tokio::spawn(workload::run(*role, id, keys, cx.clone(), seed)));
    }

    // From here on the cluster belongs to the nemesis thread, which is joined on every path below.
    let (stop_nemesis, stopped) = mpsc::channel();
    let seed = options.seed;
    let kinds = options.faults.clone();
    let nemesis = thread::spawn(move || nemesis::Nemesis::new(cluster, seed, kinds, pinned, stopped).run());
    let mut notes = Vec::new();
    tokio::select! {
        () = tokio::time::sleep(options.duration) => {}
        _ = tokio::signal::ctrl_c() => notes.push("interrupted (Ctrl-C): the run was cut short".to_string()),
    }
    stop.store(true, Ordering::Relaxed);
    drop(stop_nemesis);
    for task in tasks {
        // Every call ends within the call timeout; this bound is for a bug of ours.
        if tokio::time::timeout(END_WAIT, task).await.is_err() {
            notes.push("a workload task did not end in time".into());
        }
    }
    let joined = tokio::task::spawn_blocking(move || nemesis.join()).await;
    let (cluster, log) = match joined {
        Ok(Ok(done)) => done,
        // The nemesis panicked: the cluster was dropped (and cleaned up) as it unwound.
        _ => return Err("the nemesis thread failed".into()),
    };
    notes.extend(log.notes);

    // The end: a fence every watcher must reach, then the final state.
    let fence_key = layout.fence();
    let fence = retry(|| setup.set(&fence_key, "end", None)).await.map(|r| r.node.modified_index);
    if let Err(e) = &fence {
        notes.push(format!("cannot write the fence: {e}"));
    }
    if let Ok(fence) = &fence {
        for (w, (_, _, seen)) in watchers.iter_mut().enumerate() {
            if tokio::time::timeout(END_WAIT, seen.wait_for(|index| *index >= *fence)).await.is_err() {
                notes.push(format!("watcher {w} did not see the fence within {END_WAIT:?}"));
            }
        }
    }
    let watch_logs: Vec<WatchLog> = watchers
        .into_iter()
        .map(|(task, log, _)| {
            task.abort();
            log.lock().unwrap_or_else(|e| e.into_inner()).clone()
        })
        .collect();

    let mut records = history.snapshot();
    let read_from = Instant::now();
    let tree = retry(|| setup.get(&layout.root, Some(GetOptions::new().with_recursive().with_quorum()))).await;
    let read_until = Instant::now();
    drop(cluster);
    let state = match tree {
        Ok(tree) => Some(FinalState::from_tree(&tree.node)),
        Err(e) => {
            notes.push(format!("cannot read the final state: {e}"));
            None
        }
    };
    if let Some(state) = &state {
        // The final value of each shared key, as one more read after everything, so that the checker sees
        // whether the last acknowledged write survived.
        let shared: Vec<String> = {
            let mut keys: Vec<String> =
                records.iter().filter(|r| layout.is_shared(&r.key)).map(|r| r.key.clone()).collect();
            keys.sort();
            keys.dedup();
            keys
        };
        for key in shared {
            let (value, modified_index) = state.keys.get(&key).cloned().map_or((None, 0), |(v, m)| (Some(v), m));
            records.push(Record {
                id: history.next_id(),
                client: FINAL_CLIENT,
                key: key.clone(),
                op: Op::Read,
                invoke: read_from,
                complete: read_until,
                outcome: Outcome::Ok { index: 0, key, value, modified_index },
            });
        }
    }
    Ok(Finished {
        header,
        start,
        layout,
        records,
        faults: log.faults,
        watch_logs,
        after_index,
        fence: fence.ok(),
        state,
        notes,
    })
}

impl Finished {
    /// Every check: the final state, the watchers, and the linearizability of each shared key.
    fn check(&self) -> Checked {
        let mut notes = self.notes.clone();
        let mut violations = Vec::new();
        match &self.state {
            Some(state) => {
                violations.extend(check::final_state(&self.records, state, &self.layout));
                let (found, watch_notes) =
                    check::watchers(&self.layout, &self.records, &self.watch_logs, state, self.after_index, self.fence);
                violations.extend(found);
                notes.extend(watch_notes);
            }
            None => notes.push("no final state: the final-state and watcher checks were skipped".into()),
        }
        let mut by_key: BTreeMap<&str, Vec<Record>> = BTreeMap::new();
        for r in self.records.iter().filter(|r| self.layout.is_shared(&r.key)) {
            by_key.entry(&r.key).or_default().push(r.clone());
        }
        let mut keys = Vec::new();
        let deadline = Instant::now() + CHECK_TIME;
        for (key, records) in by_key {
            let began = Instant::now();
            let verdict = linearizable::check(&records, deadline);
            let unknown = records.iter().filter(|r| matches!(r.outcome, Outcome::Unknown { .. })).count();
            eprintln!(
                "xtask chaos: {key}: {} ops ({unknown} unknown): {verdict:?} in {:.1?}",
                records.len(),
                began.elapsed()
            );
            if let Verdict::Violation { culprit } = verdict {
                violations.push(Violation {
                    kind: LINEARIZABILITY,
                    detail: format!(
                        "{key}: no order of its {} operations explains the results; the first result that cannot \
                         be explained is op {culprit}'s (shown last, after the acknowledged writes before it)",
                        records.len()
                    ),
                    ops: linearizable::involved(&records, culprit),
                });
            }
            if verdict == Verdict::Inconclusive {
                notes.push(format!("{key}: the linearizability search ran out of its budget"));
            }
            keys.push(KeyVerdict { key: key.to_string(), ops: records.len(), verdict });
        }
        // The headline first: linearizability, then the rest in the order found.
        violations.sort_by_key(|v| v.kind != LINEARIZABILITY);
        Checked { violations, keys, notes }
    }
}

/// Creates the counters (at their start value) and the queue's directory; returns the index after which
/// the watchers start.
async fn lay_out(keys: &KeysApi, layout: &Layout) -> Result<u64, Error> {
    for k in 0..layout.counters {
        keys.set(&layout.counter(k), COUNTER_START, None).await?;
    }
    keys.set(&layout.queue(), "", Some(SetOptions::new().with_dir())).await?;
    keys.set(&layout.unique_dir(), "", Some(SetOptions::new().with_dir())).await?;
    Ok(keys.get(&layout.root, Some(GetOptions::new().with_quorum())).await?.index)
}

/// Calls `call` until it succeeds, for at most [`END_WAIT`] (the cluster may still be electing a leader).
async fn retry<F, Fut>(mut call: F) -> Result<Response, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response, Error>>,
{
    let deadline = Instant::now() + END_WAIT;
    loop {
        match call().await {
            Ok(r) => return Ok(r),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}
