//! Resolving a redirect's `Location` against the URI it answered (RFC 3986, section 5.2).
//!
//! Hand-written, in 60 lines, because the `url` crate (which does this) brings IDNA and ICU tables (some 30
//! crates) into every build of the client for a header etcd fills with an absolute URL anyway.

use http::Uri;
use http::uri::{PathAndQuery, Scheme};

/// Resolves a `Location` against the URI it answered (RFC 3986, section 5.2, without a fragment).
pub(crate) fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let location = location.split('#').next()?.trim();
    if location.is_empty() {
        return None;
    }
    let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    if has_scheme {
        let absolute: Uri = location.parse().ok()?;
        return absolute.authority().is_some_and(|a| !a.host().is_empty()).then_some(absolute);
    }
    let scheme = base.scheme().cloned().unwrap_or(Scheme::HTTP);
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    }
    let authority = base.authority()?.clone();
    let path_and_query = if location.starts_with('/') {
        location.to_owned()
    } else if location.starts_with('?') {
        format!("{}{location}", base.path())
    } else {
        let directory = &base.path()[..base.path().rfind('/').map_or(0, |i| i + 1)];
        format!("{directory}{location}")
    };
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query.as_str(), None),
    };
    let mut normal = remove_dot_segments(path);
    if let Some(query) = query {
        normal.push('?');
        normal.push_str(query);
    }
    let path_and_query: PathAndQuery = normal.parse().ok()?;
    Uri::builder().scheme(scheme).authority(authority).path_and_query(path_and_query).build().ok()
}

fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') { joined } else { format!("/{joined}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_absolute_and_relative_locations() {
        let base: Uri = "http://a:1/v2/keys/dir/key?recursive=true".parse().unwrap();
        let cases = [
            ("http://b:2/v2/keys/x", "http://b:2/v2/keys/x"),
            ("https://b/v2/keys/x?y=1", "https://b/v2/keys/x?y=1"),
            ("//c:3/v2/keys/x", "http://c:3/v2/keys/x"),
            ("/v2/keys/other", "http://a:1/v2/keys/other"),
            ("sibling", "http://a:1/v2/keys/dir/sibling"),
            ("../up?q=1", "http://a:1/v2/keys/up?q=1"),
            ("./same", "http://a:1/v2/keys/dir/same"),
            ("?sorted=true", "http://a:1/v2/keys/dir/key?sorted=true"),
            ("/v2/keys/a#fragment", "http://a:1/v2/keys/a"),
            ("../../../../../../x", "http://a:1/x"),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve(&base, location).map(|u| u.to_string()).as_deref(), Some(expected), "{location}");
        }
        assert_eq!(resolve(&base, ""), None);
        assert_eq!(resolve(&base, "http:///nohost"), None);
    }
}
