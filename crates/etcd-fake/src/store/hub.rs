//! Watchers waiting at a path, notified as etcd's `watcherHub` notifies them.

use std::collections::HashMap;
use std::sync::Arc;

use etcd_v2_server::Event;
use tokio::sync::mpsc;

/// How many undelivered events a watcher may hold before etcd drops it (`make(chan *Event, 100)`).
const WATCHER_BUFFER: usize = 100;

pub(crate) struct Watcher {
    id: u64,
    recursive: bool,
    stream: bool,
    since_index: u64,
    sender: mpsc::Sender<Arc<Event>>,
}

#[derive(Default)]
pub(crate) struct Hub {
    watchers: HashMap<String, Vec<Watcher>>,
    next_id: u64,
    count: usize,
}

impl Hub {
    /// Registers a watcher at `key`; returns its id (for removal) and its events.
    pub(crate) fn add(
        &mut self,
        key: &str,
        recursive: bool,
        stream: bool,
        since_index: u64,
    ) -> (u64, mpsc::Receiver<Arc<Event>>) {
        let (sender, receiver) = mpsc::channel(WATCHER_BUFFER);
        self.next_id += 1;
        let id = self.next_id;
        self.watchers.entry(key.to_owned()).or_default().push(Watcher { id, recursive, stream, since_index, sender });
        self.count += 1;
        (id, receiver)
    }

    pub(crate) fn remove(&mut self, key: &str, id: u64) {
        if let Some(list) = self.watchers.get_mut(key) {
            let before = list.len();
            list.retain(|w| w.id != id);
            self.count -= before - list.len();
            if list.is_empty() {
                self.watchers.remove(key);
            }
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// `notify`: the watchers at every path from the root down to the event's key.
    pub(crate) fn notify(&mut self, event: &Arc<Event>) {
        let key = event_key(event);
        let mut path = String::from("/");
        self.notify_at(event, "/", false);
        for segment in key.split('/').filter(|s| !s.is_empty()) {
            if path.len() > 1 {
                path.push('/');
            }
            path.push_str(segment);
            self.notify_at(event, &path.clone(), false);
        }
    }

    /// `notifyWatchers`: the watchers at `path`, for an event at or below it (or a deleted node at `path`).
    pub(crate) fn notify_at(&mut self, event: &Arc<Event>, path: &str, deleted: bool) {
        let Some(list) = self.watchers.get_mut(path) else { return };
        let key = event_key(event);
        let original = key == path;
        let mut removed = 0;
        list.retain(|w| {
            if !original && is_hidden(path, key) {
                return true;
            }
            if !((w.recursive || original || deleted) && event.index() >= w.since_index) {
                return true;
            }
            // A full buffer: etcd drops the watcher (its client sees the stream end).
            let delivered = w.sender.try_send(Arc::clone(event)).is_ok();
            let keep = delivered && w.stream;
            if !keep {
                removed += 1;
            }
            keep
        });
        self.count -= removed;
        if list.is_empty() {
            self.watchers.remove(path);
        }
    }
}

fn event_key(event: &Event) -> &str {
    match event.node.as_ref().map(|n| n.key.as_str()) {
        Some("") | None => "/",
        Some(key) => key,
    }
}

/// etcd's `isHidden`: the part of the key below the watched path holds a hidden component.
fn is_hidden(watch_path: &str, key: &str) -> bool {
    if watch_path.len() > key.len() {
        return false;
    }
    let Some(rest) = key.get(watch_path.len()..) else { return false };
    let after = etcd_v2_server::clean_key(rest);
    after.contains("/_")
}
