//! `etcd-bench`: the etcd v2 client against a raw hyper-util baseline sending the same requests, on the same
//! server, in one run. `cargo xtask bench` starts etcd, builds this with `--release` and runs it.
//!
//! The orchestrator (`etcd-bench run`) checks that both sides put byte-identical requests on the wire, prepares
//! the server, then runs every workload once per side and round, each in a child process of its own
//! (`etcd-bench phase`).
//! A process per phase gives each its own peak resident size (`VmHWM`) with nothing left over from another
//! phase: resetting the peak with `/proc/self/clear_refs` would start it from the current resident size, which
//! after the 10,000-key listing holds whatever memory the allocator kept. The client and the baseline take
//! turns, in alternating order from round to round, so that a change of load on the machine hits both. A watch
//! phase starts its writer as a process of its own (`etcd-bench writer`), so that the writer's CPU is not
//! charged to the watcher.

mod data;
mod follow;
mod identical;
mod idle;
mod measure;
mod raw;
mod report;
mod setup;
mod watchers;
mod workload;

use std::env;
use std::io::Write as _;
use std::process::{Command, ExitCode, Stdio};

use crate::data::Data;
use crate::measure::Sample;
use crate::report::{Context, Row};
use crate::workload::{Op, Side, SideKind, WORKLOADS, Workload};

const HELP: &str = "\
etcd-bench: the etcd v2 client against the raw hyper-util limit (run through `cargo xtask bench`)

etcd-bench run [options]
  --endpoint URL       the etcd member to use (default: the first of $ETCD_ENDPOINTS)
  --rounds N           rounds per workload and side (default 9)
  --scale F            multiply every workload's operation count by F (default 1)
  --only A,B           run only these workloads
  --runtime R          multi (tokio multi-thread, one worker per core; default) or current (current-thread)
  --variants           also run diagnostic variants of the client on get and set (without the header
                       timeout; with no layers at all)
  --markdown PATH      also write the report there
  --command TEXT       the command to name in the report

etcd-bench phase --endpoint URL --workload NAME --side SIDE --ops N [--runtime R]
  SIDE: raw, client, client-no-header-timeout or client-bare
  one measured phase; prints `SAMPLE {json}` (used by `run`)

etcd-bench writer --endpoint URL --workload NAME --ops N
  a watch workload's writer: sets N new keys under /bench/watch, as many at a time as the workload
  says, and prints `INDICES [...]`, the index etcd gave each (started by the watch phase)

Workloads: get, set, get-16, set-16, get-64, set-64, list-10k, decode-10k, watch (events delivered to a
recursive watcher while a writer process sets keys one at a time), idle-watchers (the resident size of
1,000 watchers on keys that never change; not scaled).
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => Options::parse(&args[1..]).and_then(|o| orchestrate(&o)),
        Some("phase") => Options::parse(&args[1..]).and_then(|o| phase(&o)),
        Some("writer") => Options::parse(&args[1..]).and_then(|o| writer(&o)),
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        _ => Err(format!("expected `run` or `phase`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("etcd-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line, for both modes.
#[derive(Debug)]
struct Options {
    endpoint: String,
    rounds: usize,
    scale: f64,
    only: Option<Vec<String>>,
    runtime: Runtime,
    variants: bool,
    markdown: Option<String>,
    command: String,
    workload: Option<String>,
    side: Option<SideKind>,
    ops: Option<usize>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            endpoint: env::var("ETCD_ENDPOINTS")
                .ok()
                .and_then(|e| e.split(',').next().map(str::to_owned))
                .unwrap_or_default(),
            rounds: 9,
            scale: 1.0,
            only: None,
            runtime: Runtime::Multi,
            variants: false,
            markdown: None,
            command: "etcd-bench run".into(),
            workload: None,
            side: None,
            ops: None,
        };
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let mut value = || rest.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--endpoint" => options.endpoint = value()?,
                "--rounds" => options.rounds = number(&value()?, flag)?.max(1),
                "--scale" => {
                    let v = value()?;
                    options.scale = v.parse().ok().filter(|s: &f64| *s > 0.0).ok_or(format!("bad --scale {v}"))?;
                }
                "--only" => options.only = Some(value()?.split(',').map(str::to_owned).collect()),
                "--runtime" => options.runtime = Runtime::parse(&value()?)?,
                "--markdown" => options.markdown = Some(value()?),
                "--variants" => options.variants = true,
                "--command" => options.command = value()?,
                "--workload" => options.workload = Some(value()?),
                "--side" => {
                    let v = value()?;
                    options.side = Some(SideKind::parse(&v).ok_or(format!("unknown --side {v}"))?);
                }
                "--ops" => options.ops = Some(number(&value()?, flag)?),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if options.endpoint.is_empty() {
            return Err("no endpoint: pass --endpoint URL or set ETCD_ENDPOINTS".into());
        }
        let unknown = options.only.iter().flatten().find(|name| Workload::named(name).is_none());
        if let Some(unknown) = unknown {
            return Err(format!("unknown workload {unknown}"));
        }
        Ok(options)
    }
}

fn number(text: &str, flag: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("{flag} takes a number, not {text}"))
}

/// The tokio runtime both sides run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runtime {
    /// `new_multi_thread()`, one worker per core (what `#[tokio::main]` gives).
    Multi,
    /// `new_current_thread()`.
    Current,
}

impl Runtime {
    fn parse(text: &str) -> Result<Runtime, String> {
        match text {
            "multi" => Ok(Runtime::Multi),
            "current" => Ok(Runtime::Current),
            other => Err(format!("--runtime is multi or current, not {other}")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Runtime::Multi => "multi",
            Runtime::Current => "current",
        }
    }

    fn describe(self) -> String {
        match self {
            Runtime::Multi => format!(
                "tokio multi-thread runtime ({} workers)",
                std::thread::available_parallelism().map_or(1, usize::from)
            ),
            Runtime::Current => "tokio current-thread runtime".into(),
        }
    }

    fn build(self) -> Result<tokio::runtime::Runtime, String> {
        let mut builder = match self {
            Runtime::Multi => tokio::runtime::Builder::new_multi_thread(),
            Runtime::Current => tokio::runtime::Builder::new_current_thread(),
        };
        builder.enable_all().build().map_err(|e| format!("cannot build the runtime: {e}"))
    }
}

/// One measured phase in this process: prints `SAMPLE {json}` on stdout.
fn phase(options: &Options) -> Result<(), String> {
    let name = options.workload.as_deref().ok_or("phase needs --workload")?;
    let workload = Workload::named(name).ok_or_else(|| format!("unknown workload {name}"))?;
    let side_kind = options.side.ok_or("phase needs --side")?;
    let ops = options.ops.unwrap_or(workload.ops);
    let runtime = options.runtime.build()?;
    let endpoint = options.endpoint.clone();
    let sample = runtime.block_on(async move {
        let side = Side::new(side_kind, &endpoint)?;
        workload::run(side, Data::new(&endpoint), workload, ops).await
    })?;
    let json = serde_json::to_string(&sample).map_err(|e| e.to_string())?;
    println!("SAMPLE {json}");
    Ok(())
}

/// The watch workload's writer, in this process: prints `INDICES [...]` on stdout.
fn writer(options: &Options) -> Result<(), String> {
    let count = options.ops.ok_or("writer needs --ops")?;
    let name = options.workload.as_deref().ok_or("writer needs --workload")?;
    let workload = Workload::named(name).ok_or_else(|| format!("unknown workload {name}"))?;
    let indices = options.runtime.build()?.block_on(follow::write(&options.endpoint, workload.in_flight, count))?;
    let json = serde_json::to_string(&indices).map_err(|e| e.to_string())?;
    println!("INDICES {json}");
    Ok(())
}

/// Prepares the server, runs every phase in a child process, and prints the report.
fn orchestrate(options: &Options) -> Result<(), String> {
    let workloads: Vec<Workload> = WORKLOADS
        .iter()
        .copied()
        .filter(|w| options.only.as_ref().is_none_or(|only| only.iter().any(|name| name == w.name)))
        .collect();
    let endpoint = options.endpoint.trim_end_matches('/').to_owned();
    let data = Data::new(&endpoint);
    let setup = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (etcd_version, listing_bytes) = setup.block_on(async {
        let version = setup::server_version(&endpoint).await?;
        identical::check().await?;
        eprintln!("etcd-bench: the client's requests are byte-identical to the baseline's on the wire");
        eprintln!("etcd-bench: writing {} keys for the listing on etcd {version} at {endpoint}", data::LIST_KEYS);
        let listing_bytes = setup::prepare(&endpoint, &data).await?;
        Ok::<_, String>((version, listing_bytes))
    })?;
    drop(setup);

    let load_before = report::load_average();
    let mut rows: Vec<Row> = workloads.iter().copied().map(Row::new).collect();
    let mut reruns = Vec::new();
    for round in 0..options.rounds {
        for row in &mut rows {
            let mut order = vec![SideKind::Raw, SideKind::Client];
            if matches!(row.workload.op, Op::Get | Op::Set) {
                order.push(SideKind::Bridge);
                if options.variants {
                    order.extend(SideKind::VARIANTS);
                }
            }
            if round % 2 == 1 {
                order.reverse();
            }
            for side in order {
                let ops = row.workload.scaled_ops(options.scale);
                let sample = run_phase(options, &endpoint, row.workload, side, ops, round, &mut reruns)?;
                if row.workload.op == Op::IdleWatchers {
                    eprintln!(
                        "etcd-bench: round {}/{} {:<10} {:<6} {} watchers add {:>5.1} MiB resident ({:.1} → {:.1} MiB)",
                        round + 1,
                        options.rounds,
                        row.workload.name,
                        side,
                        sample.ops,
                        sample.added_rss_mib(),
                        sample.baseline_rss_mib(),
                        sample.watching_rss_mib()
                    );
                    row.push(side, sample);
                    continue;
                }
                eprintln!(
                    "etcd-bench: round {}/{} {:<10} {:<6} {:>8.0} ops/s {:>8.1} µs CPU/op {:>6.1} MiB peak",
                    round + 1,
                    options.rounds,
                    row.workload.name,
                    side,
                    sample.ops_per_sec(),
                    sample.cpu_us_per_op(),
                    sample.peak_rss_mib()
                );
                row.push(side, sample);
            }
        }
    }
    let context = Context {
        command: options.command.clone(),
        etcd_version,
        runtime: options.runtime.describe(),
        rounds: options.rounds,
        scale: options.scale,
        listing_bytes,
        load_before,
        load_after: report::load_average(),
        reruns,
    };
    let markdown = report::render(&context, &rows);
    print!("{markdown}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    if let Some(path) = &options.markdown {
        std::fs::write(path, &markdown).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

/// How many times a watch phase runs at most: etcd may drop the watcher of a phase (see `follow.rs`), and that
/// phase then fails and runs again. Any other phase runs once.
const WATCH_ATTEMPTS: usize = 3;

/// Runs one phase with [`run_child`], again after a watch phase failed; each failure that was run again goes
/// into `reruns`, for the report.
fn run_phase(
    options: &Options,
    endpoint: &str,
    workload: Workload,
    side: SideKind,
    ops: usize,
    round: usize,
    reruns: &mut Vec<String>,
) -> Result<Sample, String> {
    let attempts = if workload.op == Op::Watch { WATCH_ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        match run_child(options, endpoint, workload, side, ops) {
            Err(e) if attempt < attempts => {
                eprintln!("etcd-bench: {e}; running it again");
                reruns.push(format!("round {}, {} of {side}: {e}", round + 1, workload.name));
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Runs one phase in a child process and reads its sample. The child's standard error is passed on once it
/// ended; its last error line goes into the error of a failed phase.
fn run_child(
    options: &Options,
    endpoint: &str,
    workload: Workload,
    side: SideKind,
    ops: usize,
) -> Result<Sample, String> {
    let exe = env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let output = Command::new(exe)
        .args(["phase", "--endpoint", endpoint, "--workload", workload.name, "--side", side.as_str()])
        .args(["--ops", &ops.to_string(), "--runtime", options.runtime.as_str()])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run a phase: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    if !output.status.success() {
        let reason = stderr.lines().rev().find_map(|l| l.strip_prefix("etcd-bench: error: ")).unwrap_or("no message");
        return Err(format!("the {} phase of {} failed ({}): {reason}", workload.name, side, output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SAMPLE "))
        .ok_or_else(|| format!("the {} phase of {} printed no sample", workload.name, side))?;
    serde_json::from_str(json).map_err(|e| format!("the {} phase of {} printed a bad sample: {e}", workload.name, side))
}
