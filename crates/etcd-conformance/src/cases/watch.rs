//! Waits and streams: an answer after a later write, recursive waits, waits from history and from the future,
//! and the first events of a stream.

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("wait_for_the_next_change")
            .put("/v2/keys/w1/a", "value=1")
            .start_wait("next", "/v2/keys/w1/a?wait=true")
            .put("/v2/keys/w1/a", "value=2")
            .collect("next")
            .start_wait("delete", "/v2/keys/w1/a?wait=true")
            .delete("/v2/keys/w1/a")
            .collect("delete"),
        Case::new("wait_recursive_and_missing_keys")
            .start_wait("dir", "/v2/keys/w2?wait=true&recursive=true")
            .put("/v2/keys/w2/x/y", "value=1")
            .collect("dir")
            .start_wait("later", "/v2/keys/w2/not-yet?wait=true")
            .put("/v2/keys/w2/other", "value=1")
            .put("/v2/keys/w2/not-yet", "value=1&ttl=100")
            .collect("later")
            .delete("/v2/keys/w2?recursive=true"),
        Case::new("wait_from_history_and_future")
            .put("/v2/keys/w3/a", "value=1")
            .put("/v2/keys/w3/a", "value=2")
            .get("/v2/keys/w3/a?wait=true&waitIndex={i+1}")
            .get("/v2/keys/w3/a?wait=true&waitIndex={i+2}")
            .get("/v2/keys/w3?wait=true&recursive=true&waitIndex={i+1}")
            .start_wait("future", "/v2/keys/w3/a?wait=true&waitIndex={i+4}")
            .put("/v2/keys/w3/a", "value=3")
            .put("/v2/keys/w3/a", "value=4")
            .collect("future")
            // waitIndex=0 is no waitIndex: the next change, not the history from the start.
            .start_wait("zero", "/v2/keys/w3?wait=true&recursive=true&waitIndex=0")
            .put("/v2/keys/w3/b", "value=1")
            .collect("zero"),
        Case::new("waits_see_a_parent_deleted_but_not_hidden_keys")
            .put("/v2/keys/w5/d/a", "value=1")
            .start_wait("child", "/v2/keys/w5/d/a?wait=true")
            .start_wait("child_recursive", "/v2/keys/w5/d/a?wait=true&recursive=true")
            .delete("/v2/keys/w5/d?recursive=true")
            .collect("child")
            .collect("child_recursive")
            .start_wait("dir", "/v2/keys/w5?wait=true&recursive=true")
            .put("/v2/keys/w5/_hidden", "value=h")
            .put("/v2/keys/w5/seen", "value=s")
            .collect("dir")
            .get("/v2/keys/w5?wait=true&recursive=true&waitIndex={i+3}")
            .get("/v2/keys/w5/_hidden?wait=true&waitIndex={i+3}"),
        Case::new("stream_first_events")
            .start_stream("stream", "/v2/keys/w4?wait=true&stream=true&recursive=true", 4)
            .put("/v2/keys/w4/a", "value=1")
            .put("/v2/keys/w4/b", "value=2&prevExist=false")
            .put("/v2/keys/w4/a", "value=3&prevValue=1")
            .delete("/v2/keys/w4/b")
            .collect("stream")
            // etcd answers a stream from its history with one event, then stays quiet, even after a new write.
            .start_stream_quiet_after("history", "/v2/keys/w4/a?wait=true&stream=true&waitIndex={i+1}", 2, 1_000)
            .put("/v2/keys/w4/a", "value=5")
            .collect("history"),
    ]
}
