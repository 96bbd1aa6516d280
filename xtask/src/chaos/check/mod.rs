//! The checks other than linearizability: against the final state of the tree (read with a quorum get after
//! healing), and the watchers' events against the acknowledgements.

use std::collections::{BTreeMap, HashMap};

use etcd_keys::{ErrorCode, Node};

use super::history::{Op, Outcome, Record};
use super::linearizable::writer_of;
use super::workload::{COUNTER_START, Layout, counter_number};

mod watchers;

pub use watchers::watchers;

/// Something the client or the cluster got wrong.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Which check found it.
    pub kind: &'static str,
    /// What is wrong.
    pub detail: String,
    /// The operations involved.
    pub ops: Vec<u64>,
}

impl Violation {
    fn new(kind: &'static str, detail: String, ops: Vec<u64>) -> Self {
        Violation { kind, detail, ops }
    }
}

/// The final state: each key of the tree with its value and modified index.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    /// Leaf keys only.
    pub keys: BTreeMap<String, (String, u64)>,
}

impl FinalState {
    /// The leaves of a recursive get.
    pub fn from_tree(root: &Node) -> Self {
        let keys =
            root.walk().filter(|n| !n.dir).map(|n| (n.key.clone(), (n.value.clone(), n.modified_index))).collect();
        FinalState { keys }
    }

    /// The value of `key`, if it exists.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|(v, _)| v.as_str())
    }
}

/// Every final-state check, over the operations `records` (the final reads included or not: they are
/// skipped here).
pub fn final_state(records: &[Record], state: &FinalState, layout: &Layout) -> Vec<Violation> {
    let mut found = Vec::new();
    queue(records, state, layout, &mut found);
    creates(records, state, &mut found);
    counters(records, state, layout, &mut found);
    applied_twice(records, &mut found);
    found
}

/// No duplicate queue entry; every acknowledged entry there; none reported not applied there.
fn queue(records: &[Record], state: &FinalState, layout: &Layout, found: &mut Vec<Violation>) {
    let dir = format!("{}/", layout.queue());
    let mut entries: HashMap<&str, Vec<&str>> = HashMap::new();
    for (key, (value, _)) in state.keys.range(dir.clone()..).take_while(|(k, _)| k.starts_with(&dir)) {
        entries.entry(value.as_str()).or_default().push(key.as_str());
    }
    for r in records {
        let Op::Enqueue { value } = &r.op else { continue };
        let at = entries.get(value.as_str()).map_or(&[][..], Vec::as_slice);
        if at.len() > 1 {
            found.push(Violation::new(
                "duplicate queue entry",
                format!("{value} is in the queue at {at:?}"),
                vec![r.id],
            ));
        }
        match &r.outcome {
            Outcome::Ok { key, .. } if !at.contains(&key.as_str()) => found.push(Violation::new(
                "acknowledged write lost",
                format!("enqueued {value} was acknowledged as {key}, but the queue has it at {at:?}"),
                vec![r.id],
            )),
            Outcome::Failed { reason, .. } if !at.is_empty() => found.push(Violation::new(
                "reported not applied, but applied",
                format!("enqueue of {value} failed ({reason}), but the queue has it at {at:?}"),
                vec![r.id],
            )),
            _ => {}
        }
    }
}

/// Creates of keys only one operation ever writes: acknowledged ones exist; a "key exists" can only be the
/// operation's own earlier attempt; other failures left nothing.
fn creates(records: &[Record], state: &FinalState, found: &mut Vec<Violation>) {
    for r in records {
        let Op::Create { value } = &r.op else { continue };
        let now = state.value(&r.key);
        let wrong = match &r.outcome {
            Outcome::Ok { .. } if now != Some(value.as_str()) => {
                Some(("acknowledged write lost", format!("create of {} acknowledged, final value {now:?}", r.key)))
            }
            o @ Outcome::Failed { reason, .. } if o.is_code(ErrorCode::NODE_EXIST) => Some((
                "reported not applied, but applied",
                format!("create of {} said the key exists ({reason}): only this operation writes it", r.key),
            )),
            Outcome::Failed { reason, .. } if now.is_some() => Some((
                "reported not applied, but applied",
                format!("create of {} failed ({reason}), yet the key holds {now:?}", r.key),
            )),
            _ => None,
        };
        if let Some((kind, detail)) = wrong {
            found.push(Violation::new(kind, detail, vec![r.id]));
        }
    }
}

/// The acknowledged compare-and-swaps of each counter form one chain from its start to its final value: no
/// two from the same value (a fork), each one more than its predecessor (no gap), none missing (lost), and
/// none reported failed in it.
fn counters(records: &[Record], state: &FinalState, layout: &Layout, found: &mut Vec<Violation>) {
    for k in 0..layout.counters {
        let key = layout.counter(k);
        let swaps: Vec<&Record> = records.iter().filter(|r| r.key == key && matches!(r.op, Op::Cas { .. })).collect();
        // Who wrote each value, and what it replaced.
        let mut by_new: HashMap<&str, (&Record, &str)> = HashMap::new();
        let mut acked_from: HashMap<&str, Vec<u64>> = HashMap::new();
        for r in &swaps {
            let Op::Cas { expected, new, .. } = &r.op else { continue };
            by_new.insert(new, (r, expected));
            if matches!(r.outcome, Outcome::Ok { .. }) {
                acked_from.entry(expected).or_default().push(r.id);
            }
        }
        for (from, ids) in &acked_from {
            if ids.len() > 1 {
                found.push(Violation::new(
                    "CAS fork",
                    format!("{key}: {} swaps acknowledged from {from}", ids.len()),
                    ids.clone(),
                ));
            }
        }
        // Walk back from the final value to the start.
        let Some(mut value) = state.value(&key) else {
            found.push(Violation::new("acknowledged write lost", format!("{key} is gone"), Vec::new()));
            continue;
        };
        let mut chain = Vec::new();
        while value != COUNTER_START {
            let Some((r, expected)) = by_new.get(value) else {
                found.push(Violation::new(
                    "CAS gap",
                    format!("{key}: {value} was written by no swap of this run"),
                    chain.clone(),
                ));
                break;
            };
            if counter_number(value) != counter_number(expected).map(|n| n + 1) {
                found.push(Violation::new("CAS gap", format!("{key}: {expected} was followed by {value}"), vec![r.id]));
            }
            if let Outcome::Failed { reason, .. } = &r.outcome {
                found.push(Violation::new(
                    "reported not applied, but applied",
                    format!("{key}: swap to {value} failed ({reason}), yet the chain holds it"),
                    vec![r.id],
                ));
            }
            chain.push(r.id);
            if chain.len() > swaps.len() {
                found.push(Violation::new("CAS gap", format!("{key}: the chain loops"), Vec::new()));
                break;
            }
            value = expected;
        }
        for r in &swaps {
            if matches!(r.outcome, Outcome::Ok { .. }) && !chain.contains(&r.id) {
                found.push(Violation::new(
                    "acknowledged write lost",
                    format!("{key}: an acknowledged swap is not in the chain to the final value"),
                    vec![r.id],
                ));
            }
        }
    }
}

/// A shared key's value read back with another modified index than its write's acknowledgement: the write
/// was applied a second time (a replay), later than acknowledged.
fn applied_twice(records: &[Record], found: &mut Vec<Violation>) {
    let acked: HashMap<u64, u64> = records
        .iter()
        .filter(|r| matches!(r.op, Op::Write { .. } | Op::Cas { .. }))
        .filter_map(|r| match r.outcome {
            Outcome::Ok { modified_index, .. } => Some((r.id, modified_index)),
            _ => None,
        })
        .collect();
    let mut reported = Vec::new();
    for r in records {
        let (Op::Read, Outcome::Ok { value: Some(v), modified_index, .. }) = (&r.op, &r.outcome) else { continue };
        let writer = writer_of(v);
        match acked.get(&writer) {
            Some(&at) if at != *modified_index && !reported.contains(&writer) => {
                reported.push(writer);
                found.push(Violation::new(
                    "write applied twice",
                    format!(
                        "{}: the value of op {writer} was acknowledged at index {at} but read with modifiedIndex \
                         {modified_index}: a second copy of the write was applied",
                        r.key
                    ),
                    vec![writer, r.id],
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::chaos::history::{WatchEvent, WatchLog};

    fn layout() -> Layout {
        Layout { root: "/t".into(), shared_keys: 1, window: std::time::Duration::from_secs(2), counters: 1 }
    }

    fn rec(id: u64, key: &str, op: Op, outcome: Outcome) -> Record {
        let now = Instant::now();
        Record { id, client: 0, key: key.into(), op, invoke: now, complete: now, outcome }
    }

    fn ok(key: &str, value: &str, index: u64) -> Outcome {
        Outcome::Ok { index, key: key.into(), value: Some(value.into()), modified_index: index }
    }

    fn state(keys: &[(&str, &str, u64)]) -> FinalState {
        FinalState { keys: keys.iter().map(|(k, v, i)| (k.to_string(), (v.to_string(), *i))).collect() }
    }

    fn kinds(found: &[Violation]) -> Vec<&'static str> {
        found.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn finds_duplicate_and_lost_queue_entries() {
        let l = layout();
        let records = [
            rec(1, "/t/queue", Op::Enqueue { value: "q1".into() }, ok("/t/queue/5", "q1", 5)),
            rec(2, "/t/queue", Op::Enqueue { value: "q2".into() }, ok("/t/queue/6", "q2", 6)),
        ];
        let s = state(&[("/t/counter/c0", COUNTER_START, 1), ("/t/queue/5", "q1", 5), ("/t/queue/7", "q1", 7)]);
        let found = final_state(&records, &s, &l);
        assert_eq!(kinds(&found), ["duplicate queue entry", "acknowledged write lost"]);
    }

    #[test]
    fn a_create_that_found_its_own_key_is_a_violation() {
        let l = layout();
        let exists = Outcome::Failed { code: Some(ErrorCode::NODE_EXIST), reason: "exists".into() };
        let records = [rec(1, "/t/uniq/a", Op::Create { value: "u1".into() }, exists)];
        let found = final_state(&records, &state(&[("/t/counter/c0", COUNTER_START, 1), ("/t/uniq/a", "u1", 3)]), &l);
        assert_eq!(kinds(&found), ["reported not applied, but applied"]);
    }

    #[test]
    fn checks_counter_chains() {
        let l = layout();
        let key = l.counter(0);
        let cas = |id, from: &str, to: &str, outcome| {
            rec(id, &key, Op::Cas { expected: from.into(), prev_index: None, new: to.into() }, outcome)
        };
        let good = [cas(1, COUNTER_START, "1:w1", ok(&key, "1:w1", 4)), cas(2, "1:w1", "2:w2", ok(&key, "2:w2", 5))];
        assert!(final_state(&good, &state(&[(&key, "2:w2", 5)]), &l).is_empty());
        let fork =
            [cas(1, COUNTER_START, "1:w1", ok(&key, "1:w1", 4)), cas(2, COUNTER_START, "1:w2", ok(&key, "1:w2", 5))];
        let found = final_state(&fork, &state(&[(&key, "1:w2", 5)]), &l);
        assert_eq!(kinds(&found), ["CAS fork", "acknowledged write lost"]);
    }

    #[test]
    fn checks_watchers() {
        let l = layout();
        let records = [
            rec(1, "/t/a", Op::Create { value: "u1".into() }, ok("/t/a", "u1", 5)),
            rec(2, "/t/b", Op::Create { value: "u2".into() }, ok("/t/b", "u2", 6)),
        ];
        let s = state(&[("/t/a", "u1", 5), ("/t/b", "u2", 6), ("/t/fence", "end", 7)]);
        let event = |index, key: &str, value: &str| WatchEvent {
            index,
            key: key.into(),
            action: "create".into(),
            value: value.into(),
        };
        let complete = WatchLog {
            events: vec![event(5, "/t/a", "u1"), event(6, "/t/b", "u2"), event(7, "/t/fence", "end")],
            ..WatchLog::default()
        };
        let (found, notes) = watchers(&l, &records, &[complete], &s, 4, Some(7));
        assert!(found.is_empty() && notes.is_empty(), "{found:?} {notes:?}");
        let missed =
            WatchLog { events: vec![event(5, "/t/a", "u1"), event(7, "/t/fence", "end")], ..WatchLog::default() };
        let (found, _) = watchers(&l, &records, &[missed], &s, 4, Some(7));
        assert_eq!(kinds(&found), ["watch missed an event", "watch disagrees with the final state"]);
        let stuck = WatchLog { events: vec![event(5, "/t/a", "u1")], ..WatchLog::default() };
        let (found, _) = watchers(&l, &records, &[stuck], &s, 4, Some(7));
        assert_eq!(kinds(&found)[0], "watch stalled");
    }
}
