//! Users, roles and permissions as etcd's v2 auth API describes them, and their JSON.

use serde::Deserialize;

/// A user: its name and its roles, each with the key permissions it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The user's name.
    pub name: String,
    /// The roles granted to the user, with their permissions, sorted by name.
    pub roles: Vec<Role>,
}

impl User {
    /// The names of the user's roles.
    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|role| role.name.as_str())
    }

    /// Whether the user has the role `name`.
    pub fn has_role(&self, name: &str) -> bool {
        self.role_names().any(|role| role == name)
    }
}

/// A role: its name and the key patterns it may read and write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Role {
    /// The role's name (`root` and `guest` are etcd's own).
    pub name: String,
    /// Key patterns the role may read: a key (`/config/mode`) or a prefix ending in `*` (`/app/*`).
    pub read: Vec<String>,
    /// Key patterns the role may write, as [`Role::read`].
    pub write: Vec<String>,
}

/// Which access a permission grants on a key pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Reading keys (`GET`).
    Read,
    /// Writing keys (`PUT`, `POST`, `DELETE`).
    Write,
    /// Both.
    ReadWrite,
}

impl Permission {
    pub(crate) fn reads(self) -> bool {
        matches!(self, Permission::Read | Permission::ReadWrite)
    }

    pub(crate) fn writes(self) -> bool {
        matches!(self, Permission::Write | Permission::ReadWrite)
    }
}

/// A user as etcd sends it: `roles` absent, `null`, or a list of role objects (`GET`), or of names (etcd 2's
/// answers, and its answers to `PUT`).
#[derive(Deserialize)]
pub(crate) struct WireUser {
    user: String,
    #[serde(default)]
    roles: Option<Vec<WireRoleRef>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireRoleRef {
    Role(WireRole),
    Name(String),
}

#[derive(Deserialize)]
pub(crate) struct WireRole {
    role: String,
    #[serde(default)]
    permissions: Option<WirePermissions>,
}

#[derive(Deserialize)]
struct WirePermissions {
    #[serde(default)]
    kv: Option<WireKv>,
}

#[derive(Deserialize)]
struct WireKv {
    #[serde(default)]
    read: Option<Vec<String>>,
    #[serde(default)]
    write: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(crate) struct WireUsers {
    #[serde(default)]
    pub(crate) users: Option<Vec<WireUser>>,
}

#[derive(Deserialize)]
pub(crate) struct WireRoles {
    #[serde(default)]
    pub(crate) roles: Option<Vec<WireRole>>,
}

#[derive(Deserialize)]
pub(crate) struct WireEnabled {
    pub(crate) enabled: bool,
}

impl From<WireUser> for User {
    fn from(wire: WireUser) -> User {
        let mut roles: Vec<Role> = wire
            .roles
            .unwrap_or_default()
            .into_iter()
            .map(|role| match role {
                WireRoleRef::Role(role) => Role::from(role),
                WireRoleRef::Name(name) => Role { name, ..Role::default() },
            })
            .collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        User { name: wire.user, roles }
    }
}

impl From<WireRole> for Role {
    fn from(wire: WireRole) -> Role {
        let kv = wire.permissions.and_then(|p| p.kv);
        let (read, write) =
            kv.map_or_else(Default::default, |kv| (kv.read.unwrap_or_default(), kv.write.unwrap_or_default()));
        Role { name: wire.role, read, write }
    }
}

/// The names of a user's roles in etcd's answer to a `PUT` (`{"user":"bob","roles":["app"]}`).
pub(crate) fn role_names(wire: WireUser) -> Vec<String> {
    User::from(wire).roles.into_iter().map(|role| role.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: &str) -> User {
        User::from(serde_json::from_str::<WireUser>(json).unwrap())
    }

    #[test]
    fn decodes_users_with_their_roles_whatever_etcd_left_out() {
        let bob = user(
            r#"{"user":"bob","roles":[{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/*"]}}},
               {"role":"audit","permissions":{"kv":{"read":["/*"],"write":null}}}]}"#,
        );
        assert_eq!(bob.name, "bob");
        assert_eq!(bob.role_names().collect::<Vec<_>>(), ["app", "audit"]);
        assert_eq!(bob.roles[0].write, ["/app/*"]);
        assert!(bob.roles[1].write.is_empty() && bob.has_role("audit") && !bob.has_role("root"));

        assert!(user(r#"{"user":"carol"}"#).roles.is_empty());
        assert!(user(r#"{"user":"carol","roles":null}"#).roles.is_empty());
        let named = user(r#"{"user":"dave","roles":["b","a"]}"#);
        assert_eq!(named.role_names().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn decodes_roles_with_null_permissions() {
        let role: Role =
            serde_json::from_str::<WireRole>(r#"{"role":"app","permissions":{"kv":{"read":null,"write":null}}}"#)
                .unwrap()
                .into();
        assert_eq!(role, Role { name: "app".into(), read: vec![], write: vec![] });
        let users: WireUsers = serde_json::from_str(r#"{"users":null}"#).unwrap();
        assert!(users.users.is_none());
    }
}
