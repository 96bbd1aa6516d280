//! etcd keeps the last 1,000 events: a watch from an index older than that is answered 401.

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("history_overflow")
            .put_many(1005, "/v2/keys/hist/k", "value={n}")
            .get("/v2/keys/hist/k?wait=true&waitIndex={i+1}")
            .get("/v2/keys/hist/k?wait=true&stream=true&waitIndex={i+2}")
            .get("/v2/keys/?wait=true&recursive=true&waitIndex={i+3}")
            .get("/v2/keys/hist/k?wait=true&waitIndex={i+5}")
            .get("/v2/keys/hist/k?wait=true&waitIndex={i+6}")
            .get("/v2/keys/hist?wait=true&recursive=true&waitIndex={i+1000}")
            .get("/v2/keys/hist/k"),
    ]
}
