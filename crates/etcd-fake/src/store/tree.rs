//! The tree's plumbing: walking paths as etcd does (with its errors), making directories, detaching nodes,
//! publishing changes to the history and the watchers, and tracking TTLs.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use etcd_v2_server::{ErrorCode, Event, V2Error};
use tokio::time::Instant;

use super::node::{Node, View};
use super::{Store, join, split};

impl Store {
    /// Records a change: in the history, and to the watchers unless it is a refresh.
    pub(super) fn publish(&mut self, mut event: Event, refresh: bool) -> Result<Event, V2Error> {
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
    pub(super) fn publish_removal(&mut self, event: Event, removed: &Node) -> Event {
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

    pub(super) fn expire_at(&self, ttl: Option<u64>) -> Option<Instant> {
        // A TTL beyond what an Instant can hold is as good as permanent.
        ttl.and_then(|seconds| Instant::now().checked_add(Duration::from_secs(seconds)))
    }

    pub(super) fn expiry(&self, expire_at: Option<Instant>) -> (Option<SystemTime>, i64) {
        let probe = Node { expire_at, ..Node::file(String::new(), String::new(), 0, None) };
        self.view().expiry(&probe)
    }

    pub(super) fn track_ttl(&mut self, key: &str, expire_at: Option<Instant>) {
        if let Some(at) = expire_at {
            self.ttl.push(Reverse((at, key.to_owned())));
        }
    }

    pub(super) fn not_found(&self, key: &str) -> V2Error {
        V2Error::new(ErrorCode::KeyNotFound, key, self.index)
    }

    /// `internalGet`: the node at `key`, or etcd's error for the walk (not a directory, key not found).
    pub(super) fn lookup(&self, key: &str) -> Result<&Node, V2Error> {
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

    pub(super) fn lookup_mut(&mut self, key: &str) -> Option<&mut Node> {
        let mut node = &mut self.root;
        for name in key.split('/').filter(|s| !s.is_empty()) {
            node = node.children.as_mut()?.get_mut(name)?;
        }
        Some(node)
    }

    /// `checkDir` along a path: the directory at `dir_path`, making missing ones (index `next`, permanent).
    pub(super) fn make_dirs(&mut self, dir_path: &str, next: u64) -> Result<&mut Node, V2Error> {
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
    pub(super) fn detach(&mut self, key: &str) -> Option<Node> {
        let (parent, name) = split(key);
        self.lookup_mut(parent)?.children.as_mut()?.remove(name)
    }
}
