//! Membership changes (`POST`, `DELETE`, `PUT /v2/members`) through v3's `/v3/cluster/member/{add,remove,update}`,
//! with etcd's v2 statuses and messages for its refusals.

use etcd_transport::Idempotency;
use etcd_v2_server::{Member, MemberChange, StoreError, format_id};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::gateway::{GatewayFailure, V3Member};
use crate::store::{V3Store, v2_member};
use crate::wire::ser_u64;

/// `MemberAddRequest`, `MemberRemoveRequest`, `MemberUpdateRequest`.
#[derive(Serialize)]
struct Change<'a> {
    #[serde(rename = "ID", serialize_with = "ser_u64", skip_serializing_if = "crate::wire::is_zero")]
    id: u64,
    #[serde(rename = "peerURLs", skip_serializing_if = "<[String]>::is_empty")]
    peer_urls: &'a [String],
}

/// `MemberAddResponse`: the member added.
#[derive(Deserialize)]
struct Added {
    #[serde(default)]
    member: Option<V3Member>,
}

impl V3Store {
    /// Applies a membership change; `Some(member)` for one added.
    pub(crate) async fn change(&self, change: MemberChange) -> Result<Option<Member>, StoreError> {
        let (path, id, peer_urls, idempotency) = match &change {
            MemberChange::Add { peer_urls } => {
                ("/v3/cluster/member/add", 0, peer_urls.as_slice(), Idempotency::NonIdempotentWrite)
            }
            // A second removal answers "not found": the first one is done.
            MemberChange::Remove { id } => ("/v3/cluster/member/remove", *id, &[][..], Idempotency::ReplaySafeWrite),
            MemberChange::Update { id, peer_urls } => {
                ("/v3/cluster/member/update", *id, peer_urls.as_slice(), Idempotency::IdempotentWrite)
            }
            _ => return Err(refusal(StatusCode::METHOD_NOT_ALLOWED, "unsupported membership change")),
        };
        let answer: Result<Added, GatewayFailure> =
            self.gateway.call(path, &Change { id, peer_urls }, idempotency).await;
        match answer {
            Ok(added) => Ok(added.member.filter(|_| matches!(change, MemberChange::Add { .. })).map(v2_member)),
            Err(GatewayFailure::Refused { message, .. }) => Err(v2_refusal(&message, id)),
            Err(failure) => Err(failure.into()),
        }
    }
}

/// etcd's v2 answer for a v3 refusal: the status and message its v2 members handler gives.
fn v2_refusal(message: &str, id: u64) -> StoreError {
    if message.contains("Peer URLs already exists") {
        refusal(StatusCode::CONFLICT, "membership: peerURL exists")
    } else if message.contains("removed") {
        refusal(StatusCode::GONE, &format!("Member permanently removed: {}", format_id(id)))
    } else if message.contains("member not found") {
        refusal(StatusCode::NOT_FOUND, &format!("No such member: {}", format_id(id)))
    } else {
        // etcd's v2 handler answers other failures (not enough started members, ...) with a plain 500.
        refusal(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

fn refusal(status: StatusCode, message: &str) -> StoreError {
    StoreError::Http { status, message: message.to_owned() }
}
