//! The server's own endpoints: version, health, members, stats (their values are the server's own, so the
//! normalizer compares members by shape of IDs and URLs and stats by shape only).

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("version_and_health").get("/version").get("/health").get("/health?serializable=true"),
        Case::new("members").get("/v2/members").get("/v2/members/").get("/v2/members/leader"),
        Case::new("stats").get("/v2/stats/self").get("/v2/stats/leader").get("/v2/stats/store"),
        // Every kind of store operation once succeeding and once failing, between two reads of the counters.
        Case::new("store_stats_count_operations")
            .get("/v2/stats/store")
            .put("/v2/keys/st/a", "value=1")
            .put("/v2/keys/st/a/b", "value=1")
            .put("/v2/keys/st/c", "value=1&prevExist=false")
            .put("/v2/keys/st/c", "value=1&prevExist=false")
            .get("/v2/keys/st/a")
            .get("/v2/keys/st/a?quorum=true")
            .get("/v2/keys/st/missing")
            .put("/v2/keys/st/a", "value=2&prevExist=true")
            .put("/v2/keys/st/missing", "value=2&prevExist=true")
            .put("/v2/keys/st/a", "value=3&prevValue=2")
            .put("/v2/keys/st/a", "value=4&prevValue=2")
            .delete("/v2/keys/st/a?prevValue=nope")
            .delete("/v2/keys/st/a?prevValue=3")
            .delete("/v2/keys/st/c")
            .delete("/v2/keys/st/c")
            .post("/v2/keys/st/q", "value=1")
            .put("/v2/keys/st/e", "value=1&ttl=abc")
            .get("/v2/stats/store")
            .delete("/v2/keys/st?recursive=true")
            .get("/v2/stats/store"),
    ]
}

/// Membership changes etcd refuses, in a group of their own: a server that accepts one (adding a member that
/// never starts) loses its quorum, and every later write of the group would fail with it.
pub(super) fn refused_member_changes() -> Vec<Case> {
    vec![
        Case::new("member_changes_refused")
            .post("/v2/members", "peerURLs=http://127.0.0.1:1")
            .json("POST", "/v2/members", "{}", None)
            .json("POST", "/v2/members", r#"{"peerURLs":["not a url"]}"#, None)
            .json("POST", "/v2/members", "not json", None)
            .json("PUT", "/v2/members/ffff", r#"{"peerURLs":["http://127.0.0.1:1"]}"#, None)
            .delete("/v2/members/ffff")
            .delete("/v2/members/not-hex")
            .get("/v2/members")
            .put("/v2/keys/mc/a", "value=1"),
    ]
}
