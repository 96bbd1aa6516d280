//! A `/v2/keys` request parsed into a typed [`KeyOperation`] with etcd's validation, in etcd's order
//! (`parseKeyRequest`), and dispatched as etcd's applier does (`applierV2store`).

use http::Method;

use crate::error::{ErrorCode, V2Error};
use crate::form::{Form, clean_key};

/// How a write sets the node's time to live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ttl {
    /// Seconds to live from now; `None` makes the node permanent (a write without `ttl`, or `ttl=` empty).
    pub seconds: Option<u64>,
    /// `refresh=true`: keep the value, reset the TTL, and do not wake watchers.
    pub refresh: bool,
}

/// A keys operation, as etcd's store names them. Keys are clean client paths: `/` for the root, `/a/b` below.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOperation {
    /// Read a node; a directory lists its children (all levels when `recursive`).
    Get {
        /// The key.
        key: String,
        /// List all levels below a directory.
        recursive: bool,
        /// Sort children by key.
        sorted: bool,
        /// Read through consensus (a linearizable read): fails on a member cut from quorum.
        quorum: bool,
    },
    /// Wait for the next change (or stream changes) at or after an index.
    Watch(WatchRequest),
    /// Set a key whatever it holds (creating it, or replacing a file; a directory cannot be replaced).
    Set {
        /// The key.
        key: String,
        /// Make a directory.
        dir: bool,
        /// The value (ignored for a directory).
        value: String,
        /// Time to live.
        ttl: Ttl,
    },
    /// Create a key that must not exist; `in_order` appends a 20-digit name taken from the next index.
    Create {
        /// The key (the directory, when `in_order`).
        key: String,
        /// Make a directory.
        dir: bool,
        /// The value.
        value: String,
        /// Time to live.
        ttl: Ttl,
        /// POST: create-in-order.
        in_order: bool,
    },
    /// Update a key that must exist (prevExist=true).
    Update {
        /// The key.
        key: String,
        /// The new value (must be empty for a directory).
        value: String,
        /// Time to live.
        ttl: Ttl,
    },
    /// Set a file whose value and/or modified index match.
    CompareAndSwap {
        /// The key.
        key: String,
        /// The value it must hold; empty: not compared.
        prev_value: String,
        /// The modified index it must have; 0: not compared.
        prev_index: u64,
        /// The new value.
        value: String,
        /// Time to live.
        ttl: Ttl,
    },
    /// Delete a key (a directory with `dir`, its contents with `recursive`).
    Delete {
        /// The key.
        key: String,
        /// Allow deleting an empty directory.
        dir: bool,
        /// Delete a directory and everything below.
        recursive: bool,
    },
    /// Delete a file whose value and/or modified index match.
    CompareAndDelete {
        /// The key.
        key: String,
        /// The value it must hold; empty: not compared.
        prev_value: String,
        /// The modified index it must have; 0: not compared.
        prev_index: u64,
    },
}

impl KeyOperation {
    /// The key the operation is about.
    pub fn key(&self) -> &str {
        match self {
            KeyOperation::Get { key, .. }
            | KeyOperation::Set { key, .. }
            | KeyOperation::Create { key, .. }
            | KeyOperation::Update { key, .. }
            | KeyOperation::CompareAndSwap { key, .. }
            | KeyOperation::Delete { key, .. }
            | KeyOperation::CompareAndDelete { key, .. } => key,
            KeyOperation::Watch(watch) => &watch.key,
        }
    }

    /// Whether the operation goes through consensus: every write, and a quorum read.
    pub fn needs_quorum(&self) -> bool {
        !matches!(self, KeyOperation::Get { quorum: false, .. } | KeyOperation::Watch(_))
    }

    /// Whether the operation changes the store.
    pub fn is_write(&self) -> bool {
        !matches!(self, KeyOperation::Get { .. } | KeyOperation::Watch(_))
    }

    /// Whether the operation is recursive (for permission checks on a key prefix).
    pub fn is_recursive(&self) -> bool {
        match self {
            KeyOperation::Get { recursive, .. } | KeyOperation::Delete { recursive, .. } => *recursive,
            KeyOperation::Watch(watch) => watch.recursive,
            _ => false,
        }
    }
}

/// A wait (`wait=true`): one event, or a stream of them (`stream=true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchRequest {
    /// The key watched.
    pub key: String,
    /// Also changes below the key.
    pub recursive: bool,
    /// Keep sending events rather than the first only.
    pub stream: bool,
    /// The first index of interest (`waitIndex`); 0 for the next change.
    pub wait_index: u64,
}

/// A parsed `/v2/keys` request: the operation and how to render its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    /// What to do.
    pub operation: KeyOperation,
    /// `noValueOnSuccess`: a successful write is answered with its action only.
    pub no_value_on_success: bool,
    /// A HEAD request: headers only.
    pub head: bool,
}

/// Parses a keys request. `key_path` is the decoded URL path after `/v2/keys`; `form_body` is the body when the
/// request is a PUT or POST with a form content type.
///
/// # Errors
/// etcd's answer for an invalid request (bad number, bad boolean, empty prevValue, refresh with a value, ...).
pub fn parse_key_request(
    method: &Method,
    key_path: &str,
    query: Option<&str>,
    form_body: Option<&[u8]>,
) -> Result<KeyRequest, V2Error> {
    let form = Form::parse(query, form_body).map_err(|cause| V2Error::request(ErrorCode::InvalidForm, cause))?;
    let key = clean_key(key_path);
    let invalid = |name: &str| V2Error::request(ErrorCode::InvalidField, format!("invalid value for \"{name}\""));
    let prev_index = form
        .uint("prevIndex")
        .map_err(|()| V2Error::request(ErrorCode::IndexNaN, "invalid value for \"prevIndex\""))?;
    let wait_index = form
        .uint("waitIndex")
        .map_err(|()| V2Error::request(ErrorCode::IndexNaN, "invalid value for \"waitIndex\""))?;
    let recursive = form.bool("recursive").map_err(|()| invalid("recursive"))?;
    let sorted = form.bool("sorted").map_err(|()| invalid("sorted"))?;
    let wait = form.bool("wait").map_err(|()| invalid("wait"))?;
    let dir = form.bool("dir").map_err(|()| invalid("dir"))?;
    let quorum = form.bool("quorum").map_err(|()| invalid("quorum"))?;
    let stream = form.bool("stream").map_err(|()| invalid("stream"))?;
    if wait && method != Method::GET {
        return Err(V2Error::request(ErrorCode::InvalidField, "\"wait\" can only be used with GET requests"));
    }
    let prev_value = form.value("prevValue").to_owned();
    if form.has("prevValue") && prev_value.is_empty() {
        return Err(V2Error::request(ErrorCode::PrevValueRequired, "\"prevValue\" cannot be empty"));
    }
    let no_value_on_success = form.bool("noValueOnSuccess").map_err(|()| invalid("noValueOnSuccess"))?;
    let seconds = match form.value("ttl") {
        "" => None,
        text => Some(
            crate::form::parse_go_uint(text)
                .map_err(|()| V2Error::request(ErrorCode::TtlNaN, "invalid value for \"ttl\""))?,
        ),
    };
    let prev_exist = match form.first("prevExist") {
        None => None,
        Some(text) => Some(
            crate::form::parse_go_bool(text)
                .map_err(|()| V2Error::request(ErrorCode::InvalidField, "invalid value for prevExist"))?,
        ),
    };
    let mut refresh = false;
    if let Some(text) = form.first("refresh") {
        refresh = crate::form::parse_go_bool(text)
            .map_err(|()| V2Error::request(ErrorCode::InvalidField, "invalid value for refresh"))?;
        if refresh && !form.value("value").is_empty() {
            return Err(V2Error::request(ErrorCode::RefreshValue, "A value was provided on a refresh"));
        }
        if refresh && seconds.is_none() {
            return Err(V2Error::request(ErrorCode::RefreshTtlRequired, "No TTL value set"));
        }
    }
    let value = form.value("value").to_owned();
    let ttl = Ttl { seconds, refresh };
    let head = method == Method::HEAD;
    let operation = if *method == Method::GET || head {
        if wait && !head {
            KeyOperation::Watch(WatchRequest { key, recursive, stream, wait_index })
        } else {
            KeyOperation::Get { key, recursive, sorted, quorum: quorum && !head }
        }
    } else if *method == Method::POST {
        KeyOperation::Create { key, dir, value, ttl, in_order: true }
    } else if *method == Method::PUT {
        match prev_exist {
            Some(true) if prev_index == 0 && prev_value.is_empty() => KeyOperation::Update { key, value, ttl },
            Some(true) => KeyOperation::CompareAndSwap { key, prev_value, prev_index, value, ttl },
            Some(false) => KeyOperation::Create { key, dir, value, ttl, in_order: false },
            None if prev_index > 0 || !prev_value.is_empty() => {
                KeyOperation::CompareAndSwap { key, prev_value, prev_index, value, ttl }
            }
            None => KeyOperation::Set { key, dir, value, ttl },
        }
    } else if prev_index > 0 || !prev_value.is_empty() {
        KeyOperation::CompareAndDelete { key, prev_value, prev_index }
    } else {
        KeyOperation::Delete { key, dir, recursive }
    };
    Ok(KeyRequest { operation, no_value_on_success, head })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(query: &str, body: &str) -> Result<KeyOperation, V2Error> {
        parse_key_request(&Method::PUT, "/a", Some(query), Some(body.as_bytes())).map(|r| r.operation)
    }

    #[test]
    fn dispatches_writes_as_etcds_applier_does() {
        assert!(matches!(put("", "value=1"), Ok(KeyOperation::Set { .. })));
        assert!(matches!(put("prevExist=true", "value=1"), Ok(KeyOperation::Update { .. })));
        assert!(matches!(put("prevExist=false", "value=1"), Ok(KeyOperation::Create { in_order: false, .. })));
        assert!(matches!(put("prevIndex=3", "value=1"), Ok(KeyOperation::CompareAndSwap { prev_index: 3, .. })));
        let delete = parse_key_request(&Method::DELETE, "/a/", Some("prevValue=x"), None).unwrap();
        assert_eq!(
            delete.operation,
            KeyOperation::CompareAndDelete { key: "/a".into(), prev_value: "x".into(), prev_index: 0 }
        );
    }

    #[test]
    fn refuses_what_etcd_refuses_with_its_causes() {
        let cause = |r: Result<KeyOperation, V2Error>| {
            let e = r.unwrap_err();
            (e.code.number(), e.cause)
        };
        assert_eq!(cause(put("", "ttl=abc")), (202, "invalid value for \"ttl\"".into()));
        assert_eq!(cause(put("prevValue=", "value=1")), (201, "\"prevValue\" cannot be empty".into()));
        assert_eq!(cause(put("refresh=true", "value=1&ttl=5")), (211, "A value was provided on a refresh".into()));
        assert_eq!(cause(put("refresh=true", "")), (212, "No TTL value set".into()));
        assert_eq!(cause(put("prevExist=maybe", "")), (209, "invalid value for prevExist".into()));
        assert_eq!(cause(put("wait=true", "")), (209, "\"wait\" can only be used with GET requests".into()));
        assert_eq!(cause(put("prevIndex=-1", "")), (203, "invalid value for \"prevIndex\"".into()));
    }
}
