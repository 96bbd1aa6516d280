//! The record of every operation the workload ran: who, what, when, and what the client said came of it.
//!
//! An outcome is classified conservatively: only what provably did not change the cluster counts as
//! [`Outcome::Failed`]; anything that may have been applied is [`Outcome::Unknown`], an operation still in
//! flight for the checkers.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use etcd_keys::{Error, ErrorCode, Response};

/// What an operation asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// An unconditional set of a shared key.
    Write { value: String },
    /// A quorum get.
    Read,
    /// A compare-and-swap: a set with `prevValue` (and `prevIndex` when known).
    Cas { expected: String, prev_index: Option<u64>, new: String },
    /// A create-in-order under the queue directory.
    Enqueue { value: String },
    /// A create (`prevExist=false`) of a key of its own.
    Create { value: String },
}

impl Op {
    /// The operation's kind, for the report's tables.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Write { .. } => "set",
            Op::Read => "get",
            Op::Cas { .. } => "cas",
            Op::Enqueue { .. } => "enqueue",
            Op::Create { .. } => "create",
        }
    }

    /// Whether the operation may change the cluster.
    pub fn is_write(&self) -> bool {
        !matches!(self, Op::Read)
    }
}

/// What the client said came of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Acknowledged: etcd's index for it, the node's key and value (`None` for a read of a missing key) and
    /// its modified index.
    Ok { index: u64, key: String, value: Option<String>, modified_index: u64 },
    /// Provably not applied: etcd answered with an error (its code), or no request ever left (connect failures
    /// only).
    Failed { code: Option<ErrorCode>, reason: String },
    /// May or may not have been applied: a timeout, an unknown outcome, a lost connection.
    Unknown { reason: String },
}

impl Outcome {
    /// The outcome of a call, as the client reported it. A read of a missing key is a successful read.
    pub fn of(op: &Op, result: &Result<Response, Error>) -> Outcome {
        match result {
            Ok(r) => Outcome::Ok {
                index: r.index,
                key: r.node.key.clone(),
                value: Some(r.node.value.clone()),
                modified_index: r.node.modified_index,
            },
            Err(e) if matches!(op, Op::Read) && e.is_key_not_found() => Outcome::Ok {
                index: e.as_etcd().map_or(0, |e| e.index()),
                key: String::new(),
                value: None,
                modified_index: 0,
            },
            Err(e) => classify(e),
        }
    }

    /// Short label for the report: `ok`, `failed`, `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok { .. } => "ok",
            Outcome::Failed { .. } => "failed",
            Outcome::Unknown { .. } => "unknown",
        }
    }

    /// Whether this is an etcd error with `code`.
    pub fn is_code(&self, code: ErrorCode) -> bool {
        matches!(self, Outcome::Failed { code: Some(c), .. } if *c == code)
    }
}

/// Sorts an error into provably-not-applied or unknown.
fn classify(e: &Error) -> Outcome {
    let reason = one_line(&e.to_string());
    if let Some(etcd) = e.as_etcd() {
        // etcd's 3xx codes (raft internal error, leader election) come from a proposal that timed out inside
        // etcd: it may still commit. Every other code is etcd deciding, and saying no.
        if (300..400).contains(&etcd.code().0) {
            return Outcome::Unknown { reason };
        }
        return Outcome::Failed { code: Some(etcd.code()), reason };
    }
    // A cluster error is "not applied" only when no attempt may have reached a member.
    let never_sent = e.as_cluster().is_some_and(|cluster| {
        !cluster.errors().is_empty() && cluster.errors().iter().all(|ep| !ep.failure().may_have_been_applied())
    });
    if never_sent {
        return Outcome::Failed { code: None, reason };
    }
    if matches!(e, Error::InvalidRequest(_)) {
        // Refused before sending.
        return Outcome::Failed { code: None, reason };
    }
    Outcome::Unknown { reason }
}

/// `text` on one line, shortened, for tables.
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 160 { format!("{}…", line.chars().take(160).collect::<String>()) } else { line }
}

/// One operation, invoked and completed.
#[derive(Clone, Debug)]
pub struct Record {
    /// Unique over the run; written values carry it, so a value names the operation that wrote it.
    pub id: u64,
    /// The client (workload task) that ran it.
    pub client: usize,
    /// The key it was about (the queue directory for an enqueue).
    pub key: String,
    /// What it asked for.
    pub op: Op,
    /// When the call started.
    pub invoke: Instant,
    /// When the call returned.
    pub complete: Instant,
    /// What came of it.
    pub outcome: Outcome,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {} client {} {} {} {:?} -> ", self.id, self.client, self.op.kind(), self.key, self.op)?;
        match &self.outcome {
            Outcome::Ok { index, value, modified_index, .. } => {
                write!(f, "ok index {index} value {value:?} modifiedIndex {modified_index}")
            }
            Outcome::Failed { reason, .. } => write!(f, "failed ({reason})"),
            Outcome::Unknown { reason } => write!(f, "UNKNOWN ({reason})"),
        }
    }
}

/// Every operation of a run, appended to by all workload tasks.
#[derive(Debug, Default)]
pub struct History {
    next_id: AtomicU64,
    records: Mutex<Vec<Record>>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh operation id (ids start at 1).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Appends a completed operation.
    pub fn push(&self, record: Record) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).push(record);
    }

    /// Every record so far, in order of completion.
    pub fn snapshot(&self) -> Vec<Record> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A time-stamped fault the nemesis injected.
#[derive(Clone, Debug)]
pub struct Fault {
    /// SIGKILL then restart, or SIGSTOP then SIGCONT.
    pub kind: FaultKind,
    /// Index of the member.
    pub member: usize,
    /// Why this member was chosen.
    pub target: Target,
    /// When the signal was sent.
    pub start: Instant,
    /// When the member was restarted or resumed.
    pub end: Instant,
}

/// The kinds of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// SIGKILL, then a restart on the same data.
    Kill,
    /// SIGSTOP, then SIGCONT: the member hangs with its sockets open.
    Freeze,
}

/// How the nemesis picked its victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// Any member.
    Random,
    /// The raft leader.
    Leader,
    /// The member a shared-key client is pinned to.
    Pinned,
}

/// One event a watcher delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// The event's modified index.
    pub index: u64,
    /// The node's key.
    pub key: String,
    /// The action, as etcd names it.
    pub action: String,
    /// The node's value.
    pub value: String,
}

/// What one watcher saw.
#[derive(Clone, Debug, Default)]
pub struct WatchLog {
    /// Every event, in the order delivered.
    pub events: Vec<WatchEvent>,
    /// Errors the watcher yielded, with the number of events delivered before each.
    pub errors: Vec<(usize, String)>,
    /// Whether the watch ended (`None` from the stream).
    pub ended: bool,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use etcd_keys::{AttemptFailure, ClusterError, EndpointError, EtcdError, OutcomeUnknown};

    use super::*;

    fn set() -> Op {
        Op::Write { value: "w1".into() }
    }

    fn etcd(code: ErrorCode) -> Result<Response, Error> {
        Err(EtcdError::new(code, "no", None, 7).into())
    }

    fn at(failure: AttemptFailure) -> EndpointError {
        EndpointError::new("http://127.0.0.1:1", failure)
    }

    #[test]
    fn only_what_provably_did_nothing_is_a_failure() {
        assert!(Outcome::of(&set(), &etcd(ErrorCode::TEST_FAILED)).is_code(ErrorCode::TEST_FAILED));
        assert!(Outcome::of(&set(), &etcd(ErrorCode::NODE_EXIST)).is_code(ErrorCode::NODE_EXIST));
        // A proposal that timed out inside etcd may still commit.
        assert_eq!(Outcome::of(&set(), &etcd(ErrorCode::RAFT_INTERNAL)).label(), "unknown");
        assert_eq!(Outcome::of(&set(), &etcd(ErrorCode::LEADER_ELECT)).label(), "unknown");
        let refused = ClusterError::new(vec![at(AttemptFailure::Connect("refused".into()))]);
        assert_eq!(Outcome::of(&set(), &Err(refused.into())).label(), "failed");
        let timed_out = ClusterError::new(vec![
            at(AttemptFailure::Connect("refused".into())),
            at(AttemptFailure::HeaderTimeout(Duration::from_secs(1))),
        ]);
        assert_eq!(Outcome::of(&set(), &Err(timed_out.into())).label(), "unknown");
        let unknown = OutcomeUnknown::new(at(AttemptFailure::HeaderTimeout(Duration::from_secs(1))));
        assert_eq!(Outcome::of(&set(), &Err(unknown.into())).label(), "unknown");
    }

    #[test]
    fn a_read_of_a_missing_key_is_a_read_of_nothing() {
        let outcome = Outcome::of(&Op::Read, &etcd(ErrorCode::KEY_NOT_FOUND));
        assert!(matches!(outcome, Outcome::Ok { value: None, index: 7, .. }), "{outcome:?}");
        assert!(Outcome::of(&set(), &etcd(ErrorCode::KEY_NOT_FOUND)).is_code(ErrorCode::KEY_NOT_FOUND));
    }
}
