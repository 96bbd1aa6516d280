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

use crate::case::expand;
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
        apply: relative_indexes,
    },
    Rule {
        name: "in-order key names",
        kind: Kind::Inherent,
        reason: "create-in-order names a key after its index (20 digits), so the name is relative like the index",
        apply: in_order_names,
    },
    Rule {
        name: "cleared history bounds",
        kind: Kind::Inherent,
        reason: "error 401's cause names the oldest index kept and the one asked for, both absolute indexes",
        apply: cleared_history_bounds,
    },
    Rule {
        name: "compare-and-swap index causes",
        kind: Kind::Inherent,
        reason: "error 101's cause for a failed prevIndex is `[prevIndex != modifiedIndex]`, two absolute indexes",
        apply: compare_failed_indexes,
    },
    Rule {
        name: "raft index and term",
        kind: Kind::Inherent,
        reason: "X-Raft-Index counts every raft entry (configuration changes, v3 requests, the cluster version), \
                 X-Raft-Term the elections: bookkeeping of the consensus layer, not of the v2 store; compared as \
                 present and numeric",
        apply: raft_headers,
    },
    Rule {
        name: "cluster id",
        kind: Kind::Inherent,
        reason: "the cluster ID is derived from the members' random IDs; compared as present and hexadecimal",
        apply: cluster_id,
    },
    Rule {
        name: "expiration timestamps",
        kind: Kind::Inherent,
        reason: "a TTL's expiration is the wall clock at the write plus the TTL: compared as present and RFC 3339",
        apply: expirations,
    },
    Rule {
        name: "member ids, names and urls",
        kind: Kind::Inherent,
        reason: "members' IDs are random, client URLs carry free ports chosen at start, and names and peer URLs \
                 are how the harness configured each member (a fake has no peer listener): client URLs are \
                 compared but for the port, IDs, names and peer URLs as present",
        apply: members,
    },
    Rule {
        name: "server version",
        kind: Kind::Inherent,
        reason: "/version names the server's own version",
        apply: version,
    },
    Rule {
        name: "stats shape",
        kind: Kind::Inherent,
        reason: "/v2/stats/self and /v2/stats/leader are names, IDs, states, times and raft message counts: \
                 compared by shape (fields, order and types)",
        apply: stats_shape,
    },
    Rule {
        name: "store stats as changes",
        kind: Kind::Inherent,
        reason: "/v2/stats/store counts every request since the server started, the harness's readiness probes \
                 included: a case's first answer is its baseline (compared by shape), later ones as the change \
                 since it; `watchers` by shape, since a watcher of an earlier case leaves when the server notices \
                 its connection closed",
        apply: store_stats_changes,
    },
    Rule {
        name: "health reason",
        kind: Kind::VersionDifference,
        reason: "etcd 3.5 added `\"reason\":\"\"` to a healthy /health answer (3.4: `{\"health\":\"true\"}`); an empty \
                 reason is dropped",
        apply: health_reason,
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
        context.path = request_path(&exchange.step);
        context.prev_index = prev_index(&exchange.step, recording.start_index);
        for (rule, hit) in RULES.iter().zip(hits.iter_mut()) {
            if (rule.apply)(exchange, &context) {
                *hit += 1;
            }
        }
    }
    (normalized, hits)
}

/// `/v2/keys/a` from a step label `PUT /v2/keys/a?x=1 value=1`.
fn request_path(step: &str) -> String {
    let target = step.split(' ').nth(1).unwrap_or_default();
    target.split('?').next().unwrap_or_default().to_owned()
}

/// The `prevIndex` a step sent (in its query or form), with its placeholders expanded.
fn prev_index(step: &str, start_index: u64) -> Option<String> {
    let at = step.find("prevIndex=")? + "prevIndex=".len();
    let value: String = step[at..].chars().take_while(|c| !matches!(c, '&' | ' ')).collect();
    Some(expand(&value, start_index, None))
}

fn relative(index: u64, start: u64) -> String {
    if index == 0 {
        return "0".to_owned();
    }
    if index >= start { format!("i+{}", index - start) } else { format!("i-{}", start - index) }
}

fn each_document_field(exchange: &mut Exchange, f: &mut dyn FnMut(&str, &mut Json) -> bool) -> bool {
    exchange.documents_mut().into_iter().fold(false, |changed, doc| doc.each_field_mut(f) | changed)
}

fn relative_indexes(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    let mut changed = false;
    if let Some(index) = exchange.header("X-Etcd-Index").and_then(|v| v.parse::<u64>().ok()) {
        exchange.set_header("X-Etcd-Index", Some(relative(index, start)));
        changed = true;
    }
    if context.path.starts_with("/v2/keys") {
        changed |= each_document_field(exchange, &mut |name, value| match (name, value.as_u64()) {
            ("modifiedIndex" | "createdIndex" | "index", Some(index)) => {
                *value = Json::String(relative(index, start));
                true
            }
            _ => false,
        });
    }
    changed
}

fn in_order_names(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    each_document_field(exchange, &mut |name, value| {
        let Some(key) = value.as_str().filter(|_| name == "key") else { return false };
        let (dir, last) = key.rsplit_once('/').unwrap_or(("", key));
        match last.parse::<u64>() {
            Ok(index) if last.len() == 20 => {
                *value = Json::String(format!("{dir}/<{}>", relative(index, start)));
                true
            }
            _ => false,
        }
    })
}

fn cleared_history_bounds(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if doc.get("errorCode").and_then(Json::as_u64) != Some(401) {
            continue;
        }
        changed |= doc.each_field_mut(&mut |name, value| {
            let Some(cause) = value.as_str().filter(|_| name == "cause") else { return false };
            // "the requested history has been cleared [1008/7]"
            let Some((text, bounds)) = cause.strip_suffix(']').and_then(|c| c.rsplit_once('[')) else {
                return false;
            };
            let Some((oldest, asked)) = bounds.split_once('/') else { return false };
            let (Ok(oldest), Ok(asked)) = (oldest.parse::<u64>(), asked.parse::<u64>()) else { return false };
            *value = Json::String(format!("{text}[{}/{}]", relative(oldest, start), relative(asked, start)));
            true
        });
    }
    changed
}

fn compare_failed_indexes(exchange: &mut Exchange, context: &Context) -> bool {
    let (start, Some(sent)) = (context.start_index, context.prev_index.as_deref()) else { return false };
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if doc.get("errorCode").and_then(Json::as_u64) != Some(101) {
            continue;
        }
        changed |= doc.each_field_mut(&mut |name, value| {
            let Some(cause) = value.as_str().filter(|_| name == "cause") else { return false };
            // "[prevValue != value] [prevIndex != modifiedIndex]", "[prevIndex != modifiedIndex]", ...
            let Some(at) = cause.rfind('[') else { return false };
            let Some((asked, found)) = cause[at + 1..].strip_suffix(']').and_then(|b| b.split_once(" != ")) else {
                return false;
            };
            let (Ok(asked), Ok(found)) = (asked.parse::<u64>(), found.parse::<u64>()) else { return false };
            if asked.to_string() != sent {
                return false;
            }
            *value =
                Json::String(format!("{}[{} != {}]", &cause[..at], relative(asked, start), relative(found, start)));
            true
        });
    }
    changed
}

fn replace_header_if(exchange: &mut Exchange, name: &str, ok: fn(&str) -> bool, placeholder: &str) -> bool {
    match exchange.header(name) {
        Some(v) if ok(v) => {
            exchange.set_header(name, Some(placeholder.to_owned()));
            true
        }
        _ => false,
    }
}

fn is_decimal(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn is_hex(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn raft_headers(exchange: &mut Exchange, _: &Context) -> bool {
    replace_header_if(exchange, "X-Raft-Index", is_decimal, "<raft index>")
        | replace_header_if(exchange, "X-Raft-Term", is_decimal, "<raft term>")
}

fn cluster_id(exchange: &mut Exchange, _: &Context) -> bool {
    replace_header_if(exchange, "X-Etcd-Cluster-Id", is_hex, "<cluster id>")
}

/// `2026-12-01T03:15:00.84639508Z`: the shape of Go's RFC 3339 with nanoseconds, in UTC.
fn is_rfc3339(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':'
}

fn expirations(exchange: &mut Exchange, _: &Context) -> bool {
    each_document_field(exchange, &mut |name, value| match value.as_str() {
        Some(v) if name == "expiration" && is_rfc3339(v) => {
            *value = Json::String("<timestamp>".to_owned());
            true
        }
        _ => false,
    })
}

fn members(exchange: &mut Exchange, context: &Context) -> bool {
    if !context.path.starts_with("/v2/members") {
        return false;
    }
    each_document_field(exchange, &mut |name, value| match (name, value) {
        ("id", Json::String(id)) if is_hex(id) => {
            *id = "<member id>".to_owned();
            true
        }
        ("name", Json::String(member)) => {
            *member = "<name>".to_owned();
            true
        }
        ("peerURLs" | "clientURLs", Json::Array(urls)) => {
            for url in urls.iter_mut() {
                if let Json::String(u) = url {
                    *u = if name == "peerURLs" { "<peer url>".to_owned() } else { without_port(u) };
                }
            }
            true
        }
        _ => false,
    })
}

fn without_port(url: &str) -> String {
    match url.rsplit_once(':') {
        Some((head, port)) if is_decimal(port) => format!("{head}:<port>"),
        _ => url.to_owned(),
    }
}

fn version(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/version" {
        return false;
    }
    each_document_field(exchange, &mut |name, value| match value {
        Json::String(v) if matches!(name, "etcdserver" | "etcdcluster") && v.split('.').all(is_decimal) => {
            *v = "<version>".to_owned();
            true
        }
        _ => false,
    })
}

/// Every scalar replaced by its type's name: what is compared of a stats answer.
fn shape(json: &mut Json) {
    match json {
        Json::Object(fields) => fields.iter_mut().for_each(|(_, v)| shape(v)),
        Json::Array(items) => items.iter_mut().for_each(shape),
        scalar => *scalar = Json::String(format!("<{}>", scalar.type_name())),
    }
}

fn stats_shape(exchange: &mut Exchange, context: &Context) -> bool {
    if !matches!(context.path.as_str(), "/v2/stats/self" | "/v2/stats/leader") || exchange.status != Some(200) {
        return false;
    }
    exchange.documents_mut().into_iter().for_each(shape);
    true
}

fn store_stats_changes(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/v2/stats/store" || exchange.status != Some(200) {
        return false;
    }
    let mut baseline = context.store_baseline.borrow_mut();
    for doc in exchange.documents_mut() {
        let Json::Object(fields) = doc else { continue };
        match baseline.as_ref() {
            None => {
                *baseline = Some(Json::Object(fields.clone()));
                fields.iter_mut().for_each(|(_, value)| shape(value));
            }
            Some(first) => {
                for (name, value) in fields.iter_mut() {
                    let before = first.get(name).and_then(Json::as_u64);
                    match (name.as_str(), value.as_u64(), before) {
                        ("watchers", _, _) => shape(value),
                        (_, Some(now), Some(before)) if now >= before => {
                            *value = Json::String(format!("+{}", now - before));
                        }
                        (_, Some(now), Some(before)) => *value = Json::String(format!("-{}", before - now)),
                        _ => shape(value),
                    }
                }
            }
        }
    }
    true
}

fn health_reason(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/health" {
        return false;
    }
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if let Json::Object(fields) = doc {
            let before = fields.len();
            fields.retain(|(name, value)| !(name == "reason" && value.as_str() == Some("")));
            changed |= fields.len() != before;
        }
    }
    changed
}

#[cfg(test)]
mod tests;
