//! Errors that are not about one option: not a directory, the read-only root, methods and paths etcd does not
//! serve, wait options that do not parse.

use crate::case::{Case, Request};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("not_a_directory_and_root")
            .put("/v2/keys/err1/file", "value=1")
            .put("/v2/keys/err1/file/child", "value=2")
            .get("/v2/keys/err1/file/child")
            .post("/v2/keys/err1/file", "value=3")
            .put("/v2/keys/", "value=1")
            .put("/v2/keys", "value=1")
            .post("/v2/keys/", "value=1")
            .delete("/v2/keys/?recursive=true")
            .delete("/v2/keys/?dir=true"),
        Case::new("bad_requests")
            .get("/v2/keys/err2/a?wait=true&waitIndex=abc")
            .get("/v2/keys/err2/a?recursive=maybe")
            .get("/v2/keys/err2/a?sorted=maybe")
            .get("/v2/keys/err2/a?quorum=maybe")
            .get("/v2/keys/err2/a?wait=maybe")
            .get("/v2/keys/err2/a?stream=maybe&wait=true")
            .send(Request::new("PATCH", "/v2/keys/err2/a"))
            .send(Request::new("HEAD", "/v2/keys/err2/a"))
            .get("/v2/nothing-here")
            .get("/v3/kv/range")
            .put("/v2/keys/err2/a", "value=%ZZ"),
    ]
}
