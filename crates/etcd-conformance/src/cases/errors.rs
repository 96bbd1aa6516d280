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
            .put("/v2/keys/err2/a", "value=%ZZ")
            .put("/v2/keys/_etcd/x", "value=1")
            .get("/v2/keys/_etcd")
            .put("/v2/keys/0/x", "value=1")
            .get("/v2/keys/err2/a?wait=true&waitIndex=-1")
            .put("/v2/keys/err2/a", "value=1&prevIndex=-1")
            .put("/v2/keys/err2/a", "value=1&ttl=99999999999999999999"),
        Case::new("form_and_query_parsing")
            .put("/v2/keys/form/a?value=from-query", "value=from-form")
            .put("/v2/keys/form/b", "value=1&value=2")
            .put("/v2/keys/form/c", "value=a+b%2Bc")
            .put("/v2/keys/form/d?prevExist=true", "value=1")
            .put("/v2/keys/form/d", "value=1&ttl=")
            .get("/v2/keys/form/d?wait=true&waitIndex=")
            .get("/v2/keys/form?sorted=true&recursive=true")
            .put("/v2/keys/form/e", "value=1&prevExist=true&prevValue=x")
            .put("/v2/keys/form/a", "value=2&prevExist=true&prevValue=from-form")
            .put("/v2/keys/form/a", "value=3&prevExist=true&prevIndex={i+1}")
            .put("/v2/keys/form/a", "value=4&prevExist=false&prevIndex={i+1}")
            .delete("/v2/keys/form?recursive=true"),
        Case::new("values_as_etcd_encodes_them")
            .put("/v2/keys/enc/a", "value=%3Ca%3E%26%22%5C%0A%0D%09%01%E2%80%A8%C3%A9%F0%9F%98%80")
            .get("/v2/keys/enc/a")
            .put("/v2/keys/enc/%3Cb%3E%26", "value=x")
            .get("/v2/keys/enc?sorted=true")
            .put("/v2/keys/enc/big", "value=18446744073709551615&ttl=2147483647")
            .delete("/v2/keys/enc?recursive=true"),
    ]
}
