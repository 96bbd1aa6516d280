//! Testing code that uses the client without a server: three ways to put a mock where the network was.
//!
//! 1. `Client::new(service_fn)`: replace the whole stack; the function sees each request as the keys API builds it.
//! 2. `Config::transport(service_fn)`: replace only the network, keeping failover, timeouts and auth; here the
//!    first member refuses connections and the client moves on to the second.
//! 3. `tower_test::mock`: drive each request by hand from the test, answering when and how you like.
//!
//! `cargo run -p examples --example mock_transport` (no etcd needed)

use std::convert::Infallible;

use etcd_keys::{Client, KeysApi};
use etcd_transport::{Body, ConnectError, RequestBody};
use http::{Request, Response};

/// etcd's answer to a read of `key` holding `value`, with the header etcd always sends.
fn etcd_answer(key: &str, value: &str) -> Response<Body> {
    let body =
        format!(r#"{{"action":"get","node":{{"key":"{key}","value":"{value}","modifiedIndex":7,"createdIndex":7}}}}"#);
    Response::builder().header("x-etcd-index", "7").body(Body::from(body)).expect("a valid response")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The whole stack replaced by a function.
    let client = Client::new(tower::service_fn(|request: Request<RequestBody>| async move {
        assert_eq!(request.uri(), "/v2/keys/config/mode");
        Ok::<_, Infallible>(etcd_answer("/config/mode", "fast"))
    }));
    let response = KeysApi::new(client).get("/config/mode", None).await?;
    println!("1. service_fn answered {} = {}", response.node.key, response.node.value);

    // 2. Only the network replaced: failover still runs.
    let network = tower::service_fn(|request: Request<RequestBody>| async move {
        match request.uri().host() {
            Some("dead") => Err(ConnectError::new("connection refused")),
            _ => Ok(etcd_answer("/k", "from the live member")),
        }
    });
    let client = Client::builder(["http://dead:2379", "http://live:2379"])
        .shuffle_endpoints(false)
        .transport(network)
        .build()?;
    let response = KeysApi::new(client.clone()).get("/k", None).await?;
    println!("2. {} (pinned now: {})", response.node.value, client.endpoints().expect("built").pinned());

    // 3. A tower_test mock, answered by the test.
    let (service, mut handle) = tower_test::mock::pair::<Request<RequestBody>, Response<Body>>();
    let keys = KeysApi::new(Client::new(service));
    let call = tokio::spawn(async move { keys.set("/k", "v", None).await });
    let (request, respond) = handle.next_request().await.expect("the client sent a request");
    println!("3. the mock received {} {} with body {:?}", request.method(), request.uri(), request.body());
    respond.send_response(
        Response::builder()
            .status(404)
            .body(Body::from(r#"{"errorCode":100,"message":"Key not found","cause":"/k","index":7}"#))?,
    );
    let error = call.await?.expect_err("the mock said no");
    println!("   and the caller got: {error} (is_key_not_found: {})", error.is_key_not_found());
    Ok(())
}
