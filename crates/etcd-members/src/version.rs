//! `/version`: what a member runs.

use serde::{Deserialize, Serialize};

/// The versions a member reports (`GET /version`): its own and the cluster's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Version {
    /// The member's etcd version (`"3.5.1"`).
    #[serde(rename = "etcdserver")]
    pub server: String,
    /// The version the cluster runs at, which is the lowest of its members' minor versions (`"3.5.0"`);
    /// `"not_decided"` while a new cluster has not agreed on one.
    #[serde(rename = "etcdcluster", default)]
    pub cluster: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_versions() {
        let version: Version = serde_json::from_str(r#"{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}"#).unwrap();
        assert_eq!((version.server.as_str(), version.cluster.as_str()), ("3.4.23", "3.4.0"));
    }
}
