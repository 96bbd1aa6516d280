//! [`V2Service`]: etcd's v2 HTTP API as a tower `Service` over any [`V2Store`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use etcd_transport::{Body, RequestBody};
use http::header::CONTENT_TYPE;
use http::{Method, Request, Response, StatusCode};

use crate::error::V2Error;
use crate::form::decode_path;
use crate::render::{
    render_applied, render_error, render_http_error, render_json, render_method_not_allowed, render_text, render_watch,
};
use crate::request::{KeyOperation, parse_key_request};
use crate::store::{BoxError, StatsKind, StoreError, V2Store};

/// etcd's v2 client API served from a [`V2Store`]: `/v2/keys`, `/v2/members`, `/v2/machines`, `/v2/stats/*`,
/// `/version`, `/health`. It takes the transport's request type, so `etcd_transport::Client::new(service)` runs
/// every API crate over it, and a hyper server can serve it as it is.
///
/// Only the request's path, query, method, `Content-Type` and body are read: the URI may be relative or
/// absolute. A store's [`StoreError::Unavailable`] fails the call (the service's error); everything else is an
/// answer, as etcd would give it.
pub struct V2Service<S> {
    store: Arc<S>,
}

impl<S> Clone for V2Service<S> {
    fn clone(&self) -> Self {
        V2Service { store: Arc::clone(&self.store) }
    }
}

impl<S> std::fmt::Debug for V2Service<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V2Service").finish_non_exhaustive()
    }
}

impl<S: V2Store> V2Service<S> {
    /// A service over `store`.
    pub fn new(store: S) -> Self {
        V2Service { store: Arc::new(store) }
    }

    /// A service over a shared store.
    pub fn from_arc(store: Arc<S>) -> Self {
        V2Service { store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// Answers one request.
    ///
    /// # Errors
    /// The store's [`StoreError::Unavailable`]; every other outcome is an answer.
    pub async fn call_request(&self, request: Request<RequestBody>) -> Result<Response<Body>, BoxError> {
        serve(&*self.store, request).await
    }
}

impl<S: V2Store> tower::Service<Request<RequestBody>> for V2Service<S> {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let store = Arc::clone(&self.store);
        Box::pin(async move { serve(&*store, request).await })
    }
}

/// Routes a request as etcd's mux does.
pub async fn serve<S: V2Store>(store: &S, request: Request<RequestBody>) -> Result<Response<Body>, BoxError> {
    let raw_path = request.uri().path();
    let Some(path) = decode_path(raw_path) else {
        return Ok(render_text(StatusCode::BAD_REQUEST, "400 Bad Request"));
    };
    let path = path.into_owned();
    if path == "/v2/keys" || path.starts_with("/v2/keys/") {
        return serve_keys(store, &path["/v2/keys".len()..], request).await;
    }
    let method = request.method().clone();
    let get_only =
        |answer: Response<Body>| if method == Method::GET { answer } else { render_method_not_allowed("GET") };
    let answer = match path.as_str() {
        "/v2/members" | "/v2/members/" if method == Method::GET => {
            #[derive(serde::Serialize)]
            struct Members {
                members: Vec<crate::Member>,
            }
            let members = unavailable(store.members().await)?;
            match members {
                Ok(members) => render_json(StatusCode::OK, Some(store.cluster_id()), &Members { members }),
                Err(error) => render_error(&error, Some(store.cluster_id())),
            }
        }
        "/v2/members/leader" => match unavailable(store.leader().await)? {
            Ok(Some(leader)) => get_only(render_json(StatusCode::OK, Some(store.cluster_id()), &leader)),
            Ok(None) => render_http_error(StatusCode::SERVICE_UNAVAILABLE, "During election", Some(store.cluster_id())),
            Err(error) => render_error(&error, Some(store.cluster_id())),
        },
        "/v2/machines" => {
            let members = unavailable(store.members().await)?.unwrap_or_default();
            let urls: Vec<String> = members.into_iter().flat_map(|m| m.client_urls).collect();
            let mut response = Response::new(Body::from(urls.join(", ")));
            response.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
            response
        }
        "/v2/stats/self" | "/v2/stats/leader" | "/v2/stats/store" => {
            let kind = match path.as_str() {
                "/v2/stats/self" => StatsKind::Own,
                "/v2/stats/leader" => StatsKind::Leader,
                _ => StatsKind::Store,
            };
            match unavailable(store.stats(kind).await)? {
                Ok(Some(json)) => {
                    let mut response = Response::new(Body::from(json));
                    response.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
                    get_only(response)
                }
                Ok(None) => render_http_error(StatusCode::FORBIDDEN, "not current leader", None),
                Err(error) => render_error(&error, None),
            }
        }
        "/version" => {
            #[derive(serde::Serialize)]
            struct Version {
                etcdserver: String,
                etcdcluster: String,
            }
            let (etcdserver, etcdcluster) = store.version();
            let mut response = render_json(StatusCode::OK, None, &Version { etcdserver, etcdcluster });
            // etcd writes the version with json.Marshal: no newline.
            let body =
                crate::json::to_go_json(&Version { etcdserver: store.version().0, etcdcluster: store.version().1 });
            *response.body_mut() = Body::from(body);
            get_only(response)
        }
        "/health" => {
            #[derive(serde::Serialize)]
            struct Health {
                health: &'static str,
                // etcd 3.4 has no reason field.
                #[serde(skip_serializing_if = "Option::is_none")]
                reason: Option<String>,
            }
            let with_reason = !store.version().0.starts_with("3.4");
            let (status, health) = match store.health().await {
                Ok(()) => (StatusCode::OK, Health { health: "true", reason: with_reason.then(String::new) }),
                Err(reason) => {
                    (StatusCode::SERVICE_UNAVAILABLE, Health { health: "false", reason: with_reason.then_some(reason) })
                }
            };
            // etcd writes it with json.Marshal and no Content-Type: Go sniffs it as plain text.
            let mut response = Response::new(Body::from(crate::json::to_go_json(&health)));
            *response.status_mut() = status;
            response.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
            response
        }
        members if members == "/v2/members" || members.starts_with("/v2/members/") => {
            return crate::members::serve_change(store, members, request).await;
        }
        _ => render_text(StatusCode::NOT_FOUND, "404 page not found"),
    };
    Ok(answer)
}

/// Splits a store's error into an answer (a v2 error) or the service's failure.
fn unavailable<T>(result: Result<T, StoreError>) -> Result<Result<T, V2Error>, BoxError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(StoreError::V2(error)) => Ok(Err(error)),
        Err(StoreError::Unavailable(error)) => Err(error),
        Err(StoreError::Http { status, message }) => {
            Ok(Err(V2Error::new(crate::ErrorCode::RaftInternal, format!("{status}: {message}"), 0)))
        }
    }
}

async fn serve_keys<S: V2Store>(
    store: &S,
    key_path: &str,
    request: Request<RequestBody>,
) -> Result<Response<Body>, BoxError> {
    let method = request.method();
    if ![Method::HEAD, Method::GET, Method::PUT, Method::POST, Method::DELETE].contains(method) {
        return Ok(render_method_not_allowed("HEAD,GET,PUT,POST,DELETE"));
    }
    let cluster_id = store.cluster_id();
    let is_form = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    let body = (is_form && matches!(*method, Method::PUT | Method::POST)).then(|| request.body().as_bytes().as_ref());
    let parsed = match parse_key_request(method, key_path, request.uri().query(), body) {
        Ok(parsed) => parsed,
        Err(error) => return Ok(render_error(&error, Some(cluster_id))),
    };
    if let KeyOperation::Watch(watch) = parsed.operation {
        let stream = watch.stream;
        return match unavailable(store.watch(watch).await)? {
            Ok(watch) => Ok(render_watch(watch, cluster_id, stream)),
            Err(error) => Ok(render_error(&error, Some(cluster_id))),
        };
    }
    match unavailable(store.apply(parsed.operation).await)? {
        Ok(applied) => Ok(render_applied(&applied, cluster_id, parsed.no_value_on_success, parsed.head)),
        Err(error) => Ok(render_error(&error, Some(cluster_id))),
    }
}
