//! The kinds of error a call can end with, as the seed README lists them, and how to tell them apart: etcd's own
//! answer, a cluster that could not be reached, a write whose outcome is unknown, an answer that is not etcd's,
//! a request refused before sending, and the caller's deadline.
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example error_handling`; TLS and credentials from
//! `ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE`, `ETCD_USERNAME`, `ETCD_PASSWORD` (see the `examples` crate).

use std::process::ExitCode;
use std::time::Duration;

use etcd_keys::{Client, Error, KeysApi, SetOptions};

#[tokio::main]
async fn main() -> ExitCode {
    let config = examples::config_from_env().and_then(|c| c.header_timeout_per_request(Duration::from_secs(1)).build());
    let client = match config {
        Ok(client) => client,
        Err(error) => {
            eprintln!("bad configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let keys = KeysApi::new(examples::for_api(client));

    // A write the rest depends on: if it fails, say why and stop.
    if let Err(error) = keys.set("/error-handling/demo", "v1", None).await {
        explain("set /error-handling/demo", &error);
        return ExitCode::FAILURE;
    }

    // etcd says no: the key does not exist.
    if let Err(error) = keys.get("/error-handling/missing", None).await {
        explain("get a missing key", &error);
    }
    // etcd says no: a compare-and-swap whose condition does not hold.
    let cas = SetOptions::new().with_prev_value("not the current value");
    if let Err(error) = keys.set("/error-handling/demo", "v2", Some(cas)).await {
        explain("compare-and-swap", &error);
    }
    // Refused before sending: a key that the server would resolve elsewhere.
    if let Err(error) = keys.get("/error-handling/../../etc", None).await {
        explain("a key with '..'", &error);
    }
    // Refused before sending: a configuration with a bad endpoint.
    if let Err(error) = Client::builder(["localhost:2379"]).build() {
        explain("an endpoint without a scheme", &error);
    }
    // A cluster that cannot be reached: nothing listens on port 1.
    let unreachable = Client::builder(["http://127.0.0.1:1"]).build().map(KeysApi::new);
    if let Err(error) = async { unreachable?.get("/foo", None).await }.await {
        explain("an unreachable member", &error);
    }
    // The caller's deadline: a member that accepts the connection and never answers, and a 200 ms budget.
    if let Ok(silent) = tokio::net::TcpListener::bind("127.0.0.1:0").await {
        let endpoint = format!("http://{}", silent.local_addr().map(|a| a.to_string()).unwrap_or_default());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        });
        let budget = Client::builder([endpoint]).without_header_timeout().call_timeout(Duration::from_millis(200));
        let client = budget.build().expect("a loopback address is a valid endpoint");
        if let Err(error) = KeysApi::new(client).get("/foo", None).await {
            explain("a member that never answers, with a 200 ms call timeout", &error);
        }
    }
    ExitCode::SUCCESS
}

fn explain(what: &str, error: &Error) {
    let kind = match error {
        Error::Etcd(e) => format!("etcd answered with error code {} ({:?})", e.code(), e.code().name()),
        Error::Cluster(e) => format!("no endpoint answered ({} tried)", e.errors().len()),
        Error::OutcomeUnknown(e) => format!("the write may have been applied by {}", e.endpoint()),
        Error::InvalidResponse(e) => format!("the answer was not etcd's ({:?})", e.kind()),
        Error::InvalidRequest(e) => format!("refused before sending ({:?})", e.kind()),
        Error::DeadlineExceeded(_) => "the deadline passed".to_owned(),
        Error::Auth(e) => format!("the auth API refused ({:?})", e.kind()),
        _ => "another error".to_owned(),
    };
    println!("{what}: {kind}\n    {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        println!("    caused by: {cause}");
        source = cause.source();
    }
}
