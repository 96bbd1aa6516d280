//! etcd's v3 API through its JSON gateway (`POST /v3/...`), sent through the library's own [`Client`] so that
//! endpoints, failover, timeouts and TLS apply as they do to v2 calls; the JSON itself is in `wire`.

use etcd_transport::{Body, Client, Endpoint, Idempotency, LongPoll, RequestBody};
use etcd_v2_server::{BoxError, ErrorCode, StoreError, V2Error};
use http::{Method, Request, StatusCode};
use serde::{Deserialize, Serialize};

pub(crate) use crate::wire::*;

/// The gateway's error body: `{"error":"...","code":14,"message":"..."}`.
#[derive(Clone, Debug, Default, Deserialize)]
struct GatewayError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    code: i64,
}

/// Why a gateway call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GatewayFailure {
    /// No answer: the inner client's error.
    #[error("etcd's v3 gateway could not be reached: {0}")]
    Unreachable(#[source] BoxError),
    /// An answer that is not what the gateway sends.
    #[error("etcd's v3 gateway answered {status} with an unreadable body: {reason}")]
    Unreadable { status: StatusCode, reason: String },
    /// etcd's refusal, with its gRPC code and message.
    #[error("etcd refused the v3 call (code {code}): {message}")]
    Refused { code: i64, message: String },
}

impl GatewayFailure {
    /// Whether etcd said the revision asked for is compacted.
    pub(crate) fn is_compacted(&self) -> bool {
        matches!(self, GatewayFailure::Refused { message, .. } if message.contains("compacted"))
    }

    /// Whether etcd said the revision asked for is one it has not reached.
    pub(crate) fn is_future_revision(&self) -> bool {
        matches!(self, GatewayFailure::Refused { message, .. } if message.contains("future revision"))
    }
}

impl From<GatewayFailure> for StoreError {
    fn from(failure: GatewayFailure) -> StoreError {
        match failure {
            // What etcd's v2 API answers for the same conditions: a 500 with raft's error as the cause.
            GatewayFailure::Refused { code: 4 | 14, message } => {
                StoreError::V2(V2Error::new(ErrorCode::RaftInternal, message, 0))
            }
            // The inner client's own error as it is: the caller of the bridged client gets the same
            // `Error::Cluster` / `Error::OutcomeUnknown` a v2 client gives, not a wrapped one.
            GatewayFailure::Unreachable(error) => StoreError::Unavailable(error),
            other => StoreError::Unavailable(Box::new(other)),
        }
    }
}

/// A v3 client over the library's transport client.
#[derive(Clone, Debug)]
pub(crate) struct Gateway {
    client: Client,
}

impl Gateway {
    pub(crate) fn new(client: Client) -> Gateway {
        Gateway { client }
    }

    fn request(path: &str, body: Vec<u8>, idempotency: Idempotency) -> Request<RequestBody> {
        let mut request = Request::new(RequestBody::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = http::Uri::try_from(path).unwrap_or_default();
        request.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        request.extensions_mut().insert(idempotency);
        request
    }

    /// One call: the body as JSON, the answer parsed, a refusal as [`GatewayFailure::Refused`].
    pub(crate) async fn call<Q: Serialize, A: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Q,
        idempotency: Idempotency,
    ) -> Result<A, GatewayFailure> {
        let body = serde_json::to_vec(body).map_err(|e| GatewayFailure::Unreachable(Box::new(e)))?;
        let response = self
            .client
            .send(Gateway::request(path, body, idempotency))
            .await
            .map_err(|e| GatewayFailure::Unreachable(Box::new(e)))?;
        let status = response.status();
        let bytes = response.into_body().bytes().await.map_err(GatewayFailure::Unreachable)?;
        parse_answer(status, &bytes)
    }

    pub(crate) async fn range(&self, range: &Range) -> Result<RangeAnswer, GatewayFailure> {
        self.call("/v3/kv/range", range, Idempotency::Read).await
    }

    /// A transaction that writes ([`Op`] has no range: see there why).
    pub(crate) async fn txn(&self, txn: &Txn) -> Result<TxnAnswer, GatewayFailure> {
        self.call("/v3/kv/txn", txn, Idempotency::NonIdempotentWrite).await
    }

    /// Grants a lease; a second copy of the grant would only add an unused lease that expires.
    pub(crate) async fn grant(&self, ttl_seconds: u64) -> Result<u64, GatewayFailure> {
        #[derive(Serialize)]
        struct Grant {
            #[serde(rename = "TTL", serialize_with = "ser_u64")]
            ttl: u64,
        }
        let answer: LeaseAnswer =
            self.call("/v3/lease/grant", &Grant { ttl: ttl_seconds }, Idempotency::ReplaySafeWrite).await?;
        Ok(answer.id)
    }

    /// The TTL a lease was granted with; `None` when it is gone.
    pub(crate) async fn granted_ttl(&self, lease: u64) -> Result<Option<u64>, GatewayFailure> {
        let answer: LeaseTtlAnswer =
            self.call("/v3/lease/timetolive", &LeaseId { id: lease }, Idempotency::Read).await?;
        Ok((answer.ttl > 0).then_some(answer.granted_ttl))
    }

    /// Renews a lease to its granted TTL (one request of the keep-alive stream); `false` when it is gone. A
    /// second copy renews it again: harmless.
    pub(crate) async fn keep_alive(&self, lease: u64) -> Result<bool, GatewayFailure> {
        let answer: KeepAliveLine =
            self.call("/v3/lease/keepalive", &LeaseId { id: lease }, Idempotency::ReplaySafeWrite).await?;
        Ok(answer.result.is_some_and(|result| result.ttl > 0))
    }

    /// Revokes a lease (and deletes what it holds); a second copy finds it gone.
    pub(crate) async fn revoke(&self, lease: u64) -> Result<(), GatewayFailure> {
        let _: serde_json::Value =
            self.call("/v3/lease/revoke", &LeaseId { id: lease }, Idempotency::ReplaySafeWrite).await?;
        Ok(())
    }

    pub(crate) async fn members(&self) -> Result<MembersAnswer, GatewayFailure> {
        self.call("/v3/cluster/member/list", &serde_json::json!({}), Idempotency::Read).await
    }

    pub(crate) async fn status(&self) -> Result<StatusAnswer, GatewayFailure> {
        self.call("/v3/maintenance/status", &serde_json::json!({}), Idempotency::Read).await
    }

    /// Opens a watch stream: the answer's body, a JSON object per line, and the member that serves it.
    pub(crate) async fn watch(&self, create: &WatchCreate) -> Result<(Body, Option<Endpoint>), GatewayFailure> {
        #[derive(Serialize)]
        struct Open<'a> {
            create_request: &'a WatchCreate,
        }
        let body = serde_json::to_vec(&Open { create_request: create })
            .map_err(|e| GatewayFailure::Unreachable(Box::new(e)))?;
        let mut request = Gateway::request("/v3/watch", body, Idempotency::Read);
        request.extensions_mut().insert(LongPoll);
        let response = self.client.send(request).await.map_err(|e| GatewayFailure::Unreachable(Box::new(e)))?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.into_body().bytes().await.map_err(GatewayFailure::Unreachable)?;
            return Err(parse_answer::<serde_json::Value>(status, &bytes)
                .err()
                .unwrap_or(GatewayFailure::Unreadable { status, reason: "a failure status".into() }));
        }
        let endpoint = response.extensions().get::<Endpoint>().cloned();
        Ok((response.into_body(), endpoint))
    }

    /// The inner client, for what the bridge passes through as it is (a health probe of one member).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

pub(crate) fn parse_answer<A: serde::de::DeserializeOwned>(
    status: StatusCode,
    bytes: &[u8],
) -> Result<A, GatewayFailure> {
    let unreadable = |reason: String| GatewayFailure::Unreadable { status, reason };
    if status.is_success() {
        return serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()));
    }
    let error: GatewayError = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let message = if error.message.is_empty() { error.error } else { error.message };
    Err(GatewayFailure::Refused { code: error.code, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_gateways_strings_and_base64() {
        let answer: RangeAnswer = serde_json::from_str(
            r#"{"header":{"cluster_id":"14841639068965178418","revision":"7","raft_term":"2"},
                "kvs":[{"key":"YQ==","create_revision":"5","mod_revision":"7","version":"2","value":"Yg=="}],"count":"1"}"#,
        )
        .unwrap();
        assert_eq!((answer.kvs[0].key.as_slice(), answer.kvs[0].value.as_slice()), (&b"a"[..], &b"b"[..]));
        assert_eq!((answer.kvs[0].create_revision, answer.kvs[0].lease), (5, 0));
        let refused = parse_answer::<RangeAnswer>(
            StatusCode::BAD_REQUEST,
            br#"{"error":"etcdserver: mvcc: required revision has been compacted","code":11,"message":"etcdserver: mvcc: required revision has been compacted"}"#,
        )
        .unwrap_err();
        assert!(refused.is_compacted(), "{refused}");
        assert!(parse_answer::<RangeAnswer>(StatusCode::OK, b"<html>").is_err());
    }

    #[test]
    fn writes_int64s_as_strings() {
        let compare = Compare::range_created_before(b"a".to_vec(), b"b".to_vec(), 9);
        assert_eq!(
            serde_json::to_string(&compare).unwrap(),
            r#"{"result":"LESS","target":"CREATE","key":"YQ==","range_end":"Yg==","create_revision":"9"}"#
        );
    }
}
