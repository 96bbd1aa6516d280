//! etcd's v2 auth, set up the way an application needs it: a `root` user, a role that may read and write one key
//! prefix, a user with that role, auth enabled; then that user writes inside its prefix, is refused outside it,
//! and a wrong password is refused. Everything it created is removed at the end, and auth is left as it was.
//!
//! On a cluster without auth: `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example auth`
//! (creates `root` with the password in `ETCD_PASSWORD`, or a demo one). On a cluster with auth enabled, give
//! root's credentials: `ETCD_USERNAME=root ETCD_PASSWORD=... cargo run -p examples --example auth`. TLS from
//! `ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE` (see the `examples` crate).

use std::process::ExitCode;

use etcd_auth::{AuthApi, Error, Permission};
use etcd_keys::{InvalidRequest, InvalidRequestKind, KeysApi};

const ROLE: &str = "example-app";
const USER: &str = "example-app";
const USER_PASSWORD: &str = "example-app-password";
const DEMO_ROOT_PASSWORD: &str = "example-root-password";

/// What this run changed, to undo it.
#[derive(Default)]
struct Created {
    root: bool,
    enabled_auth: bool,
    role: bool,
    user: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    if examples::api_is_v3() {
        eprintln!(
            "ETCD_API=v3: etcd's v2 auth has no bridge onto v3 (etcd-v2v3 serves keys, watches, members, status)"
        );
        return ExitCode::FAILURE;
    }
    let root_password = std::env::var("ETCD_PASSWORD").unwrap_or_else(|_| DEMO_ROOT_PASSWORD.to_owned());
    let root = match examples::config_from_env().and_then(|c| c.basic_auth("root", &root_password).build()) {
        Ok(client) => AuthApi::new(client),
        Err(error) => {
            eprintln!("error: {}", error.report());
            return ExitCode::FAILURE;
        }
    };
    let mut created = Created::default();
    let outcome = run(&root, &root_password, &mut created).await;
    let cleanup = clean_up(&root, &created).await;
    match outcome.and(cleanup) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

async fn run(root: &AuthApi, root_password: &str, created: &mut Created) -> Result<(), Error> {
    // 1. A root user, before auth can be enabled. (Root's credentials ride on every request; while auth is
    //    disabled etcd ignores them, so a root user made earlier cannot be checked: leave that cluster alone
    //    rather than enable auth with a password that may be wrong.)
    if root.is_enabled().await? {
        root.list_users().await?; // refused unless ETCD_PASSWORD is root's
    } else {
        match root.add_user("root", root_password).await {
            Ok(()) => created.root = true,
            Err(e) if e.is_already_exists() => {
                let why = "auth is disabled but a root user exists, whose password this example cannot check; \
                           enable auth yourself and run it with ETCD_PASSWORD set to root's password";
                return Err(InvalidRequest::new(InvalidRequestKind::Config, why).into());
            }
            Err(e) => return Err(e),
        }
    }

    // 2. A role that may read and write `/example-app/*` only, and a user with that role.
    root.add_role(ROLE).await?;
    created.role = true;
    let role = root.grant_permission(ROLE, "/example-app/*", Permission::ReadWrite).await?;
    println!("role {}: read {:?}, write {:?}", role.name, role.read, role.write);
    root.add_user(USER, USER_PASSWORD).await?;
    created.user = true;
    root.grant_roles(USER, &[ROLE]).await?;
    let user = root.get_user(USER).await?;
    println!("user {} has roles {:?}", user.name, user.role_names().collect::<Vec<_>>());

    // 3. Auth on. Requests without credentials now get the `guest` role, which etcd creates with access to
    //    every key: revoke its permissions (root.revoke_permission("guest", "/*", ...)) to close the cluster.
    if !root.is_enabled().await? {
        root.enable().await?;
        created.enabled_auth = true;
    }

    // 4. The application's client: its own credentials on every request.
    let app = KeysApi::new(examples::config_from_env()?.basic_auth(USER, USER_PASSWORD).build()?);
    app.set("/example-app/greeting", "hello", None).await?;
    println!("{USER} wrote /example-app/greeting");
    match app.set("/elsewhere", "x", None).await {
        Err(e) if e.is_unauthorized() => println!("{USER} may not write /elsewhere: {e}"),
        other => println!("unexpected: {other:?}"),
    }
    let wrong = KeysApi::new(examples::config_from_env()?.basic_auth(USER, "wrong password").build()?);
    match wrong.get("/example-app/greeting", None).await {
        Err(e) if e.is_unauthorized() => println!("a wrong password is refused: {e}"),
        other => println!("unexpected: {other:?}"),
    }
    app.delete("/example-app/greeting", None).await?;
    Ok(())
}

/// Leaves the cluster as it was found, as far as this run changed it.
async fn clean_up(root: &AuthApi, created: &Created) -> Result<(), Error> {
    if created.enabled_auth {
        root.disable().await?;
    }
    if created.user {
        root.remove_user(USER).await?;
    }
    if created.role {
        root.remove_role(ROLE).await?;
    }
    if created.root {
        root.remove_user("root").await?;
    }
    println!("cleaned up");
    Ok(())
}
