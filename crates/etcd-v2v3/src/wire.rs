//! The v3 gateway's JSON, as etcd 3.4 and 3.5 write and read it: keys and values in base64, int64s as strings,
//! fields at their zero value left out of answers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes as base64 in JSON.
pub(crate) mod b64 {
    use super::{Deserialize, Deserializer, Engine, STANDARD, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// An int64 as the gateway writes it: a string (or, leniently, a number).
fn de_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Text(String),
        Int(u64),
        Negative(i64),
    }
    match Number::deserialize(deserializer)? {
        Number::Text(text) => text.parse().map_err(serde::de::Error::custom),
        Number::Int(n) => Ok(n),
        // A negative revision or ID is not something etcd sends; read it as none.
        Number::Negative(n) => Ok(u64::try_from(n).unwrap_or(0)),
    }
}

/// A signed int64 as the gateway writes it (a lease's TTL is -1 when it is gone).
fn de_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Text(String),
        Int(i64),
    }
    match Number::deserialize(deserializer)? {
        Number::Text(text) => text.parse().map_err(serde::de::Error::custom),
        Number::Int(n) => Ok(n),
    }
}

pub(crate) fn ser_u64<S: Serializer>(n: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&n.to_string())
}

pub(crate) fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The header of every answer.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Header {
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) cluster_id: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) member_id: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) revision: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) raft_term: u64,
}

/// A key-value as v3 stores it.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Kv {
    #[serde(default, with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) create_revision: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) mod_revision: u64,
    #[serde(default, with = "b64")]
    pub(crate) value: Vec<u8>,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) lease: u64,
}

/// `RangeRequest`.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Range {
    #[serde(with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub(crate) range_end: Vec<u8>,
    #[serde(serialize_with = "ser_u64", skip_serializing_if = "is_zero")]
    pub(crate) limit: u64,
    #[serde(serialize_with = "ser_u64", skip_serializing_if = "is_zero")]
    pub(crate) revision: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) serializable: bool,
}

/// `RangeResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RangeAnswer {
    #[serde(default)]
    pub(crate) header: Header,
    #[serde(default)]
    pub(crate) kvs: Vec<Kv>,
}

/// `PutRequest`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Put {
    #[serde(with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(with = "b64")]
    pub(crate) value: Vec<u8>,
    #[serde(serialize_with = "ser_u64", skip_serializing_if = "is_zero")]
    pub(crate) lease: u64,
}

/// `DeleteRangeRequest`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct DeleteRange {
    #[serde(with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub(crate) range_end: Vec<u8>,
}

/// One operation of a transaction. No range: etcd 3.5.0 to 3.5.4 crash on a read-only transaction whose client
/// gave up on it (etcd#14110: a member frozen past the header timeout, then thawed, applies it with a cancelled
/// context and panics), so the bridge reads with plain ranges (`V3Store::read_together`) and a transaction
/// always writes.
#[derive(Clone, Debug, Serialize)]
pub(crate) enum Op {
    #[serde(rename = "request_put")]
    Put(Put),
    #[serde(rename = "request_delete_range")]
    Delete(DeleteRange),
}

/// A compare of a transaction, on a key or on every key of a range.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Compare {
    pub(crate) result: &'static str,
    pub(crate) target: &'static str,
    #[serde(with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub(crate) range_end: Vec<u8>,
    #[serde(serialize_with = "ser_opt_u64", skip_serializing_if = "Option::is_none")]
    pub(crate) create_revision: Option<u64>,
    #[serde(serialize_with = "ser_opt_u64", skip_serializing_if = "Option::is_none")]
    pub(crate) mod_revision: Option<u64>,
}

fn ser_opt_u64<S: Serializer>(n: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&n.unwrap_or(0).to_string())
}

impl Compare {
    /// The key was created at `revision` (0: it does not exist).
    pub(crate) fn created_at(key: Vec<u8>, revision: u64) -> Compare {
        Compare {
            result: "EQUAL",
            target: "CREATE",
            key,
            range_end: Vec::new(),
            create_revision: Some(revision),
            mod_revision: None,
        }
    }

    /// The key was last modified at `revision`.
    pub(crate) fn modified_at(key: Vec<u8>, revision: u64) -> Compare {
        Compare {
            result: "EQUAL",
            target: "MOD",
            key,
            range_end: Vec::new(),
            create_revision: None,
            mod_revision: Some(revision),
        }
    }

    /// No key of `[key, range_end)` exists (etcd compares an empty range as one key at revision 0).
    pub(crate) fn range_empty(key: Vec<u8>, range_end: Vec<u8>) -> Compare {
        Compare { range_end, ..Compare::created_at(key, 0) }
    }

    /// Every key of `[key, range_end)` was created before `revision`.
    pub(crate) fn range_created_before(key: Vec<u8>, range_end: Vec<u8>, revision: u64) -> Compare {
        Compare { result: "LESS", ..Compare::created_at(key, revision) }.with_range_end(range_end)
    }

    fn with_range_end(mut self, range_end: Vec<u8>) -> Compare {
        self.range_end = range_end;
        self
    }
}

/// `TxnRequest`.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Txn {
    pub(crate) compare: Vec<Compare>,
    pub(crate) success: Vec<Op>,
    pub(crate) failure: Vec<Op>,
}

/// `TxnResponse`: whether the compares held (the operations' answers are not read: a transaction only writes).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct TxnAnswer {
    #[serde(default)]
    pub(crate) header: Header,
    #[serde(default)]
    pub(crate) succeeded: bool,
}

/// `LeaseGrantResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct LeaseAnswer {
    #[serde(rename = "ID", default, deserialize_with = "de_u64")]
    pub(crate) id: u64,
}

/// A lease named by its ID (`LeaseTimeToLiveRequest`, `LeaseKeepAliveRequest`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LeaseId {
    #[serde(rename = "ID", serialize_with = "ser_u64")]
    pub(crate) id: u64,
}

/// `LeaseTimeToLiveResponse`: seconds left (-1 or 0 when gone) and the TTL granted.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct LeaseTtlAnswer {
    #[serde(rename = "TTL", default, deserialize_with = "de_i64")]
    pub(crate) ttl: i64,
    #[serde(rename = "grantedTTL", default, deserialize_with = "de_u64")]
    pub(crate) granted_ttl: u64,
}

/// One line of the keep-alive stream: `{"result":{"ID":..,"TTL":..}}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct KeepAliveLine {
    #[serde(default)]
    pub(crate) result: Option<LeaseTtlAnswer>,
}

/// `Member` of `MemberListResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct V3Member {
    #[serde(rename = "ID", default, deserialize_with = "de_u64")]
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(rename = "peerURLs", default)]
    pub(crate) peer_urls: Vec<String>,
    #[serde(rename = "clientURLs", default)]
    pub(crate) client_urls: Vec<String>,
}

/// `MemberListResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct MembersAnswer {
    #[serde(default)]
    pub(crate) header: Header,
    #[serde(default)]
    pub(crate) members: Vec<V3Member>,
}

/// `StatusResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct StatusAnswer {
    #[serde(default)]
    pub(crate) header: Header,
    #[serde(default)]
    pub(crate) version: String,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) leader: u64,
}

/// `WatchCreateRequest`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct WatchCreate {
    #[serde(with = "b64")]
    pub(crate) key: Vec<u8>,
    #[serde(with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub(crate) range_end: Vec<u8>,
    #[serde(serialize_with = "ser_u64", skip_serializing_if = "is_zero")]
    pub(crate) start_revision: u64,
    pub(crate) prev_kv: bool,
}

/// One line of a watch stream: `{"result":{...}}` or `{"error":{...}}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WatchLine {
    #[serde(default)]
    pub(crate) result: Option<WatchAnswer>,
    #[serde(default)]
    pub(crate) error: Option<serde_json::Value>,
}

/// `WatchResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WatchAnswer {
    #[serde(default)]
    pub(crate) header: Header,
    #[serde(default)]
    pub(crate) canceled: bool,
    #[serde(default, deserialize_with = "de_u64")]
    pub(crate) compact_revision: u64,
    #[serde(default)]
    pub(crate) cancel_reason: String,
    #[serde(default)]
    pub(crate) events: Vec<V3Event>,
}

/// A v3 event: a put (the type left out, as zero) or a delete.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct V3Event {
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) kv: Kv,
    #[serde(default)]
    pub(crate) prev_kv: Option<Kv>,
}
