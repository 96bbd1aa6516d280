//! TLS against a real etcd started with `--cert-file`, `--key-file`, `--trusted-ca-file` and `--client-cert-auth`,
//! with certificates made by the test (rcgen): the right CA and client certificate work; a wrong CA, a missing
//! client certificate, a client certificate from another CA and a wrong server name each fail with their own
//! clear error, before anything was sent. Skips loudly without etcd; fails when `ETCD_REQUIRED=1`.
#![cfg(feature = "tls")]

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use etcd_core::{AttemptFailure, Error};
use etcd_testkit::TestPki as Pki;
use etcd_transport::tls::{TlsError, TlsErrorKind};
use etcd_transport::{Client, Idempotency, TlsConfig};
use http::{Method, Request, StatusCode};

/// The first CA and the client certificate it signed.
fn client_tls(pki: &Pki) -> TlsConfig {
    TlsConfig::new()
        .ca_pem_file(pki.path("ca.pem"))
        .client_identity_pem_files(pki.path("client.pem"), pki.path("client-key.pem"))
}

fn client(endpoints: Vec<String>, tls: TlsConfig) -> Client {
    Client::builder(endpoints).header_timeout_per_request(Duration::from_secs(5)).tls(tls).build().unwrap()
}

/// A request that must never be sent twice: were a failure taken for one that may have reached the member, the
/// call would end with `OutcomeUnknown` instead of a cluster error.
fn create_in_order() -> Request<Bytes> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/v2/keys/queue")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"value=job"))
        .unwrap();
    request.extensions_mut().insert(Idempotency::NonIdempotentWrite);
    request
}

fn put(key: &str, value: &str) -> Request<Bytes> {
    Request::builder()
        .method(Method::PUT)
        .uri(format!("/v2/keys/{key}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(format!("value={value}")))
        .unwrap()
}

fn get(key: &str) -> Request<Bytes> {
    let mut request = Request::builder().uri(format!("/v2/keys/{key}")).body(Bytes::new()).unwrap();
    request.extensions_mut().insert(Idempotency::Read);
    request
}

async fn body_text(client: &Client, request: Request<Bytes>) -> (StatusCode, String) {
    let response = client.send(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().bytes().await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The TLS error of a call that failed to connect, and the call's whole text.
async fn tls_failure(client: &Client) -> (TlsErrorKind, String) {
    let error = client.send(create_in_order()).await.expect_err("the handshake should have failed");
    let Error::Cluster(cluster) = &error else { panic!("not a cluster error: {error:?}") };
    let AttemptFailure::Connect(cause) = cluster.errors()[0].failure() else {
        panic!("not a connect failure (so the request may have left): {error}")
    };
    let tls = cause.downcast_ref::<TlsError>().unwrap_or_else(|| panic!("not a TLS error: {error}"));
    (tls.kind(), error.report().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_ca_and_client_certificate_succeed() {
    let pki = Pki::new();
    let Some(etcd) = pki.etcd(true) else { return };
    let endpoints = etcd.endpoints();
    assert!(endpoints[0].starts_with("https://127.0.0.1:"), "{endpoints:?}");
    assert_eq!(etcd.leader(), Some(0), "the testkit reads leadership from the plain-HTTP metrics listener");

    // The endpoint is an IP address: the certificate's IP address entry is what is checked.
    let tls = client(endpoints.clone(), client_tls(&pki));
    let (status, body) = body_text(&tls, put("tls", "secure")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = body_text(&tls, get("tls")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""value":"secure""#), "{body}");

    // The same certificates as PEM text, and the server's DNS name given instead of the address.
    let read = |name: &str| std::fs::read(pki.path(name)).unwrap();
    let by_name = TlsConfig::new()
        .ca_pem(read("ca.pem"))
        .client_identity_pem(read("client.pem"), read("client-key.pem"))
        .server_name("localhost");
    let (status, _) = body_text(&client(endpoints.clone(), by_name), get("tls")).await;
    assert_eq!(status, StatusCode::OK);

    // Verification off: the CA is not needed (the member still wants the client certificate).
    let reckless = TlsConfig::new()
        .client_identity_pem_files(pki.path("client.pem"), pki.path("client-key.pem"))
        .danger_accept_invalid_certificates();
    let (status, _) = body_text(&client(endpoints.clone(), reckless), get("tls")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_misconfiguration_fails_before_sending_with_its_own_clear_error() {
    let pki = Pki::new();
    let Some(etcd) = pki.etcd(true) else { return };
    let endpoints = etcd.endpoints();
    let identity = |tls: TlsConfig| tls.client_identity_pem_files(pki.path("client.pem"), pki.path("client-key.pem"));

    // A CA that did not sign the server's certificate.
    let wrong_ca = identity(TlsConfig::new().ca_pem_file(pki.path("other-ca.pem")));
    let (kind, text) = tls_failure(&client(endpoints.clone(), wrong_ca)).await;
    assert_eq!(kind, TlsErrorKind::UnknownIssuer, "{text}");
    assert!(
        text.contains("not signed by a trusted CA") && text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );

    // No client certificate, for a member started with --client-cert-auth.
    let anonymous = TlsConfig::new().ca_pem_file(pki.path("ca.pem"));
    let (kind, text) = tls_failure(&client(endpoints.clone(), anonymous)).await;
    assert_eq!(kind, TlsErrorKind::ClientCertificateRequired, "{text}");
    assert!(text.contains("the server requires a client certificate and none was given"), "{text}");

    // A client certificate signed by a CA the member does not trust.
    let stranger = TlsConfig::new()
        .ca_pem_file(pki.path("ca.pem"))
        .client_identity_pem_files(pki.path("stranger.pem"), pki.path("stranger-key.pem"));
    let (kind, text) = tls_failure(&client(endpoints.clone(), stranger)).await;
    assert_eq!(kind, TlsErrorKind::ClientCertificateRejected, "{text}");
    assert!(text.contains("the server refused the client certificate"), "{text}");

    // A server name the certificate does not list.
    let wrong_name = identity(TlsConfig::new().ca_pem_file(pki.path("ca.pem")).server_name("etcd.example.com"));
    let (kind, text) = tls_failure(&client(endpoints.clone(), wrong_name)).await;
    assert_eq!(kind, TlsErrorKind::NameMismatch, "{text}");
    assert!(text.contains("not valid for the name it was reached by") && text.contains("etcd.example.com"), "{text}");

    // Nothing of the above reached etcd.
    let (status, body) = body_text(&client(endpoints, client_tls(&pki)), get("queue")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_mistakes_are_build_errors_naming_the_file() {
    let pki = Pki::new();
    let build = |tls: TlsConfig| Client::builder(["https://127.0.0.1:1"]).tls(tls).build().unwrap_err();
    let missing = build(TlsConfig::new().ca_pem_file(pki.path("missing.pem")));
    assert!(missing.is_invalid_request(), "{missing}");
    assert!(missing.to_string().contains(&pki.path("missing.pem").display().to_string()), "{missing}");
    let swapped = build(TlsConfig::new().client_identity_pem_files(pki.path("client-key.pem"), pki.path("client.pem")));
    assert!(swapped.to_string().contains("holds no certificate"), "{swapped}");
    let mismatched =
        build(TlsConfig::new().client_identity_pem_files(pki.path("client.pem"), pki.path("stranger-key.pem")));
    assert!(mismatched.to_string().contains("cannot be used together"), "{mismatched}");
    let with_transport = Client::builder(["https://127.0.0.1:1"])
        .transport(etcd_transport::HyperTransport::new())
        .tls(client_tls(&pki))
        .build()
        .unwrap_err();
    assert!(with_transport.is_invalid_request(), "{with_transport}");
}

/// A server that answers every connection with plain HTTP, as a member without TLS would.
#[tokio::test]
async fn https_to_a_server_without_tls_says_so() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    let client = client(vec![format!("https://{address}")], TlsConfig::new());
    let (kind, text) = tls_failure(&client).await;
    assert_eq!(kind, TlsErrorKind::NotTls, "{text}");
    assert!(text.contains("does not speak TLS (is the endpoint http://?)"), "{text}");
}

/// Name of the environment variable that turns [`system_roots_child`] on.
const CHILD_ENDPOINT: &str = "ETCD_TLS_TEST_CHILD_ENDPOINT";

/// Without a `TlsConfig`, `https://` endpoints are checked against the system's roots. They are loaded once per
/// process, so the check runs in a child process whose `SSL_CERT_FILE` names the test's CA.
#[test]
fn system_roots_verify_https_endpoints_without_configuration() {
    let pki = Pki::new();
    let Some(etcd) = pki.etcd(false) else { return };
    let run = |cert_file: &Path| {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "system_roots_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENDPOINT, &etcd.endpoints()[0])
            .env("SSL_CERT_FILE", cert_file)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), text)
    };
    let (trusted, text) = run(&pki.path("ca.pem"));
    assert!(trusted, "{text}");
    let (trusted, text) = run(&pki.path("other-ca.pem"));
    assert!(!trusted, "the system roots trusted an unknown CA: {text}");
    assert!(text.contains("invalid peer certificate: UnknownIssuer"), "{text}");
}

/// Run by [`system_roots_verify_https_endpoints_without_configuration`] in a child process.
#[tokio::test]
#[ignore = "run in a child process by system_roots_verify_https_endpoints_without_configuration"]
async fn system_roots_child() {
    let endpoint =
        std::env::var(CHILD_ENDPOINT).expect("run by system_roots_verify_https_endpoints_without_configuration");
    let client = Client::builder([endpoint]).build().unwrap();
    match client.send(get("")).await {
        Ok(response) => assert_eq!(response.status(), StatusCode::OK),
        Err(error) => panic!("{}", error.report()),
    }
}

/// Plain `http://` to a member that serves TLS: the member never reads the request as HTTP, so the attempt is a
/// failure to connect (a write may move on), and the error says what to change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_to_a_tls_member_says_so() {
    let pki = Pki::new();
    let Some(etcd) = pki.etcd(false) else { return };
    let endpoint = etcd.endpoints()[0].replacen("https://", "http://", 1);
    let client = Client::builder([endpoint]).header_timeout_per_request(Duration::from_secs(5)).build().unwrap();
    let error = client.send(create_in_order()).await.expect_err("plain HTTP to a TLS member");
    let text = error.report().to_string();
    let Error::Cluster(cluster) = &error else { panic!("not a cluster error: {text}") };
    let AttemptFailure::Connect(cause) = cluster.errors()[0].failure() else {
        panic!("not a connect failure (so the request may have left): {text}")
    };
    let tls = cause.downcast_ref::<TlsError>().unwrap_or_else(|| panic!("not a TLS error: {text}"));
    assert_eq!(tls.kind(), TlsErrorKind::OnlyTls, "{text}");
    assert!(text.contains("the member speaks TLS (is the endpoint https://?)"), "{text}");
}
