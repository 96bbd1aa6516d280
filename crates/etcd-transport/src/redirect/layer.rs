use tower::Layer;

use super::{FollowRedirects, RedirectPolicy};

/// Applies [`FollowRedirects`] to a service.
#[derive(Clone, Debug, Default)]
pub struct FollowRedirectsLayer {
    policy: RedirectPolicy,
}

impl FollowRedirectsLayer {
    /// A layer following the redirects `policy` allows.
    pub fn new(policy: RedirectPolicy) -> Self {
        FollowRedirectsLayer { policy }
    }
}

impl<S: Clone> Layer<S> for FollowRedirectsLayer {
    type Service = FollowRedirects<S>;

    fn layer(&self, inner: S) -> FollowRedirects<S> {
        FollowRedirects::new(inner, self.policy.clone())
    }
}
