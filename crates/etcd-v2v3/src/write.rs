//! Writes: read the key and its ancestors at one revision, decide as etcd's v2 store decides, then commit in one
//! transaction whose compares say "nothing I read has changed"; when they fail, read again and decide again.

use std::time::SystemTime;

use etcd_v2_server::{Action, Applied, ErrorCode, Event, NodeView, StoreError, Ttl, V2Error};

use crate::gateway::{Compare, DeleteRange, Op, Put, Txn};
use crate::layout::{Record, WrittenBy, prefix_end};
use crate::lease::Granted;
use crate::read::{Node, Snapshot};
use crate::store::V3Store;

/// How many times a write reads and tries again while others change what it read. Each failed try means
/// another write succeeded, so 64 writers racing on one key all finish well within it.
const MAX_ATTEMPTS: usize = 512;

/// What a put writes: the record and its lease.
struct Write {
    record: Record,
    lease: u64,
}

impl V3Store {
    /// Runs `attempt` until it commits or decides. The first try reads from the member's own store (a
    /// serializable read: no round of consensus) and commits only if nothing it read changed, which the
    /// transaction's compares check at commit time; a try that failed, or that decided an error on that
    /// local read, runs again on a linearizable read (`fresh`), so that no error is answered from a stale view.
    async fn retry<F, Fut>(&self, mut attempt: F) -> Result<Applied, StoreError>
    where
        F: FnMut(bool) -> Fut,
        Fut: std::future::Future<Output = Result<Option<Applied>, StoreError>>,
    {
        let mut fresh = false;
        for _ in 0..MAX_ATTEMPTS {
            match attempt(fresh).await {
                Ok(Some(applied)) => return Ok(applied),
                Ok(None) => {}
                Err(StoreError::V2(_)) if !fresh => {}
                Err(error) => return Err(error),
            }
            fresh = true;
        }
        let cause = format!("etcd-v2v3: the key kept changing during {MAX_ATTEMPTS} attempts");
        Err(V2Error::new(ErrorCode::RaftInternal, cause, 0).into())
    }

    /// Commits a put of `key` after `snapshot`: missing directories on the way made, the key's own state (or
    /// absence) and every ancestor's unchanged. `Some(revision)` once applied, `None` when something changed.
    async fn commit_put(
        &self,
        snapshot: &Snapshot,
        key: &str,
        write: &Write,
        extra: Vec<Compare>,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let mut txn = Txn { compare: extra, ..Txn::default() };
        let inherited = snapshot.inherited_lease();
        for (path, node) in &snapshot.ancestors {
            let data = self.layout.data_key(path);
            txn.compare.push(Compare::created_at(data, node.as_ref().map_or(0, |n| n.created)));
            if node.is_none() {
                let dir = Record {
                    dir: true,
                    written_by: WrittenBy::Action(Action::Create),
                    expires_ms: None,
                    value: String::new(),
                };
                self.put_ops(&mut txn.success, path, &dir, inherited);
            }
        }
        let data = self.layout.data_key(key);
        txn.compare.push(match &snapshot.node {
            Some(node) => Compare::modified_at(data, node.modified),
            None => Compare::created_at(data, 0),
        });
        self.put_ops(&mut txn.success, key, &write.record, write.lease);
        let answer = self.gateway.txn(&txn).await?;
        self.saw(&answer.header);
        Ok(answer.succeeded.then_some((answer.header.revision, answer.header.raft_term)))
    }

    fn put_ops(&self, ops: &mut Vec<Op>, path: &str, record: &Record, lease: u64) {
        let value = record.encode();
        ops.push(Op::Put(Put { key: self.layout.data_key(path), value: value.clone(), lease }));
        ops.push(Op::Put(Put { key: self.layout.index_key(path), value, lease }));
    }

    /// The event of a put that committed at `revision`.
    fn put_event(action: Action, key: &str, write: &Write, prev: Option<&Node>, revision: u64) -> Event {
        let now = SystemTime::now();
        let created = prev.map_or(revision, |prev| prev.created);
        let node = Node {
            path: key.to_owned(),
            record: write.record.clone(),
            created,
            modified: revision,
            lease: write.lease,
        };
        Event { action, node: Some(node.view(now)), prev_node: prev.map(|prev| prev.view(now)), refresh: false }
    }

    /// `set`: creates or replaces a file (or makes a directory); a directory is never replaced.
    pub(crate) async fn set(&self, key: &str, dir: bool, value: &str, ttl: &Ttl) -> Result<Applied, StoreError> {
        let granted = &Granted::default();
        let result = self
            .retry(|fresh| async move {
                let snapshot = self.snapshot(key, false, fresh).await?;
                if let Some(error) = snapshot.file_on_the_way() {
                    return Err(error.into());
                }
                let mut value = value.to_owned();
                if ttl.refresh {
                    let Some(node) = &snapshot.node else { return Err(snapshot.missing(key).into()) };
                    value.clone_from(&node.record.value);
                }
                if snapshot.node.as_ref().is_some_and(|node| node.record.dir) {
                    return Err(V2Error::new(ErrorCode::NotFile, key, snapshot.revision).into());
                }
                let lease = self.lease_for(ttl, snapshot.node.as_ref(), granted).await?;
                let write = self.write(dir, value, ttl, lease, &snapshot, Action::Set);
                let Some((revision, term)) = self.commit_put(&snapshot, key, &write, Vec::new()).await? else {
                    return Ok(None);
                };
                let event = V3Store::put_event(Action::Set, key, &write, snapshot.node.as_ref(), revision);
                Ok(Some(applied(event, revision, term, ttl.refresh)))
            })
            .await;
        self.release_unused(granted, &result).await;
        result
    }

    /// `create` (prevExist=false) and create-in-order (a name from the revision the write commits at).
    pub(crate) async fn create(
        &self,
        key: &str,
        dir: bool,
        value: &str,
        ttl: &Ttl,
        in_order: bool,
    ) -> Result<Applied, StoreError> {
        let granted = &Granted::default();
        let result = self
            .retry(|fresh| async move {
                let (key, snapshot, extra) = if in_order {
                    // The directory as read, then a name after everything in it: the next revision. The compare
                    // "no child created since" makes the name unique and names grow in commit order.
                    let mut snapshot = self.snapshot(key, false, fresh).await?;
                    if key != "/" {
                        let own = snapshot.node.take();
                        snapshot.ancestors.push((key.to_owned(), own));
                    }
                    let next = snapshot.revision.saturating_add(1);
                    let name = if key == "/" { format!("/{next:020}") } else { format!("{key}/{next:020}") };
                    let prefix = self.layout.children_prefix(key);
                    let end = prefix_end(&prefix);
                    (name, snapshot, vec![Compare::range_created_before(prefix, end, next)])
                } else {
                    (key.to_owned(), self.snapshot(key, false, fresh).await?, Vec::new())
                };
                if let Some(error) = snapshot.file_on_the_way() {
                    return Err(error.into());
                }
                if snapshot.node.is_some() {
                    return Err(V2Error::new(ErrorCode::NodeExist, key, snapshot.revision).into());
                }
                let lease = self.lease_for(ttl, snapshot.node.as_ref(), granted).await?;
                let write = self.write(dir, value.to_owned(), ttl, lease, &snapshot, Action::Create);
                let Some((revision, term)) = self.commit_put(&snapshot, &key, &write, extra).await? else {
                    return Ok(None);
                };
                Ok(Some(applied(
                    V3Store::put_event(Action::Create, &key, &write, None, revision),
                    revision,
                    term,
                    false,
                )))
            })
            .await;
        self.release_unused(granted, &result).await;
        result
    }

    /// `update` (prevExist=true): a file's value and TTL, or a directory's TTL.
    pub(crate) async fn update(&self, key: &str, value: &str, ttl: &Ttl) -> Result<Applied, StoreError> {
        let granted = &Granted::default();
        let result = self
            .retry(|fresh| async move {
                let snapshot = self.snapshot(key, false, fresh).await?;
                let Some(node) = &snapshot.node else { return Err(snapshot.missing(key).into()) };
                if node.record.dir && !value.is_empty() {
                    return Err(V2Error::new(ErrorCode::NotFile, key, snapshot.revision).into());
                }
                let value = if ttl.refresh { node.record.value.clone() } else { value.to_owned() };
                let lease = self.lease_for(ttl, snapshot.node.as_ref(), granted).await?;
                let write = self.write(node.record.dir, value, ttl, lease, &snapshot, Action::Update);
                let Some((revision, term)) = self.commit_put(&snapshot, key, &write, Vec::new()).await? else {
                    return Ok(None);
                };
                let event = V3Store::put_event(Action::Update, key, &write, Some(node), revision);
                Ok(Some(applied(event, revision, term, ttl.refresh)))
            })
            .await;
        self.release_unused(granted, &result).await;
        result
    }

    /// `compareAndSwap`: a file whose value and/or modified index match.
    pub(crate) async fn compare_and_swap(
        &self,
        key: &str,
        prev_value: &str,
        prev_index: u64,
        value: &str,
        ttl: &Ttl,
    ) -> Result<Applied, StoreError> {
        let granted = &Granted::default();
        let result = self
            .retry(|fresh| async move {
                let snapshot = self.snapshot(key, false, fresh).await?;
                let node = compared(&snapshot, key, prev_value, prev_index)?;
                let value = if ttl.refresh { node.record.value.clone() } else { value.to_owned() };
                let lease = self.lease_for(ttl, snapshot.node.as_ref(), granted).await?;
                let write = self.write(false, value, ttl, lease, &snapshot, Action::CompareAndSwap);
                let Some((revision, term)) = self.commit_put(&snapshot, key, &write, Vec::new()).await? else {
                    return Ok(None);
                };
                let event = V3Store::put_event(Action::CompareAndSwap, key, &write, Some(node), revision);
                Ok(Some(applied(event, revision, term, ttl.refresh)))
            })
            .await;
        self.release_unused(granted, &result).await;
        result
    }

    /// `delete`: a file, an empty directory (`dir`), or a directory and everything below (`recursive`), in one
    /// transaction.
    pub(crate) async fn delete(&self, key: &str, dir: bool, recursive: bool) -> Result<Applied, StoreError> {
        let dir = dir || recursive;
        self.retry(|fresh| async move {
            let snapshot = self.snapshot(key, true, fresh).await?;
            let Some(node) = &snapshot.node else { return Err(snapshot.missing(key).into()) };
            let mut compare = vec![Compare::modified_at(self.layout.data_key(key), node.modified)];
            let mut success = vec![
                Op::Delete(DeleteRange { key: self.layout.data_key(key), range_end: Vec::new() }),
                Op::Delete(DeleteRange { key: self.layout.index_key(key), range_end: Vec::new() }),
            ];
            if node.record.dir {
                if !dir {
                    return Err(V2Error::new(ErrorCode::NotFile, key, snapshot.revision).into());
                }
                if recursive {
                    let data = self.layout.data_key(key);
                    let below = self.layout.descendants_index_prefix(key);
                    success = vec![
                        Op::Delete(DeleteRange { range_end: prefix_end(&data), key: data }),
                        Op::Delete(DeleteRange { range_end: prefix_end(&below), key: below }),
                        Op::Delete(DeleteRange { key: self.layout.index_key(key), range_end: Vec::new() }),
                    ];
                } else if snapshot.has_children {
                    return Err(V2Error::new(ErrorCode::DirNotEmpty, key, snapshot.revision).into());
                } else {
                    let children = self.layout.children_prefix(key);
                    let end = prefix_end(&children);
                    compare.push(Compare::range_empty(children, end));
                }
            }
            let answer = self.gateway.txn(&Txn { compare, success, failure: Vec::new() }).await?;
            self.saw(&answer.header);
            if !answer.succeeded {
                return Ok(None);
            }
            let revision = answer.header.revision;
            let event = removal(Action::Delete, node, revision);
            Ok(Some(applied(event, revision, answer.header.raft_term, false)))
        })
        .await
    }

    /// `compareAndDelete`: a file whose value and/or modified index match.
    pub(crate) async fn compare_and_delete(
        &self,
        key: &str,
        prev_value: &str,
        prev_index: u64,
    ) -> Result<Applied, StoreError> {
        self.retry(|fresh| async move {
            let snapshot = self.snapshot(key, false, fresh).await?;
            let node = compared(&snapshot, key, prev_value, prev_index)?;
            let txn = Txn {
                compare: vec![Compare::modified_at(self.layout.data_key(key), node.modified)],
                success: vec![
                    Op::Delete(DeleteRange { key: self.layout.data_key(key), range_end: Vec::new() }),
                    Op::Delete(DeleteRange { key: self.layout.index_key(key), range_end: Vec::new() }),
                ],
                failure: Vec::new(),
            };
            let answer = self.gateway.txn(&txn).await?;
            self.saw(&answer.header);
            if !answer.succeeded {
                return Ok(None);
            }
            let revision = answer.header.revision;
            let mut event = removal(Action::CompareAndDelete, node, revision);
            if let Some(node) = &mut event.node {
                node.dir = false;
            }
            Ok(Some(applied(event, revision, answer.header.raft_term, false)))
        })
        .await
    }

    /// The record a put writes, and its lease: the TTL's own, or the nearest ancestor directory's.
    fn write(
        &self,
        dir: bool,
        value: String,
        ttl: &Ttl,
        lease: Option<(u64, u64)>,
        snapshot: &Snapshot,
        action: Action,
    ) -> Write {
        let written_by = if ttl.refresh { WrittenBy::Refresh } else { WrittenBy::Action(action) };
        let (lease, expires_ms) = match lease {
            Some((lease, expires_ms)) => (lease, Some(expires_ms)),
            None => (snapshot.inherited_lease(), None),
        };
        let value = if dir { String::new() } else { value };
        Write { record: Record { dir, written_by, expires_ms, value }, lease }
    }
}

/// The node a compare-and-swap or -delete acts on, or etcd's error: missing, a directory, or a compare that
/// failed (`[prev != current]`).
fn compared<'a>(snapshot: &'a Snapshot, key: &str, prev_value: &str, prev_index: u64) -> Result<&'a Node, StoreError> {
    let Some(node) = &snapshot.node else { return Err(snapshot.missing(key).into()) };
    if node.record.dir {
        return Err(V2Error::new(ErrorCode::NotFile, key, snapshot.revision).into());
    }
    let current = &node.record.value;
    let value_ok = prev_value.is_empty() || current == prev_value;
    let index_ok = prev_index == 0 || node.modified == prev_index;
    let cause = match (value_ok, index_ok) {
        (true, true) => return Ok(node),
        (false, true) => format!("[{prev_value} != {current}]"),
        (true, false) => format!("[{prev_index} != {}]", node.modified),
        (false, false) => format!("[{prev_value} != {current}] [{prev_index} != {}]", node.modified),
    };
    Err(V2Error::new(ErrorCode::TestFailed, cause, snapshot.revision).into())
}

/// The event of a removal at `revision`: the key and indexes, the node before.
fn removal(action: Action, node: &Node, revision: u64) -> Event {
    let view = NodeView {
        key: node.path.clone(),
        dir: node.record.dir,
        modified_index: revision,
        created_index: node.created,
        ..NodeView::default()
    };
    Event { action, node: Some(view), prev_node: Some(node.view(SystemTime::now())), refresh: false }
}

fn applied(mut event: Event, revision: u64, term: u64, refresh: bool) -> Applied {
    event.refresh = refresh;
    Applied { event, etcd_index: revision, raft_index: revision, raft_term: term }
}
