use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use etcd_core::{InvalidRequest, InvalidRequestKind};
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

/// One etcd member's client URL, checked when the client is built: `http` or `https`, a host, an optional port
/// and an optional base path (for a member behind a proxy at `http://host/etcd`); no credentials, query or
/// fragment.
///
/// A response carries the `Endpoint` that answered it in its extensions.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

#[derive(PartialEq, Eq, Hash)]
struct Inner {
    scheme: Scheme,
    authority: Authority,
    /// Without a trailing slash; empty when the endpoint has no path.
    base_path: String,
    text: String,
}

impl Endpoint {
    /// Parses and checks an endpoint URL.
    ///
    /// # Errors
    /// [`InvalidRequest`] of kind `Endpoint`, naming the bad entry and what is wrong with it.
    ///
    /// # Examples
    /// ```
    /// use etcd_transport::Endpoint;
    /// assert_eq!(Endpoint::parse("http://127.0.0.1:2379/").unwrap().as_str(), "http://127.0.0.1:2379");
    /// assert!(Endpoint::parse("127.0.0.1:2379").is_err());
    /// assert!(Endpoint::parse("ftp://127.0.0.1:2379").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Endpoint, InvalidRequest> {
        // The entry is named in the error, without the password a mistaken `user:pass@` would put in it.
        let bad = |why: &str| {
            InvalidRequest::new(InvalidRequestKind::Endpoint, format!("{:?}: {why}", Endpoint::redact(text)))
        };
        let uri: Uri = text.trim().parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::HTTP,
            Some("https") => Scheme::HTTPS,
            Some(other) => return Err(bad(&format!("scheme {other:?} is not http or https"))),
            None => return Err(bad("no scheme; write http://host:port or https://host:port")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?.clone();
        if authority.as_str().contains('@') {
            return Err(bad("credentials do not belong in the URL; use the client's basic auth"));
        }
        if authority.host().is_empty() {
            return Err(bad("no host"));
        }
        if !port_is_valid(authority.as_str()) {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        if uri.query().is_some() {
            return Err(bad("an endpoint has no query"));
        }
        let base_path = uri.path().trim_end_matches('/').to_owned();
        let text = format!("{scheme}://{authority}{base_path}");
        Ok(Endpoint { inner: Arc::new(Inner { scheme, authority, base_path, text }) })
    }

    /// `url` with its userinfo (`user:password@`), if any, replaced by `***@`: for errors and logs that name a
    /// URL given by a user, which may carry a password. Text that is not a URL is returned as it is.
    ///
    /// # Examples
    /// ```
    /// use etcd_transport::Endpoint;
    /// assert_eq!(Endpoint::redact("http://root:s3cret@h:2379/x@y"), "http://***@h:2379/x@y");
    /// assert_eq!(Endpoint::redact("http://h:2379"), "http://h:2379");
    /// ```
    pub fn redact(url: &str) -> Cow<'_, str> {
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return Cow::Borrowed(url) };
        let rest = &url[scheme_end..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        match authority.rfind('@') {
            Some(at) => Cow::Owned(format!("{}***{}", &url[..scheme_end], &rest[at..])),
            None => Cow::Borrowed(url),
        }
    }

    /// The endpoint as a URL string, normalised (`http://127.0.0.1:2379`).
    pub fn as_str(&self) -> &str {
        &self.inner.text
    }

    /// The absolute URI of a request whose URI holds only a path and query, relative to this endpoint; the path
    /// is moved, not copied.
    pub(crate) fn join(&self, relative: Uri) -> Result<Uri, http::Error> {
        let mut parts = relative.into_parts();
        let path_and_query = parts.path_and_query.take().unwrap_or_else(|| PathAndQuery::from_static("/"));
        parts.path_and_query = Some(if self.inner.base_path.is_empty() {
            path_and_query
        } else {
            PathAndQuery::try_from(format!("{}{}", self.inner.base_path, path_and_query))?
        });
        parts.scheme = Some(self.inner.scheme.clone());
        parts.authority = Some(self.inner.authority.clone());
        Ok(Uri::from_parts(parts)?)
    }
}

/// Whether what follows the host is nothing, or `:` and a port from 1 to 65535 (`http::Uri` lets any text
/// through there).
fn port_is_valid(authority: &str) -> bool {
    let after_host = match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or("", |(_, after)| after),
        None => authority.find(':').map_or("", |colon| &authority[colon..]),
    };
    match after_host.strip_prefix(':') {
        None => after_host.is_empty(),
        Some(port) => port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p != 0),
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_members_and_proxies_and_normalises() {
        for (input, normal) in [
            ("http://127.0.0.1:2379", "http://127.0.0.1:2379"),
            ("http://127.0.0.1:2379/", "http://127.0.0.1:2379"),
            ("https://etcd.example.com", "https://etcd.example.com"),
            ("http://[::1]:2379", "http://[::1]:2379"),
            ("http://proxy:8080/etcd/", "http://proxy:8080/etcd"),
        ] {
            assert_eq!(Endpoint::parse(input).unwrap().as_str(), normal);
        }
    }

    #[test]
    fn refuses_bad_entries_naming_them() {
        for bad in [
            "",
            "127.0.0.1:2379",
            "localhost",
            "ftp://host:1",
            "unix:///tmp/etcd.sock",
            "http://user:pw@host:1",
            "http://host:1/?x=1",
            "http://host:notaport",
            "http://host:0",
            "http://host:99999",
            "http:// spaced:1",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert_eq!(err.kind(), InvalidRequestKind::Endpoint);
            assert!(err.reason().contains(&format!("{:?}", Endpoint::redact(bad))), "{err}");
        }
    }

    #[test]
    fn errors_never_repeat_a_password() {
        for bad in [
            "http://user:pw-s3cret@host:1",
            "http://:pw-s3cret@host",
            "ftp://u:pw-s3cret@h:1/",
            " http://u:pw-s3cret@h:x",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("pw-s3cret") && err.to_string().contains("***@"), "{err}");
        }
        for (text, redacted) in [
            ("http://u:p@h:1", "http://***@h:1"),
            ("http://a@b@h:1/p?q=@", "http://***@h:1/p?q=@"),
            ("http://h:1/path@x", "http://h:1/path@x"),
            ("not a url u:p@h", "not a url u:p@h"),
            ("unix://u:p@sock", "unix://***@sock"),
        ] {
            assert_eq!(Endpoint::redact(text), redacted, "{text}");
        }
    }

    #[test]
    fn joins_relative_requests_under_the_base_path() {
        let rel: Uri = "/v2/keys/a%20b?recursive=true".parse().unwrap();
        let plain = Endpoint::parse("http://h:1").unwrap();
        assert_eq!(plain.join(rel.clone()).unwrap(), "http://h:1/v2/keys/a%20b?recursive=true");
        let proxied = Endpoint::parse("https://h/etcd/").unwrap();
        assert_eq!(proxied.join(rel).unwrap(), "https://h/etcd/v2/keys/a%20b?recursive=true");
    }
}
