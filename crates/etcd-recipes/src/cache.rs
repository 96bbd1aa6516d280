//! A local copy of a directory, kept current by a watch.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use etcd_keys::{Action, GetOptions, KeysApi, Node, Response, WatcherOptions};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::Error;
use crate::changes::Changes;
use crate::keepalive::is_removal;

/// How many changes a [`Changes`] stream may fall behind before it is told to read the map again.
const CHANGES_CAPACITY: usize = 1024;
/// The pause after a watch error before polling it again.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// One change of a [`Cache`]'s map, in the order the cache applied them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A key was created or changed: its node now, and before when it was there.
    Put {
        /// The key's node as it is now.
        node: Node,
        /// The key's node before, if the cache had it.
        prev: Option<Node>,
    },
    /// A key was deleted or expired: its node as the cache had it.
    Removed {
        /// The key's node before it went.
        node: Node,
    },
    /// The changes before this one may be incomplete: etcd no longer had the events the watch needed (the
    /// cache read the directory again and sent the differences as `Put`s and `Removed`s just before), or this
    /// stream fell behind. Read the map again ([`Cache::snapshot`]) if you keep state of your own.
    Reset {
        /// The index the cache's map is current to.
        index: u64,
    },
}

/// The cache's map and the index it is current to, shared with its task and its change streams.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    map: RwLock<BTreeMap<String, Node>>,
    index: AtomicU64,
}

impl Shared {
    pub(crate) fn index(&self) -> u64 {
        self.index.load(Ordering::Acquire)
    }

    pub(crate) fn with_map<T>(&self, read: impl FnOnce(&BTreeMap<String, Node>) -> T) -> T {
        read(&self.map.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A local copy of a directory's keys (the whole tree under it), kept current by a watch, with a stream of the
/// changes.
///
/// It reads the tree (a quorum read), then watches it from the index after that read, so that no change between
/// the two is missed; the watch survives member failures without a gap (see [`etcd_keys::Watcher`]). When etcd no
/// longer has the events the watch needs (error 401, after about 1,000 writes elsewhere while the watch was
/// behind), the cache reads the tree again, applies the differences as changes, and says
/// [`Change::Reset`]. The map holds keys, not directories.
///
/// Dropping the cache stops its watch; its change streams then end.
///
/// # Examples
/// ```no_run
/// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_recipes::Error> {
/// use etcd_recipes::{Cache, Change};
///
/// let cache = Cache::start(keys, "/services/api").await?;
/// println!("instances now: {:?}", cache.snapshot().keys().collect::<Vec<_>>());
/// let mut changes = cache.changes();
/// while let Some(change) = changes.next().await {
///     match change {
///         Change::Put { node, .. } => println!("up: {} = {}", node.key, node.value),
///         Change::Removed { node } => println!("down: {}", node.key),
///         _ => println!("read again: {} instances", cache.len()),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Cache {
    dir: String,
    shared: Arc<Shared>,
    changes: broadcast::Sender<Change>,
    task: JoinHandle<()>,
}

impl Cache {
    /// Reads the tree under `dir` and starts watching it; a directory that does not exist yet is an empty map.
    ///
    /// # Errors
    /// The first read's.
    pub async fn start(keys: KeysApi, dir: impl Into<String>) -> Result<Cache, Error> {
        let dir = dir.into();
        let (map, index) = match keys.get(&dir, Some(GetOptions::new().with_quorum().with_recursive())).await {
            Ok(read) => (leaves(&read.node), read.index),
            Err(error) if error.is_key_not_found() => {
                (BTreeMap::new(), error.as_etcd().map(|e| e.index()).unwrap_or_default())
            }
            Err(error) => return Err(error.into()),
        };
        let shared = Arc::new(Shared { map: RwLock::new(map), index: AtomicU64::new(index) });
        let (changes, _) = broadcast::channel(CHANGES_CAPACITY);
        let task = tokio::spawn(follow(keys, dir.clone(), shared.clone(), changes.clone()));
        Ok(Cache { dir, shared, changes, task })
    }

    /// The cached directory.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// A key's node (by etcd's full key, as in a response), as of [`index`](Cache::index).
    pub fn get(&self, key: &str) -> Option<Node> {
        self.shared.with_map(|map| map.get(key).cloned())
    }

    /// A copy of the whole map, key by key.
    pub fn snapshot(&self) -> BTreeMap<String, Node> {
        self.shared.with_map(BTreeMap::clone)
    }

    /// How many keys the map holds.
    pub fn len(&self) -> usize {
        self.shared.with_map(BTreeMap::len)
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The etcd index the map is current to: every change up to it is applied.
    pub fn index(&self) -> u64 {
        self.shared.index()
    }

    /// The changes from now on, as a stream ([`futures_core::Stream`]; also [`Changes::next`]). A stream that
    /// falls more than 1,024 changes behind gets a [`Change::Reset`] in place of those it missed.
    pub fn changes(&self) -> Changes {
        Changes::new(self.changes.subscribe(), self.shared.clone())
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The keys (not directories) of a tree, by key.
fn leaves(root: &Node) -> BTreeMap<String, Node> {
    root.walk().filter(|n| !n.dir).map(|n| (n.key.clone(), n.clone())).collect()
}

/// Applies the watch's events and snapshots to the map until the cache is dropped.
async fn follow(keys: KeysApi, dir: String, shared: Arc<Shared>, tell: broadcast::Sender<Change>) {
    let mut watcher = keys.watcher(&dir, Some(watch_options(shared.index())));
    loop {
        match watcher.next().await {
            Some(Ok(event)) => {
                let changes = apply(&shared, event);
                for change in changes {
                    let _ = tell.send(change);
                }
            }
            Some(Err(error)) => {
                tracing::debug!(dir, error = %error.report(), "cache watch failed; going on");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            None => {
                // Ended by an error etcd would repeat (the directory became a key, permissions): watch again from
                // where the map is, after a pause.
                tokio::time::sleep(RETRY_PAUSE).await;
                watcher = keys.watcher(&dir, Some(watch_options(shared.index())));
            }
        }
    }
}

/// A recursive watch after `index` that reads the tree again when etcd forgot the events it needs.
fn watch_options(index: u64) -> WatcherOptions {
    WatcherOptions::new().with_recursive().with_recovery_when_cleared().with_after_index(index)
}

/// Applies one event or snapshot to the map; returns the changes it made.
fn apply(shared: &Shared, response: Response) -> Vec<Change> {
    let mut map = shared.map.write().unwrap_or_else(PoisonError::into_inner);
    let mut changes = Vec::new();
    if response.action == Action::Get {
        let fresh = leaves(&response.node);
        for (key, node) in map.iter() {
            if !fresh.contains_key(key) {
                changes.push(Change::Removed { node: node.clone() });
            }
        }
        for (key, node) in &fresh {
            if map.get(key) != Some(node) {
                changes.push(Change::Put { node: node.clone(), prev: map.get(key).cloned() });
            }
        }
        *map = fresh;
        changes.push(Change::Reset { index: response.index });
    } else if is_removal(&response.action) {
        let key = response.node.key.as_str();
        let prefix = format!("{}/", key.trim_end_matches('/'));
        let gone: Vec<String> = map.keys().filter(|k| *k == key || k.starts_with(&prefix)).cloned().collect();
        for key in gone {
            if let Some(node) = map.remove(&key) {
                changes.push(Change::Removed { node });
            }
        }
    } else if !response.node.dir {
        let node = response.node;
        let prev = map.insert(node.key.clone(), node.clone());
        changes.push(Change::Put { node, prev });
    }
    shared.index.fetch_max(response.index, Ordering::AcqRel);
    changes
}
