//! How each rule of [`RULES`](super::RULES) rewrites an answer: the list and its reasons are in `mod.rs`.

use super::Context;
use crate::case::expand;
use crate::json::Json;
use crate::record::Exchange;

/// `/v2/keys/a` from a step label `PUT /v2/keys/a?x=1 value=1`.
pub(super) fn request_path(step: &str) -> String {
    let target = step.split(' ').nth(1).unwrap_or_default();
    target.split('?').next().unwrap_or_default().to_owned()
}

/// The `prevIndex` a step sent (in its query or form), with its placeholders expanded.
pub(super) fn prev_index(step: &str, start_index: u64) -> Option<String> {
    let at = step.find("prevIndex=")? + "prevIndex=".len();
    let value: String = step[at..].chars().take_while(|c| !matches!(c, '&' | ' ')).collect();
    Some(expand(&value, start_index, None))
}

fn relative(index: u64, start: u64) -> String {
    if index == 0 {
        return "0".to_owned();
    }
    if index >= start { format!("i+{}", index - start) } else { format!("i-{}", start - index) }
}

fn each_document_field(exchange: &mut Exchange, f: &mut dyn FnMut(&str, &mut Json) -> bool) -> bool {
    exchange.documents_mut().into_iter().fold(false, |changed, doc| doc.each_field_mut(f) | changed)
}

pub(super) fn relative_indexes(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    let mut changed = false;
    if let Some(index) = exchange.header("X-Etcd-Index").and_then(|v| v.parse::<u64>().ok()) {
        exchange.set_header("X-Etcd-Index", Some(relative(index, start)));
        changed = true;
    }
    if context.path.starts_with("/v2/keys") {
        changed |= each_document_field(exchange, &mut |name, value| match (name, value.as_u64()) {
            ("modifiedIndex" | "createdIndex" | "index", Some(index)) => {
                *value = Json::String(relative(index, start));
                true
            }
            _ => false,
        });
    }
    changed
}

pub(super) fn in_order_names(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    each_document_field(exchange, &mut |name, value| {
        let Some(key) = value.as_str().filter(|_| name == "key") else { return false };
        let (dir, last) = key.rsplit_once('/').unwrap_or(("", key));
        match last.parse::<u64>() {
            Ok(index) if last.len() == 20 => {
                *value = Json::String(format!("{dir}/<{}>", relative(index, start)));
                true
            }
            _ => false,
        }
    })
}

pub(super) fn cleared_history_bounds(exchange: &mut Exchange, context: &Context) -> bool {
    let start = context.start_index;
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if doc.get("errorCode").and_then(Json::as_u64) != Some(401) {
            continue;
        }
        changed |= doc.each_field_mut(&mut |name, value| {
            let Some(cause) = value.as_str().filter(|_| name == "cause") else { return false };
            // "the requested history has been cleared [1008/7]"
            let Some((text, bounds)) = cause.strip_suffix(']').and_then(|c| c.rsplit_once('[')) else {
                return false;
            };
            let Some((oldest, asked)) = bounds.split_once('/') else { return false };
            let (Ok(oldest), Ok(asked)) = (oldest.parse::<u64>(), asked.parse::<u64>()) else { return false };
            *value = Json::String(format!("{text}[{}/{}]", relative(oldest, start), relative(asked, start)));
            true
        });
    }
    changed
}

pub(super) fn compare_failed_indexes(exchange: &mut Exchange, context: &Context) -> bool {
    let (start, Some(sent)) = (context.start_index, context.prev_index.as_deref()) else { return false };
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if doc.get("errorCode").and_then(Json::as_u64) != Some(101) {
            continue;
        }
        changed |= doc.each_field_mut(&mut |name, value| {
            let Some(cause) = value.as_str().filter(|_| name == "cause") else { return false };
            // "[prevValue != value] [prevIndex != modifiedIndex]", "[prevIndex != modifiedIndex]", ...
            let Some(at) = cause.rfind('[') else { return false };
            let Some((asked, found)) = cause[at + 1..].strip_suffix(']').and_then(|b| b.split_once(" != ")) else {
                return false;
            };
            let (Ok(asked), Ok(found)) = (asked.parse::<u64>(), found.parse::<u64>()) else { return false };
            if asked.to_string() != sent {
                return false;
            }
            *value =
                Json::String(format!("{}[{} != {}]", &cause[..at], relative(asked, start), relative(found, start)));
            true
        });
    }
    changed
}

fn replace_header_if(exchange: &mut Exchange, name: &str, ok: fn(&str) -> bool, placeholder: &str) -> bool {
    match exchange.header(name) {
        Some(v) if ok(v) => {
            exchange.set_header(name, Some(placeholder.to_owned()));
            true
        }
        _ => false,
    }
}

fn is_decimal(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn is_hex(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn raft_headers(exchange: &mut Exchange, _: &Context) -> bool {
    replace_header_if(exchange, "X-Raft-Index", is_decimal, "<raft index>")
        | replace_header_if(exchange, "X-Raft-Term", is_decimal, "<raft term>")
}

pub(super) fn cluster_id(exchange: &mut Exchange, _: &Context) -> bool {
    replace_header_if(exchange, "X-Etcd-Cluster-Id", is_hex, "<cluster id>")
}

/// `2026-12-01T03:15:00.84639508Z`: the shape of Go's RFC 3339 with nanoseconds, in UTC.
fn is_rfc3339(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':'
}

pub(super) fn expirations(exchange: &mut Exchange, _: &Context) -> bool {
    each_document_field(exchange, &mut |name, value| match value.as_str() {
        Some(v) if name == "expiration" && is_rfc3339(v) => {
            *value = Json::String("<timestamp>".to_owned());
            true
        }
        _ => false,
    })
}

pub(super) fn members(exchange: &mut Exchange, context: &Context) -> bool {
    if !context.path.starts_with("/v2/members") {
        return false;
    }
    each_document_field(exchange, &mut |name, value| match (name, value) {
        ("id", Json::String(id)) if is_hex(id) => {
            *id = "<member id>".to_owned();
            true
        }
        ("name", Json::String(member)) => {
            *member = "<name>".to_owned();
            true
        }
        ("peerURLs" | "clientURLs", Json::Array(urls)) => {
            for url in urls.iter_mut() {
                if let Json::String(u) = url {
                    *u = if name == "peerURLs" { "<peer url>".to_owned() } else { without_port(u) };
                }
            }
            true
        }
        _ => false,
    })
}

fn without_port(url: &str) -> String {
    match url.rsplit_once(':') {
        Some((head, port)) if is_decimal(port) => format!("{head}:<port>"),
        _ => url.to_owned(),
    }
}

pub(super) fn version(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/version" {
        return false;
    }
    each_document_field(exchange, &mut |name, value| match value {
        Json::String(v) if matches!(name, "etcdserver" | "etcdcluster") && v.split('.').all(is_decimal) => {
            *v = "<version>".to_owned();
            true
        }
        _ => false,
    })
}

/// Every scalar replaced by its type's name: what is compared of a stats answer.
fn shape(json: &mut Json) {
    match json {
        Json::Object(fields) => fields.iter_mut().for_each(|(_, v)| shape(v)),
        Json::Array(items) => items.iter_mut().for_each(shape),
        scalar => *scalar = Json::String(format!("<{}>", scalar.type_name())),
    }
}

pub(super) fn stats_shape(exchange: &mut Exchange, context: &Context) -> bool {
    if !matches!(context.path.as_str(), "/v2/stats/self" | "/v2/stats/leader") || exchange.status != Some(200) {
        return false;
    }
    exchange.documents_mut().into_iter().for_each(shape);
    true
}

pub(super) fn store_stats_changes(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/v2/stats/store" || exchange.status != Some(200) {
        return false;
    }
    let mut baseline = context.store_baseline.borrow_mut();
    for doc in exchange.documents_mut() {
        let Json::Object(fields) = doc else { continue };
        match baseline.as_ref() {
            None => {
                *baseline = Some(Json::Object(fields.clone()));
                fields.iter_mut().for_each(|(_, value)| shape(value));
            }
            Some(first) => {
                for (name, value) in fields.iter_mut() {
                    let before = first.get(name).and_then(Json::as_u64);
                    match (name.as_str(), value.as_u64(), before) {
                        ("watchers", _, _) => shape(value),
                        (_, Some(now), Some(before)) if now >= before => {
                            *value = Json::String(format!("+{}", now - before));
                        }
                        (_, Some(now), Some(before)) => *value = Json::String(format!("-{}", before - now)),
                        _ => shape(value),
                    }
                }
            }
        }
    }
    true
}

pub(super) fn health_reason(exchange: &mut Exchange, context: &Context) -> bool {
    if context.path != "/health" {
        return false;
    }
    let mut changed = false;
    for doc in exchange.documents_mut() {
        if let Json::Object(fields) = doc {
            let before = fields.len();
            fields.retain(|(name, value)| !(name == "reason" && value.as_str() == Some("")));
            changed |= fields.len() != before;
        }
    }
    changed
}
