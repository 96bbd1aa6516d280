//! etcd's v2 store in memory (`v2store`): the tree, the index, TTLs on tokio's clock, the history and the
//! watchers. Every operation follows etcd's `store.go`, its errors, causes and quirks included.

mod history;
mod hub;
mod node;
mod stats;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use etcd_v2_server::{Action, ErrorCode, Event, KeyOperation, NodeView, Ttl, V2Error};
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
        }
    }

    /// The store's index (`X-Etcd-Index`).
    pub(crate) fn index(&self) -> u64 {
        self.index
    }

    pub(crate) fn watcher_count(&self) -> usize {
        self.hub.count()
    }

    fn view(&self) -> View {
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

    fn set(&mut self, key: &str, dir: bool, mut value: String, ttl: Ttl) -> Result<Event, V2Error> {
        let existing = match self.lookup(key) {
            Ok(node) => Some(node.value.clone()),
            Err(e) if e.code == ErrorCode::KeyNotFound => None,
            Err(e) => return Err(e),
        };
        if ttl.refresh {
            let Some(current) = existing else {
                return Err(self.lookup(key).err().unwrap_or_else(|| self.not_found(key)));
            };
            value = current;
        }
        let event = self.internal_create(key, dir, value, true, ttl.seconds, Action::Set)?;
        self.publish(event, ttl.refresh)
    }

    fn create(&mut self, key: &str, dir: bool, value: String, in_order: bool, ttl: Ttl) -> Result<Event, V2Error> {
        let key = if in_order { format!("{key}/{:020}", self.index + 1) } else { key.to_owned() };
        let event = self.internal_create(&key, dir, value, false, ttl.seconds, Action::Create)?;
        self.publish(event, false)
    }

    fn update(&mut self, key: &str, mut value: String, ttl: Ttl) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        if key == "/" {
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", self.index));
        }
        let node = self.lookup(&key)?;
        let is_dir = node.is_dir();
        if is_dir && !value.is_empty() {
            return Err(V2Error::new(ErrorCode::NotFile, key, self.index));
        }
        if ttl.refresh {
            value = node.value.clone();
        }
        let prev = self.view().repr(node, false, false);
        let next = self.index + 1;
        let expire_at = self.expire_at(ttl.seconds);
        let node = self.lookup_mut(&key).ok_or_else(|| V2Error::new(ErrorCode::KeyNotFound, key.clone(), next - 1))?;
        // etcd 3.4 updates a directory's TTL only: its modified index stays (the event shows the new one).
        // etcd 3.5.1 answers a directory update with a 500 (`nodePath ... : Not a file`); the fake does as 3.4.
        if !is_dir {
            node.value.clone_from(&value);
            node.modified_index = next;
        }
        node.expire_at = expire_at;
        let created = node.created_index;
        self.track_ttl(&key, expire_at);
        self.index = next;
        let (expiration, ttl_left) = self.expiry(expire_at);
        let event = Event {
            action: Action::Update,
            node: Some(NodeView {
                key: key.clone(),
                value: (!is_dir).then_some(value),
                dir: is_dir,
                expiration,
                ttl: ttl_left,
                modified_index: next,
                created_index: created,
                ..NodeView::default()
            }),
            prev_node: Some(prev),
            refresh: false,
        };
        self.publish(event, ttl.refresh)
    }

    fn compare_and_swap(
        &mut self,
        key: &str,
        prev_value: &str,
        prev_index: u64,
        mut value: String,
        ttl: Ttl,
    ) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        if key == "/" {
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", self.index));
        }
        let node = self.lookup(&key)?;
        if node.is_dir() {
            return Err(V2Error::new(ErrorCode::NotFile, key, self.index));
        }
        if let Some(cause) = compare_failure(node, prev_value, prev_index) {
            return Err(V2Error::new(ErrorCode::TestFailed, cause, self.index));
        }
        if ttl.refresh {
            value = node.value.clone();
        }
        let prev = self.view().repr(node, false, false);
        self.index += 1;
        let index = self.index;
        let expire_at = self.expire_at(ttl.seconds);
        let created = prev.created_index;
        if let Some(node) = self.lookup_mut(&key) {
            node.value.clone_from(&value);
            node.modified_index = index;
            node.expire_at = expire_at;
        }
        self.track_ttl(&key, expire_at);
        let (expiration, ttl_left) = self.expiry(expire_at);
        let event = Event {
            action: Action::CompareAndSwap,
            node: Some(NodeView {
                key,
                value: Some(value),
                expiration,
                ttl: ttl_left,
                modified_index: index,
                created_index: created,
                ..NodeView::default()
            }),
            prev_node: Some(prev),
            refresh: false,
        };
        self.publish(event, ttl.refresh)
    }

    fn delete(&mut self, key: &str, dir: bool, recursive: bool) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        if key == "/" {
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", self.index));
        }
        let dir = dir || recursive;
        let node = self.lookup(&key)?;
        if let Some(children) = &node.children {
            if !dir {
                return Err(V2Error::new(ErrorCode::NotFile, key, self.index));
            }
            if !children.is_empty() && !recursive {
                return Err(V2Error::new(ErrorCode::DirNotEmpty, key, self.index));
            }
        }
        let prev = self.view().repr(node, false, false);
        let node = self.detach(&key).ok_or_else(|| self.not_found(&key))?;
        self.index += 1;
        let event = Event {
            action: Action::Delete,
            node: Some(NodeView {
                key,
                dir: node.is_dir(),
                modified_index: self.index,
                created_index: node.created_index,
                ..NodeView::default()
            }),
            prev_node: Some(prev),
            refresh: false,
        };
        Ok(self.publish_removal(event, &node))
    }

    fn compare_and_delete(&mut self, key: &str, prev_value: &str, prev_index: u64) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        let node = self.lookup(&key)?;
        if node.is_dir() {
            return Err(V2Error::new(ErrorCode::NotFile, View::key(&key), self.index));
        }
        if let Some(cause) = compare_failure(node, prev_value, prev_index) {
            return Err(V2Error::new(ErrorCode::TestFailed, cause, self.index));
        }
        let prev = self.view().repr(node, false, false);
        let node = self.detach(&key).ok_or_else(|| self.not_found(&key))?;
        self.index += 1;
        let event = Event {
            action: Action::CompareAndDelete,
            node: Some(NodeView {
                key,
                modified_index: self.index,
                created_index: node.created_index,
                ..NodeView::default()
            }),
            prev_node: Some(prev),
            refresh: false,
        };
        Ok(self.publish_removal(event, &node))
    }

    /// `internalCreate`: makes the missing directories on the way (they stay even when the create fails, as in
    /// etcd), then the node; `replace` lets a file be overwritten.
    fn internal_create(
        &mut self,
        key: &str,
        dir: bool,
        value: String,
        replace: bool,
        ttl: Option<u64>,
        action: Action,
    ) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        let current = self.index;
        if key == "/" {
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", current));
        }
        let next = current + 1;
        let (parent_path, name) = split(&key);
        let view = self.view();
        let expire_at = self.expire_at(ttl);
        let parent = self.make_dirs(parent_path, next)?;
        let children = parent.children.get_or_insert_with(Default::default);
        let mut prev_node = None;
        if let Some(existing) = children.get(name) {
            if !replace {
                return Err(V2Error::new(ErrorCode::NodeExist, key, current));
            }
            if existing.is_dir() {
                return Err(V2Error::new(ErrorCode::NotFile, key, current));
            }
            prev_node = Some(view.repr(existing, false, false));
        }
        let node = if dir {
            Node::dir(key.clone(), next, expire_at)
        } else {
            Node::file(key.clone(), value.clone(), next, expire_at)
        };
        children.insert(name.to_owned(), node);
        self.track_ttl(&key, expire_at);
        self.index = next;
        let (expiration, ttl_left) = self.expiry(expire_at);
        Ok(Event {
            action,
            node: Some(NodeView {
                key,
                value: (!dir).then_some(value),
                dir,
                expiration,
                ttl: ttl_left,
                modified_index: next,
                created_index: next,
                ..NodeView::default()
            }),
            prev_node,
            refresh: false,
        })
    }

    /// Records a change: in the history, and to the watchers unless it is a refresh.
    fn publish(&mut self, mut event: Event, refresh: bool) -> Result<Event, V2Error> {
        event.refresh = refresh;
        let shared = Arc::new(event.clone());
        self.history.add(Arc::clone(&shared));
        if !refresh {
            self.hub.notify(&shared);
        }
        Ok(event)
    }

    /// A removal: the watchers of every removed path hear of it first (etcd's `Remove` callback), then the
    /// usual notification.
    fn publish_removal(&mut self, event: Event, removed: &Node) -> Event {
        let shared = Arc::new(event.clone());
        let mut paths = Vec::new();
        removed.paths_bottom_up(&mut paths);
        for path in &paths {
            self.hub.notify_at(&shared, path, true);
        }
        self.history.add(Arc::clone(&shared));
        self.hub.notify(&shared);
        event
    }

    fn expire_at(&self, ttl: Option<u64>) -> Option<Instant> {
        // A TTL beyond what an Instant can hold is as good as permanent.
        ttl.and_then(|seconds| Instant::now().checked_add(Duration::from_secs(seconds)))
    }

    fn expiry(&self, expire_at: Option<Instant>) -> (Option<SystemTime>, i64) {
        let probe = Node { expire_at, ..Node::file(String::new(), String::new(), 0, None) };
        self.view().expiry(&probe)
    }

    fn track_ttl(&mut self, key: &str, expire_at: Option<Instant>) {
        if let Some(at) = expire_at {
            self.ttl.push(Reverse((at, key.to_owned())));
        }
    }

    fn not_found(&self, key: &str) -> V2Error {
        V2Error::new(ErrorCode::KeyNotFound, key, self.index)
    }

    /// `internalGet`: the node at `key`, or etcd's error for the walk (not a directory, key not found).
    fn lookup(&self, key: &str) -> Result<&Node, V2Error> {
        let mut node = &self.root;
        for name in key.split('/').filter(|s| !s.is_empty()) {
            let Some(children) = &node.children else {
                return Err(V2Error::new(ErrorCode::NotDir, View::key(&node.path), self.index));
            };
            match children.get(name) {
                Some(child) => node = child,
                None => return Err(V2Error::new(ErrorCode::KeyNotFound, join(&node.path, name), self.index)),
            }
        }
        Ok(node)
    }

    fn lookup_mut(&mut self, key: &str) -> Option<&mut Node> {
        let mut node = &mut self.root;
        for name in key.split('/').filter(|s| !s.is_empty()) {
            node = node.children.as_mut()?.get_mut(name)?;
        }
        Some(node)
    }

    /// `checkDir` along a path: the directory at `dir_path`, making missing ones (index `next`, permanent).
    fn make_dirs(&mut self, dir_path: &str, next: u64) -> Result<&mut Node, V2Error> {
        let index = self.index;
        let mut node = &mut self.root;
        for name in dir_path.split('/').filter(|s| !s.is_empty()) {
            let path = join(&node.path, name);
            let children = node.children.get_or_insert_with(Default::default);
            let child = children.entry(name.to_owned()).or_insert_with(|| Node::dir(path, next, None));
            if !child.is_dir() {
                return Err(V2Error::new(ErrorCode::NotDir, child.path.clone(), index));
            }
            node = child;
        }
        Ok(node)
    }

    /// Takes the node at `key` out of the tree.
    fn detach(&mut self, key: &str) -> Option<Node> {
        let (parent, name) = split(key);
        self.lookup_mut(parent)?.children.as_mut()?.remove(name)
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
