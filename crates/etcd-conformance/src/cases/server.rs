//! The server's own endpoints: version, health, members, stats (their values are the server's own, so the
//! normalizer compares members by shape of IDs and URLs and stats by shape only).

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("version_and_health").get("/version").get("/health").get("/health?serializable=true"),
        Case::new("members")
            .get("/v2/members")
            .get("/v2/members/")
            .get("/v2/members/leader")
            .post("/v2/members", "peerURLs=http://127.0.0.1:1")
            .json("POST", "/v2/members", "{}", None)
            .json("POST", "/v2/members", r#"{"peerURLs":["not a url"]}"#, None)
            .json("POST", "/v2/members", "not json", None)
            .json("PUT", "/v2/members/ffff", r#"{"peerURLs":["http://127.0.0.1:1"]}"#, None)
            .delete("/v2/members/ffff")
            .delete("/v2/members/not-hex"),
        Case::new("stats").get("/v2/stats/self").get("/v2/stats/leader").get("/v2/stats/store"),
    ]
}
