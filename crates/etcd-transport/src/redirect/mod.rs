//! Following HTTP redirects, keeping the method, the body and the credentials.
//!
//! A member or a proxy in front of it may answer 301, 302, 303, 307 or 308 with a `Location`. The request is sent
//! again to that location, with the same method, headers and body (a `PUT` stays a `PUT`, unlike a browser's
//! 303), and the layers below add the credentials again. Relative locations (`/v2/keys/a`, `../b`, `?x=1`) are
//! resolved against the request's URI, which the Go client does not do. Credentials go only to the same scheme,
//! host and port (see [`RedirectPolicy`]): the layer strips them, and tells the basic-auth layer below not to add
//! them, for the rest of the chain. A [`RedirectPolicy`] decides whether
//! each redirect is followed: up to 10 by default, or by a check of your own. A redirect that is not followed is
//! returned as the answer, which the API crates report as an unexpected status.

mod future;
mod layer;
mod location;
mod policy;
mod service;

pub use future::ResponseFuture;
pub use layer::FollowRedirectsLayer;
pub use policy::{RedirectAttempt, RedirectPolicy};
pub use service::FollowRedirects;

/// Marks a redirected request that must carry no credentials: [`BasicAuth`](crate::basic_auth::BasicAuth) adds
/// none to it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CredentialsWithheld;
