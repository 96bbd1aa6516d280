//! Sending a request and reading its answer: a success's body, or the error etcd's members and statistics
//! handlers answer with (`{"message":...}`).

use etcd_core::{Error, InvalidResponse, InvalidResponseKind, MemberError, decode};
use etcd_transport::{Answer, Client, PerCallTimeout, RequestBody};
use http::{Request, StatusCode};

/// Sends `request` within `timeout` and returns the answer when its status is 2xx, else the error its body
/// describes.
pub(crate) async fn call(
    client: &Client,
    timeout: PerCallTimeout,
    request: Request<RequestBody>,
) -> Result<Answer, Error> {
    let answer = timeout.execute(client, request).await?;
    if !answer.status.is_success() {
        return Err(answer.attribute(error(answer.status, &answer.body)));
    }
    Ok(answer)
}

/// A refusal: the members API's `{"message":..}` as a [`MemberError`], etcd's `{"errorCode":..}` as an
/// [`EtcdError`](etcd_core::EtcdError), anything else as an invalid response.
pub(crate) fn error(status: StatusCode, body: &[u8]) -> Error {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |name: &str| json.as_ref().and_then(|json| json.get(name));
    if field("errorCode").is_some() {
        if let Some(etcd) = decode::etcd_error(status, body) {
            return etcd.into();
        }
    }
    match field("message").and_then(serde_json::Value::as_str) {
        Some(message) => MemberError::new(status, message.trim_end()).into(),
        None => InvalidResponse::new(InvalidResponseKind::UnexpectedStatus, status, body).into(),
    }
}

#[cfg(test)]
mod tests {
    use etcd_core::MemberErrorKind;

    use super::*;

    #[test]
    fn refusals_are_member_errors_etcd_errors_or_invalid_responses() {
        let error = error(StatusCode::NOT_FOUND, br#"{"message":"No such member: 1234"}"#);
        assert!(error.is_member_not_found(), "{error}");
        let unauthorized = super::error(StatusCode::UNAUTHORIZED, br#"{"message":"Insufficient credentials"}"#);
        assert_eq!(unauthorized.as_member().map(MemberError::kind), Some(MemberErrorKind::InsufficientCredentials));
        assert!(unauthorized.is_unauthorized());
        let etcd = super::error(StatusCode::BAD_REQUEST, br#"{"errorCode":209,"message":"m","index":1}"#);
        assert!(etcd.is_etcd(), "{etcd}");
        let page = super::error(StatusCode::NOT_FOUND, b"404 page not found\n");
        assert!(page.is_invalid_response(), "{page}");
    }
}
