// The auth suite's cases, shared by the fixtures that serve v2 auth: real etcd (`auth_against_etcd.rs`) and the
// in-memory etcd (`etcd-fake/tests/auth_suite.rs`). Each includes this file after its own `etcd()` fixture (a
// guard that is also what `client(&guard, credentials)` builds a client for), its `client`, the constants
// `ROOT_PASSWORD` and `APP_PASSWORD`, and the imports `std::time::Duration`, `etcd_auth::{AuthApi,
// AuthErrorKind, Error, Permission, Role}` and `etcd_keys::{Client, KeysApi}`. One copy, so that a case fixed or
// added runs on both.

/// A role as (name, read patterns, write patterns).
fn summary(role: &Role) -> (&str, Vec<&str>, Vec<&str>) {
    fn strs(patterns: &[String]) -> Vec<&str> {
        patterns.iter().map(String::as_str).collect()
    }
    (role.name.as_str(), strs(&role.read), strs(&role.write))
}

fn kind(error: &Error) -> AuthErrorKind {
    error.as_auth().unwrap_or_else(|| panic!("not an auth error: {error:?}")).kind()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_roles_round_trip_with_typed_errors() {
    let Some(etcd) = etcd() else { return };
    let auth = AuthApi::new(client(&etcd, None));

    assert!(!auth.is_enabled().await.unwrap());
    assert!(auth.list_users().await.unwrap().is_empty(), "etcd answers {{\"users\":null}} with no user");
    let roles = auth.list_roles().await.unwrap();
    assert_eq!(roles.iter().map(summary).collect::<Vec<_>>(), [("root", vec!["/*"], vec!["/*"])]);

    // Roles and their permissions.
    auth.add_role("app").await.unwrap();
    let again = auth.add_role("app").await.unwrap_err();
    assert!(again.is_already_exists(), "{again}");
    assert_eq!(again.as_auth().unwrap().status(), 409);
    let app = auth.get_role("app").await.unwrap();
    assert!(app.read.is_empty() && app.write.is_empty(), "{app:?}");
    let app = auth.grant_permission("app", "/app/*", Permission::ReadWrite).await.unwrap();
    assert_eq!(summary(&app), ("app", vec!["/app/*"], vec!["/app/*"]));
    let app = auth.grant_permission("app", "/shared/*", Permission::Read).await.unwrap();
    assert_eq!(app.read, ["/app/*", "/shared/*"]);
    assert_eq!(app.write, ["/app/*"]);
    let twice = auth.grant_permission("app", "/app/*", Permission::Read).await.unwrap_err();
    assert_eq!(kind(&twice), AuthErrorKind::Conflict, "{twice}");
    let app = auth.revoke_permission("app", "/shared/*", Permission::Read).await.unwrap();
    assert_eq!(app.read, ["/app/*"]);
    let nothing = auth.revoke_permission("app", "/never/*", Permission::Write).await.unwrap_err();
    assert_eq!(kind(&nothing), AuthErrorKind::BadRequest, "{nothing}");
    let missing = auth.get_role("ghost").await.unwrap_err();
    assert!(missing.is_role_not_found() && !missing.is_user_not_found(), "{missing}");
    assert!(auth.remove_role("ghost").await.unwrap_err().is_role_not_found());
    assert!(auth.grant_permission("ghost", "/x", Permission::Read).await.unwrap_err().is_role_not_found());
    let root = auth.remove_role("root").await.unwrap_err();
    assert_eq!(kind(&root), AuthErrorKind::Forbidden, "{root}");

    // Users, with their roles decoded (the Go client gives empty strings here).
    auth.add_user("bob", "bob-secret").await.unwrap();
    let exists = auth.add_user("bob", "other").await.unwrap_err();
    assert!(exists.is_already_exists(), "{exists}");
    let bob = auth.get_user("bob").await.unwrap();
    assert_eq!((bob.name.as_str(), bob.roles.len()), ("bob", 0));
    assert_eq!(auth.grant_roles("bob", &["app"]).await.unwrap(), ["app"]);
    let bob = auth.get_user("bob").await.unwrap();
    assert_eq!(bob.roles, [auth.get_role("app").await.unwrap()]);
    assert!(bob.has_role("app"));
    let duplicate = auth.grant_roles("bob", &["app"]).await.unwrap_err();
    assert_eq!(kind(&duplicate), AuthErrorKind::Conflict, "{duplicate}");

    // A user granted a role that is later removed: etcd's listing leaves the role out, its GET refuses.
    auth.add_role("temp").await.unwrap();
    assert_eq!(auth.grant_roles("bob", &["temp"]).await.unwrap(), ["app", "temp"]);
    auth.remove_role("temp").await.unwrap();
    let dangling = auth.get_user("bob").await.unwrap_err();
    assert!(dangling.is_role_not_found(), "{dangling}");
    let listed = auth.list_users().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].role_names().collect::<Vec<_>>(), ["app"]);
    assert_eq!(auth.revoke_roles("bob", &["temp"]).await.unwrap(), ["app"]);
    let ungranted = auth.revoke_roles("bob", &["temp"]).await.unwrap_err();
    assert_eq!(kind(&ungranted), AuthErrorKind::Conflict, "{ungranted}");

    // Missing users, and names that need encoding or cannot be sent.
    for result in [
        auth.get_user("nobody").await.map(drop),
        auth.remove_user("nobody").await,
        auth.change_password("nobody", "pw").await,
        auth.grant_roles("nobody", &["app"]).await.map(drop),
    ] {
        let error = result.unwrap_err();
        assert!(error.is_user_not_found() && !error.is_role_not_found(), "{error}");
    }
    assert!(auth.get_user("nobody").await.unwrap_err().is_user_not_found(), "change_password created the user");
    auth.add_user("a b%?é", "pw").await.unwrap();
    assert_eq!(auth.get_user("a b%?é").await.unwrap().name, "a b%?é");
    auth.remove_user("a b%?é").await.unwrap();
    assert!(auth.add_user("a/b", "pw").await.unwrap_err().is_invalid_request());
    assert!(auth.add_user("carol", "").await.unwrap_err().is_invalid_request());

    auth.remove_user("bob").await.unwrap();
    assert!(auth.list_users().await.unwrap().is_empty());
    auth.remove_role("app").await.unwrap();
    assert_eq!(auth.list_roles().await.unwrap(), roles);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabled_auth_limits_a_user_to_its_prefix_and_refuses_wrong_passwords() {
    let Some(etcd) = etcd() else { return };
    let anonymous = AuthApi::new(client(&etcd, None));

    let no_root = anonymous.enable().await.unwrap_err();
    assert_eq!(kind(&no_root), AuthErrorKind::Conflict, "{no_root}");
    anonymous.add_user("root", ROOT_PASSWORD).await.unwrap();
    assert!(anonymous.get_user("root").await.unwrap().has_role("root"));
    anonymous.add_role("app").await.unwrap();
    anonymous.grant_permission("app", "/app/*", Permission::ReadWrite).await.unwrap();
    anonymous.add_user("app", APP_PASSWORD).await.unwrap();
    anonymous.grant_roles("app", &["app"]).await.unwrap();
    anonymous.enable().await.unwrap();
    assert!(anonymous.is_enabled().await.unwrap(), "anyone may ask whether auth is enabled");

    let root = AuthApi::new(client(&etcd, Some(("root", ROOT_PASSWORD))));
    let app_keys = KeysApi::new(client(&etcd, Some(("app", APP_PASSWORD))));

    // Inside its prefix the user reads and writes; outside it gets the typed "unauthorized" error.
    app_keys.set("/app/config", "v1", None).await.unwrap();
    assert_eq!(app_keys.get("/app/config", None).await.unwrap().node.value, "v1");
    for error in [
        app_keys.set("/other", "x", None).await.unwrap_err(),
        app_keys.get("/other", None).await.unwrap_err(),
        app_keys.delete("/other", None).await.unwrap_err(),
    ] {
        assert!(error.is_unauthorized(), "{error}");
        assert_eq!(error.as_etcd().unwrap().status(), 401);
    }

    // Wrong passwords are refused, on keys and on the auth API.
    let wrong_keys = KeysApi::new(client(&etcd, Some(("app", "wrong"))));
    assert!(wrong_keys.set("/app/config", "x", None).await.unwrap_err().is_unauthorized());
    assert!(wrong_keys.get("/app/config", None).await.unwrap_err().is_unauthorized());
    let wrong_root = AuthApi::new(client(&etcd, Some(("root", "wrong"))));
    let refused = wrong_root.list_users().await.unwrap_err();
    assert!(refused.is_unauthorized(), "{refused}");
    assert_eq!(kind(&refused), AuthErrorKind::InsufficientCredentials);
    let unknown = KeysApi::new(client(&etcd, Some(("nobody", "x"))));
    assert!(unknown.get("/app/config", None).await.unwrap_err().is_unauthorized());

    // Managing auth needs root, once it is enabled.
    for error in [
        anonymous.list_users().await.unwrap_err(),
        anonymous.enable().await.unwrap_err(),
        anonymous.disable().await.unwrap_err(),
        AuthApi::new(app_keys.client().clone()).list_roles().await.unwrap_err(),
    ] {
        assert!(error.is_unauthorized(), "{error}");
    }
    let already = root.enable().await.unwrap_err();
    assert_eq!(kind(&already), AuthErrorKind::Conflict, "{already}");
    let keep_root = root.remove_user("root").await.unwrap_err();
    assert_eq!(kind(&keep_root), AuthErrorKind::Forbidden, "{keep_root}");

    // add_user leaves an existing user's password alone; change_password changes it.
    assert!(root.add_user("app", "hijacked").await.unwrap_err().is_already_exists());
    app_keys.get("/app/config", None).await.expect("the old password still works");
    root.change_password("app", "new-secret").await.unwrap();
    assert!(app_keys.get("/app/config", None).await.unwrap_err().is_unauthorized());
    let app_keys = KeysApi::new(client(&etcd, Some(("app", "new-secret"))));
    app_keys.get("/app/config", None).await.unwrap();

    // The guest role, as etcd documents it: created on enabling with access to every key, and it may be
    // modified at any time; revoking its permissions closes the cluster to requests without credentials.
    let guest = root.get_role("guest").await.unwrap();
    assert_eq!(summary(&guest), ("guest", vec!["/*"], vec!["/*"]));
    let anonymous_keys = KeysApi::new(client(&etcd, None));
    anonymous_keys.set("/open", "1", None).await.unwrap();
    anonymous_keys.get("/app/config", None).await.unwrap();
    let guest = root.revoke_permission("guest", "/*", Permission::Write).await.unwrap();
    assert!(guest.write.is_empty() && guest.read == ["/*"]);
    assert!(anonymous_keys.set("/open", "2", None).await.unwrap_err().is_unauthorized());
    assert_eq!(anonymous_keys.get("/open", None).await.unwrap().node.value, "1");
    root.revoke_permission("guest", "/*", Permission::Read).await.unwrap();
    assert!(anonymous_keys.get("/open", None).await.unwrap_err().is_unauthorized());
    app_keys.set("/app/config", "v2", None).await.expect("users keep their own permissions");
    // The v2 guide says guest "cannot be removed"; etcd 3.4 and 3.5 remove it, and requests without
    // credentials then have no access at all.
    root.remove_role("guest").await.unwrap();
    assert!(root.get_role("guest").await.unwrap_err().is_role_not_found());
    assert!(anonymous_keys.get("/open", None).await.unwrap_err().is_unauthorized());

    // Only root disables auth; then everything is open again.
    assert!(AuthApi::new(app_keys.client().clone()).disable().await.unwrap_err().is_unauthorized());
    root.disable().await.unwrap();
    assert!(!anonymous.is_enabled().await.unwrap());
    anonymous_keys.set("/open", "3", None).await.unwrap();
    let off = root.disable().await.unwrap_err();
    assert_eq!(kind(&off), AuthErrorKind::Conflict, "{off}");
}
