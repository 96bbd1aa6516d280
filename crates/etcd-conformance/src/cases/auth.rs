//! v2 auth, on a server of its own: root and auth enabled, a role with a key glob, a user with it, guest's
//! permissions revoked, reads and writes allowed and refused, then everything undone and auth disabled.

use crate::Case;

const ROOT: Option<(&str, &str)> = Some(("root", "rootpw"));

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new("auth_enable_users_roles_and_disable")
            .get("/v2/auth/enable")
            .put("/v2/auth/enable", "")
            .json("PUT", "/v2/auth/users/root", r#"{"user":"root","password":"rootpw"}"#, None)
            .json("PUT", "/v2/auth/enable", "", None)
            .get("/v2/auth/enable")
            .get("/v2/auth/users")
            .json("GET", "/v2/auth/users", "", Some(("root", "wrong")))
            .json("GET", "/v2/auth/users", "", ROOT)
            .json("GET", "/v2/auth/roles", "", ROOT)
            .json("GET", "/v2/auth/roles/guest", "", ROOT)
            .json(
                "PUT",
                "/v2/auth/roles/reader",
                r#"{"role":"reader","permissions":{"kv":{"read":["/auth/*"],"write":[]}}}"#,
                ROOT,
            )
            .json(
                "PUT",
                "/v2/auth/roles/reader",
                r#"{"role":"reader","permissions":{"kv":{"read":["/auth/*"],"write":[]}}}"#,
                ROOT,
            )
            .json("PUT", "/v2/auth/users/alice", r#"{"user":"alice","password":"alicepw"}"#, ROOT)
            .json("PUT", "/v2/auth/users/alice", r#"{"user":"alice","grant":["reader"]}"#, ROOT)
            .json("GET", "/v2/auth/users/alice", "", ROOT)
            .json("GET", "/v2/auth/users/nobody", "", ROOT)
            .json("GET", "/v2/auth/roles/reader", "", ROOT)
            .json(
                "PUT",
                "/v2/auth/roles/guest",
                r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
                ROOT,
            )
            .as_user("PUT", "/v2/keys/auth/a", Some("value=1"), "root", "rootpw")
            .as_user("GET", "/v2/keys/auth/a", None, "alice", "alicepw")
            .as_user("PUT", "/v2/keys/auth/a", Some("value=2"), "alice", "alicepw")
            .as_user("GET", "/v2/keys/other", None, "alice", "alicepw")
            .as_user("GET", "/v2/keys/auth/a", None, "alice", "wrong")
            .get("/v2/keys/auth/a")
            .put("/v2/keys/auth/a", "value=3")
            .json("GET", "/v2/auth/users", "", Some(("alice", "alicepw")))
            .json(
                "PUT",
                "/v2/auth/roles/writer",
                r#"{"role":"writer","permissions":{"kv":{"read":[],"write":["/auth/w*"]}}}"#,
                ROOT,
            )
            .json("PUT", "/v2/auth/users/bob", r#"{"user":"bob","password":"bobpw","roles":["writer"]}"#, ROOT)
            .json("PUT", "/v2/auth/users/bob", r#"{"user":"bob","grant":["writer"]}"#, ROOT)
            .as_user("PUT", "/v2/keys/auth/w1", Some("value=1"), "bob", "bobpw")
            .as_user("GET", "/v2/keys/auth/w1", None, "bob", "bobpw")
            .as_user("PUT", "/v2/keys/auth/a", Some("value=1"), "bob", "bobpw")
            .json("PUT", "/v2/auth/users/bob", r#"{"user":"bob","revoke":["writer"]}"#, ROOT)
            .as_user("PUT", "/v2/keys/auth/w1", Some("value=2"), "bob", "bobpw")
            .json("PUT", "/v2/auth/users/bob", r#"{"user":"bob","password":""}"#, ROOT)
            .json("PUT", "/v2/auth/users/bob", "not json", ROOT)
            .json("PUT", "/v2/auth/users/alice", r#"{"user":"alice","grant":["no-such-role"]}"#, ROOT)
            .json("GET", "/v2/auth/users/alice", "", ROOT)
            .json("GET", "/v2/auth/users", "", ROOT)
            .json("DELETE", "/v2/auth/users/root", "", ROOT)
            .json(
                "PUT",
                "/v2/auth/roles/guest",
                r#"{"role":"guest","grant":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
                ROOT,
            )
            .json("DELETE", "/v2/auth/users/alice", "", ROOT)
            .json("DELETE", "/v2/auth/users/bob", "", ROOT)
            .json("DELETE", "/v2/auth/roles/reader", "", ROOT)
            .json("DELETE", "/v2/auth/roles/writer", "", ROOT)
            .json("DELETE", "/v2/auth/roles/writer", "", ROOT)
            .json("DELETE", "/v2/auth/roles/root", "", ROOT)
            .json("DELETE", "/v2/auth/enable", "", ROOT)
            .get("/v2/auth/enable")
            .get("/v2/keys/auth/a")
            .delete("/v2/keys/auth?recursive=true"),
    ]
}
