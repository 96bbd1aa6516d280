//! `/v2/auth/roles/NAME`: get, create (with permissions) or update (grant, revoke), delete.

use std::collections::BTreeSet;

use etcd_transport::Body;
use etcd_v2_server::render_http_error;
use http::{Method, Response, StatusCode};

use super::{AuthState, Permissions, ROOT, Role, Rw, auth_error, empty, json, record_writes};
use crate::fake::Shared;

pub(super) fn for_role(
    shared: &Shared,
    auth: &mut AuthState,
    method: &Method,
    name: &str,
    body: &[u8],
) -> Response<Body> {
    let id = shared.cluster_id;
    match *method {
        Method::GET => match auth.role(name) {
            Some(role) => json(StatusCode::OK, &role, id),
            None => auth_error(StatusCode::NOT_FOUND, format!("Role {name} does not exist."), id),
        },
        Method::DELETE => {
            if name == ROOT {
                return auth_error(StatusCode::FORBIDDEN, format!("Cannot modify role {name}: is root role."), id);
            }
            if auth.roles.remove(name).is_none() {
                return auth_error(StatusCode::NOT_FOUND, format!("Role {name} doesn't exist."), id);
            }
            record_writes(shared, auth, 1);
            empty(id)
        }
        _ => {
            let Ok(input) = serde_json::from_slice::<Role>(body) else {
                return render_http_error(StatusCode::BAD_REQUEST, "Invalid JSON in request body.", Some(id));
            };
            if input.role != name {
                return render_http_error(
                    StatusCode::BAD_REQUEST,
                    "Role JSON name does not match the name in the URL",
                    Some(id),
                );
            }
            if name == ROOT {
                return auth_error(StatusCode::FORBIDDEN, format!("Cannot modify role {name}: is root role."), id);
            }
            if Permissions::is_empty(&input.grant) && Permissions::is_empty(&input.revoke) {
                if auth.roles.contains_key(name) {
                    return auth_error(StatusCode::CONFLICT, format!("Role {name} already exists."), id);
                }
                auth.roles.insert(name.to_owned(), Role { grant: None, revoke: None, ..input.clone() });
                record_writes(shared, auth, 1);
                return json(StatusCode::CREATED, &input, id);
            }
            if !Permissions::is_empty(&Some(input.permissions.clone())) {
                return render_http_error(
                    StatusCode::BAD_REQUEST,
                    "Role JSON contains both permissions and grant/revoke",
                    Some(id),
                );
            }
            let Some(old) = auth.role(name) else {
                return auth_error(StatusCode::NOT_FOUND, format!("Role {name} doesn't exist."), id);
            };
            let merge = |current: &Option<Vec<String>>,
                         grant: Option<&Vec<String>>,
                         revoke: Option<&Vec<String>>,
                         what: &str| {
                let mut set: BTreeSet<String> = current.iter().flatten().cloned().collect();
                for g in grant.into_iter().flatten() {
                    if !set.insert(g.clone()) {
                        return Err(format!("Granting duplicate {what} permission {g}"));
                    }
                }
                for r in revoke.into_iter().flatten() {
                    set.remove(r);
                }
                Ok(Some(set.into_iter().collect::<Vec<_>>()))
            };
            let grant = input.grant.as_ref().map(|p| &p.kv);
            let revoke = input.revoke.as_ref().map(|p| &p.kv);
            let read = merge(
                &old.permissions.kv.read,
                grant.and_then(|g| g.read.as_ref()),
                revoke.and_then(|r| r.read.as_ref()),
                "read",
            );
            let write = merge(
                &old.permissions.kv.write,
                grant.and_then(|g| g.write.as_ref()),
                revoke.and_then(|r| r.write.as_ref()),
                "write",
            );
            let (read, write) = match (read, write) {
                (Ok(read), Ok(write)) => (read, write),
                (Err(message), _) | (_, Err(message)) => return auth_error(StatusCode::CONFLICT, message, id),
            };
            let updated = Role {
                role: name.to_owned(),
                permissions: Permissions { kv: Rw { read, write } },
                grant: None,
                revoke: None,
            };
            if updated == old {
                return auth_error(
                    StatusCode::BAD_REQUEST,
                    "Role not updated. Use grant/revoke to update the role.".into(),
                    id,
                );
            }
            auth.roles.insert(name.to_owned(), updated.clone());
            record_writes(shared, auth, 1);
            json(StatusCode::OK, &updated, id)
        }
    }
}
