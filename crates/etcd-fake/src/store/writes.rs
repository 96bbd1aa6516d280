//! The writes, as etcd's store makes them: set, create (in order too), update, compare-and-swap, delete,
//! compare-and-delete, each with etcd's checks in etcd's order.

use etcd_v2_server::{Action, ErrorCode, Event, NodeView, Ttl, V2Error};

use super::node::{Node, View};
use super::{Store, compare_failure, split};

impl Store {
    pub(super) fn set(&mut self, key: &str, dir: bool, mut value: String, ttl: Ttl) -> Result<Event, V2Error> {
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

    pub(super) fn create(
        &mut self,
        key: &str,
        dir: bool,
        value: String,
        in_order: bool,
        ttl: Ttl,
    ) -> Result<Event, V2Error> {
        let key = if in_order { format!("{key}/{:020}", self.index + 1) } else { key.to_owned() };
        let event = self.internal_create(&key, dir, value, false, ttl.seconds, Action::Create)?;
        self.publish(event, false)
    }

    pub(super) fn update(&mut self, key: &str, mut value: String, ttl: Ttl) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        if key == "/" {
            return Err(V2Error::new(ErrorCode::RootReadOnly, "/", self.index));
        }
        let node = self.lookup(&key)?;
        let is_dir = node.is_dir();
        if is_dir && !value.is_empty() {
            return Err(V2Error::new(ErrorCode::NotFile, key, self.index));
        }
        if is_dir && self.dir_update_fails {
            // A plain error in etcd 3.5, answered as a 300 with index 0; nothing changes.
            return Err(V2Error::new(ErrorCode::RaftInternal, format!("nodePath /1{key} : Not a file ()"), 0));
        }
        if ttl.refresh {
            value = node.value.clone();
        }
        let prev = self.view().repr(node, false, false);
        let next = self.index + 1;
        let expire_at = self.expire_at(ttl.seconds);
        let node = self.lookup_mut(&key).ok_or_else(|| V2Error::new(ErrorCode::KeyNotFound, key.clone(), next - 1))?;
        // etcd 3.4 updates a directory's TTL only: its modified index stays (the event shows the new one).
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

    pub(super) fn compare_and_swap(
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

    pub(super) fn delete(&mut self, key: &str, dir: bool, recursive: bool) -> Result<Event, V2Error> {
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
        self.remove(key, Action::Delete)
    }

    pub(super) fn compare_and_delete(
        &mut self,
        key: &str,
        prev_value: &str,
        prev_index: u64,
    ) -> Result<Event, V2Error> {
        let key = etcd_v2_server::clean_key(key);
        let node = self.lookup(&key)?;
        if node.is_dir() {
            return Err(V2Error::new(ErrorCode::NotFile, View::key(&key), self.index));
        }
        if let Some(cause) = compare_failure(node, prev_value, prev_index) {
            return Err(V2Error::new(ErrorCode::TestFailed, cause, self.index));
        }
        self.remove(key, Action::CompareAndDelete)
    }

    /// Detaches the node at `key` (decided to go) and publishes its removal at the next index. etcd's
    /// compare-and-delete event leaves `dir` out of the node (it only removes files).
    fn remove(&mut self, key: String, action: Action) -> Result<Event, V2Error> {
        let node = self.lookup(&key)?;
        let prev = self.view().repr(node, false, false);
        let node = self.detach(&key).ok_or_else(|| self.not_found(&key))?;
        self.index += 1;
        let event = Event {
            action,
            node: Some(NodeView {
                key,
                dir: action == Action::Delete && node.is_dir(),
                modified_index: self.index,
                created_index: node.created_index,
                ..NodeView::default()
            }),
            prev_node: Some(prev),
            refresh: false,
        };
        Ok(self.publish_removal(event, &node))
    }

    /// `internalCreate`: makes the missing directories on the way (permanent, with the create's index), then
    /// the node; `replace` lets a file be overwritten.
    pub(super) fn internal_create(
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
}
