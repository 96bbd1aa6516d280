//! Three members: every member lists the same cluster, a write through one is read and watched through the
//! others, and a create that raced through two members fails on the second. Reads on other members are quorum
//! reads, since a plain read on a follower may lag the write it follows.

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("three_members")
            .get("/v2/members")
            .get("/v2/members")
            .on_member(2)
            .get("/v2/members/leader")
            .on_member(1)
            .put("/v2/keys/c3/a", "value=1")
            .on_member(1)
            .get("/v2/keys/c3/a?quorum=true")
            .on_member(2)
            .start_wait("next", "/v2/keys/c3/a?wait=true")
            .on_member(2)
            .put("/v2/keys/c3/a", "value=2&prevValue=1")
            .collect("next")
            .put("/v2/keys/c3/b", "value=1&prevExist=false")
            .on_member(2)
            .put("/v2/keys/c3/b", "value=1&prevExist=false")
            .on_member(1)
            .get("/v2/keys/c3?recursive=true&sorted=true&quorum=true")
            .on_member(1)
            .get("/v2/keys/c3/a?wait=true&waitIndex={i+1}")
            .on_member(2)
            .get("/health")
            .on_member(2)
            .delete("/v2/keys/c3?recursive=true")
            .on_member(2),
    ]
}
