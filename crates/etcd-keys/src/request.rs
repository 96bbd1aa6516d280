//! Each keys call as the exact HTTP request etcd's v2 API expects: method, path, query, form.

use bytes::Bytes;
use etcd_core::{InvalidRequest, InvalidRequestKind};
use etcd_transport::{Idempotency, LongPoll};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Uri};

use crate::key::{KeyBase, push_key_path};
use crate::options::{CreateInOrderOptions, DeleteOptions, GetOptions, PrevExist, SetOptions, ttl_seconds};

const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// The longest path and query `http::Uri` holds (`u16::MAX - 1` bytes: it keeps offsets in a `u16`). A longer
/// one, from a huge key, prefix or `prev_value` once percent-encoded (up to three bytes per byte), is refused
/// before sending rather than left to panic in the URI's constructor.
pub(crate) const MAX_PATH_AND_QUERY: usize = u16::MAX as usize - 1;

/// A request under construction: the path with its query, and an optional form body.
struct Builder {
    uri: String,
    query_len: usize,
    form: Option<String>,
}

impl Builder {
    fn new(base: &KeyBase, key: &str) -> Result<Builder, InvalidRequest> {
        let mut uri = String::with_capacity(16 + base.prefix.len() + key.len());
        push_key_path(&mut uri, base, key)?;
        Ok(Builder { uri, query_len: 0, form: None })
    }

    fn query(&mut self, name: &str, value: &str) -> &mut Self {
        self.uri.push(if self.query_len == 0 { '?' } else { '&' });
        self.query_len += 1;
        push_form_encoded(&mut self.uri, name);
        self.uri.push('=');
        push_form_encoded(&mut self.uri, value);
        self
    }

    fn query_flag(&mut self, name: &str, on: bool) -> &mut Self {
        if on {
            self.query(name, "true");
        }
        self
    }

    fn form(&mut self, name: &str, value: &str) -> &mut Self {
        // Sized for the first pair unencoded, so that a set's `value=...` form takes one allocation, not four.
        let capacity = 32 + name.len() + value.len();
        let form = self.form.get_or_insert_with(|| String::with_capacity(capacity));
        if !form.is_empty() {
            form.push('&');
        }
        push_form_encoded(form, name);
        form.push('=');
        push_form_encoded(form, value);
        self
    }

    fn build(self, method: Method, idempotency: Idempotency) -> Result<Request<Bytes>, InvalidRequest> {
        let too_long = |len: usize| {
            // The path alone too long: the key (or prefix) is to blame; else a query value (`prevValue`).
            let (kind, what) = match self.uri.find('?') {
                Some(query) if query <= MAX_PATH_AND_QUERY => (InvalidRequestKind::Options, "its query"),
                _ => (InvalidRequestKind::Key, "the key's path"),
            };
            InvalidRequest::new(
                kind,
                format!(
                    "the request is too long to send: {what} makes {len} bytes once percent-encoded, and a URI holds at most {MAX_PATH_AND_QUERY}"
                ),
            )
        };
        if self.uri.len() > MAX_PATH_AND_QUERY {
            return Err(too_long(self.uri.len()));
        }
        let body = self.form.map(Bytes::from).unwrap_or_default();
        let len = self.uri.len();
        // Percent-encoded text of the right length always parses; mapped rather than unwrapped all the same, so
        // that no input can make a call panic.
        let uri = Uri::from_maybe_shared(Bytes::from(self.uri)).map_err(|_| {
            InvalidRequest::new(
                InvalidRequestKind::Key,
                format!("the request's path and query ({len} bytes) is not a valid URI"),
            )
        })?;
        // Set in place rather than through `Request::builder()`, whose every step moves the whole request: a
        // tenth of a call's own CPU in the benchmarks.
        let form = !body.is_empty();
        let mut request = Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        if form {
            request.headers_mut().insert(CONTENT_TYPE, FORM);
        }
        request.extensions_mut().insert(idempotency);
        Ok(request)
    }
}

/// Appends `text` as `application/x-www-form-urlencoded` does (`form_urlencoded::byte_serialize`). Most names
/// and values need no encoding: they are copied whole, which costs a tenth of encoding them byte by byte.
fn push_form_encoded(out: &mut String, text: &str) {
    if text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')) {
        out.push_str(text);
    } else {
        out.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

pub(crate) fn get(base: &KeyBase, key: &str, options: &GetOptions) -> Result<Request<Bytes>, InvalidRequest> {
    let mut b = Builder::new(base, key)?;
    b.query_flag("recursive", options.recursive)
        .query_flag("sorted", options.sort)
        .query_flag("quorum", options.quorum);
    b.build(Method::GET, Idempotency::Read)
}

pub(crate) fn set(
    base: &KeyBase,
    key: &str,
    value: &str,
    options: &SetOptions,
) -> Result<Request<Bytes>, InvalidRequest> {
    options.check(value)?;
    let mut b = Builder::new(base, key)?;
    if options.dir {
        b.query_flag("dir", true);
    } else if !options.refresh {
        b.form("value", value);
    }
    if let Some(prev_value) = &options.prev_value {
        b.query("prevValue", prev_value);
    }
    if let Some(prev_index) = options.prev_index {
        b.query("prevIndex", &prev_index.to_string());
    }
    let prev_exist = match (options.prev_exist, options.remove_ttl) {
        (PrevExist::Ignore, false) => None,
        (PrevExist::Exists, _) | (PrevExist::Ignore, true) => Some("true"),
        (PrevExist::NotExists, _) => Some("false"),
    };
    if let Some(prev_exist) = prev_exist {
        b.query("prevExist", prev_exist);
    }
    b.query_flag("noValueOnSuccess", options.no_value_on_success);
    if let Some(ttl) = options.ttl {
        b.form("ttl", &ttl_seconds(ttl)?.to_string());
    } else if options.remove_ttl {
        b.form("ttl", "");
    }
    if options.refresh {
        b.form("refresh", "true");
    }
    let idempotency =
        if options.is_idempotent() { Idempotency::IdempotentWrite } else { Idempotency::NonIdempotentWrite };
    b.build(Method::PUT, idempotency)
}

pub(crate) fn create_in_order(
    base: &KeyBase,
    dir: &str,
    value: &str,
    options: &CreateInOrderOptions,
) -> Result<Request<Bytes>, InvalidRequest> {
    options.check()?;
    let mut b = Builder::new(base, dir)?;
    b.form("value", value);
    if let Some(ttl) = options.ttl {
        b.form("ttl", &ttl_seconds(ttl)?.to_string());
    }
    b.build(Method::POST, Idempotency::NonIdempotentWrite)
}

pub(crate) fn delete(base: &KeyBase, key: &str, options: &DeleteOptions) -> Result<Request<Bytes>, InvalidRequest> {
    options.check()?;
    let mut b = Builder::new(base, key)?;
    if let Some(prev_value) = &options.prev_value {
        b.query("prevValue", prev_value);
    }
    if let Some(prev_index) = options.prev_index {
        b.query("prevIndex", &prev_index.to_string());
    }
    b.query_flag("recursive", options.recursive).query_flag("dir", options.dir);
    b.build(Method::DELETE, Idempotency::NonIdempotentWrite)
}

/// A streaming watch: etcd sends every event as a line, on and on.
pub(crate) fn watch(
    base: &KeyBase,
    key: &str,
    recursive: bool,
    wait_index: Option<u64>,
) -> Result<Request<Bytes>, InvalidRequest> {
    wait(base, key, recursive, wait_index, true)
}

/// A plain wait: etcd answers with one event.
pub(crate) fn wait_once(
    base: &KeyBase,
    key: &str,
    recursive: bool,
    wait_index: Option<u64>,
) -> Result<Request<Bytes>, InvalidRequest> {
    wait(base, key, recursive, wait_index, false)
}

fn wait(
    base: &KeyBase,
    key: &str,
    recursive: bool,
    wait_index: Option<u64>,
    stream: bool,
) -> Result<Request<Bytes>, InvalidRequest> {
    let mut b = Builder::new(base, key)?;
    b.query_flag("wait", true).query_flag("recursive", recursive).query_flag("stream", stream);
    if let Some(index) = wait_index {
        b.query("waitIndex", &index.to_string());
    }
    let mut request = b.build(Method::GET, Idempotency::Read)?;
    // A wait may be held for minutes, a thousand at once: the transport gives it a connection with a small
    // read buffer, and keeps large reads for the calls.
    request.extensions_mut().insert(LongPoll);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_fast_path_agrees_with_the_encoder() {
        for text in ["", "bar", "a-b.c_d*e", "with space", "a+b", "é", "100%", "x=y&z", "~tilde", "line\nbreak"] {
            let mut fast = String::new();
            push_form_encoded(&mut fast, text);
            let slow: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            assert_eq!(fast, slow, "{text:?}");
        }
    }
}
