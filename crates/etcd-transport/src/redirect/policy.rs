use std::fmt;
use std::sync::Arc;

use http::uri::Scheme;
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

/// Which redirects are followed (the Go client's `CheckRedirect`), and whether credentials go with them.
///
/// Credentials (the `Authorization` header of [`Config::basic_auth`](crate::Config::basic_auth), and any header
/// marked sensitive, `Proxy-Authorization` and `Cookie`) follow a redirect to the same scheme, host and port only:
/// a member redirected elsewhere must not learn the password of its cluster. Once withheld in a chain of
/// redirects they stay withheld, even if a later hop comes back. [`RedirectPolicy::with_credentials_to_other_hosts`]
/// keeps them across hosts for a deployment that needs it; even then they never go from `https` to `http`.
#[derive(Clone)]
pub struct RedirectPolicy {
    check: Check,
    description: Arc<str>,
    credentials_to_other_hosts: bool,
}

impl RedirectPolicy {
    /// Follows at most `max` redirects per attempt.
    pub fn limited(max: usize) -> Self {
        RedirectPolicy {
            check: Arc::new(move |attempt| attempt.previous().len() <= max),
            description: format!("at most {max} redirects").into(),
            credentials_to_other_hosts: false,
        }
    }

    /// Follows no redirect: a redirect is the answer.
    pub fn none() -> Self {
        RedirectPolicy {
            check: Arc::new(|_| false),
            description: "no redirects".into(),
            credentials_to_other_hosts: false,
        }
    }

    /// Follows a redirect when `check` says so. The check sees every hop, so it also sets the limit.
    pub fn custom(check: impl Fn(&RedirectAttempt<'_>) -> bool + Send + Sync + 'static) -> Self {
        RedirectPolicy {
            check: Arc::new(check),
            description: "a custom check".into(),
            credentials_to_other_hosts: false,
        }
    }

    /// Sends the credentials on redirects to another host, port or scheme too (off by default, as in browsers
    /// and Go's `net/http`): for members behind a redirecting proxy that you trust with them. A redirect from
    /// `https` to `http` still never carries them, since they would cross the network in clear text.
    #[must_use]
    pub fn with_credentials_to_other_hosts(mut self) -> Self {
        self.credentials_to_other_hosts = true;
        self
    }

    /// Whether the credentials go from `from` to `to`: same scheme, host and port, or across hosts when opted in,
    /// never from `https` to `http`.
    pub(crate) fn sends_credentials(&self, from: &Uri, to: &Uri) -> bool {
        let downgrade = from.scheme() == Some(&Scheme::HTTPS) && to.scheme() != Some(&Scheme::HTTPS);
        !downgrade && (self.credentials_to_other_hosts || same_origin(from, to))
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

/// Same scheme, host (case-insensitive) and port, the default port of the scheme counting as written.
fn same_origin(a: &Uri, b: &Uri) -> bool {
    let port = |uri: &Uri| uri.port_u16().or(if uri.scheme() == Some(&Scheme::HTTPS) { Some(443) } else { Some(80) });
    a.scheme() == b.scheme()
        && a.host().zip(b.host()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        && port(a) == port(b)
}

impl fmt::Debug for RedirectPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectPolicy({}", self.description)?;
        if self.credentials_to_other_hosts {
            f.write_str(", credentials to other hosts")?;
        }
        f.write_str(")")
    }
}
