//! `POST`, `DELETE` and `PUT /v2/members`: membership changes parsed as etcd's members handler does.

use etcd_transport::{Body, RequestBody};
use http::header::CONTENT_TYPE;
use http::{Method, Request, Response, StatusCode};

use crate::render::{render_http_error, render_json, render_method_not_allowed};
use crate::store::{BoxError, MemberChange, StoreError, V2Store};

/// etcd's `MemberCreateRequest` / `MemberUpdateRequest`.
#[derive(serde::Deserialize)]
struct PeerUrls {
    #[serde(rename = "peerURLs")]
    peer_urls: Vec<String>,
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
        Ok(body) => Ok(body.peer_urls),
        Err(error) => Err(Refusal(Box::new(render_http_error(StatusCode::BAD_REQUEST, &error.to_string(), None)))),
    }
}
