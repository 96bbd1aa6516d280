//! The fake over HTTP: each member on a free loopback port (etcd-v2-server's `serve_http`), for clients that
//! are not Rust.

use std::sync::{Arc, PoisonError};

pub use etcd_v2_server::Served;

use crate::FakeEtcd;

/// Serves every member of `fake` on its own free port on 127.0.0.1, with hyper's HTTP/1 server. The members'
/// client URLs (in `/v2/members`) become these endpoints. A member that is [`down`](crate::Member::down) closes
/// each connection without an answer.
///
/// # Errors
/// When a port cannot be bound.
pub async fn serve(fake: &FakeEtcd) -> std::io::Result<Served> {
    let members = (0..fake.shared.members.len()).map(|index| {
        let shared = Arc::clone(&fake.shared);
        tower::service_fn(move |request| crate::faults::call_member(Arc::clone(&shared), index, request))
    });
    let served = etcd_v2_server::serve_http(members).await?;
    for (member, endpoint) in fake.shared.members.iter().zip(served.endpoints()) {
        *member.client_url.lock().unwrap_or_else(PoisonError::into_inner) = endpoint.clone();
    }
    Ok(served)
}
