//! etcd's v2 auth API for Rust: turning auth on and off, users, roles, and the key patterns each role may read
//! and write, with typed results and typed errors, over the tower-based [`Client`](etcd_transport::Client).
//!
//! ```no_run
//! # async fn run() -> Result<(), etcd_core::Error> {
//! use etcd_auth::{AuthApi, Permission};
//! use etcd_transport::Client;
//!
//! // Auth is enabled: manage it as root.
//! let root = Client::builder(["http://127.0.0.1:2379"]).basic_auth("root", "root-password").build()?;
//! let auth = AuthApi::new(root);
//! auth.add_role("reports").await?;
//! auth.grant_permission("reports", "/reports/*", Permission::Read).await?;
//! match auth.add_user("alice", "alice-password").await {
//!     Err(e) if e.is_already_exists() => println!("alice is there already"),
//!     other => other?,
//! }
//! auth.grant_roles("alice", &["reports"]).await?;
//! let alice = auth.get_user("alice").await?;
//! for role in &alice.roles {
//!     println!("{} may read {:?} and write {:?}", role.name, role.read, role.write);
//! }
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! The auth API answers a refusal with an HTTP status and a message; it becomes [`Error::Auth`] with an
//! [`AuthError`] whose [`kind`](AuthError::kind) says what was refused, and questions on [`Error`]:
//! [`is_user_not_found`](Error::is_user_not_found), [`is_role_not_found`](Error::is_role_not_found),
//! [`is_already_exists`](Error::is_already_exists), [`is_unauthorized`](Error::is_unauthorized) (insufficient
//! credentials: not root, or a wrong password). The keys API's refusals for lack of permission are
//! [`Error::is_unauthorized`] too (etcd's error code 110).
//!
//! # Users, roles, guests
//!
//! `root` is the user that manages auth; creating it grants it the `root` role (every key). When auth is
//! enabled, requests without credentials get the `guest` role's permissions; etcd creates `guest` with access to
//! every key, so restricting a cluster means revoking `guest`'s permissions (or removing the role).
//! Passwords are sent in JSON bodies and never appear in this crate's `Debug` output or errors.

mod api;
mod request;
mod timeout;
mod types;

pub use api::AuthApi;
pub use etcd_core::{AuthError, AuthErrorKind, Error};
pub use types::{Permission, Role, User};
