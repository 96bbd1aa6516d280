//! What a store answers: an [`Event`] (action, node, previous node) as etcd renders it.

use std::time::SystemTime;

use serde::Serialize;

/// The action of an event, as etcd names it in the JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// A read.
    Get,
    /// A key created (create, prevExist=false, create-in-order).
    Create,
    /// A key set unconditionally.
    Set,
    /// An existing key updated (prevExist=true).
    Update,
    /// A key deleted.
    Delete,
    /// A key set after its prevValue/prevIndex matched.
    CompareAndSwap,
    /// A key deleted after its prevValue/prevIndex matched.
    CompareAndDelete,
    /// A key whose TTL ran out.
    Expire,
}

/// A node as etcd renders it (`NodeExtern`): fields in etcd's order, empty ones left out as etcd leaves them out
/// (`omitempty`: a zero index, a zero TTL, `dir` false, no child list when it is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeView {
    /// The key, `/` separated, without a trailing slash; empty for the root (etcd leaves it out).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The value of a file; `None` for a directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Whether the node is a directory.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// When the node expires, written as Go writes a `time.Time` (RFC 3339 with nanoseconds, trailing zeros cut).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "serialize_time")]
    pub expiration: Option<SystemTime>,
    /// Seconds left before expiry, rounded up as etcd does.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub ttl: i64,
    /// A directory's children (hidden ones left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeView>,
    /// The index of the node's last change.
    #[serde(rename = "modifiedIndex", skip_serializing_if = "is_zero_u64")]
    pub modified_index: u64,
    /// The index of the node's creation.
    #[serde(rename = "createdIndex", skip_serializing_if = "is_zero_u64")]
    pub created_index: u64,
}

/// One change or read as etcd answers it: `{"action":..,"node":..,"prevNode":..}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened.
    pub action: Action,
    /// The node after the change (for a delete: its key and indexes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeView>,
    /// The node before the change, when there was one.
    #[serde(rename = "prevNode", skip_serializing_if = "Option::is_none")]
    pub prev_node: Option<NodeView>,
    /// A TTL refresh: kept in the history but never sent to watchers, and not rendered (etcd drops it too).
    #[serde(skip)]
    pub refresh: bool,
}

impl Event {
    /// The index of the change: the node's modified index.
    pub fn index(&self) -> u64 {
        self.node.as_ref().map_or(0, |node| node.modified_index)
    }

    /// Whether etcd answers this event with `201 Created`: a create, or a set that made a new key.
    pub fn is_created(&self) -> bool {
        self.action == Action::Create || (self.action == Action::Set && self.prev_node.is_none())
    }
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

fn serialize_time<S: serde::Serializer>(time: &Option<SystemTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_str(&format_rfc3339_nanos(*time)),
        None => serializer.serialize_none(),
    }
}

/// Formats a time as Go's `time.RFC3339Nano` in UTC: `2006-01-02T15:04:05.999999999Z`, trailing zeros of the
/// fraction cut, no fraction when it is zero. Times before 1970 are written as 1970.
pub fn format_rfc3339_nanos(time: SystemTime) -> String {
    let since = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let mut text = format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    let nanos = since.subsec_nanos();
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_written_as_go_writes_them() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_764_558_646, 123_400_000);
        assert_eq!(format_rfc3339_nanos(t), "2025-12-01T03:10:46.1234Z");
        assert_eq!(
            format_rfc3339_nanos(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn a_node_leaves_out_what_etcd_leaves_out() {
        let node = NodeView {
            key: "/a".into(),
            value: Some("1".into()),
            modified_index: 5,
            created_index: 5,
            ..NodeView::default()
        };
        let event = Event { action: Action::Set, node: Some(node), prev_node: None, refresh: false };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":5,"createdIndex":5}}"#
        );
        assert!(event.is_created());
    }
}
