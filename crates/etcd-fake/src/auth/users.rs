//! `/v2/auth/users/NAME`: get, create or update (password, grant, revoke), delete.

use std::collections::BTreeSet;

use etcd_transport::Body;
use etcd_v2_server::render_http_error;
use http::{Method, Response, StatusCode};

use super::{AuthState, ROOT, User, auth_error, empty, json, record_writes, with_roles};
use crate::fake::Shared;

pub(super) fn for_user(
    shared: &Shared,
    auth: &mut AuthState,
    method: &Method,
    name: &str,
    body: &[u8],
) -> Response<Body> {
    let id = shared.cluster_id;
    match *method {
        Method::GET => match auth.user(name) {
            Some(user) => {
                // Unlike the listing, a user's GET refuses a role that no longer exists.
                if let Some(missing) = user.roles.iter().flatten().find(|r| auth.role(r).is_none()) {
                    return auth_error(StatusCode::NOT_FOUND, format!("Role {missing} does not exist."), id);
                }
                json(StatusCode::OK, &with_roles(auth, user), id)
            }
            None => auth_error(StatusCode::NOT_FOUND, format!("User {name} does not exist."), id),
        },
        Method::DELETE => {
            if auth.enabled && name == ROOT {
                return auth_error(StatusCode::FORBIDDEN, "Cannot delete root user while auth is enabled.".into(), id);
            }
            if auth.users.remove(name).is_none() {
                return auth_error(StatusCode::NOT_FOUND, format!("User {name} does not exist"), id);
            }
            record_writes(shared, auth, 1);
            empty(id)
        }
        _ => {
            let Ok(mut input) = serde_json::from_slice::<User>(body) else {
                return render_http_error(StatusCode::BAD_REQUEST, "Invalid JSON in request body.", Some(id));
            };
            if input.user != name {
                return render_http_error(
                    StatusCode::BAD_REQUEST,
                    "User JSON name does not match the name in the URL",
                    Some(id),
                );
            }
            let has = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
            let plain = !has(&input.grant) && !has(&input.revoke);
            if !plain && has(&input.roles) {
                return render_http_error(
                    StatusCode::BAD_REQUEST,
                    "User JSON contains both roles and grant/revoke",
                    Some(id),
                );
            }
            let exists = auth.users.contains_key(name);
            let (mut out, created) = if plain && (has(&input.roles) || !exists) {
                // etcd creates a user given with roles by CreateUser, whose answer is 200, and one without by
                // CreateOrUpdateUser, whose answer is 201.
                let answers_created = !has(&input.roles);
                if input.user == ROOT {
                    let roles = input.roles.get_or_insert_with(Vec::new);
                    if !roles.iter().any(|r| r == ROOT) {
                        roles.push(ROOT.into());
                    }
                }
                if input.password.is_empty() {
                    let message = format!("Cannot create user {name} with an empty password");
                    return auth_error(StatusCode::BAD_REQUEST, message, id);
                }
                if exists {
                    return auth_error(StatusCode::CONFLICT, format!("User {name} already exists."), id);
                }
                input.grant = None;
                input.revoke = None;
                auth.users.insert(name.to_owned(), input.clone());
                (input, answers_created)
            } else {
                let Some(old) = auth.user(name) else {
                    return auth_error(StatusCode::NOT_FOUND, format!("User {name} doesn't exist."), id);
                };
                let mut roles: BTreeSet<String> = old.roles.iter().flatten().cloned().collect();
                for grant in input.grant.iter().flatten() {
                    if !roles.insert(grant.clone()) {
                        return auth_error(
                            StatusCode::CONFLICT,
                            format!("Granting duplicate role {grant} for user {name}"),
                            id,
                        );
                    }
                }
                for revoke in input.revoke.iter().flatten() {
                    if !roles.remove(revoke) {
                        return auth_error(
                            StatusCode::CONFLICT,
                            format!("Revoking ungranted role {revoke} for user {name}"),
                            id,
                        );
                    }
                }
                // etcd re-hashes a given password with a new salt: giving one always counts as a change.
                let new_password = !input.password.is_empty();
                let password = if new_password { input.password } else { old.password.clone() };
                let updated = User {
                    user: name.to_owned(),
                    password,
                    roles: Some(roles.into_iter().collect()),
                    grant: None,
                    revoke: None,
                };
                if updated == old && !new_password {
                    let message = "User not updated. Use grant/revoke/password to update the user.".to_owned();
                    return auth_error(StatusCode::BAD_REQUEST, message, id);
                }
                auth.users.insert(name.to_owned(), updated.clone());
                (updated, false)
            };
            record_writes(shared, auth, 1);
            out.password.clear();
            json(if created { StatusCode::CREATED } else { StatusCode::OK }, &out, id)
        }
    }
}
