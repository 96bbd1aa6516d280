//! Writes with every option: set, create, update, compare-and-swap, TTLs, refresh, directories,
//! noValueOnSuccess, create in order.

use crate::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("set_and_overwrite")
            .put("/v2/keys/set1/a", "value=1")
            .put("/v2/keys/set1/a", "value=2")
            .put("/v2/keys/set1/a", "")
            .get("/v2/keys/set1/a")
            .put("/v2/keys/set1/a", "value=3&noValueOnSuccess=true")
            .put("/v2/keys/set1/b?value=from-query", "")
            .get("/v2/keys/set1/b"),
        Case::new("create_and_update_with_prev_exist")
            .put("/v2/keys/set2/a", "value=1&prevExist=false")
            .put("/v2/keys/set2/a", "value=2&prevExist=false")
            .put("/v2/keys/set2/b", "value=1&prevExist=true")
            .put("/v2/keys/set2/a", "value=3&prevExist=true")
            .put("/v2/keys/set2/a", "value=4&prevExist=true&noValueOnSuccess=true")
            .put("/v2/keys/set2/a", "value=5&prevExist=maybe"),
        Case::new("compare_and_swap")
            .put("/v2/keys/cas/a", "value=1")
            .put("/v2/keys/cas/a", "value=2&prevValue=1")
            .put("/v2/keys/cas/a", "value=3&prevValue=1")
            .put("/v2/keys/cas/a", "value=4&prevIndex={i+2}")
            .put("/v2/keys/cas/a", "value=5&prevIndex={i+1}")
            .put("/v2/keys/cas/a", "value=6&prevIndex={i+3}&prevValue=4")
            .put("/v2/keys/cas/a", "value=7&prevIndex={i+4}&prevValue=nope")
            .put("/v2/keys/cas/a", "value=8&prevValue=")
            .put("/v2/keys/cas/missing", "value=1&prevValue=1")
            .put("/v2/keys/cas/a", "value=9&prevIndex=0")
            .put("/v2/keys/cas/a", "value=9&prevIndex=abc")
            .put("/v2/keys/cas/a", "value=9&prevValue=6&prevExist=false"),
        Case::new("ttl_set_refresh_and_remove")
            .put("/v2/keys/ttl1/a", "value=1&ttl=100")
            .get("/v2/keys/ttl1/a")
            .put("/v2/keys/ttl1/a", "ttl=200&refresh=true&prevExist=true")
            .put("/v2/keys/ttl1/a", "ttl=300&refresh=true")
            .put("/v2/keys/ttl1/a", "value=2&ttl=300&refresh=true")
            .put("/v2/keys/ttl1/a", "refresh=true&prevExist=true")
            .put("/v2/keys/ttl1/missing", "ttl=100&refresh=true")
            .put("/v2/keys/ttl1/a", "value=3&ttl=&prevExist=true")
            .get("/v2/keys/ttl1/a")
            .put("/v2/keys/ttl1/a", "value=5&ttl=-1")
            .put("/v2/keys/ttl1/a", "value=6&ttl=abc")
            .put("/v2/keys/ttl1/a", "value=7&ttl=1.5")
            .put("/v2/keys/ttl1/d", "dir=true&ttl=100")
            .get("/v2/keys/ttl1/d")
            .delete("/v2/keys/ttl1?recursive=true"),
        Case::new("directories")
            .put("/v2/keys/dir1/d", "dir=true")
            .put("/v2/keys/dir1/d", "dir=true")
            .put("/v2/keys/dir1/d", "dir=true&prevExist=false")
            .put("/v2/keys/dir1/d", "value=1")
            .put("/v2/keys/dir1/d", "value=1&dir=true")
            .put("/v2/keys/dir1/f", "value=1")
            .put("/v2/keys/dir1/f", "dir=true")
            .put("/v2/keys/dir1/d", "dir=maybe")
            .get("/v2/keys/dir1?sorted=true"),
        Case::new("more_option_combinations")
            .put("/v2/keys/opt/d", "dir=true")
            .put("/v2/keys/opt/d", "value=1&prevValue=x")
            .put("/v2/keys/opt/d", "value=1&prevIndex={i+1}")
            .put("/v2/keys/opt/missing", "value=1&prevIndex=5")
            .put("/v2/keys/opt/f", "value=1")
            .put("/v2/keys/opt/f", "dir=true&prevExist=false")
            .put("/v2/keys/opt/f", "value=2&prevValue=1&noValueOnSuccess=true")
            .post("/v2/keys/opt/q", "value=1&noValueOnSuccess=true")
            .put("/v2/keys/opt/slash/", "value=1")
            .get("/v2/keys/opt/slash")
            .get("/v2/keys/opt/f?recursive=true&sorted=true")
            .get("/v2/keys/opt/missing?quorum=true")
            .get("/v2/keys/opt/../opt/f")
            .delete("/v2/keys/opt/f?dir=true")
            .put("/v2/keys/opt/t", "value=1&ttl=100")
            .put("/v2/keys/opt/t", "ttl=200&refresh=true&prevValue=1")
            .put("/v2/keys/opt/t", "ttl=300&refresh=true&prevIndex={i+9}")
            .put("/v2/keys/opt/t", "ttl=300&refresh=true&prevValue=2")
            .delete("/v2/keys/opt?recursive=true"),
        // Each ends with an answer that differs between etcd 3.4 and 3.5 (normalize::VERSION_DIFFERENCES).
        Case::new("update_directory")
            .put("/v2/keys/upd1/d", "dir=true")
            .put("/v2/keys/upd1/d", "dir=true&prevExist=true"),
        Case::new("update_directory_ttl")
            .put("/v2/keys/upd2/d", "dir=true&ttl=100")
            .put("/v2/keys/upd2/d", "dir=true&ttl=&prevExist=true"),
        Case::new("refresh_directory_ttl")
            .put("/v2/keys/upd3/d", "dir=true&ttl=100")
            .put("/v2/keys/upd3/d", "dir=true&ttl=200&refresh=true&prevExist=true"),
        Case::new("create_in_order")
            .post("/v2/keys/queue", "value=first")
            .post("/v2/keys/queue", "value=second")
            .post("/v2/keys/queue", "")
            .post("/v2/keys/queue", "value=ttl&ttl=100")
            .get("/v2/keys/queue?sorted=true")
            .get("/v2/keys/queue?recursive=true&sorted=true")
            .put("/v2/keys/queue2", "value=file")
            .post("/v2/keys/queue2", "value=under-a-file")
            .post("/v2/keys/queue", "value=x&dir=true")
            .delete("/v2/keys/queue?recursive=true"),
    ]
}
