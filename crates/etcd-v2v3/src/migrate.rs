//! Moving a v2 tree into the bridge's layout: [`copy_tree`] (idempotent, so a copy cut short is resumed by
//! running it again) and [`verify_tree`].

use std::collections::BTreeMap;
use std::time::Duration;

use etcd_keys::{Error, GetOptions, KeysApi, Node, PrevExist, SetOptions};

/// What [`copy_tree`] did, node by node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// Files written (new, or with another value at the destination).
    pub copied: usize,
    /// Directories made.
    pub directories: usize,
    /// Nodes already there as they are at the source (a resumed copy skips them).
    pub unchanged: usize,
    /// Nodes whose TTL ran out before they could be copied.
    pub expired: usize,
    /// Keys that are a file on one side and a directory on the other: left as they are, for you to decide.
    pub conflicts: Vec<String>,
}

/// Copies the tree under `root` from `from` (a v2 API) to `to` (usually one over [`bridge`](crate::bridge)):
/// values, directories, and remaining TTLs (rounded up to whole seconds). A node already at the destination
/// with the same value is left alone, so running it again after an interruption finishes the job.
///
/// Hidden nodes (a name starting with `_`) are not copied: v2 does not list them, so a copy cannot find them.
///
/// # Errors
/// The first call that failed (either side): nothing is undone, and a new run resumes.
pub async fn copy_tree(from: &KeysApi, to: &KeysApi, root: &str) -> Result<MigrationReport, Error> {
    let tree = from.get(root, Some(GetOptions::new().with_recursive().with_sort())).await?;
    let mut report = MigrationReport::default();
    let mut pending: Vec<&Node> = if tree.node.dir { tree.node.nodes.iter().rev().collect() } else { vec![&tree.node] };
    while let Some(node) = pending.pop() {
        // Children after their directory, in key order; none below a conflict.
        if copy_node(to, node, &mut report).await? {
            pending.extend(node.nodes.iter().rev());
        }
    }
    Ok(report)
}

/// Copies one node; `false` when what is below it must be left alone (a conflict, or expired).
async fn copy_node(to: &KeysApi, node: &Node, report: &mut MigrationReport) -> Result<bool, Error> {
    let ttl = match node.ttl {
        Some(seconds) if seconds <= 0 => {
            report.expired += 1;
            return Ok(false);
        }
        Some(seconds) => Some(Duration::from_secs(seconds.unsigned_abs())),
        None => None,
    };
    let existing = match to.get(&node.key, None).await {
        Ok(found) => Some(found.node),
        Err(e) if e.is_key_not_found() => None,
        Err(e) => return Err(e),
    };
    match existing {
        Some(there) if there.dir != node.dir => {
            report.conflicts.push(node.key.clone());
            return Ok(false);
        }
        Some(there) if there.dir || there.value == node.value => report.unchanged += 1,
        _ => {
            let mut options = SetOptions::new();
            if node.dir {
                // Made only if still absent: a directory made meanwhile (by a resumed run) is as good.
                options = options.with_dir().with_prev_exist(PrevExist::NotExists);
            }
            if let Some(ttl) = ttl {
                options = options.with_ttl(ttl);
            }
            match to.set(&node.key, &node.value, Some(options)).await {
                Ok(_) if node.dir => report.directories += 1,
                Ok(_) => report.copied += 1,
                Err(e) if node.dir && e.is_node_exist() => report.unchanged += 1,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(true)
}

/// The differences between the trees under `root` on both sides: keys missing, extra, or with another value
/// or kind. Nodes with a TTL are left out (they may expire between the two reads). Empty when the copy is
/// complete.
///
/// # Errors
/// A read that failed (a missing root on one side is an empty tree).
pub async fn verify_tree(from: &KeysApi, to: &KeysApi, root: &str) -> Result<Vec<String>, Error> {
    let (source, copy) = (flatten(from, root).await?, flatten(to, root).await?);
    let mut differences = Vec::new();
    for (key, value) in &source {
        match copy.get(key) {
            None => differences.push(format!("{key}: missing")),
            Some(other) if other != value => differences.push(format!("{key}: {value:?} became {other:?}")),
            Some(_) => {}
        }
    }
    differences.extend(copy.keys().filter(|key| !source.contains_key(*key)).map(|key| format!("{key}: extra")));
    Ok(differences)
}

/// Every permanent node under `root`: key to `Some(value)` for a file, `None` for a directory.
async fn flatten(api: &KeysApi, root: &str) -> Result<BTreeMap<String, Option<String>>, Error> {
    let tree = match api.get(root, Some(GetOptions::new().with_recursive().with_sort())).await {
        Ok(tree) => tree.node,
        Err(e) if e.is_key_not_found() => return Ok(BTreeMap::new()),
        Err(e) => return Err(e),
    };
    let mut out = BTreeMap::new();
    let mut pending: Vec<&Node> = tree.nodes.iter().collect();
    while let Some(node) = pending.pop() {
        if node.ttl.is_none() {
            out.insert(node.key.clone(), (!node.dir).then(|| node.value.clone()));
        }
        pending.extend(node.nodes.iter());
    }
    Ok(out)
}
