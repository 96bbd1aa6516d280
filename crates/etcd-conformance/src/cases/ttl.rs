//! Expiry in real time: kept to one case with 1-second TTLs (and a TTL of 0, which expires at the leader's
//! next expiry sweep), awaited through a stream of their `expire` events rather than by sleeping.

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("expiry_of_keys_and_directories")
            .put("/v2/keys/exp/d", "dir=true&ttl=1")
            .put("/v2/keys/exp/d/x", "value=in-dir")
            .put("/v2/keys/exp/k", "value=1&ttl=1")
            .get("/v2/keys/exp?recursive=true&sorted=true")
            // The stream starts first, so that it is live whenever etcd's 500 ms sweep comes: it waits past the
            // next write (i+4) for the three expiries.
            .start_stream("expired", "/v2/keys/exp?wait=true&stream=true&recursive=true&waitIndex={i+5}", 3)
            // Expires first: its expiration (now) is before the others' (a second after their writes).
            .put("/v2/keys/exp/z", "value=0&ttl=0")
            .collect("expired")
            .get("/v2/keys/exp/k")
            .get("/v2/keys/exp/d/x")
            .get("/v2/keys/exp?recursive=true")
            .get("/v2/keys/exp/d?wait=true&waitIndex={i+5}"),
    ]
}
