use bytes::Bytes;
use etcd_core::{AuthError, Error, decode};
use etcd_transport::{Answer, Client, PerCallTimeout};
use http::StatusCode;

use crate::request::{self, Kind};
use crate::types::{self, WireEnabled, WireRole, WireRoles, WireUser, WireUsers};
use crate::{Permission, Role, User};

/// etcd's v2 auth API over a [`Client`]: turning auth on and off, users, roles and their permissions on keys.
///
/// Every call but [`is_enabled`](AuthApi::is_enabled) needs the root user's credentials once auth is enabled
/// ([`Config::basic_auth`](etcd_transport::Config::basic_auth)). Cheap to clone.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use etcd_auth::{AuthApi, Permission};
/// use etcd_transport::Client;
///
/// let auth = AuthApi::new(Client::builder(["http://127.0.0.1:2379"]).build()?);
/// auth.add_user("root", "root-password").await?;
/// auth.add_role("app").await?;
/// auth.grant_permission("app", "/app/*", Permission::ReadWrite).await?;
/// auth.add_user("app", "app-password").await?;
/// auth.grant_roles("app", &["app"]).await?;
/// auth.enable().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthApi {
    client: Client,
    pub(crate) timeout: PerCallTimeout,
}

impl AuthApi {
    /// The auth API of the cluster `client` talks to.
    pub fn new(client: Client) -> Self {
        AuthApi { client, timeout: PerCallTimeout::default() }
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether auth is enabled. Anyone may ask (the Go client cannot; etcd answers `GET /v2/auth/enable`).
    ///
    /// # Errors
    /// The transport's errors.
    pub async fn is_enabled(&self) -> Result<bool, Error> {
        let enabled: WireEnabled = self.call(request::enable_state()).await?.json()?;
        Ok(enabled.enabled)
    }

    /// Enables auth: from then on etcd checks every request's credentials, and requests without any get the
    /// `guest` role's permissions (etcd creates `guest` with read and write access to every key, unless a
    /// `guest` role exists). The `root` user must exist.
    ///
    /// # Errors
    /// [`AuthError`] of kind `Conflict` when there is no root user or auth is already enabled (kind
    /// `InsufficientCredentials` when it is enabled and the client is not root).
    pub async fn enable(&self) -> Result<(), Error> {
        self.call(request::enable()).await.map(drop)
    }

    /// Disables auth; only root may.
    ///
    /// # Errors
    /// [`Error::is_unauthorized`] when the client is not root, [`AuthError`] of kind `Conflict` when auth is
    /// already disabled.
    pub async fn disable(&self) -> Result<(), Error> {
        self.call(request::disable()).await.map(drop)
    }

    /// Creates a user with a password and no role. Creating `root` grants it the `root` role.
    ///
    /// etcd's v2 API has one call that creates a user or, when it exists, changes its password (the Go client's
    /// `AddUser` quietly does the latter). This call looks the user up first, so an existing user keeps its
    /// password and the call fails.
    ///
    /// # Errors
    /// [`Error::is_already_exists`] when the user exists; [`Error::InvalidRequest`] for an empty name or
    /// password, or a name with `/`.
    pub async fn add_user(&self, name: &str, password: &str) -> Result<(), Error> {
        let put = request::put_password(name, password)?;
        if self.user_exists(name).await? {
            return Err(already_exists(name, "found before creating it; its password was left alone"));
        }
        match self.call(put).await?.status {
            StatusCode::CREATED => Ok(()),
            _ => Err(already_exists(name, "created by someone else while this call ran; this call set its password")),
        }
    }

    /// Removes a user. While auth is enabled, `root` cannot be removed.
    ///
    /// # Errors
    /// [`Error::is_user_not_found`]; [`AuthError`] of kind `Forbidden` for `root` while auth is enabled.
    pub async fn remove_user(&self, name: &str) -> Result<(), Error> {
        self.call(request::remove(Kind::User, name)?).await.map(drop)
    }

    /// A user with its roles and their permissions.
    ///
    /// # Errors
    /// [`Error::is_user_not_found`]; [`Error::is_role_not_found`] when the user was granted a role that has since
    /// been removed (etcd answers so; [`list_users`](AuthApi::list_users) leaves such roles out instead).
    pub async fn get_user(&self, name: &str) -> Result<User, Error> {
        let user: WireUser = self.call(request::get(Kind::User, name)?).await?.json()?;
        Ok(user.into())
    }

    /// Every user with its roles and their permissions, sorted by name. Roles that no longer exist are left out.
    ///
    /// # Errors
    /// The transport's errors, [`Error::is_unauthorized`].
    pub async fn list_users(&self) -> Result<Vec<User>, Error> {
        let users: WireUsers = self.call(request::list(Kind::User)).await?.json()?;
        Ok(users.users.unwrap_or_default().into_iter().map(User::from).collect())
    }

    /// Sets a user's password.
    ///
    /// etcd's v2 API would create a missing user instead; this call looks the user up first.
    ///
    /// # Errors
    /// [`Error::is_user_not_found`]; [`Error::InvalidRequest`] for an empty password.
    pub async fn change_password(&self, name: &str, password: &str) -> Result<(), Error> {
        let put = request::put_password(name, password)?;
        if !self.user_exists(name).await? {
            return Err(not_found(name, "does not exist"));
        }
        match self.call(put).await?.status {
            StatusCode::CREATED => {
                Err(not_found(name, "was removed while this call ran; this call created it again with the password"))
            }
            _ => Ok(()),
        }
    }

    /// Grants roles to a user; returns the names of all its roles afterwards. etcd does not check that the roles
    /// exist.
    ///
    /// # Errors
    /// [`Error::is_user_not_found`]; [`AuthError`] of kind `Conflict` when the user already has one of them;
    /// [`Error::InvalidRequest`] for an empty list.
    pub async fn grant_roles(&self, user: &str, roles: &[&str]) -> Result<Vec<String>, Error> {
        let user: WireUser = self.call(request::user_roles(user, roles, true)?).await?.json()?;
        Ok(types::role_names(user))
    }

    /// Revokes roles from a user; returns the names of the roles it keeps.
    ///
    /// # Errors
    /// [`Error::is_user_not_found`]; [`AuthError`] of kind `Conflict` when the user does not have one of them;
    /// [`Error::InvalidRequest`] for an empty list.
    pub async fn revoke_roles(&self, user: &str, roles: &[&str]) -> Result<Vec<String>, Error> {
        let user: WireUser = self.call(request::user_roles(user, roles, false)?).await?.json()?;
        Ok(types::role_names(user))
    }

    /// Creates a role with no permission.
    ///
    /// # Errors
    /// [`Error::is_already_exists`]; [`AuthError`] of kind `Forbidden` for `root`.
    pub async fn add_role(&self, name: &str) -> Result<(), Error> {
        self.call(request::add_role(name)?).await.map(drop)
    }

    /// Removes a role. Removing `guest` leaves requests without credentials no access at all.
    ///
    /// # Errors
    /// [`Error::is_role_not_found`]; [`AuthError`] of kind `Forbidden` for `root`.
    pub async fn remove_role(&self, name: &str) -> Result<(), Error> {
        self.call(request::remove(Kind::Role, name)?).await.map(drop)
    }

    /// A role and its permissions.
    ///
    /// # Errors
    /// [`Error::is_role_not_found`].
    pub async fn get_role(&self, name: &str) -> Result<Role, Error> {
        let role: WireRole = self.call(request::get(Kind::Role, name)?).await?.json()?;
        Ok(role.into())
    }

    /// Every role with its permissions, sorted by name; `root` included.
    ///
    /// # Errors
    /// The transport's errors, [`Error::is_unauthorized`].
    pub async fn list_roles(&self) -> Result<Vec<Role>, Error> {
        let roles: WireRoles = self.call(request::list(Kind::Role)).await?.json()?;
        Ok(roles.roles.unwrap_or_default().into_iter().map(Role::from).collect())
    }

    /// Lets a role read, write, or both, the keys matching `pattern`: a key (`/config/mode`), or a prefix
    /// followed by `*` (`/app/*`: `/app` and everything under it). Returns the role afterwards.
    ///
    /// # Errors
    /// [`Error::is_role_not_found`]; [`AuthError`] of kind `Conflict` when the role already has that permission;
    /// kind `Forbidden` for `root`.
    pub async fn grant_permission(&self, role: &str, pattern: &str, permission: Permission) -> Result<Role, Error> {
        let role: WireRole = self.call(request::role_permission(role, pattern, permission, true)?).await?.json()?;
        Ok(role.into())
    }

    /// Takes a permission on `pattern` away from a role; returns the role afterwards.
    ///
    /// # Errors
    /// [`Error::is_role_not_found`]; [`AuthError`] of kind `BadRequest` when the role did not have it (etcd
    /// answers "Role not updated").
    pub async fn revoke_permission(&self, role: &str, pattern: &str, permission: Permission) -> Result<Role, Error> {
        let role: WireRole = self.call(request::role_permission(role, pattern, permission, false)?).await?.json()?;
        Ok(role.into())
    }

    /// Whether a user exists. A user granted a role that was removed since makes etcd answer "role not found",
    /// yet the user is there.
    async fn user_exists(&self, name: &str) -> Result<bool, Error> {
        match self.call(request::get(Kind::User, name)?).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_user_not_found() => Ok(false),
            Err(e) if e.is_role_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Sends a request; a success's status and body, or the auth API's error.
    async fn call(&self, request: http::Request<Bytes>) -> Result<Answer, Error> {
        let answer = self.timeout.execute(&self.client, request).await?;
        if !decode::is_success(answer.status) {
            return Err(answer.attribute(decode::auth_error(answer.status, &answer.body)));
        }
        Ok(answer)
    }
}

/// What etcd would have answered had it refused the creation itself.
fn already_exists(user: &str, how: &str) -> Error {
    AuthError::new(StatusCode::CONFLICT, format!("User {user} already exists ({how})")).into()
}

fn not_found(user: &str, how: &str) -> Error {
    AuthError::new(StatusCode::NOT_FOUND, format!("User {user} {how}")).into()
}
