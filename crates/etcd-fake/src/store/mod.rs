//! etcd's v2 store in memory (`v2store`): the tree, the index, TTLs on tokio's clock, the history and the
//! watchers. Every operation follows etcd's `store.go`, its errors, causes and quirks included.

mod history;
mod hub;
mod node;
mod stats;
mod tree;
mod writes;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::SystemTime;

use etcd_v2_server::{Action, ErrorCode, Event, KeyOperation, NodeView, V2Error};
use tokio::sync::mpsc;
use tokio::time::Instant;

use self::history::History;
use self::hub::Hub;
use self::node::{Node, View};
pub(crate) use self::stats::Stats;

/// A watch registered in the store: its id and path (to remove it), the index for the headers, its events.
pub(crate) struct Registered {
    pub(crate) id: Option<u64>,
    pub(crate) key: String,
    pub(crate) start_index: u64,
    pub(crate) events: mpsc::Receiver<Arc<Event>>,
}

pub(crate) struct Store {
    root: Node,
    index: u64,
    history: History,
    hub: Hub,
    ttl: BinaryHeap<Reverse<(Instant, String)>>,
    base_wall: SystemTime,
    base_instant: Instant,
    pub(crate) stats: Stats,
    /// etcd 3.5's `Update` fails on a directory (its `node.Write` error is no longer ignored); 3.4 updates the
    /// directory's TTL.
    pub(crate) dir_update_fails: bool,
}

impl Store {
    /// An empty store at `index` (a fresh etcd's is 3: its own membership records).
    pub(crate) fn new(index: u64) -> Store {
        Store {
            root: Node::dir("/".to_owned(), 0, None),
            index,
            history: History::default(),
            hub: Hub::default(),
            ttl: BinaryHeap::new(),
            base_wall: SystemTime::now(),
            base_instant: Instant::now(),
            stats: Stats::default(),
            dir_update_fails: false,
        }
    }

    /// The store's index (`X-Etcd-Index`).
    pub(crate) fn index(&self) -> u64 {
        self.index
    }

    pub(crate) fn watcher_count(&self) -> usize {
        self.hub.count()
    }

    pub(super) fn view(&self) -> View {
        View { now: Instant::now(), base_wall: self.base_wall, base_instant: self.base_instant }
    }

    /// The earliest expiry still pending (maybe of a node since removed: checking it is harmless).
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.ttl.peek().map(|Reverse((at, _))| *at)
    }

    /// `DeleteExpiredKeys`: every node whose time is up at `now` expires, in expiry order, each an `expire`
    /// event with its own index. Returns how many expired.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let mut expired = 0;
        while let Some(Reverse((at, _))) = self.ttl.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, path))) = self.ttl.pop() else { break };
            // Stale entries (the node was removed, or its TTL changed) are skipped.
            let live = self.lookup(&path).ok().is_some_and(|n| n.expire_at == Some(at));
            if !live {
                continue;
            }
            let view = self.view();
            let Some(node) = self.detach(&path) else { continue };
            self.index += 1;
            let event = Event {
                action: Action::Expire,
                node: Some(NodeView {
                    key: View::key(&path),
                    dir: node.is_dir(),
                    modified_index: self.index,
                    created_index: node.created_index,
                    ..NodeView::default()
                }),
                prev_node: Some(view.repr(&node, false, false)),
                refresh: false,
            };
            self.stats.expire_count += 1;
            self.publish_removal(event, &node);
            expired += 1;
        }
        expired
    }

    /// Applies a keys operation (not a watch), as etcd's store does.
    pub(crate) fn apply(&mut self, operation: KeyOperation) -> Result<Event, V2Error> {
        match operation {
            KeyOperation::Get { key, recursive, sorted, .. } => {
                let result = self.get(&key, recursive, sorted);
                self.stats.count(Action::Get, result.is_ok());
                result
            }
            KeyOperation::Set { key, dir, value, ttl } => {
                let result = self.set(&key, dir, value, ttl);
                self.stats.count(Action::Set, result.is_ok());
                result
            }
            KeyOperation::Create { key, dir, value, ttl, in_order } => {
                let result = self.create(&key, dir, value, in_order, ttl);
                self.stats.count(Action::Create, result.is_ok());
                result
            }
            KeyOperation::Update { key, value, ttl } => {
                let result = self.update(&key, value, ttl);
                self.stats.count(Action::Update, result.is_ok());
                result
            }
            KeyOperation::CompareAndSwap { key, prev_value, prev_index, value, ttl } => {
                let result = self.compare_and_swap(&key, &prev_value, prev_index, value, ttl);
                self.stats.count(Action::CompareAndSwap, result.is_ok());
                result
            }
            KeyOperation::Delete { key, dir, recursive } => {
                let result = self.delete(&key, dir, recursive);
                self.stats.count(Action::Delete, result.is_ok());
                result
            }
            KeyOperation::CompareAndDelete { key, prev_value, prev_index } => {
                let result = self.compare_and_delete(&key, &prev_value, prev_index);
                self.stats.count(Action::CompareAndDelete, result.is_ok());
                result
            }
            KeyOperation::Watch(_) => Err(V2Error::new(ErrorCode::InvalidField, "a watch is not applied", self.index)),
            // KeyOperation is non-exhaustive for users of etcd-v2-server; this crate knows every variant today.
            #[allow(unreachable_patterns)]
            _ => Err(V2Error::new(ErrorCode::InvalidField, "unsupported operation", self.index)),
        }
    }

    /// `Watch`: the first kept event at or after `since` (0: the next index), or a watcher registered for later.
    pub(crate) fn watch(
        &mut self,
        key: &str,
        recursive: bool,
        stream: bool,
        since: u64,
    ) -> Result<Registered, V2Error> {
        let since = if since == 0 { self.index + 1 } else { since };
        let found = self.history.scan(key, recursive, since).map_err(|mut e| {
            e.index = self.index;
            e
        })?;
        if let Some(event) = found {
            // etcd answers from the history and registers nothing, even for a stream.
            let (sender, events) = mpsc::channel(1);
            let _ = sender.try_send(event);
            return Ok(Registered { id: None, key: key.to_owned(), start_index: self.index, events });
        }
        let (id, events) = self.hub.add(key, recursive, stream, since);
        Ok(Registered { id: Some(id), key: key.to_owned(), start_index: self.index, events })
    }

    /// Changes of etcd's own records (auth, under `/2`): each takes an index and a place in the history, and no
    /// client watch matches them (their keys are outside the client's tree).
    pub(crate) fn internal_writes(&mut self, count: u64) {
        for _ in 0..count {
            self.index += 1;
            let node = NodeView {
                key: "2".to_owned(),
                modified_index: self.index,
                created_index: self.index,
                ..NodeView::default()
            };
            self.history.add(Arc::new(Event {
                action: Action::Set,
                node: Some(node),
                prev_node: None,
                refresh: false,
            }));
        }
    }

    pub(crate) fn unwatch(&mut self, key: &str, id: u64) {
        self.hub.remove(key, id);
    }

    fn get(&self, key: &str, recursive: bool, sorted: bool) -> Result<Event, V2Error> {
        let node = self.lookup(key)?;
        let view = self.view();
        Ok(Event {
            action: Action::Get,
            node: Some(view.load(node, recursive, sorted)),
            prev_node: None,
            refresh: false,
        })
    }
}

/// etcd's compare: an empty `prev_value` or a zero `prev_index` is not compared; the cause names what differed.
fn compare_failure(node: &Node, prev_value: &str, prev_index: u64) -> Option<String> {
    let index_ok = prev_index == 0 || node.modified_index == prev_index;
    let value_ok = prev_value.is_empty() || node.value == prev_value;
    match (value_ok, index_ok) {
        (true, true) => None,
        (false, true) => Some(format!("[{prev_value} != {}]", node.value)),
        (true, false) => Some(format!("[{prev_index} != {}]", node.modified_index)),
        (false, false) => Some(format!("[{prev_value} != {}] [{prev_index} != {}]", node.value, node.modified_index)),
    }
}

fn split(key: &str) -> (&str, &str) {
    match key.rfind('/') {
        Some(0) => ("/", &key[1..]),
        Some(at) => (&key[..at], &key[at + 1..]),
        None => ("/", key),
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" { format!("/{name}") } else { format!("{parent}/{name}") }
}

#[cfg(test)]
mod tests;
