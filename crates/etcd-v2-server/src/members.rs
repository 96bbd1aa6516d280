//! `POST`, `DELETE` and `PUT /v2/members`: membership changes parsed as etcd's members handler does.

use etcd_transport::{Body, RequestBody};
use http::header::CONTENT_TYPE;
use http::{Method, Request, Response, StatusCode};

use crate::render::{render_http_error, render_json, render_method_not_allowed};
use crate::store::{BoxError, MemberChange, StoreError, V2Store};

/// etcd's `MemberCreateRequest` / `MemberUpdateRequest`.
#[derive(serde::Deserialize)]
struct PeerUrls {
    // Absent is empty, which etcd refuses as `no valid URLs given`, like an empty list.
    #[serde(rename = "peerURLs", default)]
    peer_urls: Vec<String>,
}

/// etcd's `types.NewURLs` checks, with its messages: at least one URL, each with an http(s) or unix(s) scheme, a
/// `host:port` and no path.
fn check_peer_urls(urls: &[String]) -> Result<(), String> {
    if urls.is_empty() {
        return Err("no valid URLs given".to_owned());
    }
    for given in urls {
        let url = given.trim();
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        if !matches!(scheme, "http" | "https" | "unix" | "unixs") {
            return Err(format!("URL scheme must be http, https, unix, or unixs: {url}"));
        }
        let rest = url[scheme.len() + 1..].strip_prefix("//").unwrap_or("");
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (host, after) = rest.split_at(end);
        let has_port = match host.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once("]:").is_some(),
            None => host.matches(':').count() == 1,
        };
        if !has_port {
            return Err(format!("URL address does not have the form \"host:port\": {url}"));
        }
        if after.starts_with('/') {
            return Err(format!("URL must not contain a path: {url}"));
        }
    }
    Ok(())
}

pub(crate) async fn serve_change<S: V2Store>(
    store: &S,
    path: &str,
    request: Request<RequestBody>,
) -> Result<Response<Body>, BoxError> {
    let id = Some(store.cluster_id());
    let method = request.method().clone();
    if ![Method::GET, Method::POST, Method::DELETE, Method::PUT].contains(&method) {
        return Ok(render_method_not_allowed("GET,POST,DELETE,PUT"));
    }
    let rest = path.trim_start_matches("/v2/members").trim_start_matches('/');
    if method == Method::GET {
        return Ok(render_http_error(StatusCode::NOT_FOUND, "Not found", id));
    }
    let change = if method == Method::POST {
        match peer_urls(&request) {
            Ok(peer_urls) => MemberChange::Add { peer_urls },
            Err(refusal) => return Ok(refusal.with_cluster(id)),
        }
    } else {
        if rest.is_empty() {
            let refusal = crate::render::render_text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            return Ok(with_cluster(refusal, id));
        }
        let Ok(member) = u64::from_str_radix(rest, 16) else {
            return Ok(render_http_error(StatusCode::NOT_FOUND, &format!("No such member: {rest}"), id));
        };
        if method == Method::DELETE {
            MemberChange::Remove { id: member }
        } else {
            match peer_urls(&request) {
                Ok(peer_urls) => MemberChange::Update { id: member, peer_urls },
                Err(refusal) => return Ok(refusal.with_cluster(id)),
            }
        }
    };
    match store.change_member(change).await {
        Ok(Some(member)) => Ok(render_json(StatusCode::CREATED, id, &member)),
        Ok(None) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(with_cluster(response, id))
        }
        Err(StoreError::Http { status, message }) => Ok(render_http_error(status, &message, id)),
        Err(StoreError::V2(error)) => Ok(crate::render::render_error(&error, id)),
        Err(StoreError::Unavailable(error)) => Err(error),
    }
}

struct Refusal(Box<Response<Body>>);

impl Refusal {
    fn with_cluster(self, id: Option<u64>) -> Response<Body> {
        with_cluster(*self.0, id)
    }
}

fn with_cluster(mut response: Response<Body>, id: Option<u64>) -> Response<Body> {
    if let Some(value) = id.and_then(|id| http::HeaderValue::from_str(&crate::format_id(id)).ok()) {
        response.headers_mut().insert(crate::X_ETCD_CLUSTER_ID, value);
    }
    response
}

/// The body's peer URLs; etcd's 415 for a body that is not JSON, 400 for one it cannot read.
fn peer_urls(request: &Request<RequestBody>) -> Result<Vec<String>, Refusal> {
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" {
        let message = format!("Bad Content-Type {media}, accept application/json");
        return Err(Refusal(Box::new(render_http_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message, None))));
    }
    match serde_json::from_slice::<PeerUrls>(request.body().as_bytes()) {
        Ok(body) => match check_peer_urls(&body.peer_urls) {
            Ok(()) => Ok(body.peer_urls),
            Err(message) => Err(Refusal(Box::new(render_http_error(StatusCode::BAD_REQUEST, &message, None)))),
        },
        Err(error) => Err(Refusal(Box::new(render_http_error(StatusCode::BAD_REQUEST, &error.to_string(), None)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_urls_are_checked_as_etcd_does() {
        let check = |urls: &[&str]| check_peer_urls(&urls.iter().map(|u| (*u).to_owned()).collect::<Vec<_>>());
        assert_eq!(check(&[]).unwrap_err(), "no valid URLs given");
        assert_eq!(check(&["not a url"]).unwrap_err(), "URL scheme must be http, https, unix, or unixs: not a url");
        assert_eq!(
            check(&["http://10.0.0.1"]).unwrap_err(),
            r#"URL address does not have the form "host:port": http://10.0.0.1"#
        );
        assert_eq!(
            check(&["http://10.0.0.1:2380/x"]).unwrap_err(),
            "URL must not contain a path: http://10.0.0.1:2380/x"
        );
        assert!(check(&["http://10.0.0.1:2380", "https://[::1]:2380", " unix://host:1 "]).is_ok());
    }
}
