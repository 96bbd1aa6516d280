use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What etcd did, as named in the `action` field of a v2 response.
///
/// Unknown actions, from a newer server or a proxy, are kept in [`Action::Other`] rather than rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// A read (`GET`).
    Get,
    /// An unconditional write (`PUT` without conditions).
    Set,
    /// A create: `PUT` with `prevExist=false`, or `POST` (create in order).
    Create,
    /// An update: `PUT` with `prevExist=true`.
    Update,
    /// A delete without conditions.
    Delete,
    /// A conditional write: `PUT` with `prevValue` or `prevIndex`.
    CompareAndSwap,
    /// A conditional delete: `DELETE` with `prevValue` or `prevIndex`.
    CompareAndDelete,
    /// A TTL ran out; only seen by watchers.
    Expire,
    /// An action this client does not know, kept as etcd sent it.
    Other(String),
}

impl Action {
    /// The action as etcd spells it on the wire (`"compareAndSwap"`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Action::Get => "get",
            Action::Set => "set",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::CompareAndSwap => "compareAndSwap",
            Action::CompareAndDelete => "compareAndDelete",
            Action::Expire => "expire",
            Action::Other(other) => other,
        }
    }

    /// Parses etcd's spelling; never fails, unknown names become [`Action::Other`].
    pub fn parse(name: &str) -> Action {
        match name {
            "get" => Action::Get,
            "set" => Action::Set,
            "create" => Action::Create,
            "update" => Action::Update,
            "delete" => Action::Delete,
            "compareAndSwap" => Action::CompareAndSwap,
            "compareAndDelete" => Action::CompareAndDelete,
            "expire" => Action::Expire,
            other => Action::Other(other.to_owned()),
        }
    }

    /// Whether etcd may leave the node out of this action's answer (`noValueOnSuccess`).
    pub(crate) fn may_omit_node(&self) -> bool {
        matches!(self, Action::Set | Action::Create | Action::Update | Action::CompareAndSwap)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Action;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an etcd action name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Action, E> {
                Ok(Action::parse(v))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_action_round_trips_and_unknown_ones_are_kept() {
        for name in ["get", "set", "create", "update", "delete", "compareAndSwap", "compareAndDelete", "expire"] {
            let action = Action::parse(name);
            assert!(!matches!(action, Action::Other(_)), "{name} is known");
            assert_eq!(action.as_str(), name);
        }
        assert_eq!(Action::parse("teleport"), Action::Other("teleport".into()));
        assert_eq!(Action::parse("teleport").to_string(), "teleport");
    }
}
