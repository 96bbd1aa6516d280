//! `/v2/stats/self`, `/v2/stats/leader` and `/v2/stats/store`, typed.

use std::collections::BTreeMap;
use std::time::Duration;

use etcd_core::MemberId;
use serde::{Deserialize, Deserializer};

/// A member's raft state, as `/v2/stats/self` names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RaftState {
    /// `StateLeader`.
    Leader,
    /// `StateFollower`.
    Follower,
    /// `StateCandidate`: campaigning.
    Candidate,
    /// `StatePreCandidate`: checking whether it could win before campaigning.
    PreCandidate,
    /// Any other name, as etcd sent it.
    Other(String),
}

impl<'de> Deserialize<'de> for RaftState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(deserializer)?.as_str() {
            "StateLeader" => RaftState::Leader,
            "StateFollower" => RaftState::Follower,
            "StateCandidate" => RaftState::Candidate,
            "StatePreCandidate" => RaftState::PreCandidate,
            other => RaftState::Other(other.to_owned()),
        })
    }
}

/// What a member says about itself (`GET /v2/stats/self`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SelfStats {
    /// The member's name.
    pub name: String,
    /// The member's ID.
    pub id: MemberId,
    /// Its raft state.
    pub state: RaftState,
    /// When it started, as etcd wrote it (RFC 3339).
    #[serde(default)]
    pub start_time: String,
    /// The leader it follows, and for how long.
    #[serde(default)]
    pub leader_info: LeaderInfo,
    /// Append requests received.
    #[serde(default)]
    pub recv_append_request_cnt: u64,
    /// Requests received per second, recently (followers only).
    #[serde(default)]
    pub recv_pkg_rate: Option<f64>,
    /// Bytes received per second, recently (followers only).
    #[serde(default)]
    pub recv_bandwidth_rate: Option<f64>,
    /// Append requests sent.
    #[serde(default)]
    pub send_append_request_cnt: u64,
    /// Requests sent per second, recently (the leader only).
    #[serde(default)]
    pub send_pkg_rate: Option<f64>,
    /// Bytes sent per second, recently (the leader only).
    #[serde(default)]
    pub send_bandwidth_rate: Option<f64>,
}

impl SelfStats {
    /// Whether the member says it leads.
    pub fn is_leader(&self) -> bool {
        self.state == RaftState::Leader
    }
}

/// The leader a member follows (`leaderInfo` of `/v2/stats/self`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LeaderInfo {
    /// The leader's ID; `None` when the member knows of none.
    #[serde(default, deserialize_with = "optional_id")]
    pub leader: Option<MemberId>,
    /// How long that leader has led, as etcd wrote it (a Go duration, `"1h2m3.5s"`); see
    /// [`uptime_duration`](LeaderInfo::uptime_duration).
    #[serde(default)]
    pub uptime: String,
    /// When that leader's term started, as etcd wrote it (RFC 3339).
    #[serde(default)]
    pub start_time: String,
}

impl LeaderInfo {
    /// [`uptime`](LeaderInfo::uptime) as a duration, when it reads as one.
    pub fn uptime_duration(&self) -> Option<Duration> {
        parse_go_duration(&self.uptime)
    }
}

/// What the leader knows of its followers (`GET /v2/stats/leader`, answered by the leader only).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LeaderStats {
    /// The leader's ID.
    pub leader: MemberId,
    /// Each follower's replication latency and counts.
    #[serde(default)]
    pub followers: BTreeMap<MemberId, FollowerStats>,
}

/// The leader's view of one follower.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FollowerStats {
    /// How long its append requests took, in seconds.
    #[serde(default)]
    pub latency: LatencyStats,
    /// How many append requests succeeded and failed.
    #[serde(default)]
    pub counts: CountStats,
}

/// Round-trip times of the leader's append requests to a follower, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LatencyStats {
    /// The last one.
    #[serde(default)]
    pub current: f64,
    /// Their mean.
    #[serde(default)]
    pub average: f64,
    /// Their standard deviation.
    #[serde(default)]
    pub standard_deviation: f64,
    /// The shortest.
    #[serde(default)]
    pub minimum: f64,
    /// The longest.
    #[serde(default)]
    pub maximum: f64,
}

/// Append requests from the leader to a follower.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CountStats {
    /// That failed.
    #[serde(default)]
    pub fail: u64,
    /// That succeeded.
    #[serde(default)]
    pub success: u64,
}

/// A member's counts of v2 store operations since it started (`GET /v2/stats/store`). Reads are counted by the
/// member that served them, writes by every member as it applies them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct StoreStats {
    /// Reads that found their key.
    pub gets_success: u64,
    /// Reads that did not.
    pub gets_fail: u64,
    /// Sets that succeeded.
    pub sets_success: u64,
    /// Sets that failed.
    pub sets_fail: u64,
    /// Deletes that succeeded.
    pub delete_success: u64,
    /// Deletes that failed.
    pub delete_fail: u64,
    /// Updates that succeeded.
    pub update_success: u64,
    /// Updates that failed.
    pub update_fail: u64,
    /// Creates that succeeded.
    pub create_success: u64,
    /// Creates that failed.
    pub create_fail: u64,
    /// Compare-and-swaps that succeeded.
    pub compare_and_swap_success: u64,
    /// Compare-and-swaps that failed.
    pub compare_and_swap_fail: u64,
    /// Compare-and-deletes that succeeded.
    pub compare_and_delete_success: u64,
    /// Compare-and-deletes that failed.
    pub compare_and_delete_fail: u64,
    /// Keys that expired.
    pub expire_count: u64,
    /// Watchers waiting now.
    pub watchers: u64,
}

fn optional_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<MemberId>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
    // etcd writes "0" or nothing when it knows no leader.
    Ok(text.parse::<MemberId>().ok().filter(|id| id.as_u64() != 0))
}

/// A Go duration as `time.Duration.String` writes it: `"72h3m0.5s"`, `"1.5ms"`, `"0s"`.
pub(crate) fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let (unit, seconds) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("μs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .find(|(unit, _)| rest.starts_with(unit) && !(*unit == "m" && rest.starts_with("ms")))?;
        total += number * seconds;
        rest = &rest[unit.len()..];
    }
    // `try_from`: a duration past `Duration::MAX` (a server's "1e30h") is no duration, not a panic.
    number_found(text).then(|| Duration::try_from_secs_f64(total).ok()).flatten()
}

fn number_found(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_self_stats_of_a_follower_and_a_leader() {
        let follower: SelfStats = serde_json::from_str(
            r#"{"name":"m0","id":"6e4d4a53cdad343","state":"StateFollower","startTime":"2026-11-24T02:36:00.721580431Z",
               "leaderInfo":{"leader":"a3a52cdc47dbec5c","uptime":"3.558182992s","startTime":"2026-11-24T02:36:01.038540624Z"},
               "recvAppendRequestCnt":7,"recvPkgRate":1.97,"recvBandwidthRate":252.28,"sendAppendRequestCnt":0}"#,
        )
        .unwrap();
        assert_eq!(follower.state, RaftState::Follower);
        assert!(!follower.is_leader());
        assert_eq!(follower.leader_info.leader, Some(MemberId::new(0xa3a5_2cdc_47db_ec5c)));
        assert_eq!(follower.leader_info.uptime_duration(), Some(Duration::from_nanos(3_558_182_992)));
        for huge in ["99999999999999999999999h".to_owned(), "18446744073709551616s".to_owned(), "9".repeat(400) + "s"] {
            let info = LeaderInfo { uptime: huge.clone(), ..follower.leader_info.clone() };
            assert_eq!(info.uptime_duration(), None, "{huge}");
        }
        assert_eq!((follower.recv_pkg_rate, follower.send_pkg_rate), (Some(1.97), None));

        let leader: SelfStats =
            serde_json::from_str(r#"{"name":"m2","id":"a3","state":"StateLeader","leaderInfo":{"leader":""}}"#)
                .unwrap();
        assert!(leader.is_leader() && leader.leader_info.leader.is_none());
        let odd: SelfStats = serde_json::from_str(r#"{"name":"m","id":"1","state":"StateWeird"}"#).unwrap();
        assert_eq!(odd.state, RaftState::Other("StateWeird".into()));
    }

    #[test]
    fn decodes_leader_and_store_stats() {
        let leader: LeaderStats = serde_json::from_str(
            r#"{"leader":"a3a52cdc47dbec5c","followers":{"6e4d4a53cdad343":{"latency":{"current":0.001443,
               "average":0.0017,"standardDeviation":0.0015,"minimum":0.000481,"maximum":0.00517},"counts":{"fail":1,"success":7}}}}"#,
        )
        .unwrap();
        let follower = &leader.followers[&MemberId::new(0x06e4_d4a5_3cda_d343)];
        assert_eq!((follower.counts.fail, follower.counts.success), (1, 7));
        assert_eq!(follower.latency.maximum, 0.00517);

        let store: StoreStats = serde_json::from_str(
            r#"{"getsSuccess":3,"getsFail":3,"setsSuccess":4,"compareAndSwapFail":2,"watchers":1}"#,
        )
        .unwrap();
        assert_eq!((store.gets_success, store.sets_success, store.compare_and_swap_fail, store.watchers), (3, 4, 2, 1));
        assert_eq!(store.expire_count, 0);
    }

    #[test]
    fn reads_go_durations() {
        for (text, expected) in [
            ("0s", Duration::ZERO),
            ("0", Duration::ZERO),
            ("1.5s", Duration::from_millis(1500)),
            ("2m3s", Duration::from_secs(123)),
            ("1h0m0.5s", Duration::from_millis(3_600_500)),
            ("250ms", Duration::from_millis(250)),
            ("1.5µs", Duration::from_nanos(1500)),
            ("100ns", Duration::from_nanos(100)),
        ] {
            let parsed = parse_go_duration(text).unwrap_or_else(|| panic!("{text}"));
            assert!(parsed.abs_diff(expected) < Duration::from_nanos(2), "{text}: {parsed:?}");
        }
        for bad in ["", "s", "1x", "1.5", "h1"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }
}
