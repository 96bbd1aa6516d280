//! Redirects and credentials through a scripted transport: the method, body and credentials survive each hop and
//! each endpoint, relative locations resolve, and the limit and the check hold.

use std::sync::{Arc, Mutex};

use etcd_transport::RequestBody;
use etcd_transport::redirect::RedirectPolicy;
use etcd_transport::{Body, Client, ConnectError, Idempotency, LongPoll};
use http::header::{AUTHORIZATION, LOCATION};
use http::{Request, Response};

type Seen = Arc<Mutex<Vec<(String, String, String, Option<String>)>>>;

/// A transport where `http://a:1` is refused, `/loop` redirects to itself, `/hop/N` redirects (relatively) to
/// `/hop/N-1` with 307, and `/hop/0` answers; it records method, URI, body and Authorization of every request.
fn transport(seen: Seen) -> impl etcd_transport::Transport {
    tower::service_fn(move |request: Request<RequestBody>| {
        let seen = seen.clone();
        async move {
            let auth = request.headers().get(AUTHORIZATION).map(|v| v.to_str().unwrap().to_owned());
            let body = String::from_utf8(request.body().as_bytes().to_vec()).unwrap();
            seen.lock().unwrap().push((request.method().to_string(), request.uri().to_string(), body, auth));
            if request.uri().host() == Some("a") {
                return Err(ConnectError::new("connection refused").into());
            }
            let path = request.uri().path().to_owned();
            let redirect = |status: u16, location: String| {
                Ok(Response::builder().status(status).header(LOCATION, location).body(Body::empty()).unwrap())
            };
            match path.strip_prefix("/hop/").map(|n| n.parse::<u32>().unwrap()) {
                Some(0) => Ok(Response::new(Body::from("arrived"))),
                Some(n) => redirect(if n % 2 == 0 { 307 } else { 308 }, format!("{}", n - 1)),
                None if path == "/loop" => redirect(302, "/loop".into()),
                None => Err::<_, etcd_core::BoxError>("unexpected path".into()),
            }
        }
    })
}

fn put(path: &str) -> Request<RequestBody> {
    let mut request = Request::put(path).body(RequestBody::from("value=v")).unwrap();
    request.extensions_mut().insert(Idempotency::IdempotentWrite);
    request
}

#[tokio::test]
async fn redirects_keep_method_body_and_credentials_on_every_attempt() {
    let seen = Seen::default();
    let client = Client::builder(["http://a:1", "http://b:2"])
        .transport(transport(seen.clone()))
        .shuffle_endpoints(false)
        .basic_auth("root", "s3cret")
        .build()
        .unwrap();
    let response = client.send(put("/hop/3")).await.unwrap();
    assert_eq!(response.into_body().bytes().await.unwrap(), "arrived");
    let seen = seen.lock().unwrap();
    let uris: Vec<&str> = seen.iter().map(|(_, uri, _, _)| uri.as_str()).collect();
    assert_eq!(
        uris,
        ["http://a:1/hop/3", "http://b:2/hop/3", "http://b:2/hop/2", "http://b:2/hop/1", "http://b:2/hop/0"]
    );
    for (method, uri, body, auth) in seen.iter() {
        assert_eq!(method, "PUT", "{uri}");
        assert_eq!(body, "value=v", "{uri}");
        assert_eq!(auth.as_deref(), Some("Basic cm9vdDpzM2NyZXQ="), "{uri}");
    }
}

#[tokio::test]
async fn the_redirect_limit_and_check_hold_and_the_last_redirect_is_the_answer() {
    let seen = Seen::default();
    let client = Client::builder(["http://b:2"]).transport(transport(seen.clone())).build().unwrap();
    let response = client.send(put("/loop")).await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(seen.lock().unwrap().len(), 11, "the first request and 10 redirects");

    let seen = Seen::default();
    let client = Client::builder(["http://b:2"])
        .transport(transport(seen.clone()))
        .redirect_policy(RedirectPolicy::none())
        .build()
        .unwrap();
    assert_eq!(client.send(put("/hop/1")).await.unwrap().status(), 308);
    assert_eq!(seen.lock().unwrap().len(), 1);

    let seen = Seen::default();
    let same_host_only =
        RedirectPolicy::custom(|attempt| attempt.next().host() == Some("b") && attempt.previous().len() < 2);
    let client = Client::builder(["http://b:2"])
        .transport(transport(seen.clone()))
        .redirect_policy(same_host_only)
        .build()
        .unwrap();
    // previous() holds the URIs requested so far: the first redirect sees one, the second two, refused.
    assert_eq!(client.send(put("/hop/5")).await.unwrap().status(), 307, "stopped at the second redirect");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_redirected_long_poll_stays_a_long_poll() {
    let marks = Arc::new(Mutex::new(Vec::new()));
    let seen = marks.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        seen.lock().unwrap().push((request.uri().path().to_owned(), request.extensions().get::<LongPoll>().is_some()));
        async move {
            Ok::<_, etcd_core::BoxError>(match request.uri().path() {
                "/first" => Response::builder().status(307).header(LOCATION, "/second").body(Body::empty()).unwrap(),
                _ => Response::new(Body::from("{}")),
            })
        }
    });
    let client = Client::builder(["http://b:2"]).transport(transport).build().unwrap();
    let mut request = Request::get("/first").body(RequestBody::empty()).unwrap();
    request.extensions_mut().insert(LongPoll);
    request.extensions_mut().insert(Idempotency::Read);
    client.send(request).await.unwrap();
    let plain = Request::get("/first").body(RequestBody::empty()).unwrap();
    client.send(plain).await.unwrap();
    let expected = [("/first", true), ("/second", true), ("/first", false), ("/second", false)];
    let marks = marks.lock().unwrap();
    assert_eq!(marks.iter().map(|(p, m)| (p.as_str(), *m)).collect::<Vec<_>>(), expected);
}

/// A transport that redirects by path: `/to/<rest>` answers 307 with `Location: <rest>` (an absolute URL, its
/// `/to/` chained further), anything else answers 200; it records each URI with the Authorization and Cookie it
/// carried.
/// Each hop's URI, Authorization and whether it had a Cookie.
type Hops = Arc<Mutex<Vec<(String, Option<String>, bool)>>>;

fn relay(seen: Hops) -> impl etcd_transport::Transport {
    tower::service_fn(move |request: Request<RequestBody>| {
        let seen = seen.clone();
        async move {
            let auth = request.headers().get(AUTHORIZATION).map(|v| v.to_str().unwrap().to_owned());
            let cookie = request.headers().contains_key(http::header::COOKIE);
            seen.lock().unwrap().push((request.uri().to_string(), auth, cookie));
            let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
            Ok::<_, etcd_core::BoxError>(match path_and_query.strip_prefix("/to/") {
                Some(location) => {
                    Response::builder().status(307).header(LOCATION, location).body(Body::empty()).unwrap()
                }
                None => Response::new(Body::from("{}")),
            })
        }
    })
}

/// Sends `path` from `endpoint` with basic auth and a sensitive cookie; which hops carried credentials.
async fn credentials_per_hop(endpoint: &str, path: &str, policy: RedirectPolicy) -> Vec<(String, bool)> {
    let seen = Hops::default();
    let client = Client::builder([endpoint])
        .transport(relay(seen.clone()))
        .basic_auth("root", "s3cret")
        .redirect_policy(policy)
        .build()
        .unwrap();
    let mut request = Request::get(path).body(RequestBody::empty()).unwrap();
    let mut cookie = http::HeaderValue::from_static("session=1");
    cookie.set_sensitive(true);
    request.headers_mut().insert(http::header::COOKIE, cookie);
    client.send(request).await.unwrap();
    let seen = seen.lock().unwrap();
    for (uri, auth, cookie) in seen.iter() {
        assert_eq!(auth.is_some(), *cookie, "{uri}: the cookie goes where the credentials go");
    }
    seen.iter().map(|(uri, auth, _)| (uri.clone(), auth.is_some())).collect()
}

#[tokio::test]
async fn credentials_follow_redirects_to_the_same_origin_only() {
    let same = credentials_per_hop("http://b:2", "/to/http://B:2/to/http://b:2/x", RedirectPolicy::default()).await;
    assert!(same.iter().all(|(_, sent)| *sent), "same scheme, host and port: {same:?}");

    // Another host, another port, another scheme: none; and once withheld, not back even at the origin.
    for (path, elsewhere) in [
        ("/to/http://c:2/to/http://b:2/x", "http://c:2/to/http://b:2/x"),
        ("/to/http://b:3/x", "http://b:3/x"),
        ("/to/https://b:2/x", "https://b:2/x"),
    ] {
        let hops = credentials_per_hop("http://b:2", path, RedirectPolicy::default()).await;
        assert!(hops[0].1, "the endpoint itself gets them");
        assert!(hops[1..].iter().all(|(_, sent)| !sent), "{hops:?}");
        assert_eq!(hops[1].0, elsewhere);
    }
    // The default port counts as written.
    let hops = credentials_per_hop("http://b", "/to/http://b:80/x", RedirectPolicy::default()).await;
    assert!(hops.iter().all(|(_, sent)| *sent), "{hops:?}");
}

#[tokio::test]
async fn the_opt_in_keeps_credentials_across_hosts_but_never_from_https_to_http() {
    let trusting = || RedirectPolicy::default().with_credentials_to_other_hosts();
    let hops = credentials_per_hop("http://b:2", "/to/http://c:3/x", trusting()).await;
    assert!(hops.iter().all(|(_, sent)| *sent), "{hops:?}");
    let hops = credentials_per_hop("https://b:2", "/to/https://c:3/to/http://c:3/to/https://c:3/x", trusting()).await;
    let sent: Vec<bool> = hops.iter().map(|(_, sent)| *sent).collect();
    assert_eq!(sent, [true, true, false, false], "{hops:?}");
    let hops = credentials_per_hop("https://b:2", "/to/http://b:2/x", RedirectPolicy::default()).await;
    assert_eq!(hops.iter().map(|(_, sent)| *sent).collect::<Vec<_>>(), [true, false], "{hops:?}");
}
