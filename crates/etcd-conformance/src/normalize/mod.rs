//! What may differ between two servers that both behave like etcd: the one list.
//!
//! Every [`Rule`] names a fact that is not the same from one server to the next even when both are right
//! (timestamps, random IDs, ports, absolute indexes, raft's own bookkeeping), or a real difference between
//! etcd 3.4 and 3.5 that a v2 client cannot tell apart. [`normalize`] rewrites both recordings with the same
//! rules before they are compared, so everything a rule does not name must be identical: status, headers, field
//! order, values, messages.
//!
//! `ttl` is deliberately not in the list: etcd rounds the time left up to whole seconds, so a read within a
//! second of a write gives the same `ttl` on every server, and a wrong `ttl` is a bug worth seeing.

use std::cell::RefCell;

use crate::json::Json;
use crate::record::{Exchange, Recording};

/// Why a rule exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Differs between any two correct servers (or two runs of the same one).
    Inherent,
    /// A real difference between etcd 3.4 and 3.5 that no v2 client depends on.
    VersionDifference,
}

/// One normalization: what it rewrites and why it may.
pub struct Rule {
    /// Short name, printed in the summary with how often the rule applied.
    pub name: &'static str,
    /// Why it exists.
    pub kind: Kind,
    /// Why the value may differ, in a sentence.
    pub reason: &'static str,
    apply: fn(&mut Exchange, &Context) -> bool,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

/// What a rule may look at besides the exchange.
struct Context {
    /// The server's index when the case started.
    start_index: u64,
    /// The request's path, as the case wrote it (no query).
    path: String,
    /// The request's `prevIndex`, expanded, when it has one.
    prev_index: Option<String>,
    /// The counters of the case's first `/v2/stats/store` answer.
    store_baseline: RefCell<Option<Json>>,
}

/// The list. Order matters only where one rule's output is another's input (none today).
pub static RULES: &[Rule] = &[
    Rule {
        name: "relative indexes",
        kind: Kind::Inherent,
        reason: "absolute indexes depend on what the server wrote before the case (etcd writes its member and \
                 cluster version into the v2 store at start); X-Etcd-Index, modifiedIndex, createdIndex and an \
                 error's index are compared as offsets from the case's start (`i+N`); 0, etcd's index of a \
                 request refused before the store, stays 0",
        apply: rules::relative_indexes,
    },
    Rule {
        name: "in-order key names",
        kind: Kind::Inherent,
        reason: "create-in-order names a key after its index (20 digits), so the name is relative like the index",
        apply: rules::in_order_names,
    },
    Rule {
        name: "cleared history bounds",
        kind: Kind::Inherent,
        reason: "error 401's cause names the oldest index kept and the one asked for, both absolute indexes",
        apply: rules::cleared_history_bounds,
    },
    Rule {
        name: "compare-and-swap index causes",
        kind: Kind::Inherent,
        reason: "error 101's cause for a failed prevIndex is `[prevIndex != modifiedIndex]`, two absolute indexes",
        apply: rules::compare_failed_indexes,
    },
    Rule {
        name: "raft index and term",
        kind: Kind::Inherent,
        reason: "X-Raft-Index counts every raft entry (configuration changes, v3 requests, the cluster version), \
                 X-Raft-Term the elections: bookkeeping of the consensus layer, not of the v2 store; compared as \
                 present and numeric",
        apply: rules::raft_headers,
    },
    Rule {
        name: "cluster id",
        kind: Kind::Inherent,
        reason: "the cluster ID is derived from the members' random IDs; compared as present and hexadecimal",
        apply: rules::cluster_id,
    },
    Rule {
        name: "expiration timestamps",
        kind: Kind::Inherent,
        reason: "a TTL's expiration is the wall clock at the write plus the TTL: compared as present and RFC 3339",
        apply: rules::expirations,
    },
    Rule {
        name: "member ids, names and urls",
        kind: Kind::Inherent,
        reason: "members' IDs are random, client URLs carry free ports chosen at start, and names and peer URLs \
                 are how the harness configured each member (a fake has no peer listener): client URLs are \
                 compared but for the port, IDs, names and peer URLs as present",
        apply: rules::members,
    },
    Rule {
        name: "server version",
        kind: Kind::Inherent,
        reason: "/version names the server's own version",
        apply: rules::version,
    },
    Rule {
        name: "stats shape",
        kind: Kind::Inherent,
        reason: "/v2/stats/self and /v2/stats/leader are names, IDs, states, times and raft message counts: \
                 compared by shape (fields, order and types)",
        apply: rules::stats_shape,
    },
    Rule {
        name: "store stats as changes",
        kind: Kind::Inherent,
        reason: "/v2/stats/store counts every request since the server started, the harness's readiness probes \
                 included: a case's first answer is its baseline (compared by shape), later ones as the change \
                 since it; `watchers` by shape, since a watcher of an earlier case leaves when the server notices \
                 its connection closed",
        apply: rules::store_stats_changes,
    },
    Rule {
        name: "health reason",
        kind: Kind::VersionDifference,
        reason: "etcd 3.5 added `\"reason\":\"\"` to a healthy /health answer (3.4: `{\"health\":\"true\"}`); an empty \
                 reason is dropped",
        apply: rules::health_reason,
    },
];

/// An answer that differs between etcd 3.4 and 3.5 beyond what a rule can rewrite: left out of every
/// comparison (a server may answer either way), and expected to differ between 3.4 and 3.5, so that the
/// version test notices when it no longer does.
#[derive(Debug)]
pub struct VersionDifference {
    /// The case.
    pub case: &'static str,
    /// The answer's position in the case, from 0.
    pub step: usize,
    /// What each version answers.
    pub reason: &'static str,
}

/// The answers that differ between etcd 3.4 and 3.5. Each is the last write of a case of its own, so that the
/// index it takes (or does not) shifts nothing else.
pub static VERSION_DIFFERENCES: &[VersionDifference] = &[
    VersionDifference {
        case: "update_directory",
        step: 1,
        reason: "`dir=true&prevExist=true` on an existing directory: 3.4 answers 200 `update`; 3.5.1 answers 500, \
                 errorCode 300 `Raft Internal Error`, cause `nodePath /1/... : Not a file ()`, X-Etcd-Index 0",
    },
    VersionDifference {
        case: "update_directory_ttl",
        step: 1,
        reason: "the same with `ttl=` (removing a directory's TTL): 3.4 updates it, 3.5.1 answers 500 errorCode 300",
    },
    VersionDifference {
        case: "refresh_directory_ttl",
        step: 1,
        reason: "the same with `ttl=200&refresh=true`: 3.4 refreshes the directory's TTL, 3.5.1 answers 500 \
                 errorCode 300",
    },
];

/// The entry of [`VERSION_DIFFERENCES`] for an answer, if there is one.
pub fn version_difference(case: &str, step: usize) -> Option<&'static VersionDifference> {
    VERSION_DIFFERENCES.iter().find(|d| d.case == case && d.step == step)
}

/// A recording rewritten by every rule, and how many exchanges each rule changed (same order as [`RULES`]).
pub fn normalize(recording: &Recording) -> (Recording, Vec<usize>) {
    let mut normalized = recording.clone();
    let mut hits = vec![0; RULES.len()];
    let mut context = Context {
        start_index: recording.start_index,
        path: String::new(),
        prev_index: None,
        store_baseline: RefCell::new(None),
    };
    for exchange in &mut normalized.exchanges {
        context.path = rules::request_path(&exchange.step);
        context.prev_index = rules::prev_index(&exchange.step, recording.start_index);
        for (rule, hit) in RULES.iter().zip(hits.iter_mut()) {
            if (rule.apply)(exchange, &context) {
                *hit += 1;
            }
        }
    }
    (normalized, hits)
}

mod rules;
#[cfg(test)]
mod tests;
