//! HTTP basic authentication on every attempt, for etcd's v2 auth.
//!
//! The header is computed once and marked sensitive, so that HTTP/2 never indexes it and `Debug` of the
//! request hides it; [`Credentials`] never prints the password. Credentials with an empty user name send no
//! header at all, as the Go client does (it keeps credentials only `if cfg.Username != ""`): etcd then serves
//! the request as its guest user.

mod layer;
mod service;

use std::fmt;

use base64::Engine;
use http::HeaderValue;

pub use layer::BasicAuthLayer;
pub use service::BasicAuth;

/// A user name and password for etcd's v2 auth. `Debug` shows the user name only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials for `username`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials { username: username.into(), password: password.into() }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The `Authorization` header value, marked sensitive; none for an empty user name (guest access).
    pub(crate) fn header_value(&self) -> Option<HeaderValue> {
        if self.username.is_empty() {
            return None;
        }
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.username, self.password));
        let mut value = HeaderValue::from_str(&format!("Basic {token}")).expect("base64 text is a valid header value");
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {

    use http::{Request, Response, header::AUTHORIZATION};
    use tower::{Layer, ServiceExt, service_fn};

    use super::*;
    use crate::{Body, RequestBody};

    #[tokio::test]
    async fn every_request_carries_the_sensitive_header_and_debug_hides_the_password() {
        let credentials = Credentials::new("root", "s3cret");
        assert!(!format!("{credentials:?}").contains("s3cret"));

        let service = BasicAuthLayer::new(credentials).layer(service_fn(|req: Request<RequestBody>| async move {
            let value = req.headers().get(AUTHORIZATION).cloned().unwrap();
            assert!(value.is_sensitive());
            assert!(!format!("{req:?}").contains("cm9vdDpzM2NyZXQ="));
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(value.to_str().unwrap().to_owned())))
        }));
        let response = service.oneshot(Request::new(RequestBody::empty())).await.unwrap();
        let body = response.into_body().bytes().await.unwrap();
        assert_eq!(body, "Basic cm9vdDpzM2NyZXQ=");
    }

    #[tokio::test]
    async fn an_empty_user_name_sends_no_header_as_in_go() {
        let service =
            BasicAuthLayer::new(Credentials::new("", "pw")).layer(service_fn(|req: Request<RequestBody>| async move {
                Ok::<_, std::convert::Infallible>(Response::new(Body::from(format!(
                    "{}",
                    req.headers().contains_key(AUTHORIZATION)
                ))))
            }));
        let response = service.oneshot(Request::new(RequestBody::empty())).await.unwrap();
        assert_eq!(response.into_body().bytes().await.unwrap(), "false");
    }
}
