//! The linearizability check of each shared key's history, with stateright's `LinearizabilityTester`.
//!
//! Each client is a thread of the tester. A write whose outcome is unknown is invoked and never returned; the
//! tester lets it take effect at any point after its invocation, or never. A thread cannot invoke again while
//! one of its operations is in flight, so after an unknown outcome the client goes on as a new thread
//! (`(client, generation)`), as Jepsen gives a crashed process a new id.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use etcd_keys::ErrorCode;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

use super::history::{Op, Outcome, Record};
use super::register::{EtcdRegister, RegisterOp, RegisterRet};

/// How long the search of a key's whole history may take before the verdict is "inconclusive".
pub const SEARCH_TIME: Duration = Duration::from_secs(20);

/// How long each search of a prefix may take, when looking for the first result that cannot be explained.
const PROBE_TIME: Duration = Duration::from_secs(3);

/// The checker recurses once per operation; histories of a few hundred operations need more than the 2 MiB
/// of a default thread (the memory is only reserved, not used, until touched).
const CHECKER_STACK: usize = 512 * 1024 * 1024;

/// The prefix written values carry before their operation id.
const VALUE_PREFIX: &str = "w";

/// The value a write by operation `id` sets, so that a value read names its writer.
pub fn value_of(id: u64) -> String {
    format!("{VALUE_PREFIX}{id}")
}

/// The operation id in a value written by [`value_of`]; a value nobody of this run wrote maps to an id no
/// operation has, so that a read of it cannot be linearized.
pub fn writer_of(value: &str) -> u64 {
    value.strip_prefix(VALUE_PREFIX).and_then(|id| id.parse().ok()).unwrap_or(u64::MAX)
}

/// What the checker decided about one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some total order of the operations explains every result.
    Linearizable,
    /// None does. `culprit` is the operation whose result first made the history impossible (the end of the
    /// shortest prefix that cannot be linearized).
    Violation {
        /// The id of that operation.
        culprit: u64,
    },
    /// The search ran out of its budget.
    Inconclusive,
}

/// The verdict about one shared key.
#[derive(Clone, Debug)]
pub struct KeyVerdict {
    /// The key (a shared key in one window).
    pub key: String,
    /// How many operations its history has.
    pub ops: usize,
    /// What the checker decided.
    pub verdict: Verdict,
}

/// Thread of the tester: a client and its generation.
type ThreadId = (usize, u32);

/// One event of the history, in real-time order.
#[derive(Clone, Debug)]
enum Event {
    Invoke { at: Instant, thread: ThreadId, op: RegisterOp },
    Return { at: Instant, thread: ThreadId, ret: RegisterRet, id: u64 },
}

impl Event {
    /// Sort key: time, and at the same instant invocations first, so that two operations meeting at an
    /// instant count as concurrent rather than ordered.
    fn key(&self) -> (Instant, u8) {
        match self {
            Event::Invoke { at, .. } => (*at, 0),
            Event::Return { at, .. } => (*at, 1),
        }
    }
}

/// Checks the operations on one key (every record must be about that key), searching in a thread of its own
/// with a large stack, and giving up (inconclusive) at `deadline`.
pub fn check(records: &[Record], deadline: Instant) -> Verdict {
    let events = events(records);
    let search = move || {
        let time = SEARCH_TIME.min(deadline.saturating_duration_since(Instant::now()));
        match linearizable(&events, events.len(), time) {
            Some(true) => Verdict::Linearizable,
            Some(false) => Verdict::Violation { culprit: shortest_failing_prefix(&events, deadline) },
            None => Verdict::Inconclusive,
        }
    };
    let worker = thread::Builder::new().name("linearizability".into()).stack_size(CHECKER_STACK).spawn(search);
    match worker.map(|w| w.join()) {
        Ok(Ok(verdict)) => verdict,
        _ => Verdict::Inconclusive,
    }
}

/// The operations to show for a linearizability violation: the writer of the value the culprit read, the
/// four writes (acknowledged or of unknown outcome) that completed last before the culprit did, and the
/// culprit itself, last.
pub fn involved(records: &[Record], culprit: u64) -> Vec<u64> {
    let Some(c) = records.iter().find(|r| r.id == culprit) else { return vec![culprit] };
    let mut before: Vec<&Record> = records
        .iter()
        .filter(|r| r.op.is_write() && r.invoke < c.complete && r.id != culprit)
        .filter(|r| !matches!(r.outcome, Outcome::Failed { .. }))
        .collect();
    before.sort_by_key(|r| r.complete);
    let mut ids: Vec<u64> = before.iter().rev().take(4).rev().map(|r| r.id).collect();
    if let Outcome::Ok { value: Some(v), .. } = &c.outcome {
        let writer = writer_of(v);
        if !ids.contains(&writer) && records.iter().any(|r| r.id == writer) {
            ids.insert(0, writer);
        }
    }
    ids.push(culprit);
    ids
}

/// The events of the tester for these records: operations that provably did nothing are left out, and so
/// are reads that returned nothing (they constrain nothing).
fn events(records: &[Record]) -> Vec<Event> {
    let mut by_client: BTreeMap<usize, Vec<&Record>> = BTreeMap::new();
    for r in records {
        by_client.entry(r.client).or_default().push(r);
    }
    let mut events = Vec::new();
    for (client, mut ops) in by_client {
        ops.sort_by_key(|r| r.invoke);
        let mut generation = 0;
        for r in ops {
            let thread = (client, generation);
            let op = match &r.op {
                Op::Write { .. } => RegisterOp::Write(r.id),
                Op::Read => RegisterOp::Read,
                Op::Cas { expected, .. } => RegisterOp::Cas { expected: writer_of(expected), new: r.id },
                Op::Enqueue { .. } | Op::Create { .. } => continue,
            };
            let ret = match (&r.outcome, op) {
                (Outcome::Ok { .. }, RegisterOp::Write(_)) => Some(RegisterRet::WriteOk),
                (Outcome::Ok { value, .. }, RegisterOp::Read) => {
                    Some(RegisterRet::ReadOk(value.as_deref().map(writer_of)))
                }
                (Outcome::Ok { .. }, RegisterOp::Cas { .. }) => Some(RegisterRet::CasOk),
                (o @ Outcome::Failed { .. }, RegisterOp::Cas { .. })
                    if o.is_code(ErrorCode::TEST_FAILED) || o.is_code(ErrorCode::KEY_NOT_FOUND) =>
                {
                    Some(RegisterRet::CasFail)
                }
                // Provably not applied (refused, or never sent), or a read that returned nothing.
                (Outcome::Failed { .. }, _) | (Outcome::Unknown { .. }, RegisterOp::Read) => continue,
                (Outcome::Unknown { .. }, _) => None,
            };
            events.push(Event::Invoke { at: r.invoke, thread, op });
            match ret {
                Some(ret) => events.push(Event::Return { at: r.complete, thread, ret, id: r.id }),
                None => generation += 1,
            }
        }
    }
    events.sort_by_key(Event::key);
    events
}

/// Whether the first `n` events can be linearized (operations whose return is not among them are in
/// flight); `None` when the search ran out of budget without finding an order.
fn linearizable(events: &[Event], n: usize, time: Duration) -> Option<bool> {
    let spec = EtcdRegister::with_budget(time);
    let mut tester = LinearizabilityTester::new(spec.clone());
    for event in &events[..n] {
        let recorded = match event {
            Event::Invoke { thread, op, .. } => tester.on_invoke(*thread, *op).map(drop),
            Event::Return { thread, ret, .. } => tester.on_return(*thread, *ret).map(drop),
        };
        // The events are built so that each thread alternates invoke and return; a failure here is a bug of
        // this module, and must not pass for a verdict about etcd.
        recorded.expect("a well-formed history");
    }
    match tester.serialized_history() {
        Some(_) => Some(true),
        None if spec.budget_spent() => None,
        None => Some(false),
    }
}

/// The id of the operation whose return ends the shortest prefix that cannot be linearized (a prefix that
/// fails stays failing as it grows, so a binary search finds it). Prefixes whose search is inconclusive count
/// as linearizable, which may only make the prefix found longer.
fn shortest_failing_prefix(events: &[Event], deadline: Instant) -> u64 {
    let (mut good, mut bad) = (0, events.len());
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        let time = PROBE_TIME.min(deadline.saturating_duration_since(Instant::now()));
        if linearizable(events, mid, time) == Some(false) {
            bad = mid;
        } else {
            good = mid;
        }
    }
    events[..bad]
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Return { id, .. } => Some(*id),
            Event::Invoke { .. } => None,
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A record of `op` on key `/k` by `client`, from `start` to `end` milliseconds after `t0`.
    fn rec(t0: Instant, id: u64, client: usize, op: Op, (start, end): (u64, u64), outcome: Outcome) -> Record {
        Record {
            id,
            client,
            key: "/k".into(),
            op,
            invoke: t0 + Duration::from_millis(start),
            complete: t0 + Duration::from_millis(end),
            outcome,
        }
    }

    fn ok(index: u64, value: Option<&str>) -> Outcome {
        Outcome::Ok { index, key: "/k".into(), value: value.map(String::from), modified_index: index }
    }

    fn check_now(records: &[Record]) -> Verdict {
        check(records, Instant::now() + SEARCH_TIME)
    }

    fn write(id: u64) -> Op {
        Op::Write { value: value_of(id) }
    }

    /// The repro: a set of "older" sent to a frozen member times out and is replayed on another,
    /// acknowledged at index 9; another client's later set of "newer" is acknowledged at 10; the frozen
    /// member wakes and applies its copy of "older" at 11; a read then returns "older".
    #[test]
    fn flags_the_replayed_set() {
        let t0 = Instant::now();
        let (older, newer) = (1, 2);
        let history = [
            rec(t0, older, 0, write(older), (0, 1_100), ok(9, Some(&value_of(older)))),
            rec(t0, newer, 1, write(newer), (1_200, 1_210), ok(10, Some(&value_of(newer)))),
            rec(t0, 3, 2, Op::Read, (3_000, 3_010), ok(11, Some(&value_of(older)))),
        ];
        assert_eq!(check_now(&history), Verdict::Violation { culprit: 3 });
    }

    /// The same operations, with the read returning "newer", or with "older" of unknown outcome (it may
    /// take effect late), are linearizable.
    #[test]
    fn accepts_linearizable_histories() {
        let t0 = Instant::now();
        let (older, newer) = (1, 2);
        let history = [
            rec(t0, older, 0, write(older), (0, 1_100), ok(9, Some(&value_of(older)))),
            rec(t0, newer, 1, write(newer), (1_200, 1_210), ok(10, Some(&value_of(newer)))),
            rec(t0, 3, 2, Op::Read, (3_000, 3_010), ok(10, Some(&value_of(newer)))),
        ];
        assert_eq!(check_now(&history), Verdict::Linearizable);

        let unknown = Outcome::Unknown { reason: "header timeout".into() };
        let history = [
            rec(t0, older, 0, write(older), (0, 1_100), unknown),
            rec(t0, 4, 0, Op::Read, (1_150, 1_160), ok(0, None)),
            rec(t0, newer, 1, write(newer), (1_200, 1_210), ok(10, Some(&value_of(newer)))),
            rec(t0, 3, 2, Op::Read, (3_000, 3_010), ok(11, Some(&value_of(older)))),
        ];
        assert_eq!(check_now(&history), Verdict::Linearizable);
    }

    /// Compare-and-swap: a failed compare changes nothing, and one reported failed but applied is caught.
    #[test]
    fn checks_compare_and_swap() {
        let t0 = Instant::now();
        let test_failed = || Outcome::Failed { code: Some(ErrorCode::TEST_FAILED), reason: "test failed".into() };
        let cas = |expected: u64| Op::Cas { expected: value_of(expected), prev_index: None, new: String::new() };
        let good = [
            rec(t0, 1, 0, write(1), (0, 10), ok(5, Some(&value_of(1)))),
            rec(t0, 2, 1, cas(1), (20, 30), ok(6, Some(&value_of(2)))),
            rec(t0, 3, 0, cas(1), (40, 50), test_failed()),
            rec(t0, 4, 1, Op::Read, (60, 70), ok(6, Some(&value_of(2)))),
        ];
        assert_eq!(check_now(&good), Verdict::Linearizable);
        // A compare that failed on a value that was certainly there.
        let bad = [
            rec(t0, 1, 0, write(1), (0, 10), ok(5, Some(&value_of(1)))),
            rec(t0, 2, 1, cas(1), (20, 30), test_failed()),
        ];
        assert_eq!(check_now(&bad), Verdict::Violation { culprit: 2 });
        // A compare that may have failed (a concurrent write came first), but whose value is read later.
        let bad = [
            rec(t0, 1, 0, write(1), (0, 10), ok(5, Some(&value_of(1)))),
            rec(t0, 5, 2, write(5), (15, 35), ok(7, Some(&value_of(5)))),
            rec(t0, 2, 1, cas(1), (20, 30), test_failed()),
            rec(t0, 4, 1, Op::Read, (60, 70), ok(6, Some(&value_of(2)))),
        ];
        assert_eq!(check_now(&bad), Verdict::Violation { culprit: 4 });
    }

    /// A search whose time is up decides nothing, rather than passing.
    #[test]
    fn a_spent_budget_is_inconclusive() {
        let t0 = Instant::now();
        let history = [rec(t0, 1, 0, write(1), (0, 10), ok(5, Some(&value_of(1))))];
        let events = events(&history);
        assert_eq!(linearizable(&events, events.len(), Duration::ZERO), None);
        assert_eq!(check(&history, t0), Verdict::Inconclusive);
        assert_eq!(linearizable(&events, events.len(), SEARCH_TIME), Some(true));
    }

    #[test]
    fn values_name_their_writers() {
        assert_eq!(writer_of(&value_of(42)), 42);
        assert_eq!(writer_of("garbage"), u64::MAX);
    }
}
