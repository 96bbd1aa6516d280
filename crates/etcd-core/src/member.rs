//! A member of an etcd cluster, as the v2 members API describes it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One member of the cluster: its ID, its name, and where peers and clients reach it (the Go client's
/// `Member`).
///
/// A member added to the cluster but not started yet has an empty name and no client URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// The member's ID, unique in the cluster and never reused.
    pub id: MemberId,
    /// The member's name (`--name`); empty until the member has started and published it.
    #[serde(default)]
    pub name: String,
    /// The URLs other members reach it at (`--initial-advertise-peer-urls`).
    #[serde(rename = "peerURLs", default, deserialize_with = "null_is_empty")]
    pub peer_urls: Vec<String>,
    /// The URLs clients reach it at (`--advertise-client-urls`); empty until the member has started. What a
    /// member advertises is not always reachable from every client (tunnels, proxies, containers).
    #[serde(rename = "clientURLs", default, deserialize_with = "null_is_empty")]
    pub client_urls: Vec<String>,
}

impl Member {
    /// A member with these fields; for test doubles.
    pub fn new(id: MemberId, name: impl Into<String>, peer_urls: Vec<String>, client_urls: Vec<String>) -> Self {
        Member { id, name: name.into(), peer_urls, client_urls }
    }

    /// Whether the member has started and published its name and client URLs (etcd lists a member that was
    /// added but never started with an empty name).
    pub fn is_started(&self) -> bool {
        !self.name.is_empty()
    }
}

fn null_is_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A member's ID: a 64-bit number that etcd writes in hexadecimal (`"8e9e05c52164694d"`), without leading zeros.
///
/// Parsed from and shown as etcd writes it, so that IDs compare as numbers whatever their spelling.
///
/// # Examples
/// ```
/// use etcd_core::MemberId;
/// let id: MemberId = "06e4d4a53cdad343".parse().unwrap();
/// assert_eq!(id.to_string(), "6e4d4a53cdad343");
/// assert_eq!(id, MemberId::new(0x6e4d4a53cdad343));
/// assert!("not-hex".parse::<MemberId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberId(u64);

impl MemberId {
    /// The member ID `id`.
    pub const fn new(id: u64) -> Self {
        MemberId(id)
    }

    /// The ID as a number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl FromStr for MemberId {
    type Err = ParseMemberIdError;

    /// Parses etcd's hexadecimal spelling (upper or lower case, leading zeros allowed).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let digits = match trimmed.trim_start_matches('0') {
            "" if !trimmed.is_empty() => "0",
            digits => digits,
        };
        let valid = !digits.is_empty() && digits.len() <= 16 && digits.bytes().all(|b| b.is_ascii_hexdigit());
        match valid.then(|| u64::from_str_radix(digits, 16)) {
            Some(Ok(id)) => Ok(MemberId(id)),
            _ => Err(ParseMemberIdError { text: text.to_owned() }),
        }
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({:x})", self.0)
    }
}

impl From<u64> for MemberId {
    fn from(id: u64) -> Self {
        MemberId(id)
    }
}

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemberId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A text that is not a member ID: not a hexadecimal number of at most 64 bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseMemberIdError {
    text: String,
}

impl fmt::Display for ParseMemberIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a member ID (a hexadecimal number of at most 64 bits)", self.text)
    }
}

impl std::error::Error for ParseMemberIdError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_started_and_unstarted_members() {
        let started: Member = serde_json::from_str(
            r#"{"id":"6e4d4a53cdad343","name":"m0","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}"#,
        )
        .unwrap();
        assert_eq!(started.id, MemberId::new(0x06e4_d4a5_3cda_d343));
        assert_eq!((started.name.as_str(), started.client_urls.len()), ("m0", 1));
        assert!(started.is_started());

        let added: Member =
            serde_json::from_str(r#"{"id":"CEA6FE0ABB0F99CA","name":"","peerURLs":["http://h:1"],"clientURLs":null}"#)
                .unwrap();
        assert!(!added.is_started() && added.client_urls.is_empty());
        assert_eq!(added.id.to_string(), "cea6fe0abb0f99ca");
        let minimal: Member = serde_json::from_str(r#"{"id":"1"}"#).unwrap();
        assert!(minimal.peer_urls.is_empty());
    }

    #[test]
    fn refuses_ids_that_are_not_hexadecimal_u64s() {
        for bad in ["", "xyz", "0x10", "-1", "12345678901234567", " ", "+1"] {
            assert!(bad.parse::<MemberId>().is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Member>(r#"{"id":"zz"}"#).is_err());
        assert!(serde_json::from_str::<Member>(r#"{"id":12}"#).is_err());
        assert_eq!("00ffffffffffffffff".parse::<MemberId>().unwrap().as_u64(), u64::MAX);
        assert_eq!("000".parse::<MemberId>().unwrap().as_u64(), 0);
        let member = Member::new(MemberId::new(255), "m", vec![], vec![]);
        assert_eq!(serde_json::to_value(&member).unwrap()["id"], "ff");
    }
}
