//! The watchers' check: every acknowledged write seen once, in order, agreeing with the final state, and every
//! watcher at the fence once the cluster healed.

use std::collections::HashMap;

use super::{FinalState, Violation};
use crate::chaos::history::{Outcome, Record, WatchLog};
use crate::chaos::linearizable::writer_of;
use crate::chaos::workload::Layout;

/// Each watcher's events: in strictly increasing index order, each acknowledged write seen once with its key
/// and value, and the last event of each key matching the final state, up to where the watcher got.
pub fn watchers(
    layout: &Layout,
    records: &[Record],
    logs: &[WatchLog],
    state: &FinalState,
    after_index: u64,
    fence: Option<u64>,
) -> (Vec<Violation>, Vec<String>) {
    let (mut found, mut notes) = (Vec::new(), Vec::new());
    let acked: Vec<(&Record, &str, Option<&str>, u64)> = records
        .iter()
        .filter(|r| r.op.is_write())
        .filter_map(|r| match &r.outcome {
            Outcome::Ok { key, value, modified_index, .. } => {
                Some((r, key.as_str(), value.as_deref(), *modified_index))
            }
            _ => None,
        })
        .collect();
    // Values seen in two events, reported once over all watchers.
    let mut twice = Vec::new();
    for (w, log) in logs.iter().enumerate() {
        let last = log.events.last().map_or(after_index, |e| e.index);
        match fence {
            // Healed, written and waited for: a watcher short of it is stuck, which the watcher promises never to be.
            Some(fence) if last < fence => found.push(Violation::new(
                "watch stalled",
                format!(
                    "watcher {w} got to index {last}, short of the fence {fence} ({} errors: {:?})",
                    log.errors.len(),
                    log.errors.last()
                ),
                Vec::new(),
            )),
            Some(_) => {}
            None => notes.push(format!("watcher {w} got to index {last}; no fence was written to wait for")),
        }
        let mut by_index = HashMap::new();
        let mut prev = after_index;
        for e in &log.events {
            if e.index <= prev {
                found.push(Violation::new(
                    "watch order",
                    format!("watcher {w}: event {} ({}) after event {prev}", e.index, e.key),
                    Vec::new(),
                ));
            }
            prev = prev.max(e.index);
            by_index.insert(e.index, e);
        }
        for (r, key, value, index) in &acked {
            if *index <= after_index || *index > last {
                continue;
            }
            match by_index.get(index) {
                None => found.push(Violation::new(
                    "watch missed an event",
                    format!("watcher {w}: no event at index {index} ({key}), though it saw up to {last}"),
                    vec![r.id],
                )),
                Some(e) if e.key != *key || Some(e.value.as_str()) != *value => found.push(Violation::new(
                    "watch event differs",
                    format!(
                        "watcher {w}: index {index} is {} = {:?}, acknowledged as {key} = {value:?}",
                        e.key, e.value
                    ),
                    vec![r.id],
                )),
                Some(_) => {}
            }
        }
        let mut last_of_key: HashMap<&str, u64> = HashMap::new();
        for e in &log.events {
            last_of_key.insert(&e.key, e.index);
        }
        for (key, (_, modified)) in &state.keys {
            if *modified <= after_index || *modified > last {
                continue;
            }
            if last_of_key.get(key.as_str()) != Some(modified) {
                found.push(Violation::new(
                    "watch disagrees with the final state",
                    format!(
                        "watcher {w}: last event of {key} at {:?}, final modifiedIndex {modified}",
                        last_of_key.get(key.as_str())
                    ),
                    Vec::new(),
                ));
            }
        }
        // A unique value in two events of a shared key: the write was applied twice.
        let mut seen: HashMap<(&str, &str), u64> = HashMap::new();
        for e in log.events.iter().filter(|e| layout.is_shared(&e.key)) {
            let Some(first) = seen.insert((&e.key, &e.value), e.index) else { continue };
            if !twice.contains(&e.value) {
                twice.push(e.value.clone());
                found.push(Violation::new(
                    "write applied twice",
                    format!("watcher {w}: {} = {} at index {first} and again at {}", e.key, e.value, e.index),
                    vec![writer_of(&e.value)],
                ));
            }
        }
    }
    (found, notes)
}
