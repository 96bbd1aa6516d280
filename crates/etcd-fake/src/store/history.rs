//! etcd's event history: the last 1,000 events, scanned by watches that start from an index.

use std::collections::VecDeque;
use std::sync::Arc;

use etcd_v2_server::{Action, ErrorCode, Event, V2Error};

/// How many events etcd keeps (`newWatchHub(1000)`).
pub(crate) const HISTORY_CAPACITY: usize = 1000;

#[derive(Debug, Default)]
pub(crate) struct History {
    events: VecDeque<Arc<Event>>,
    /// Whether an event was ever dropped: until then the history starts at index 1, as etcd's does (its first
    /// events are its own membership records, which a fresh store here does not have).
    dropped: bool,
}

impl History {
    pub(crate) fn add(&mut self, event: Arc<Event>) {
        if self.events.len() == HISTORY_CAPACITY {
            self.events.pop_front();
            self.dropped = true;
        }
        self.events.push_back(event);
    }

    /// The first event at or after `index` that concerns `key`, as etcd's `scan`: 401 when `index` is older than
    /// the history kept; `None` when no kept event matches.
    pub(crate) fn scan(&self, key: &str, recursive: bool, index: u64) -> Result<Option<Arc<Event>>, V2Error> {
        let start = match self.events.front() {
            Some(front) if self.dropped => front.index(),
            Some(_) => 1,
            None => 0,
        };
        let last = self.events.back().map_or(0, |e| e.index());
        if index < start {
            let cause = format!("the requested history has been cleared [{start}/{index}]");
            return Err(V2Error::new(ErrorCode::EventIndexCleared, cause, 0));
        }
        if index > last {
            return Ok(None);
        }
        let prefix = if key.ends_with('/') { key.to_owned() } else { format!("{key}/") };
        let found = self.events.iter().filter(|e| e.index() >= index && !e.refresh).find(|e| {
            let node_key = e.node.as_ref().map_or("", |n| n.key.as_str());
            let node_key = if node_key.is_empty() { "/" } else { node_key };
            let mut hit = node_key == key || (recursive && node_key.starts_with(&prefix));
            if matches!(e.action, Action::Delete | Action::Expire) {
                // etcd's own test: a plain prefix, not bounded at a slash.
                if let Some(prev) = e.prev_node.as_ref().filter(|p| p.dir) {
                    hit = hit || key.starts_with(prev.key.as_str());
                }
            }
            hit
        });
        Ok(found.cloned())
    }
}
