//! The tree: files and directories, with etcd's indexes and expiry times.

use std::collections::BTreeMap;
use std::time::SystemTime;

use etcd_v2_server::NodeView;
use tokio::time::Instant;

/// A file (value) or a directory (children), at a clean client path (`/` is the root).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) path: String,
    pub(crate) created_index: u64,
    pub(crate) modified_index: u64,
    pub(crate) value: String,
    pub(crate) children: Option<BTreeMap<String, Node>>,
    pub(crate) expire_at: Option<Instant>,
}

impl Node {
    pub(crate) fn file(path: String, value: String, index: u64, expire_at: Option<Instant>) -> Node {
        Node { path, created_index: index, modified_index: index, value, children: None, expire_at }
    }

    pub(crate) fn dir(path: String, index: u64, expire_at: Option<Instant>) -> Node {
        Node {
            path,
            created_index: index,
            modified_index: index,
            value: String::new(),
            children: Some(BTreeMap::new()),
            expire_at,
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.children.is_some()
    }

    /// Hidden: its name starts with `_`; listings leave it out.
    pub(crate) fn is_hidden(&self) -> bool {
        self.path.rsplit('/').next().is_some_and(|name| name.starts_with('_'))
    }

    /// Every path in this subtree, children before their directory (the order etcd's `Remove` calls back in).
    pub(crate) fn paths_bottom_up(&self, out: &mut Vec<String>) {
        if let Some(children) = &self.children {
            for child in children.values() {
                child.paths_bottom_up(out);
            }
        }
        out.push(self.path.clone());
    }
}

/// How nodes are shown: the clock's reading now, to compute `ttl` and `expiration`.
pub(crate) struct View {
    pub(crate) now: Instant,
    pub(crate) base_wall: SystemTime,
    pub(crate) base_instant: Instant,
}

impl View {
    /// The wall-clock time of a tokio instant: the store's start on both clocks, plus the distance. A time
    /// beyond what `SystemTime` holds (a TTL of billions of years) is shown as the start rather than overflow.
    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        let wall = if at >= self.base_instant {
            self.base_wall.checked_add(at - self.base_instant)
        } else {
            self.base_wall.checked_sub(self.base_instant - at)
        };
        wall.unwrap_or(self.base_wall)
    }

    /// etcd's key for a path: the root's is empty.
    pub(crate) fn key(path: &str) -> String {
        if path == "/" { String::new() } else { path.to_owned() }
    }

    /// `expirationAndTTL`: the ttl is the seconds left, rounded up.
    pub(crate) fn expiry(&self, node: &Node) -> (Option<SystemTime>, i64) {
        let Some(at) = node.expire_at else { return (None, 0) };
        let left = at.saturating_duration_since(self.now);
        let mut ttl = left.as_secs() as i64;
        if left.subsec_nanos() > 0 {
            ttl += 1;
        }
        (Some(self.wall(at)), ttl)
    }

    /// `Repr`: a node alone, or with its children when `recursive`; hidden children left out.
    pub(crate) fn repr(&self, node: &Node, recursive: bool, sorted: bool) -> NodeView {
        let (expiration, ttl) = self.expiry(node);
        let mut view = NodeView {
            key: View::key(&node.path),
            value: None,
            dir: node.is_dir(),
            expiration,
            ttl,
            nodes: Vec::new(),
            modified_index: node.modified_index,
            created_index: node.created_index,
        };
        match &node.children {
            None => view.value = Some(node.value.clone()),
            Some(children) if recursive => view.nodes = self.list(children, recursive, sorted),
            Some(_) => {}
        }
        view
    }

    /// `loadInternalNode`: a directory lists its children (each alone unless `recursive`).
    pub(crate) fn load(&self, node: &Node, recursive: bool, sorted: bool) -> NodeView {
        let mut view = self.repr(node, false, sorted);
        if let Some(children) = &node.children {
            view.nodes = self.list(children, recursive, sorted);
        }
        view
    }

    fn list(&self, children: &BTreeMap<String, Node>, recursive: bool, sorted: bool) -> Vec<NodeView> {
        // BTreeMap order is key order: sorted or not, the listing comes sorted (etcd's unsorted order is Go's
        // random map order, which no client can rely on).
        let _ = sorted;
        children.values().filter(|child| !child.is_hidden()).map(|child| self.repr(child, recursive, sorted)).collect()
    }
}
