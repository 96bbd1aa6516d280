use std::fmt;
use std::sync::Arc;

use http::{StatusCode, Uri};

/// A redirect about to be followed, for a [`RedirectPolicy`] to judge.
#[derive(Debug)]
pub struct RedirectAttempt<'a> {
    pub(crate) status: StatusCode,
    pub(crate) next: &'a Uri,
    pub(crate) previous: &'a [Uri],
}

impl RedirectAttempt<'_> {
    /// The redirect's status (301, 302, 303, 307 or 308).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where the redirect leads, resolved to an absolute URI.
    pub fn next(&self) -> &Uri {
        self.next
    }

    /// The URIs requested so far in this attempt, the first one first.
    pub fn previous(&self) -> &[Uri] {
        self.previous
    }
}

type Check = Arc<dyn Fn(&RedirectAttempt<'_>) -> bool + Send + Sync>;

/// Which redirects are followed (the Go client's `CheckRedirect`).
#[derive(Clone)]
pub struct RedirectPolicy {
    check: Check,
    description: Arc<str>,
}

impl RedirectPolicy {
    /// Follows at most `max` redirects per attempt.
    pub fn limited(max: usize) -> Self {
        RedirectPolicy {
            check: Arc::new(move |attempt| attempt.previous().len() <= max),
            description: format!("at most {max} redirects").into(),
        }
    }

    /// Follows no redirect: a redirect is the answer.
    pub fn none() -> Self {
        RedirectPolicy { check: Arc::new(|_| false), description: "no redirects".into() }
    }

    /// Follows a redirect when `check` says so. The check sees every hop, so it also sets the limit.
    pub fn custom(check: impl Fn(&RedirectAttempt<'_>) -> bool + Send + Sync + 'static) -> Self {
        RedirectPolicy { check: Arc::new(check), description: "a custom check".into() }
    }

    pub(crate) fn allows(&self, attempt: &RedirectAttempt<'_>) -> bool {
        (self.check)(attempt)
    }
}

impl Default for RedirectPolicy {
    /// At most 10 redirects, as the Go client.
    fn default() -> Self {
        RedirectPolicy::limited(10)
    }
}

impl fmt::Debug for RedirectPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectPolicy({})", self.description)
    }
}
