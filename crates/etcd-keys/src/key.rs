//! Keys to URL paths, byte for byte.
//!
//! A key is split on `/`; empty segments are dropped (etcd stores `/a//b` as `/a/b` anyway), and every byte a
//! path segment cannot carry as it is gets percent-encoded, so that `?`, `#`, `%`, `+`, spaces and non-ASCII
//! text reach etcd unchanged. A `.` or `..` segment is refused: the server's HTTP router would resolve it and
//! answer for another key (the Go client even sends `../../etc` outside `/v2/keys`).

use std::sync::Arc;

use etcd_core::{InvalidRequest, InvalidRequestKind};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is encoded; that is always safe in a path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The keys API's root.
pub(crate) const KEYS_ROOT: &str = "/v2/keys";

/// Where a [`KeysApi`](crate::KeysApi)'s keys live: a root (`/v2/keys`, or nothing when the user's prefix
/// replaces it, as in the Go client) and a prefix, encoded segment by segment like a key.
#[derive(Clone, Debug)]
pub(crate) struct KeyBase {
    pub(crate) root: &'static str,
    pub(crate) prefix: Arc<str>,
}

/// Appends the encoded path of `prefix` + `/` + `key` under the root to `out`.
pub(crate) fn push_key_path(out: &mut String, base: &KeyBase, key: &str) -> Result<(), InvalidRequest> {
    let prefix = &*base.prefix;
    out.push_str(base.root);
    let start = out.len();
    push_segments(out, prefix).and_then(|()| push_segments(out, key)).map_err(|segment| {
        InvalidRequest::new(
            InvalidRequestKind::Key,
            format!("{:?} has a {segment:?} segment, which the server would resolve to another key", join(prefix, key)),
        )
    })?;
    if out.len() == start {
        out.push('/');
    }
    Ok(())
}

/// Appends each segment of `path` as `/segment`, encoded; a `.` or `..` segment is the error. A loop over the
/// bytes rather than `str::split`, which costs more than the encoding itself on the short keys of most calls.
fn push_segments<'a>(out: &mut String, path: &'a str) -> Result<(), &'a str> {
    for segment in path.as_bytes().split(|&b| b == b'/') {
        match segment {
            b"" => {}
            b"." | b".." => return Err(if segment.len() == 1 { "." } else { ".." }),
            _ => {
                out.push('/');
                // Most keys need no encoding: copying them whole is several times faster than encoding them.
                if segment.iter().all(|&b| is_unreserved(b)) {
                    // All ASCII: a valid `str`.
                    out.push_str(std::str::from_utf8(segment).unwrap_or_default());
                } else {
                    out.extend(percent_encoding::percent_encode(segment, SEGMENT));
                }
            }
        }
    }
    Ok(())
}

/// Whether `SEGMENT` leaves `byte` as it is (RFC 3986's unreserved characters).
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}/{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(prefix: &str, key: &str) -> Result<String, InvalidRequest> {
        let mut out = String::new();
        push_key_path(&mut out, &KeyBase { root: KEYS_ROOT, prefix: prefix.into() }, key).map(|()| out)
    }

    #[test]
    fn a_replacing_prefix_is_the_whole_path() {
        let base = |prefix: &str| KeyBase { root: "", prefix: prefix.into() };
        let path = |prefix: &str, key: &str| {
            let mut out = String::new();
            push_key_path(&mut out, &base(prefix), key).map(|()| out)
        };
        assert_eq!(path("/custom/keys", "a b").unwrap(), "/custom/keys/a%20b");
        assert_eq!(path("", "a").unwrap(), "/a");
        assert_eq!(path("", "").unwrap(), "/");
        assert!(path("/x/..", "a").is_err());
    }

    #[test]
    fn encodes_what_a_path_cannot_carry_and_keeps_slashes() {
        assert_eq!(path("", "/foo").unwrap(), "/v2/keys/foo");
        assert_eq!(path("", "foo/bar").unwrap(), "/v2/keys/foo/bar");
        assert_eq!(path("", "a b?c#d%e+f&g=h;i").unwrap(), "/v2/keys/a%20b%3Fc%23d%25e%2Bf%26g%3Dh%3Bi");
        assert_eq!(path("", "/ключ/🔑").unwrap(), "/v2/keys/%D0%BA%D0%BB%D1%8E%D1%87/%F0%9F%94%91");
        assert_eq!(path("", "a-b_c.d~e...f").unwrap(), "/v2/keys/a-b_c.d~e...f");
        assert_eq!(path("", "/a//b/").unwrap(), "/v2/keys/a/b");
    }

    #[test]
    fn the_unreserved_fast_path_agrees_with_the_encoder() {
        for byte in 0..=u8::MAX {
            let text = [byte];
            let encoded: String = percent_encoding::percent_encode(&text, SEGMENT).collect();
            assert_eq!(is_unreserved(byte), encoded.as_bytes() == text, "byte {byte:#04x}");
        }
    }

    #[test]
    fn the_root_and_the_prefix() {
        assert_eq!(path("", "").unwrap(), "/v2/keys/");
        assert_eq!(path("", "/").unwrap(), "/v2/keys/");
        assert_eq!(path("/app", "conf").unwrap(), "/v2/keys/app/conf");
        assert_eq!(path("app/", "/conf").unwrap(), "/v2/keys/app/conf");
        assert_eq!(path("/app", "").unwrap(), "/v2/keys/app");
    }

    #[test]
    fn dot_segments_are_refused_with_the_key_named() {
        for (prefix, key) in [("", "../../etc"), ("", "/a/./b"), ("", "."), ("/app/..", "x"), ("", "a/..")] {
            let err = path(prefix, key).unwrap_err();
            assert_eq!(err.kind(), InvalidRequestKind::Key);
            assert!(err.reason().contains("segment"), "{err}");
        }
    }
}
