use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize};

/// One key or directory of etcd's v2 tree, as etcd reports it.
///
/// Fields are public and named as in etcd's JSON (in snake case). A directory has `dir == true`, no value, and,
/// when it was read recursively or listed, its children in `nodes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Node {
    /// The full key, prefix included, as etcd stores it (`/foo/bar`). Empty for the root directory, whose key
    /// etcd leaves out.
    #[serde(default)]
    pub key: String,
    /// Whether this node is a directory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// The value of a key; empty for a directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// The children of a directory that was listed; empty otherwise (also when etcd wrote `"nodes": null`, as
    /// the Go client reads it).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_is_empty")]
    pub nodes: Vec<Node>,
    /// The etcd index at which this node was created.
    #[serde(default)]
    pub created_index: u64,
    /// The etcd index of this node's last change.
    #[serde(default)]
    pub modified_index: u64,
    /// When the node expires, as etcd wrote it (RFC 3339); `None` for a node without TTL.
    /// [`Node::expiration_time`] parses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Seconds left before the node expires, as etcd computed it when answering; `None` without TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

impl Node {
    /// Whether this node is a directory.
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// The time left before the node expires, as etcd computed it when answering; `None` without TTL.
    /// A TTL that etcd reported as zero or negative (the node is expiring) is `Duration::ZERO`.
    pub fn ttl_duration(&self) -> Option<Duration> {
        self.ttl.map(|secs| Duration::from_secs(secs.max(0).unsigned_abs()))
    }

    /// The expiration time parsed from [`Node::expiration`]; `None` without TTL or when etcd's text is not RFC 3339.
    pub fn expiration_time(&self) -> Option<SystemTime> {
        self.expiration.as_deref().and_then(crate::time::parse_rfc3339)
    }

    /// This node and every node below it, depth first, parents before children.
    ///
    /// ```
    /// # use etcd_core::Node;
    /// let tree: Node = serde_json::from_str(
    ///     r#"{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"1"},{"key":"/d/b","value":"2"}]}"#,
    /// ).unwrap();
    /// let keys: Vec<&str> = tree.walk().map(|n| n.key.as_str()).collect();
    /// assert_eq!(keys, ["/d", "/d/a", "/d/b"]);
    /// ```
    pub fn walk(&self) -> impl Iterator<Item = &Node> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let node = stack.pop()?;
            stack.extend(node.nodes.iter().rev());
            Some(node)
        })
    }
}

/// `null` as an empty list, as Go decodes a nil slice.
fn null_is_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Node>, D::Error> {
    Ok(Option::<Vec<Node>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_nodes_are_no_children() {
        let dir: Node = serde_json::from_str(r#"{"key":"/d","dir":true,"nodes":null}"#).unwrap();
        assert!(dir.is_dir() && dir.nodes.is_empty());
        assert!(serde_json::from_str::<Node>(r#"{"key":"/d","nodes":5}"#).is_err());
    }

    #[test]
    fn decodes_a_key_with_ttl_and_a_directory() {
        let node: Node = serde_json::from_str(
            r#"{"key":"/k","value":"v","expiration":"2013-12-04T12:01:21.874888581Z","ttl":5,"modifiedIndex":7,"createdIndex":6}"#,
        )
        .unwrap();
        assert_eq!(node.key, "/k");
        assert_eq!(node.value, "v");
        assert!(!node.is_dir());
        assert_eq!((node.created_index, node.modified_index), (6, 7));
        assert_eq!(node.ttl_duration(), Some(Duration::from_secs(5)));
        let at = node.expiration_time().unwrap();
        assert_eq!(at.duration_since(SystemTime::UNIX_EPOCH).unwrap(), Duration::new(1_386_158_481, 874_888_581));

        let dir: Node = serde_json::from_str(r#"{"dir":true,"nodes":[{"key":"/a","dir":true}]}"#).unwrap();
        assert!(dir.is_dir());
        assert_eq!(dir.key, "");
        assert_eq!(dir.nodes[0].key, "/a");
        assert_eq!(dir.ttl_duration(), None);
    }

    #[test]
    fn negative_ttl_is_zero_duration() {
        let node = Node { ttl: Some(-1), ..Node::default() };
        assert_eq!(node.ttl_duration(), Some(Duration::ZERO));
    }
}
