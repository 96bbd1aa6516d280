//! The report: per workload, the baseline's and the client's medians over the rounds, their ratios, and the
//! issue's targets, as Markdown (the table `BENCHMARKS.md` quotes).

use std::fmt::Write as _;

use crate::measure::Sample;
use crate::workload::{Op, SideKind, Workload};

/// The bound on what 1,000 idle watchers add to a client's resident size.
const IDLE_WATCHERS_TARGET_MIB: f64 = 20.0;

/// The samples of one workload, each side's one per round.
#[derive(Debug)]
pub struct Row {
    /// The workload.
    pub workload: Workload,
    samples: Vec<(SideKind, Sample)>,
}

impl Row {
    /// An empty row for `workload`.
    pub fn new(workload: Workload) -> Row {
        Row { workload, samples: Vec::new() }
    }

    /// Adds a sample of `side`.
    pub fn push(&mut self, side: SideKind, sample: Sample) {
        self.samples.push((side, sample));
    }

    fn of(&self, side: SideKind) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |(s, _)| *s == side).map(|(_, sample)| sample)
    }

    fn has(&self, side: SideKind) -> bool {
        self.of(side).next().is_some()
    }

    /// Whether the row compares both sides per operation (every workload but the idle watchers, which are about
    /// memory).
    fn compares_per_op(&self) -> bool {
        self.workload.op != Op::IdleWatchers && self.has(SideKind::Raw) && self.has(SideKind::Client)
    }

    fn range(&self, side: SideKind, metric: fn(&Sample) -> f64) -> (f64, f64) {
        self.of(side).map(metric).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
    }

    fn stat(&self, side: SideKind, metric: fn(&Sample) -> f64) -> f64 {
        median(self.of(side).map(metric).collect())
    }

    /// The client's median over the baseline's median for `metric`.
    fn ratio(&self, metric: fn(&Sample) -> f64) -> f64 {
        self.stat(SideKind::Client, metric) / self.stat(SideKind::Raw, metric)
    }

    /// The client's best over the baseline's best: the lowest value for `lower_is_better`, else the highest. The
    /// machine's other load can only add CPU time or take throughput, so the bests are the least disturbed.
    fn best_ratio(&self, metric: fn(&Sample) -> f64, lower_is_better: bool) -> f64 {
        let best = |side| {
            let values = self.of(side).map(metric);
            if lower_is_better { values.fold(f64::INFINITY, f64::min) } else { values.fold(0.0, f64::max) }
        };
        best(SideKind::Client) / best(SideKind::Raw)
    }

    /// The lowest and highest ratio of one round's client sample to the same round's baseline sample.
    fn round_ratios(&self, metric: fn(&Sample) -> f64) -> (f64, f64) {
        let ratios = self.of(SideKind::Client).zip(self.of(SideKind::Raw)).map(|(c, r)| metric(c) / metric(r));
        ratios.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
    }
}

/// What the report says about where and how it was measured.
#[derive(Debug)]
pub struct Context {
    /// The command that produced it.
    pub command: String,
    /// etcd's version, as the server says.
    pub etcd_version: String,
    /// The runtime both sides ran on.
    pub runtime: String,
    /// Rounds per workload and side.
    pub rounds: usize,
    /// The operation counts' scale.
    pub scale: f64,
    /// The listing's size in bytes.
    pub listing_bytes: usize,
    /// The load average before the first round.
    pub load_before: String,
    /// The load average after the last round.
    pub load_after: String,
    /// The phases that failed and ran again, and why.
    pub reruns: Vec<String>,
}

/// Renders the report.
pub fn render(context: &Context, rows: &[Row]) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "- Machine: {}", machine());
    let _ = writeln!(w, "- Load average (1, 5, 15 min) before: {}; after: {}", context.load_before, context.load_after);
    let _ = writeln!(w, "- etcd {}, one member, data on /dev/shm, over loopback", context.etcd_version);
    let _ = writeln!(w, "- Command: `{}`", context.command);
    let _ = writeln!(
        w,
        "- Both sides: {}, one process per workload and side, {} round(s), operation counts x{}; \
         medians over the rounds",
        context.runtime, context.rounds, context.scale
    );
    let _ = writeln!(w, "- The 10,000-key listing is {} bytes of JSON", context.listing_bytes);
    let _ = writeln!(w, "- Toolchain: {}", rustc_version());
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "| workload | in flight | raw ops/s | client ops/s | ratio | raw CPU µs/op | client CPU µs/op | ratio | \
         raw peak RSS MiB | client peak RSS MiB | ratio |"
    );
    let _ = writeln!(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for row in rows.iter().filter(|r| r.compares_per_op()) {
        let _ = writeln!(
            w,
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} | {:.2} |",
            row.workload.name,
            row.workload.in_flight,
            row.stat(SideKind::Raw, Sample::ops_per_sec),
            row.stat(SideKind::Client, Sample::ops_per_sec),
            row.ratio(Sample::ops_per_sec),
            row.stat(SideKind::Raw, Sample::cpu_us_per_op),
            row.stat(SideKind::Client, Sample::cpu_us_per_op),
            row.ratio(Sample::cpu_us_per_op),
            row.stat(SideKind::Raw, Sample::peak_rss_mib),
            row.stat(SideKind::Client, Sample::peak_rss_mib),
            row.ratio(Sample::peak_rss_mib),
        );
    }
    if rows.iter().any(|r| r.workload.op == Op::Watch && r.compares_per_op()) {
        let _ = writeln!(
            w,
            "\n`watch`: an operation is an event delivered to one recursive watcher (a `Watcher` with its default \
             options; raw: the same streaming request read line by line into serde structs) while a writer, a \
             process of its own, sets new keys as fast as etcd takes them, with the writes in flight of the second \
             column; both sides saw every index the writer got, once, in order. The events per second are the \
             writer's and etcd's pace; the CPU is the watcher's process alone."
        );
    }
    if !context.reruns.is_empty() {
        let _ = writeln!(w, "\nPhases that failed and ran again:\n");
        for rerun in &context.reruns {
            let _ = writeln!(w, "- {rerun}");
        }
    }
    idle_watchers(w, rows);
    let _ = writeln!(
        w,
        "\nWhere the CPU goes (medians): system time and voluntary context switches per operation. The kernel \
         splits CPU time into user and system by sampling at the tick, so the split is approximate; the totals \
         above are exact.\n"
    );
    let _ = writeln!(w, "| workload | raw sys µs/op | client sys µs/op | raw switches/op | client switches/op |");
    let _ = writeln!(w, "|---|--:|--:|--:|--:|");
    for row in rows.iter().filter(|r| r.compares_per_op()) {
        let _ = writeln!(
            w,
            "| {} | {:.1} | {:.1} | {:.2} | {:.2} |",
            row.workload.name,
            row.stat(SideKind::Raw, Sample::system_us_per_op),
            row.stat(SideKind::Client, Sample::system_us_per_op),
            row.stat(SideKind::Raw, Sample::switches_per_op),
            row.stat(SideKind::Client, Sample::switches_per_op),
        );
    }
    let bridged: Vec<&Row> = rows.iter().filter(|r| r.has(SideKind::Bridge)).collect();
    if !bridged.is_empty() {
        let _ = writeln!(
            w,
            "\nThrough the v2-over-v3 bridge (`etcd_v2v3::bridge`), the same calls on the same etcd answered from its \
             v3 API (medians; a get is one range, a set a read of its ranges then a transaction):\n"
        );
        let _ =
            writeln!(w, "| workload | v2 ops/s | bridge ops/s | v2 CPU µs/op | bridge CPU µs/op | bridge / v2 CPU |");
        let _ = writeln!(w, "|---|--:|--:|--:|--:|--:|");
        for row in bridged {
            let (v2, bridge) =
                (row.stat(SideKind::Client, Sample::cpu_us_per_op), row.stat(SideKind::Bridge, Sample::cpu_us_per_op));
            let _ = writeln!(
                w,
                "| {} | {:.0} | {:.0} | {v2:.1} | {bridge:.1} | {:.2} |",
                row.workload.name,
                row.stat(SideKind::Client, Sample::ops_per_sec),
                row.stat(SideKind::Bridge, Sample::ops_per_sec),
                bridge / v2.max(f64::MIN_POSITIVE),
            );
        }
    }
    let diagnosed: Vec<&Row> = rows.iter().filter(|r| SideKind::VARIANTS.iter().any(|v| r.has(*v))).collect();
    if !diagnosed.is_empty() {
        let _ = writeln!(w, "\nDiagnostic variants of the client (medians of CPU µs/op; `--variants`):\n");
        let _ = writeln!(w, "| workload | raw | client | client without header timeout | client-bare (no layers) |");
        let _ = writeln!(w, "|---|--:|--:|--:|--:|");
        for row in diagnosed {
            let _ = writeln!(
                w,
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} |",
                row.workload.name,
                row.stat(SideKind::Raw, Sample::cpu_us_per_op),
                row.stat(SideKind::Client, Sample::cpu_us_per_op),
                row.stat(SideKind::ClientNoHeaderTimeout, Sample::cpu_us_per_op),
                row.stat(SideKind::ClientBare, Sample::cpu_us_per_op),
            );
        }
    }
    let _ = writeln!(
        w,
        "\nTargets, judged on the ratio of medians (in brackets: the lowest and highest ratio of a single round; \
         then the ratio of each side's best round):\n"
    );
    let _ = writeln!(w, "| target | measured | best rounds | met |");
    let _ = writeln!(w, "|---|--:|--:|:-:|");
    for target in targets(rows) {
        let _ = writeln!(
            w,
            "| {} | {:.2} [{:.2}–{:.2}] | {:.2} | {} |",
            target.what,
            target.ratio,
            target.range.0,
            target.range.1,
            target.best,
            if target.met { "yes" } else { "**no**" }
        );
    }
    if let Some(row) = rows.iter().find(|r| r.workload.op == Op::IdleWatchers && r.has(SideKind::Client)) {
        let added = row.stat(SideKind::Client, Sample::added_rss_mib);
        let (lo, hi) = row.range(SideKind::Client, Sample::added_rss_mib);
        let _ = writeln!(
            w,
            "| {} idle watchers: client adds < {IDLE_WATCHERS_TARGET_MIB:.0} MiB resident | {added:.1} MiB \
             [{lo:.1}–{hi:.1}] | {lo:.1} MiB | {} |",
            row.workload.ops,
            if added < IDLE_WATCHERS_TARGET_MIB { "yes" } else { "**no**" }
        );
    }
    out
}

/// The idle watchers' table: the resident size before and with them, per side.
fn idle_watchers(w: &mut String, rows: &[Row]) {
    let Some(row) = rows.iter().find(|r| r.workload.op == Op::IdleWatchers) else { return };
    let _ = writeln!(
        w,
        "\n`idle-watchers`: {} watchers on as many keys that never change, each polled in a task of its own, on one \
         client; resident size (`VmRSS`) of the process before the first (runtime and client made, one call done) \
         and once every stream is open and etcd counts them all (medians; in brackets the lowest and highest \
         round):\n",
        row.workload.ops
    );
    let _ = writeln!(
        w,
        "| side | before MiB | with the watchers MiB | added MiB | added KiB per watcher | time to open them |"
    );
    let _ = writeln!(w, "|---|--:|--:|--:|--:|--:|");
    for side in [SideKind::Raw, SideKind::Client].into_iter().filter(|s| row.has(*s)) {
        let (lo, hi) = row.range(side, Sample::added_rss_mib);
        let _ = writeln!(
            w,
            "| {side} | {:.1} | {:.1} | {:.1} [{lo:.1}–{hi:.1}] | {:.1} | {:.0} ms |",
            row.stat(side, Sample::baseline_rss_mib),
            row.stat(side, Sample::watching_rss_mib),
            row.stat(side, Sample::added_rss_mib),
            row.stat(side, Sample::added_kib_per_op),
            row.stat(side, |s| s.wall_ns as f64 / 1e6),
        );
    }
}

struct Target {
    what: String,
    ratio: f64,
    range: (f64, f64),
    best: f64,
    met: bool,
}

/// The targets that these rows measure.
fn targets(rows: &[Row]) -> Vec<Target> {
    let mut targets = Vec::new();
    let mut push =
        |row: &Row, what: String, metric: fn(&Sample) -> f64, at_most: Option<f64>, at_least: Option<f64>| {
            let ratio = row.ratio(metric);
            let met = at_most.is_none_or(|max| ratio <= max) && at_least.is_none_or(|min| ratio >= min);
            let best = row.best_ratio(metric, at_most.is_some());
            targets.push(Target { what, ratio, range: row.round_ratios(metric), best, met });
        };
    for row in rows.iter().filter(|r| r.compares_per_op()) {
        let name = row.workload.name;
        match row.workload.op {
            Op::Get | Op::Set => {
                push(row, format!("{name}: client CPU/op ≤ 1.15 × raw"), Sample::cpu_us_per_op, Some(1.15), None);
                if row.workload.in_flight == 64 {
                    push(row, format!("{name}: client ops/s ≥ 0.95 × raw"), Sample::ops_per_sec, None, Some(0.95));
                }
                if row.workload.in_flight == 1 {
                    push(row, format!("{name}: client peak RSS ≤ 1.3 × raw"), Sample::peak_rss_mib, Some(1.3), None);
                }
            }
            Op::List => {
                push(row, format!("{name}: client CPU/op ≤ 1.00 × raw"), Sample::cpu_us_per_op, Some(1.0), None);
            }
            Op::DecodeListing => {
                push(
                    row,
                    format!("{name}: client decode CPU ≤ 1.00 × raw serde"),
                    Sample::cpu_us_per_op,
                    Some(1.0),
                    None,
                );
            }
            Op::Watch | Op::IdleWatchers => {}
        }
    }
    targets
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

/// The CPU model, cores, memory and kernel, from `/proc`.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or_else(|| "unknown memory".into(), |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores, {memory}, Linux {}", kernel.trim())
}

/// The load average from `/proc/loadavg`.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown rustc".into(), |v| v.trim().to_owned())
}
