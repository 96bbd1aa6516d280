//! Reads: a value, a directory listing, recursive and sorted reads, quorum reads, hidden keys, the root.

use crate::case::{Case, Request};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("get_value_and_missing_key")
            .put("/v2/keys/get1/a", "value=hello")
            .get("/v2/keys/get1/a")
            .get("/v2/keys/get1/a?quorum=true")
            .get("/v2/keys/get1/missing")
            .get("/v2/keys/get1/missing/deeper")
            .send(Request::new("HEAD", "/v2/keys/get1/a"))
            .send(Request::new("HEAD", "/v2/keys/get1/missing")),
        Case::new("get_directory_listings")
            .put("/v2/keys/get2/b", "value=2")
            .put("/v2/keys/get2/a", "value=1")
            .put("/v2/keys/get2/sub/c", "value=3")
            .put("/v2/keys/get2/sub/d/e", "value=4")
            .get("/v2/keys/get2?sorted=true")
            .get("/v2/keys/get2/?sorted=true")
            .get("/v2/keys/get2?recursive=true&sorted=true")
            .get("/v2/keys/get2/sub/d")
            .get("/v2/keys/get2/sub/d?recursive=true")
            .get("/v2/keys/get2?recursive=true&sorted=true&quorum=true"),
        Case::new("get_hidden_keys")
            .put("/v2/keys/get3/_hidden", "value=h")
            .put("/v2/keys/get3/seen", "value=s")
            .put("/v2/keys/get3/_hdir/x", "value=x")
            .get("/v2/keys/get3")
            .get("/v2/keys/get3?recursive=true")
            .get("/v2/keys/get3/_hidden")
            .get("/v2/keys/get3/_hdir"),
        Case::new("get_empty_directory_and_special_names")
            .put("/v2/keys/get4/empty", "dir=true")
            .get("/v2/keys/get4/empty")
            .get("/v2/keys/get4/empty?recursive=true")
            .put("/v2/keys/get4/with%20space", "value=a%26b%3Dc")
            .get("/v2/keys/get4/with%20space")
            .put("/v2/keys/get4/%E2%9C%93", "value=%E2%9C%93")
            .get("/v2/keys/get4/%E2%9C%93")
            .get("/v2/keys/get4//empty")
            .get("/v2/keys/get4/empty/"),
    ]
}

/// The root's listing, which shows every key of the store: run on a store of its own.
pub(super) fn root() -> Vec<Case> {
    vec![
        Case::new("list_the_root")
            .get("/v2/keys/")
            .put("/v2/keys/root/a", "value=1")
            .put("/v2/keys/root/_hidden", "value=h")
            .put("/v2/keys/top", "value=2")
            .get("/v2/keys/?sorted=true")
            .get("/v2/keys/?recursive=true&sorted=true")
            .get("/v2/keys?recursive=true&sorted=true&quorum=true"),
    ]
}
