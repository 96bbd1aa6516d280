//! The run's report: operations by kind and outcome, faults, stalls, the checkers' verdicts, and each
//! violation with the operations involved.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::check::Violation;
use super::history::{Fault, Outcome, Record, WatchLog};
use super::linearizable::{KeyVerdict, Verdict};

/// Everything the report is made of.
pub struct Run<'a> {
    /// The seed, the etcd version, the duration, the number of clients: one line.
    pub header: String,
    /// When the workload started.
    pub start: Instant,
    /// Every operation (the final reads included).
    pub records: &'a [Record],
    /// The clients whose stalls count (the workload's, not the final reader).
    pub clients: &'a [usize],
    /// Every fault.
    pub faults: &'a [Fault],
    /// What each watcher saw.
    pub watchers: &'a [WatchLog],
    /// Each shared key with its number of operations and verdict.
    pub keys: &'a [KeyVerdict],
    /// Every violation found.
    pub violations: &'a [Violation],
    /// Things worth knowing that are not violations.
    pub notes: &'a [String],
}

/// How many violations the report lists in full.
const SHOWN: usize = 25;

impl Run<'_> {
    /// The report as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "== xtask chaos: {}", self.header);
        self.operations(&mut out);
        self.faults(&mut out);
        self.stalls(&mut out);
        self.watchers(&mut out);
        self.linearizability(&mut out);
        self.violations(&mut out);
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nnotes:");
            for n in self.notes {
                let _ = writeln!(out, "  - {n}");
            }
        }
        let inconclusive = self.keys.iter().filter(|k| k.verdict == Verdict::Inconclusive).count();
        let _ = writeln!(
            out,
            "\nverdict: {}{}",
            if self.violations.is_empty() {
                "no violation".to_string()
            } else {
                format!("{} VIOLATIONS", self.violations.len())
            },
            if inconclusive > 0 {
                format!(" ({inconclusive} key histories not decided: the checker's time ran out)")
            } else {
                String::new()
            }
        );
        out
    }

    fn operations(&self, out: &mut String) {
        let mut table: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        for r in self.records {
            let row = table.entry(r.op.kind()).or_default();
            match r.outcome {
                Outcome::Ok { .. } => row[0] += 1,
                Outcome::Failed { .. } => row[1] += 1,
                Outcome::Unknown { .. } => row[2] += 1,
            }
        }
        let _ = writeln!(out, "\noperations: {}", self.records.len());
        let _ = writeln!(out, "  {:<8} {:>7} {:>7} {:>7}", "kind", "ok", "failed", "unknown");
        for (kind, [ok, failed, unknown]) in &table {
            let _ = writeln!(out, "  {kind:<8} {ok:>7} {failed:>7} {unknown:>7}");
        }
        // Why operations failed or were left unknown, the commonest first.
        let mut reasons: HashMap<String, usize> = HashMap::new();
        for r in self.records {
            if let Outcome::Failed { reason, .. } | Outcome::Unknown { reason } = &r.outcome {
                *reasons.entry(format!("{} {}: {}", r.op.kind(), r.outcome.label(), shorten(reason))).or_default() += 1;
            }
        }
        let mut reasons: Vec<_> = reasons.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (reason, n) in reasons.iter().take(8) {
            let _ = writeln!(out, "  {n:>6} x {reason}");
        }
    }

    fn faults(&self, out: &mut String) {
        let mut table: BTreeMap<String, usize> = BTreeMap::new();
        for f in self.faults {
            *table.entry(format!("{:?} of {:?} member", f.kind, f.target).to_lowercase()).or_default() += 1;
        }
        let _ = writeln!(out, "\nfaults: {}", self.faults.len());
        for (what, n) in &table {
            let _ = writeln!(out, "  {n:>4} x {what}");
        }
        for f in self.faults {
            let _ = writeln!(
                out,
                "    {:>7.1}s {:?} m{} ({:?}) for {:.1}s",
                secs(f.start.saturating_duration_since(self.start)),
                f.kind,
                f.member,
                f.target,
                secs(f.end.saturating_duration_since(f.start))
            );
        }
    }

    /// From each fault to each client's next acknowledged operation.
    fn stalls(&self, out: &mut String) {
        let mut stalls: Vec<Duration> = Vec::new();
        for f in self.faults {
            for client in self.clients {
                let next = self
                    .records
                    .iter()
                    .filter(|r| r.client == *client && r.complete > f.start && matches!(r.outcome, Outcome::Ok { .. }))
                    .map(|r| r.complete)
                    .min();
                if let Some(next) = next {
                    stalls.push(next - f.start);
                }
            }
        }
        stalls.sort();
        let at = |q: f64| stalls.get(((stalls.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied();
        let _ = writeln!(
            out,
            "\nstalls (fault -> each client's next ok op, {} samples): p50 {} p99 {} max {}",
            stalls.len(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(stalls.last().copied())
        );
    }

    fn watchers(&self, out: &mut String) {
        let _ = writeln!(out, "\nwatchers: {}", self.watchers.len());
        for (w, log) in self.watchers.iter().enumerate() {
            let _ = writeln!(
                out,
                "  watcher {w}: {} events up to index {}, {} errors{}{}",
                log.events.len(),
                log.events.last().map_or(0, |e| e.index),
                log.errors.len(),
                log.errors.last().map(|(_, e)| format!(" (last: {})", shorten(e))).unwrap_or_default(),
                if log.ended { ", ended" } else { "" }
            );
        }
    }

    fn linearizability(&self, out: &mut String) {
        let count = |pred: fn(&Verdict) -> bool| self.keys.iter().filter(|k| pred(&k.verdict)).count();
        let ops: Vec<usize> = self.keys.iter().map(|k| k.ops).collect();
        let _ = writeln!(
            out,
            "\nlinearizability (stateright LinearizabilityTester, one history per shared key and window): {} keys, \
             ops per key max {} mean {:.0}; linearizable {}, VIOLATED {}, inconclusive {}",
            self.keys.len(),
            ops.iter().max().unwrap_or(&0),
            ops.iter().sum::<usize>() as f64 / ops.len().max(1) as f64,
            count(|v| *v == Verdict::Linearizable),
            count(|v| matches!(v, Verdict::Violation { .. })),
            count(|v| *v == Verdict::Inconclusive),
        );
        for k in self.keys.iter().filter(|k| k.verdict != Verdict::Linearizable) {
            let _ = writeln!(out, "  {:?}: {} ({} ops)", k.verdict, k.key, k.ops);
        }
    }

    fn violations(&self, out: &mut String) {
        if self.violations.is_empty() {
            return;
        }
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for v in self.violations {
            *kinds.entry(v.kind).or_default() += 1;
        }
        let _ = writeln!(out, "\nVIOLATIONS: {}", self.violations.len());
        for (kind, n) in &kinds {
            let _ = writeln!(out, "  {n:>4} x {kind}");
        }
        let by_id: HashMap<u64, &Record> = self.records.iter().map(|r| (r.id, r)).collect();
        for (i, v) in self.violations.iter().take(SHOWN).enumerate() {
            let _ = writeln!(out, "\n  [{}] {}: {}", i + 1, v.kind, v.detail);
            let ops: Vec<&Record> = v.ops.iter().filter_map(|id| by_id.get(id).copied()).collect();
            // The faults while any of these operations ran: usually the freeze of the member a write was sent to.
            let during = |f: &&Fault| ops.iter().any(|r| f.start <= r.complete && f.end >= r.invoke);
            for f in self.faults.iter().filter(during) {
                let _ = writeln!(
                    out,
                    "      fault {:?} m{} ({:?}) {:.3}s..{:.3}s",
                    f.kind,
                    f.member,
                    f.target,
                    secs(f.start.saturating_duration_since(self.start)),
                    secs(f.end.saturating_duration_since(self.start))
                );
            }
            for id in &v.ops {
                if let Some(r) = by_id.get(id) {
                    let _ = writeln!(
                        out,
                        "      {:>8.3}s..{:>8.3}s {r}",
                        secs(r.invoke.saturating_duration_since(self.start)),
                        secs(r.complete.saturating_duration_since(self.start))
                    );
                }
            }
        }
        if self.violations.len() > SHOWN {
            let _ = writeln!(out, "\n  ... and {} more", self.violations.len() - SHOWN);
        }
    }
}

/// Writes the report and every operation and fault, one per line in time order, into
/// `target/chaos/seed-N/`, for reading a violation in its context.
pub fn save(run: &Run<'_>, report: &str, seed: u64) -> Result<PathBuf, String> {
    let dir = crate::target_dir()?.join("chaos").join(format!("seed-{seed}"));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let at = |i: Instant| i.saturating_duration_since(run.start).as_secs_f64();
    let mut lines: Vec<(f64, String)> = run
        .records
        .iter()
        .map(|r| (at(r.invoke), format!("{:>9.3}s..{:>9.3}s {r}", at(r.invoke), at(r.complete))))
        .collect();
    for f in run.faults {
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

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_string(), |d| format!("{} ms", d.as_millis()))
}

/// The first line of a reason, without the per-endpoint details that make each one unique.
fn shorten(reason: &str) -> String {
    // Numbers (ports, indexes, durations) differ from one operation to the next; they would split one reason
    // into many, so each run of digits becomes `#`.
    let mut out = String::new();
    for c in reason.chars().take(110) {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}
