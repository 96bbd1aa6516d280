//! etcd's v2 auth (`v2auth`, `client_auth.go`): users, roles with key-glob permissions, the root user and role,
//! the guest role; `/v2/auth/*`, and the access checks on keys and members when auth is enabled.
//!
//! Passwords are kept as given (etcd keeps bcrypt hashes; neither ever shows them). Each change takes one
//! store index as etcd's records under `/2` do, the first one four more (etcd's auth directories).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use etcd_transport::{Body, RequestBody};
use etcd_v2_server::{ErrorCode, V2Error, render_error, render_http_error, render_method_not_allowed};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};

use crate::fake::Shared;

mod roles;
mod users;

use self::roles::for_role;
use self::users::for_user;

const ROOT: &str = "root";
const GUEST: &str = "guest";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rw {
    read: Option<Vec<String>>,
    write: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Permissions {
    #[serde(default)]
    kv: Rw,
}

impl Permissions {
    fn is_empty(p: &Option<Permissions>) -> bool {
        p.as_ref().is_none_or(|p| {
            p.kv.read.as_ref().is_none_or(Vec::is_empty) && p.kv.write.as_ref().is_none_or(Vec::is_empty)
        })
    }

    fn all() -> Permissions {
        Permissions { kv: Rw { read: Some(vec!["/*".into()]), write: Some(vec!["/*".into()]) } }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Role {
    #[serde(default)]
    role: String,
    #[serde(default)]
    permissions: Permissions,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant: Option<Permissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoke: Option<Permissions>,
}

impl Role {
    fn has_access(&self, key: &str, write: bool, recursive: bool) -> bool {
        if self.role == ROOT {
            return true;
        }
        let list = if write { &self.permissions.kv.write } else { &self.permissions.kv.read };
        list.iter().flatten().filter(|p| !p.is_empty()).any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => !recursive && key == pattern,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct User {
    #[serde(default)]
    user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    password: String,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grant: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoke: Option<Vec<String>>,
}

#[derive(Debug, Default)]
pub(crate) struct AuthState {
    enabled: bool,
    users: BTreeMap<String, User>,
    roles: BTreeMap<String, Role>,
    ensured: bool,
}

impl AuthState {
    fn role(&self, name: &str) -> Option<Role> {
        if name == ROOT {
            return Some(Role { role: ROOT.into(), permissions: Permissions::all(), grant: None, revoke: None });
        }
        self.roles.get(name).cloned()
    }

    fn user(&self, name: &str) -> Option<User> {
        let mut user = self.users.get(name).cloned()?;
        if user.user == ROOT {
            let roles = user.roles.get_or_insert_with(Vec::new);
            if !roles.iter().any(|r| r == ROOT) {
                roles.push(ROOT.into());
            }
        }
        Some(user)
    }

    /// The user the request's basic credentials name, if the password is right.
    fn authenticated(&self, request: &Request<RequestBody>) -> Option<User> {
        let header = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
        let encoded = header.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (name, password) = text.split_once(':')?;
        self.user(name).filter(|user| user.password == password)
    }

    fn is_root(&self, request: &Request<RequestBody>) -> bool {
        !self.enabled || self.authenticated(request).is_some_and(|u| u.roles.iter().flatten().any(|r| r == ROOT))
    }

    /// `hasKeyPrefixAccess`.
    fn key_access(&self, request: &Request<RequestBody>, key: &str, recursive: bool) -> bool {
        if !self.enabled {
            return true;
        }
        let write = !matches!(*request.method(), Method::GET | Method::HEAD);
        if request.headers().get(AUTHORIZATION).is_none() {
            return self.role(GUEST).is_some_and(|guest| guest.has_access(key, write, false));
        }
        let Some(user) = self.authenticated(request) else { return false };
        user.roles.iter().flatten().filter_map(|r| self.role(r)).any(|role| role.has_access(key, write, recursive))
    }
}

/// Answers `/v2/auth/*`, or refuses a keys or members request the credentials do not allow; `None` to go on.
pub(crate) fn intercept(shared: &Shared, request: &Request<RequestBody>) -> Option<Response<Body>> {
    let path = request.uri().path();
    if path == "/v2/auth" || path.starts_with("/v2/auth/") {
        return Some(serve_auth(shared, request));
    }
    let auth = shared.auth();
    if !auth.enabled {
        return None;
    }
    if let Some(key) = path.strip_prefix("/v2/keys") {
        let key = percent_decode(key);
        let recursive = request.uri().query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes())
                .any(|(k, v)| k == "recursive" && matches!(&*v, "true" | "1" | "t" | "T" | "TRUE" | "True"))
        });
        if !auth.key_access(request, &key, recursive) {
            let error = V2Error::new(ErrorCode::Unauthorized, "Insufficient credentials", 0);
            return Some(render_error(&error, Some(shared.cluster_id)));
        }
    } else if path.starts_with("/v2/members")
        && !matches!(*request.method(), Method::GET | Method::HEAD)
        && !auth.is_root(request)
    {
        return Some(no_auth());
    }
    None
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn no_auth() -> Response<Body> {
    render_http_error(StatusCode::UNAUTHORIZED, "Insufficient credentials", None)
}

fn auth_error(status: StatusCode, message: String, cluster_id: u64) -> Response<Body> {
    render_http_error(status, &format!("auth: {message}"), Some(cluster_id))
}

fn json<T: Serialize>(status: StatusCode, value: &T, cluster_id: u64) -> Response<Body> {
    etcd_v2_server::render_json(status, Some(cluster_id), value)
}

fn empty(cluster_id: u64) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    response.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    if let Ok(id) = http::HeaderValue::from_str(&etcd_v2_server::format_id(cluster_id)) {
        response.headers_mut().insert(etcd_v2_server::X_ETCD_CLUSTER_ID, id);
    }
    response
}

fn serve_auth(shared: &Shared, request: &Request<RequestBody>) -> Response<Body> {
    let id = shared.cluster_id;
    let clean = etcd_v2_server::clean_key(&percent_decode(&request.uri().path()["/v2/auth".len()..]));
    let pieces: Vec<&str> = clean.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method().clone();
    let mut auth = shared.auth();
    match pieces.as_slice() {
        ["enable"] => {
            if ![Method::GET, Method::PUT, Method::DELETE].contains(&method) {
                return render_method_not_allowed("GET,PUT,DELETE");
            }
            if method != Method::GET && !auth.is_root(request) {
                return no_auth();
            }
            match method {
                Method::GET => {
                    #[derive(Serialize)]
                    struct Enabled {
                        enabled: bool,
                    }
                    json(StatusCode::OK, &Enabled { enabled: auth.enabled }, id)
                }
                Method::PUT => {
                    if auth.enabled {
                        return auth_error(StatusCode::CONFLICT, "already enabled".into(), id);
                    }
                    if !auth.users.contains_key(ROOT) {
                        return auth_error(
                            StatusCode::CONFLICT,
                            "No root user available, please create one".into(),
                            id,
                        );
                    }
                    let mut writes = 1;
                    if !auth.roles.contains_key(GUEST) {
                        let guest =
                            Role { role: GUEST.into(), permissions: Permissions::all(), grant: None, revoke: None };
                        auth.roles.insert(GUEST.into(), guest);
                        writes += 1;
                    }
                    auth.enabled = true;
                    record_writes(shared, &mut auth, writes);
                    empty(id)
                }
                _ => {
                    if !auth.enabled {
                        return auth_error(StatusCode::CONFLICT, "already disabled".into(), id);
                    }
                    auth.enabled = false;
                    record_writes(shared, &mut auth, 1);
                    empty(id)
                }
            }
        }
        ["users"] | ["roles"] => {
            if method != Method::GET {
                return render_method_not_allowed("GET");
            }
            if !auth.is_root(request) {
                return no_auth();
            }
            if pieces[0] == "users" {
                #[derive(Serialize)]
                struct Users {
                    users: Option<Vec<UserWithRoles>>,
                }
                let users: Vec<UserWithRoles> =
                    auth.users.keys().filter_map(|name| auth.user(name)).map(|u| with_roles(&auth, u)).collect();
                json(StatusCode::OK, &Users { users: (!users.is_empty()).then_some(users) }, id)
            } else {
                #[derive(Serialize)]
                struct Roles {
                    roles: Vec<Role>,
                }
                let mut names: BTreeSet<&str> = auth.roles.keys().map(String::as_str).collect();
                names.insert(ROOT);
                let roles = names.into_iter().filter_map(|n| auth.role(n)).collect();
                json(StatusCode::OK, &Roles { roles }, id)
            }
        }
        ["users", name] => {
            if ![Method::GET, Method::PUT, Method::DELETE].contains(&method) {
                return render_method_not_allowed("GET,PUT,DELETE");
            }
            if !auth.is_root(request) {
                return no_auth();
            }
            for_user(shared, &mut auth, &method, name, request.body().as_bytes())
        }
        ["roles", name] => {
            if ![Method::GET, Method::PUT, Method::DELETE].contains(&method) {
                return render_method_not_allowed("GET,PUT,DELETE");
            }
            if !auth.is_root(request) {
                return no_auth();
            }
            for_role(shared, &mut auth, &method, name, request.body().as_bytes())
        }
        ["users", ..] | ["roles", ..] => render_http_error(StatusCode::BAD_REQUEST, "Invalid path", None),
        _ => etcd_v2_server::render_text(StatusCode::NOT_FOUND, "404 page not found"),
    }
}

#[derive(Serialize)]
struct UserWithRoles {
    user: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
}

fn with_roles(auth: &AuthState, user: User) -> UserWithRoles {
    let roles = user.roles.iter().flatten().filter_map(|r| auth.role(r)).collect();
    UserWithRoles { user: user.user, roles }
}

/// Auth records live in etcd's store under `/2`: each change takes a store index (and a raft entry), the first
/// one four more for the directories etcd makes then. Client watches never see them.
fn record_writes(shared: &Shared, auth: &mut AuthState, mut writes: u64) {
    if !auth.ensured {
        auth.ensured = true;
        writes += 4;
    }
    shared.store().internal_writes(writes);
    shared.raft().index += writes;
}
