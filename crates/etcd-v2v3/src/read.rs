//! Reads: a node and its ancestors at one revision, a directory's listing (one level: one prefix range of the
//! directory index; all levels: one prefix range of the data keys), rendered as etcd's v2 renders them.
//!
//! A read of several keys is several ranges sent together, never one read-only transaction: etcd 3.5.0 to 3.5.4
//! crash on a read-only transaction whose client gave up on it (etcd#14110), which a client with a header
//! timeout does whenever a member is frozen. The ranges agree on one revision (see [`V3Store::read_together`]).

use std::collections::BTreeMap;
use std::time::SystemTime;

use etcd_v2_server::{Action, Applied, ErrorCode, Event, NodeView, StoreError, V2Error};

use crate::gateway::{GatewayFailure, Header, Kv, Range, RangeAnswer};
use crate::layout::{Record, ancestors, hidden_below, prefix_end, split};
use crate::store::V3Store;

/// A node read from v3: its record and revisions.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) path: String,
    pub(crate) record: Record,
    pub(crate) created: u64,
    pub(crate) modified: u64,
    pub(crate) lease: u64,
}

impl Node {
    pub(crate) fn from_kv(path: String, kv: &Kv) -> Node {
        Node {
            path,
            record: Record::decode(&kv.value),
            created: kv.create_revision,
            modified: kv.mod_revision,
            lease: kv.lease,
        }
    }

    /// The node alone, as etcd renders it.
    pub(crate) fn view(&self, now: SystemTime) -> NodeView {
        let (expiration, ttl) = self.record.expiry(now);
        NodeView {
            key: self.path.clone(),
            value: (!self.record.dir).then(|| self.record.value.clone()),
            dir: self.record.dir,
            expiration,
            ttl,
            nodes: Vec::new(),
            modified_index: self.modified,
            created_index: self.created,
        }
    }
}

/// A key and its ancestors as one revision saw them.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) revision: u64,
    /// Outermost first, the root left out; `None` where there is no node.
    pub(crate) ancestors: Vec<(String, Option<Node>)>,
    pub(crate) node: Option<Node>,
    /// Whether the node has children (read only when asked).
    pub(crate) has_children: bool,
}

impl Snapshot {
    /// etcd's error for a walk to the node that does not reach it: a file on the way (`NotDir`), or the first
    /// missing name (`KeyNotFound`); `None` when every ancestor is a directory.
    pub(crate) fn walk_error(&self) -> Option<V2Error> {
        for (path, node) in &self.ancestors {
            match node {
                Some(node) if !node.record.dir => {
                    return Some(V2Error::new(ErrorCode::NotDir, path.clone(), self.revision));
                }
                Some(_) => {}
                None => return Some(V2Error::new(ErrorCode::KeyNotFound, path.clone(), self.revision)),
            }
        }
        None
    }

    /// The error for a node that must exist: the walk's, or `KeyNotFound` on the key.
    pub(crate) fn missing(&self, key: &str) -> V2Error {
        self.walk_error().unwrap_or_else(|| V2Error::new(ErrorCode::KeyNotFound, key, self.revision))
    }

    /// The first ancestor that is a file: writing below it is `NotDir`.
    pub(crate) fn file_on_the_way(&self) -> Option<V2Error> {
        self.ancestors.iter().find_map(|(path, node)| {
            node.as_ref()
                .filter(|node| !node.record.dir)
                .map(|_| V2Error::new(ErrorCode::NotDir, path.clone(), self.revision))
        })
    }

    /// The lease of the nearest ancestor directory that has one: what a new node below a directory with a TTL
    /// is attached to, so that it goes when the directory expires.
    pub(crate) fn inherited_lease(&self) -> u64 {
        self.ancestors
            .iter()
            .rev()
            .filter_map(|(_, node)| node.as_ref())
            .map(|node| node.lease)
            .find(|l| *l != 0)
            .unwrap_or(0)
    }
}

/// How many times a read of several ranges starts again when a member behind the others answered a range at a
/// revision it has not reached (the inner client moved to it between two ranges).
const READ_ATTEMPTS: usize = 3;

impl V3Store {
    /// Reads `ranges` as of one revision: sent together; when their answers saw different revisions (a write
    /// landed between them), read again, each at the newest of those revisions. Linearizable when each range
    /// is (`serializable: false`): every revision seen is at least the call's linearization point.
    pub(crate) async fn read_together(&self, ranges: Vec<Range>) -> Result<(Header, Vec<RangeAnswer>), StoreError> {
        let mut failure = None;
        for _ in 0..READ_ATTEMPTS {
            let answers = self.ranges(&ranges).await?;
            let newest = answers.iter().map(|answer| answer.header.revision).max().unwrap_or(0);
            if answers.iter().all(|answer| answer.header.revision == newest) {
                return Ok(self.agreed(answers));
            }
            // At a revision the answers have reached, from the member's own store: what it holds at that
            // revision is what a linearizable read there would see.
            let pinned: Vec<Range> =
                ranges.iter().map(|range| Range { revision: newest, serializable: true, ..range.clone() }).collect();
            match self.ranges(&pinned).await {
                Ok(mut answers) => {
                    for answer in &mut answers {
                        answer.header.revision = newest;
                    }
                    return Ok(self.agreed(answers));
                }
                // The inner client moved to a member that is behind: start again from its view.
                Err(error) if error.is_future_revision() || error.is_compacted() => failure = Some(error),
                Err(error) => return Err(error.into()),
            }
        }
        Err(failure.map_or_else(|| V2Error::new(ErrorCode::RaftInternal, "no agreed read", 0).into(), Into::into))
    }

    async fn ranges(&self, ranges: &[Range]) -> Result<Vec<RangeAnswer>, GatewayFailure> {
        futures_util::future::try_join_all(ranges.iter().map(|range| self.gateway.range(range))).await
    }

    fn agreed(&self, answers: Vec<RangeAnswer>) -> (Header, Vec<RangeAnswer>) {
        let header = answers.first().map(|answer| answer.header.clone()).unwrap_or_default();
        self.saw(&header);
        (header, answers)
    }

    /// Reads `key` and its ancestors at one revision, and whether it has children when `children` is asked;
    /// linearizable when `fresh`, else from the member's own store.
    pub(crate) async fn snapshot(&self, key: &str, children: bool, fresh: bool) -> Result<Snapshot, StoreError> {
        let serializable = !fresh;
        let paths: Vec<String> = ancestors(key).into_iter().chain(std::iter::once(key.to_owned())).collect();
        let mut ranges: Vec<Range> = paths
            .iter()
            .map(|path| Range { key: self.layout.data_key(path), serializable, ..Range::default() })
            .collect();
        if children {
            let prefix = self.layout.children_prefix(key);
            let range_end = prefix_end(&prefix);
            ranges.push(Range { key: prefix, range_end, limit: 1, serializable, ..Range::default() });
        }
        let (header, answers) = self.read_together(ranges).await?;
        let mut found: Vec<Option<Kv>> = answers.into_iter().map(|range| range.kvs.into_iter().next()).collect();
        let has_children = children && found.pop().flatten().is_some();
        let mut nodes: Vec<(String, Option<Node>)> = paths
            .into_iter()
            .zip(found.into_iter().chain(std::iter::repeat(None)))
            .map(|(path, kv)| {
                let node = kv.map(|kv| Node::from_kv(path.clone(), &kv));
                (path, node)
            })
            .collect();
        let node = nodes.pop().and_then(|(_, node)| node);
        Ok(Snapshot { revision: header.revision, ancestors: nodes, node, has_children })
    }

    /// `GET`: a file, or a directory with its children (all levels when `recursive`), hidden ones left out. A
    /// recursive get is one range (the subtree's data prefix holds the node too); otherwise the node is read
    /// first, so that a file (most gets) is one range, and a directory's children are read at its revision.
    pub(crate) async fn get(&self, key: &str, recursive: bool, quorum: bool) -> Result<Applied, StoreError> {
        let serializable = !quorum;
        let now = SystemTime::now();
        if recursive || key == "/" {
            let prefix = if recursive { self.layout.data_key(key) } else { self.layout.children_prefix(key) };
            let range_end = prefix_end(&prefix);
            let (header, answers) =
                self.read_together(vec![Range { key: prefix, range_end, serializable, ..Range::default() }]).await?;
            let kvs = answers.into_iter().next().map(|answer| answer.kvs).unwrap_or_default();
            let mut view = if key == "/" {
                NodeView { dir: true, ..NodeView::default() }
            } else {
                let own = self.layout.data_key(key);
                let Some(kv) = kvs.iter().find(|kv| kv.key == own) else { return Err(self.miss(key, quorum).await) };
                Node::from_kv(key.to_owned(), kv).view(now)
            };
            if view.dir {
                view.nodes = if recursive { self.tree(key, &kvs, now) } else { self.children(key, &kvs, now) };
            }
            return Ok(got(view, &header));
        }
        let node = Range { key: self.layout.data_key(key), serializable, ..Range::default() };
        let mut failure = None;
        for _ in 0..READ_ATTEMPTS {
            let (header, answers) = self.read_together(vec![node.clone()]).await?;
            let Some(kv) = answers.into_iter().next().and_then(|answer| answer.kvs.into_iter().next()) else {
                return Err(self.miss(key, quorum).await);
            };
            let mut view = Node::from_kv(key.to_owned(), &kv).view(now);
            if !view.dir {
                return Ok(got(view, &header));
            }
            let prefix = self.layout.children_prefix(key);
            let range_end = prefix_end(&prefix);
            let listing = Range { key: prefix, range_end, revision: header.revision, serializable: true, limit: 0 };
            match self.gateway.range(&listing).await {
                Ok(below) => {
                    view.nodes = self.children(key, &below.kvs, now);
                    return Ok(got(view, &header));
                }
                // The inner client moved to a member behind the one that answered: read both again.
                Err(error) if error.is_future_revision() || error.is_compacted() => failure = Some(error),
                Err(error) => return Err(error.into()),
            }
        }
        Err(failure.map_or_else(|| V2Error::new(ErrorCode::RaftInternal, "no agreed read", 0).into(), Into::into))
    }

    /// Which error a get of a missing node answers: a file on the way, or the first missing name (a second
    /// read, only on a miss).
    async fn miss(&self, key: &str, quorum: bool) -> StoreError {
        match self.snapshot(key, false, quorum).await {
            Ok(snapshot) => snapshot.missing(key).into(),
            Err(error) => error,
        }
    }

    /// One level, from the directory index.
    fn children(&self, key: &str, kvs: &[Kv], now: SystemTime) -> Vec<NodeView> {
        let mut nodes: Vec<NodeView> = kvs
            .iter()
            .filter_map(|kv| Some(Node::from_kv(self.layout.path_of_index_key(&kv.key)?, kv)))
            .filter(|node| !hidden_below(key, &node.path))
            .map(|node| node.view(now))
            .collect();
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        nodes
    }

    /// Every level, from the data keys of the subtree (the directory's own key included, and skipped).
    fn tree(&self, key: &str, kvs: &[Kv], now: SystemTime) -> Vec<NodeView> {
        let mut by_parent: BTreeMap<String, Vec<NodeView>> = BTreeMap::new();
        let mut paths = Vec::new();
        for kv in kvs {
            let Some(path) = self.layout.path_of_data_key(&kv.key) else { continue };
            if path == key || hidden_below(key, &path) {
                continue;
            }
            let node = Node::from_kv(path.clone(), kv);
            by_parent.entry(split(&path).0.to_owned()).or_default().push(node.view(now));
            paths.push(path);
        }
        // Deepest first, so that a directory takes its children once they have theirs.
        paths.sort_by_key(|path| std::cmp::Reverse(path.matches('/').count()));
        for path in paths {
            let Some(children) = by_parent.remove(&path) else { continue };
            let parent = split(&path).0.to_owned();
            if let Some(node) = by_parent.get_mut(&parent).and_then(|nodes| nodes.iter_mut().find(|n| n.key == path)) {
                node.nodes = children;
                node.nodes.sort_by(|a, b| a.key.cmp(&b.key));
            }
        }
        let mut nodes = by_parent.remove(key).unwrap_or_default();
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        nodes
    }
}

/// A get's answer: `view` as read at `header`'s revision.
fn got(view: NodeView, header: &Header) -> Applied {
    let event = Event { action: Action::Get, node: Some(view), prev_node: None, refresh: false };
    Applied { event, etcd_index: header.revision, raft_index: header.revision, raft_term: header.raft_term }
}
