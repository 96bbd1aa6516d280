use crate::{Action, Node};

/// etcd's answer to a keys request: what it did, the node after it, the node before it, and the indexes etcd
/// reported in its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// What etcd did.
    pub action: Action,
    /// The node after the action (for a delete, the deleted node without its value).
    ///
    /// Empty (`Node::default()`) only when the request asked etcd to leave it out (`no_value_on_success`).
    pub node: Node,
    /// The node before the action, for writes and deletes that replaced or removed one.
    pub prev_node: Option<Node>,
    /// The etcd index when the answer was made (`X-Etcd-Index`); a watcher continues after it.
    pub index: u64,
    /// The raft index of the member that answered (`X-Raft-Index`), when it sent one.
    pub raft_index: Option<u64>,
    /// The raft term of the member that answered (`X-Raft-Term`), when it sent one.
    pub raft_term: Option<u64>,
    /// The cluster the member belongs to (`X-Etcd-Cluster-Id`, hexadecimal), when it sent it.
    pub cluster_id: Option<String>,
}

impl Response {
    /// A response with the given action and node, and no headers; for test doubles.
    pub fn new(action: Action, node: Node) -> Self {
        Response { action, node, prev_node: None, index: 0, raft_index: None, raft_term: None, cluster_id: None }
    }
}
