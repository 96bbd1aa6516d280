//! Failover decisions through a scripted transport: which failures move a call to the next endpoint, which end
//! it with "outcome unknown", where the pin goes, what the cluster error says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_core::{AttemptFailure, Error};
use etcd_transport::RequestBody;
use etcd_transport::{Body, Client, ConnectError, Endpoint, Idempotency};
use http::{Request, Response};

#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    Refuse,
    Reset,
    Hang,
    /// A 500 with etcd's "request timed out" body.
    ServerError,
    /// A 502 from a proxy in front of the member: a page of text, not etcd's JSON.
    ProxyError,
    /// A 404 with etcd's "key not found" body: an answer, not a failure.
    NotFound,
    /// A 200 whose body breaks after its first bytes.
    CutBody,
}

/// A client over endpoints `http://a:1`, `http://b:2`, ... whose transport behaves per host as scripted, and
/// the list of hosts each request reached.
fn scripted(script: &[(&str, Behaviour)]) -> (Client, Arc<Mutex<Vec<String>>>) {
    let behaviours: HashMap<String, Behaviour> = script.iter().map(|(h, b)| (h.to_string(), *b)).collect();
    let endpoints: Vec<String> = script.iter().enumerate().map(|(i, (h, _))| format!("http://{h}:{}", i + 1)).collect();
    let reached = Arc::new(Mutex::new(Vec::new()));
    let log = reached.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let host = request.uri().host().unwrap().to_owned();
        log.lock().unwrap().push(host.clone());
        let behaviour = behaviours[&host];
        async move {
            match behaviour {
                Behaviour::Answer => Ok(Response::new(Body::from(host))),
                Behaviour::Refuse => Err(ConnectError::new("connection refused").into()),
                Behaviour::Reset => Err::<_, etcd_core::BoxError>("connection reset by peer".into()),
                Behaviour::Hang => std::future::pending().await,
                Behaviour::ServerError => Ok(Response::builder()
                    .status(500)
                    .body(Body::from(
                        r#"{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}"#,
                    ))
                    .unwrap()),
                Behaviour::ProxyError => Ok(Response::builder()
                    .status(502)
                    .body(Body::from("<html>\n  <body>502 Bad Gateway: upstream\tconnect error</body>\n</html>\n"))
                    .unwrap()),
                Behaviour::CutBody => {
                    let pieces = futures_pieces(vec![Ok(bytes::Bytes::from_static(b"{\"act")), Err("reset".into())]);
                    Ok(Response::new(Body::new(pieces)))
                }
                Behaviour::NotFound => Ok(Response::builder()
                    .status(404)
                    .body(Body::from(r#"{"errorCode":100,"message":"Key not found","cause":"/k","index":3}"#))
                    .unwrap()),
            }
        }
    });
    let client = Client::builder(endpoints)
        .transport(transport)
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .build()
        .unwrap();
    (client, reached)
}

/// A body of these pieces, in turn.
fn futures_pieces(pieces: Vec<Result<bytes::Bytes, etcd_core::BoxError>>) -> Pieces {
    Pieces(pieces.into())
}

struct Pieces(std::collections::VecDeque<Result<bytes::Bytes, etcd_core::BoxError>>);

impl http_body::Body for Pieces {
    type Data = bytes::Bytes;
    type Error = etcd_core::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, etcd_core::BoxError>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|piece| piece.map(http_body::Frame::data)))
    }
}

fn request(idempotency: Idempotency) -> Request<RequestBody> {
    let mut request = Request::builder().uri("/v2/keys/k").body(RequestBody::empty()).unwrap();
    request.extensions_mut().insert(idempotency);
    request
}

async fn answered_by(client: &Client, idempotency: Idempotency) -> Result<String, Error> {
    let response = client.send(request(idempotency)).await?;
    let endpoint = response.extensions().get::<Endpoint>().unwrap().clone();
    let host = endpoint.as_str().split("://").nth(1).unwrap().split(':').next().unwrap().to_owned();
    if response.status() == 200 {
        assert_eq!(response.into_body().bytes().await.unwrap(), host);
    }
    Ok(host)
}

#[tokio::test]
async fn a_refused_connection_moves_any_request_on_and_the_pin_follows() {
    let (client, reached) = scripted(&[("a", Behaviour::Refuse), ("b", Behaviour::Answer), ("c", Behaviour::Answer)]);
    assert_eq!(answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap(), "b");
    assert_eq!(client.endpoints().unwrap().pinned().as_str(), "http://b:2");
    // The next call starts at the pin: "a" is not tried again.
    assert_eq!(answered_by(&client, Idempotency::Read).await.unwrap(), "b");
    assert_eq!(*reached.lock().unwrap(), ["a", "b", "b"]);
}

#[tokio::test]
async fn a_lost_connection_moves_reads_on_and_ends_any_write_with_an_unknown_outcome() {
    let (client, _) = scripted(&[("a", Behaviour::Reset), ("b", Behaviour::Answer)]);
    assert_eq!(answered_by(&client, Idempotency::Read).await.unwrap(), "b");
    // An unconditional set too: a late copy applied by a member after someone else's newer write would undo it.
    let (client, reached) = scripted(&[("a", Behaviour::Reset), ("b", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::IdempotentWrite).await.unwrap_err();
    assert!(error.is_outcome_unknown(), "{error}");
    assert_eq!(*reached.lock().unwrap(), ["a"]);
}

#[tokio::test]
async fn a_failure_moves_the_pin_off_the_member_even_when_the_call_cannot_go_on() {
    let (client, reached) = scripted(&[("a", Behaviour::Reset), ("b", Behaviour::Answer), ("c", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap_err();
    assert!(error.is_outcome_unknown(), "{error}");
    assert_eq!(client.endpoints().unwrap().pinned().as_str(), "http://b:2", "the next call starts elsewhere");
    assert_eq!(answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap(), "b");
    assert_eq!(*reached.lock().unwrap(), ["a", "b"]);
}

#[tokio::test]
async fn an_unknown_outcome_keeps_the_failures_before_it_in_order() {
    let (client, reached) = scripted(&[("a", Behaviour::Refuse), ("b", Behaviour::Reset), ("c", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::IdempotentWrite).await.unwrap_err();
    let Error::OutcomeUnknown(unknown) = &error else { panic!("{error}") };
    assert_eq!(unknown.endpoint(), "http://b:2");
    let earlier: Vec<&str> = unknown.earlier().iter().map(|e| e.endpoint()).collect();
    assert_eq!(earlier, ["http://a:1"]);
    assert!(matches!(unknown.earlier()[0].failure(), AttemptFailure::Connect(_)));
    assert_eq!(
        error.report().to_string(),
        "the write may or may not have been applied:\n  tried http://a:1: connection failed: connection refused\n  \
         then http://b:2, which may have applied it: connection lost: connection reset by peer"
    );
    assert_eq!(*reached.lock().unwrap(), ["a", "b"], "c never saw the write");
}

#[tokio::test]
async fn a_read_whose_body_is_cut_goes_to_the_next_member_and_a_write_says_what_its_status_said() {
    let (client, reached) = scripted(&[("a", Behaviour::CutBody), ("b", Behaviour::Answer)]);
    assert_eq!(answered_by(&client, Idempotency::Read).await.unwrap(), "b");
    assert_eq!(*reached.lock().unwrap(), ["a", "b"]);

    let (client, reached) = scripted(&[("a", Behaviour::CutBody), ("b", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::IdempotentWrite).await.unwrap_err();
    let Error::InvalidResponse(invalid) = &error else { panic!("{error}") };
    assert_eq!(invalid.kind(), etcd_core::InvalidResponseKind::Body);
    assert_eq!((invalid.status().as_u16(), invalid.endpoint()), (200, Some("http://a:1")), "applied, answer unread");
    assert_eq!(*reached.lock().unwrap(), ["a"]);
}

#[tokio::test]
async fn a_write_that_may_have_been_applied_is_never_replayed() {
    let (client, reached) = scripted(&[("a", Behaviour::Reset), ("b", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap_err();
    let Error::OutcomeUnknown(unknown) = &error else { panic!("{error}") };
    assert_eq!(unknown.endpoint(), "http://a:1");
    assert!(matches!(unknown.failure(), AttemptFailure::Io(_)));
    assert!(error.to_string().contains("may or may not have been applied"), "{error}");
    assert_eq!(*reached.lock().unwrap(), ["a"], "b never saw the write");

    // A request without an Idempotency extension is treated the same way.
    let (client, reached) = scripted(&[("a", Behaviour::Reset), ("b", Behaviour::Answer)]);
    let bare = Request::builder().uri("/v2/keys/k").body(RequestBody::empty()).unwrap();
    assert!(client.send(bare).await.unwrap_err().is_outcome_unknown());
    assert_eq!(*reached.lock().unwrap(), ["a"]);
}

#[tokio::test(start_paused = true)]
async fn a_header_timeout_on_a_write_is_an_unknown_outcome_and_on_a_read_moves_on() {
    let (client, _) = scripted(&[("a", Behaviour::Hang), ("b", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap_err();
    assert!(error.is_outcome_unknown() && error.is_timeout(), "{error}");
    assert_eq!(answered_by(&client, Idempotency::Read).await.unwrap(), "b");
}

#[tokio::test(start_paused = true)]
async fn when_every_endpoint_fails_the_cluster_error_lists_each_in_order() {
    let (client, reached) = scripted(&[("a", Behaviour::Refuse), ("b", Behaviour::Hang), ("c", Behaviour::Reset)]);
    let error = answered_by(&client, Idempotency::Read).await.unwrap_err();
    let cluster = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    let endpoints: Vec<&str> = cluster.errors().iter().map(|e| e.endpoint()).collect();
    assert_eq!(endpoints, ["http://a:1", "http://b:2", "http://c:3"]);
    assert!(matches!(cluster.errors()[0].failure(), AttemptFailure::Connect(_)));
    assert!(matches!(cluster.errors()[1].failure(), AttemptFailure::HeaderTimeout(d) if *d == Duration::from_secs(1)));
    assert!(matches!(cluster.errors()[2].failure(), AttemptFailure::Io(_)));
    assert_eq!(
        error.report().to_string(),
        "all 3 endpoints failed:\n  http://a:1: connection failed: connection refused\n  \
         http://b:2: no response headers within 1s\n  http://c:3: connection lost: connection reset by peer"
    );
    assert_eq!(*reached.lock().unwrap(), ["a", "b", "c"], "each endpoint once");
}

#[tokio::test]
async fn bad_endpoints_are_refused_when_the_client_is_built() {
    let error = Client::builder(["http://ok:1", "ok:2"]).build().unwrap_err();
    assert!(error.is_invalid_request(), "{error}");
    assert!(error.to_string().contains("\"ok:2\""), "names the bad entry: {error}");
    let none: [&str; 0] = [];
    assert!(Client::builder(none).build().unwrap_err().is_invalid_request());
}

#[tokio::test]
async fn user_layers_wrap_calls_and_attempts_in_the_documented_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let tag = |name: &'static str| {
        let order = order.clone();
        tower::layer::layer_fn(move |inner: etcd_transport::BoxedService| {
            let order = order.clone();
            tower::ServiceExt::map_request(inner, move |request: Request<RequestBody>| {
                order.lock().unwrap().push(format!("{name} {}", request.uri()));
                request
            })
        })
    };
    let transport = tower::service_fn(|_request: Request<RequestBody>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
    });
    let client = Client::builder(["http://m:1"])
        .transport(transport)
        .layer(tag("call-outer"))
        .layer(tag("call-inner"))
        .attempt_layer(tag("attempt-outer"))
        .attempt_layer(tag("attempt-inner"))
        .build()
        .unwrap();
    client.send(request(Idempotency::Read)).await.unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        [
            "call-outer /v2/keys/k",
            "call-inner /v2/keys/k",
            "attempt-outer http://m:1/v2/keys/k",
            "attempt-inner http://m:1/v2/keys/k"
        ]
    );
}

#[tokio::test]
async fn a_5xx_moves_a_read_on_and_keeps_etcds_body_and_a_4xx_is_an_answer() {
    let (client, reached) =
        scripted(&[("a", Behaviour::ServerError), ("b", Behaviour::NotFound), ("c", Behaviour::Answer)]);
    assert_eq!(answered_by(&client, Idempotency::Read).await.unwrap(), "b", "the 404 is b's answer");
    assert_eq!(*reached.lock().unwrap(), ["a", "b"]);

    let (client, _) = scripted(&[("a", Behaviour::ServerError), ("b", Behaviour::ServerError)]);
    let error = answered_by(&client, Idempotency::Read).await.unwrap_err();
    let cluster = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    let AttemptFailure::ServerError { status, etcd: Some(etcd), text: None } = cluster.errors()[0].failure() else {
        panic!("{error}")
    };
    assert_eq!((status.as_u16(), etcd.code().0, etcd.cause()), (500, 300, Some("etcdserver: request timed out")));
    assert!(error.to_string().contains("http://b:2: server error 500"), "{error}");
}

#[tokio::test]
async fn a_5xx_that_is_not_etcds_says_what_the_server_said() {
    let (client, _) = scripted(&[("a", Behaviour::ProxyError)]);
    let error = answered_by(&client, Idempotency::Read).await.unwrap_err();
    let cluster = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    let AttemptFailure::ServerError { status, etcd: None, text: Some(text) } = cluster.errors()[0].failure() else {
        panic!("{error}")
    };
    assert_eq!(
        (status.as_u16(), text.as_str()),
        (502, "<html> <body>502 Bad Gateway: upstream connect error</body> </html>")
    );
    assert!(error.to_string().contains("server error 502 Bad Gateway: \"<html> <body>502 Bad Gateway"), "{error}");
}

#[tokio::test]
async fn a_5xx_on_a_write_that_must_not_be_replayed_is_an_unknown_outcome() {
    let (client, reached) = scripted(&[("a", Behaviour::ServerError), ("b", Behaviour::Answer)]);
    let error = answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap_err();
    let Error::OutcomeUnknown(unknown) = &error else { panic!("{error}") };
    assert!(matches!(unknown.failure(), AttemptFailure::ServerError { etcd: Some(_), .. }), "{error}");
    assert_eq!(*reached.lock().unwrap(), ["a"]);
    // An unconditional set too: the 500 may have been a commit that timed out.
    let (client, reached) = scripted(&[("a", Behaviour::ServerError), ("b", Behaviour::Answer)]);
    assert!(answered_by(&client, Idempotency::IdempotentWrite).await.unwrap_err().is_outcome_unknown());
    assert_eq!(*reached.lock().unwrap(), ["a"]);
}

#[tokio::test]
async fn the_go_policy_replays_writes_but_never_a_create_or_a_delete() {
    let reached = Arc::new(Mutex::new(Vec::new()));
    let log = reached.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        log.lock().unwrap().push(format!("{} {}", request.method(), request.uri()));
        async move {
            if request.uri().host() == Some("a") {
                Err::<Response<Body>, etcd_core::BoxError>("connection reset by peer".into())
            } else {
                Ok(Response::new(Body::from("b")))
            }
        }
    });
    let client = Client::builder(["http://a:1", "http://b:2"])
        .transport(transport)
        .shuffle_endpoints(false)
        .retry_policy(etcd_transport::retry::GoRetryPolicy::new())
        .build()
        .unwrap();
    assert_eq!(answered_by(&client, Idempotency::NonIdempotentWrite).await.unwrap(), "b");

    let one_shot = |method: &str, uri: &str| {
        let mut request = Request::builder().method(method).uri(uri).body(RequestBody::empty()).unwrap();
        request.extensions_mut().insert(Idempotency::NonIdempotentWrite);
        request
    };
    for (method, uri) in [("PUT", "/v2/keys/k?prevExist=false"), ("DELETE", "/v2/keys/k")] {
        client.endpoints().unwrap().pin_to(&Endpoint::parse("http://a:1").unwrap());
        reached.lock().unwrap().clear();
        let error = client.send(one_shot(method, uri)).await.unwrap_err();
        assert!(error.is_outcome_unknown(), "{error}");
        assert_eq!(reached.lock().unwrap().len(), 1, "{method} {uri} sent once");
        assert_eq!(client.endpoints().unwrap().pinned().as_str(), "http://b:2", "the pin moved on, as Go's does");
    }
}

#[tokio::test(start_paused = true)]
async fn the_call_deadline_ends_the_call_whatever_the_attempts_met() {
    let hang = tower::service_fn(|_: Request<RequestBody>| {
        std::future::pending::<Result<Response<Body>, etcd_core::BoxError>>()
    });
    let client = Client::builder(["http://a:1", "http://b:2"])
        .transport(hang)
        .without_header_timeout()
        .call_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = client.send(request(Idempotency::Read)).await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.is_timeout(), "{error}");
    assert_eq!(started.elapsed(), Duration::from_secs(3));

    let mut short = request(Idempotency::Read);
    short.extensions_mut().insert(etcd_transport::deadline::CallTimeout(Duration::from_millis(200)));
    let started = tokio::time::Instant::now();
    let error = client.send(short).await.unwrap_err();
    assert!(matches!(&error, Error::DeadlineExceeded(d) if d.budget() == Duration::from_millis(200)), "{error}");
    assert_eq!(started.elapsed(), Duration::from_millis(200));
}

#[tokio::test]
async fn endpoints_are_shuffled_so_that_clients_spread() {
    let pinned: std::collections::HashSet<String> = (0..60)
        .map(|_| {
            let client = Client::builder(["http://a:1", "http://b:2", "http://c:3"]).build().unwrap();
            client.endpoints().unwrap().pinned().as_str().to_owned()
        })
        .collect();
    assert!(pinned.len() > 1, "60 clients all pinned {pinned:?}");
    let ordered = Client::builder(["http://a:1", "http://b:2"]).shuffle_endpoints(false).build().unwrap();
    assert_eq!(ordered.endpoints().unwrap().pinned().as_str(), "http://a:1");
}
