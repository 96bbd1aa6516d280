//! Reading a request as Go's `net/http` does: the form (body first, then query), `strconv` parsing, and
//! `path.Clean`.

use std::borrow::Cow;

/// A request's form values in Go's order: for PUT and POST with a form body, the body's pairs come before the
/// query's, so the first value of a name is the body's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The form of a request: `body` is read only when it is a form (`application/x-www-form-urlencoded`).
    ///
    /// # Errors
    /// Go's `ParseForm` error (the body's first, then the query's): `invalid URL escape "%ZZ"` for a `%` not
    /// followed by two hex digits, which etcd answers with `Invalid POST form` (210).
    pub(crate) fn parse(query: Option<&str>, body: Option<&[u8]>) -> Result<Form, String> {
        if let Some(bad) = body.and_then(bad_escape).or_else(|| query.map(str::as_bytes).and_then(bad_escape)) {
            return Err(format!("invalid URL escape \"{}\"", String::from_utf8_lossy(bad)));
        }
        let mut pairs = Vec::new();
        if let Some(body) = body {
            pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
        }
        if let Some(query) = query {
            pairs.extend(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())));
        }
        Ok(Form { pairs })
    }

    /// The first value of `name`, as Go's `Form[name][0]`.
    pub(crate) fn first(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Go's `FormValue`: the first value, or empty.
    pub(crate) fn value(&self, name: &str) -> &str {
        self.first(name).unwrap_or("")
    }

    /// Whether `name` was given at all (even empty).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }

    /// Go's `getBool`: false when absent, an error when present but not one of `strconv.ParseBool`'s words.
    pub(crate) fn bool(&self, name: &str) -> Result<bool, ()> {
        self.first(name).map_or(Ok(false), parse_go_bool)
    }

    /// Go's `getUint64`: 0 when absent, an error when present but not a decimal `u64`.
    pub(crate) fn uint(&self, name: &str) -> Result<u64, ()> {
        self.first(name).map_or(Ok(0), parse_go_uint)
    }
}

/// The first `%` not followed by two hex digits, with what follows it (at most three bytes), as Go's
/// `url.unescape` reports it; `None` when every escape is whole.
fn bad_escape(text: &[u8]) -> Option<&[u8]> {
    let at = text.iter().enumerate().position(|(i, &b)| {
        b == b'%'
            && !(text.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && text.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })?;
    Some(&text[at..text.len().min(at + 3)])
}

/// `strconv.ParseBool`.
pub(crate) fn parse_go_bool(text: &str) -> Result<bool, ()> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(()),
    }
}

/// `strconv.ParseUint(text, 10, 64)`: digits only, no sign, no spaces, at most `u64::MAX`.
pub(crate) fn parse_go_uint(text: &str) -> Result<u64, ()> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    text.parse().map_err(|_| ())
}

/// `path.Clean("/" + path)`: one slash between components, no `.`, `..` resolved and clipped at the root, no
/// trailing slash; `/` for the root.
pub fn clean_key(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(path.len() + 1);
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// Percent-decodes a URL path as Go's `url.URL.Path` does; `None` for an invalid escape (Go refuses the request).
pub(crate) fn decode_path(raw: &str) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let valid = bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return None;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Some(percent_encoding::percent_decode_str(raw).decode_utf8_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths_as_go_does() {
        assert_eq!(clean_key(""), "/");
        assert_eq!(clean_key("/"), "/");
        assert_eq!(clean_key("//a/./b/"), "/a/b");
        assert_eq!(clean_key("/a/../../b"), "/b");
    }

    #[test]
    fn a_bad_escape_is_go_s_error_the_body_s_first() {
        assert_eq!(Form::parse(None, Some(b"value=%ZZ")).unwrap_err(), r#"invalid URL escape "%ZZ""#);
        assert_eq!(Form::parse(Some("a=%4"), Some(b"value=%zz1")).unwrap_err(), r#"invalid URL escape "%zz""#);
        assert_eq!(Form::parse(Some("a=b%"), None).unwrap_err(), r#"invalid URL escape "%""#);
        assert!(Form::parse(Some("a=%41%2f"), Some(b"v=%e2%82%ac+x")).is_ok());
    }

    #[test]
    fn reads_the_body_before_the_query_and_parses_as_strconv() {
        let form = Form::parse(Some("ttl=5&value=q"), Some(b"value=b")).unwrap();
        assert_eq!(form.first("value"), Some("b"));
        assert_eq!(form.uint("ttl"), Ok(5));
        assert_eq!(form.uint("missing"), Ok(0));
        assert_eq!(parse_go_uint("-1"), Err(()));
        assert_eq!(parse_go_uint("+1"), Err(()));
        assert_eq!(parse_go_bool("T"), Ok(true));
        assert_eq!(parse_go_bool("yes"), Err(()));
        assert!(decode_path("/a%2").is_none());
        assert_eq!(decode_path("/a%20b").unwrap(), "/a b");
    }
}
