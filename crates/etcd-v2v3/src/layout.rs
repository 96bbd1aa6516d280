//! Where the v2 tree lives on v3's flat keyspace, and how a node's kind, last action and expiry ride with its
//! value. See the crate docs for the layout and why.

use std::time::{Duration, SystemTime};

use etcd_v2_server::Action;

/// The v3 keys of the emulated tree under one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `<prefix>/data`: one key per node, `<path>/`, so a subtree (the node and everything below) is one prefix.
    data: String,
    /// `<prefix>/dirs`: one key per node, `<parent path>/` + `/` + name, so one directory's children are one
    /// prefix.
    dirs: String,
}

impl Layout {
    /// The layout under `prefix` (a trailing `/` is dropped).
    pub(crate) fn new(prefix: &str) -> Layout {
        let prefix = prefix.trim_end_matches('/');
        Layout { data: format!("{prefix}/data"), dirs: format!("{prefix}/dirs") }
    }

    /// The data key of a node: `<prefix>/data/a/b/`.
    pub(crate) fn data_key(&self, path: &str) -> Vec<u8> {
        format!("{}{}", self.data, dir_path(path)).into_bytes()
    }

    /// The directory-index key of a node: `<prefix>/dirs/a//b` for `/a/b`.
    pub(crate) fn index_key(&self, path: &str) -> Vec<u8> {
        let (parent, name) = split(path);
        format!("{}{}/{name}", self.dirs, dir_path(parent)).into_bytes()
    }

    /// The prefix of a directory's children in the index: `<prefix>/dirs/a//`.
    pub(crate) fn children_prefix(&self, path: &str) -> Vec<u8> {
        format!("{}{}/", self.dirs, dir_path(path)).into_bytes()
    }

    /// The prefix of the index keys of everything below a directory: `<prefix>/dirs/a/`.
    pub(crate) fn descendants_index_prefix(&self, path: &str) -> Vec<u8> {
        format!("{}{}", self.dirs, dir_path(path)).into_bytes()
    }

    /// The client path of a data key, or `None` for a key outside the tree.
    pub(crate) fn path_of_data_key(&self, key: &[u8]) -> Option<String> {
        let rest = key.strip_prefix(self.data.as_bytes())?;
        let rest = std::str::from_utf8(rest).ok()?;
        let path = rest.strip_suffix('/')?;
        (path.starts_with('/')).then(|| path.to_owned())
    }

    /// The client path of an index key, or `None` for a key outside the tree.
    pub(crate) fn path_of_index_key(&self, key: &[u8]) -> Option<String> {
        let rest = key.strip_prefix(self.dirs.as_bytes())?;
        let rest = std::str::from_utf8(rest).ok()?;
        let at = rest.find("//")?;
        let (parent, name) = (&rest[..at], &rest[at + 2..]);
        Some(format!("{parent}/{name}"))
    }
}

/// The end of a v3 prefix range: the prefix with its last byte below 0xff incremented.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Only 0xff bytes: every key after the prefix (v3's "\0" range end).
    vec![0]
}

/// `/a/b` as `/a/b/`; the root as `/`.
fn dir_path(path: &str) -> String {
    if path == "/" { "/".to_owned() } else { format!("{path}/") }
}

/// A path's parent and name: `/a/b` into `/a` and `b`; `/a` into `/` and `a`.
pub(crate) fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) | None => ("/", path.trim_start_matches('/')),
        Some(at) => (&path[..at], &path[at + 1..]),
    }
}

/// The ancestors of a path, root excluded, outermost first: `/a/b/c` gives `/a`, `/a/b`.
pub(crate) fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(next) = path.get(at + 1..).and_then(|rest| rest.find('/')) {
        at += 1 + next;
        out.push(path[..at].to_owned());
    }
    out
}

/// Whether `path` has a hidden component (a name starting with `_`) below `base`.
pub(crate) fn hidden_below(base: &str, path: &str) -> bool {
    let rest = if base == "/" { path } else { path.strip_prefix(base).unwrap_or(path) };
    rest.split('/').any(|name| name.starts_with('_'))
}

/// What a v3 value holds besides the v2 value: the node's kind, the action that wrote it (so a watch can name
/// the v2 action, and skip refreshes), and when it expires (so a read renders `expiration` and `ttl` without
/// asking the lease).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// A directory.
    pub(crate) dir: bool,
    /// The write that stored this value.
    pub(crate) written_by: WrittenBy,
    /// When the node expires, in milliseconds since the epoch.
    pub(crate) expires_ms: Option<u64>,
    /// The v2 value (empty for a directory).
    pub(crate) value: String,
}

/// The write that stored a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WrittenBy {
    /// An action a watcher hears of.
    Action(Action),
    /// A TTL refresh: never sent to watchers.
    Refresh,
}

impl Record {
    /// Encodes as `<kind><action><expiry ms>\n<value>`: `fs\nbar`, `dc1764558646123\n`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let kind = if self.dir { 'd' } else { 'f' };
        let action = match self.written_by {
            WrittenBy::Refresh => 'r',
            WrittenBy::Action(Action::Create) => 'c',
            WrittenBy::Action(Action::Update) => 'u',
            WrittenBy::Action(Action::CompareAndSwap) => 'w',
            WrittenBy::Action(_) => 's',
        };
        let expiry = self.expires_ms.map(|ms| ms.to_string()).unwrap_or_default();
        format!("{kind}{action}{expiry}\n{}", self.value).into_bytes()
    }

    /// Decodes a value; one not written by the bridge is a file holding the bytes as they are.
    pub(crate) fn decode(bytes: &[u8]) -> Record {
        let text = String::from_utf8_lossy(bytes);
        let raw = || Record {
            dir: false,
            written_by: WrittenBy::Action(Action::Set),
            expires_ms: None,
            value: text.clone().into_owned(),
        };
        let Some((header, value)) = text.split_once('\n') else { return raw() };
        let mut chars = header.chars();
        let dir = match chars.next() {
            Some('d') => true,
            Some('f') => false,
            _ => return raw(),
        };
        let written_by = match chars.next() {
            Some('r') => WrittenBy::Refresh,
            Some('c') => WrittenBy::Action(Action::Create),
            Some('u') => WrittenBy::Action(Action::Update),
            Some('w') => WrittenBy::Action(Action::CompareAndSwap),
            Some('s') => WrittenBy::Action(Action::Set),
            _ => return raw(),
        };
        let digits = chars.as_str();
        let expires_ms = match digits {
            "" => None,
            digits => match digits.parse() {
                Ok(ms) => Some(ms),
                Err(_) => return raw(),
            },
        };
        Record { dir, written_by, expires_ms, value: value.to_owned() }
    }

    /// `expiration` and `ttl` as etcd renders them: the time, and the seconds left rounded up.
    pub(crate) fn expiry(&self, now: SystemTime) -> (Option<SystemTime>, i64) {
        let Some(ms) = self.expires_ms else { return (None, 0) };
        // An expiry past what the clock holds (a value not written by the bridge) is no expiry.
        let Some(at) = SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms)) else { return (None, 0) };
        let left = at.duration_since(now).unwrap_or_default();
        let mut ttl = left.as_secs() as i64;
        if left.subsec_nanos() > 0 {
            ttl += 1;
        }
        (Some(at), ttl)
    }
}

/// Milliseconds since the epoch, `seconds` from now; `None` past what the clock can hold.
pub(crate) fn expiry_from_now(seconds: u64) -> Option<u64> {
    let at = SystemTime::now().checked_add(Duration::from_secs(seconds))?;
    let ms = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis();
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_lists_with_one_prefix_and_a_subtree_with_another() {
        let layout = Layout::new("/etcd-v2v3/");
        assert_eq!(layout.data_key("/a/b"), b"/etcd-v2v3/data/a/b/");
        assert_eq!(layout.index_key("/a/b"), b"/etcd-v2v3/dirs/a//b");
        assert_eq!(layout.index_key("/a"), b"/etcd-v2v3/dirs//a");
        assert_eq!(layout.children_prefix("/a"), b"/etcd-v2v3/dirs/a//");
        assert_eq!(layout.children_prefix("/"), b"/etcd-v2v3/dirs//");
        // A child's index key is under its parent's children prefix; a grandchild's is not, but is under the
        // parent's descendants prefix, and a sibling's (`/ab`) under neither.
        let children = layout.children_prefix("/a");
        assert!(layout.index_key("/a/b").starts_with(&children));
        assert!(!layout.index_key("/a/b/c").starts_with(&children));
        assert!(layout.index_key("/a/b/c").starts_with(&layout.descendants_index_prefix("/a")));
        assert!(!layout.index_key("/ab/c").starts_with(&layout.descendants_index_prefix("/a")));
        assert!(!layout.data_key("/ab").starts_with(&layout.data_key("/a")));
        assert_eq!(layout.path_of_data_key(b"/etcd-v2v3/data/a/b/").as_deref(), Some("/a/b"));
        assert_eq!(layout.path_of_index_key(b"/etcd-v2v3/dirs/a//b").as_deref(), Some("/a/b"));
        assert_eq!(layout.path_of_index_key(b"/etcd-v2v3/dirs//a").as_deref(), Some("/a"));
        assert_eq!(layout.path_of_data_key(b"/other"), None);
    }

    #[test]
    fn paths_split_into_parents_and_names() {
        assert_eq!(split("/a/b"), ("/a", "b"));
        assert_eq!(split("/a"), ("/", "a"));
        assert_eq!(ancestors("/a/b/c"), vec!["/a".to_owned(), "/a/b".to_owned()]);
        assert!(ancestors("/a").is_empty());
        assert!(hidden_below("/a", "/a/_b/c"));
        assert!(!hidden_below("/_a", "/_a/b"));
        assert_eq!(prefix_end(b"ab"), b"ac");
        assert_eq!(prefix_end(&[b'a', 0xff]), b"b");
    }

    #[test]
    fn records_round_trip_and_foreign_values_read_as_files() {
        let record = Record {
            dir: false,
            written_by: WrittenBy::Action(Action::CompareAndSwap),
            expires_ms: Some(1_764_558_646_123),
            value: "line\nnext".into(),
        };
        assert_eq!(Record::decode(&record.encode()), record);
        let dir = Record { dir: true, written_by: WrittenBy::Refresh, expires_ms: None, value: String::new() };
        assert_eq!(dir.encode(), b"dr\n");
        assert_eq!(Record::decode(&dir.encode()), dir);
        assert_eq!(Record::decode(b"plain").value, "plain");
        assert_eq!(Record::decode(b"fx\nv").value, "fx\nv");
        assert_eq!(Record::decode(b"fs12z\nv").value, "fs12z\nv");
    }
}
