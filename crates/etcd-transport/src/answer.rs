//! An answer read whole, naming the member that gave it: what the API crates decode.

use bytes::Bytes;
use etcd_core::{Error, InvalidResponse, InvalidResponseKind};
use http::{HeaderMap, Request, StatusCode};

use crate::{Client, Endpoint, RequestBody};

/// A response with its body read: the status, the headers, the body and the endpoint that answered.
///
/// What [`Client::execute`] returns, whatever the status: deciding whether a 4xx is an error is the API's
/// business (etcd's keys, members and auth handlers each word their refusals differently).
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The answer's status.
    pub status: StatusCode,
    /// The answer's headers (`X-Etcd-Index`, ...).
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The member that answered; `None` when the stack does not say (a [`Client::new`] of your own).
    pub endpoint: Option<Endpoint>,
}

impl Answer {
    /// `error`, naming the member that answered when it is an invalid response that does not name one yet.
    ///
    /// Why: an answer that is not etcd's is a member's fault, and the caller needs to know which member.
    pub fn attribute(&self, error: impl Into<Error>) -> Error {
        let error = error.into();
        match &self.endpoint {
            Some(endpoint) => error.with_endpoint(endpoint.as_str()),
            None => error,
        }
    }

    /// The body as JSON of type `T`.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] of kind `Json`, quoting the body and naming the member, when it is not the JSON
    /// of a `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        etcd_core::decode::json(self.status, &self.body).map_err(|e| self.attribute(e))
    }
}

impl Client {
    /// Sends a request through the stack and reads its answer whole, whatever its status.
    ///
    /// The default stack has already read the body within the client's bounds
    /// ([`Config::max_response_size`](crate::Config::max_response_size), the header timeout per idle read), so
    /// this only takes it.
    ///
    /// # Errors
    /// As [`Client::send`]; and [`Error::InvalidResponse`] of kind `Body`, naming the member, when the body could
    /// not be read to its end.
    pub async fn execute(&self, request: Request<impl Into<RequestBody>>) -> Result<Answer, Error> {
        let (mut parts, body) = self.send(request).await?.into_parts();
        let endpoint = parts.extensions.remove::<Endpoint>();
        let answer = |body| Answer { status: parts.status, headers: parts.headers, body, endpoint };
        match body.bytes().await {
            Ok(body) => Ok(answer(body)),
            Err(source) => {
                let invalid = InvalidResponse::new(InvalidResponseKind::Body, parts.status, b"").with_source(source);
                Err(answer(Bytes::new()).attribute(invalid))
            }
        }
    }
}
