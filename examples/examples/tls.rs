//! etcd over TLS with a client certificate: the set-up for members started with `--cert-file`, `--key-file`,
//! `--trusted-ca-file` and `--client-cert-auth`. Writes a key, reads it back, and says plainly what went wrong when
//! the handshake fails (unknown CA, wrong name, missing or refused client certificate).
//!
//! ```text
//! ETCD_ENDPOINTS=https://127.0.0.1:2379 ETCD_CA_FILE=ca.pem ETCD_CERT_FILE=client.pem ETCD_KEY_FILE=client-key.pem \
//!     cargo run -p examples --example tls
//! ```
//!
//! Without `ETCD_CA_FILE` the system's roots are trusted; `ETCD_SERVER_NAME` checks the server's certificate
//! against another name than the endpoint's host; `ETCD_USERNAME` and `ETCD_PASSWORD` add etcd's auth.

use std::process::ExitCode;
use std::time::Duration;

use etcd_keys::{AttemptFailure, Client, Error, KeysApi};
use etcd_transport::TlsConfig;
use etcd_transport::tls::{TlsError, TlsErrorKind};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            if let Some(hint) = tls_hint(&error) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let endpoints = var("ETCD_ENDPOINTS").unwrap_or_else(|| "https://127.0.0.1:2379".to_owned());

    // Which CAs to trust, which certificate to present, which name to check: read when the client is built.
    let mut tls = TlsConfig::new();
    if let Some(ca) = var("ETCD_CA_FILE") {
        tls = tls.ca_pem_file(ca);
    }
    if let (Some(cert), Some(key)) = (var("ETCD_CERT_FILE"), var("ETCD_KEY_FILE")) {
        tls = tls.client_identity_pem_files(cert, key);
    }
    if let Some(name) = var("ETCD_SERVER_NAME") {
        tls = tls.server_name(name);
    }
    let mut config = Client::builder(endpoints.split(',')).header_timeout_per_request(Duration::from_secs(2)).tls(tls);
    if let (Some(username), Some(password)) = (var("ETCD_USERNAME"), var("ETCD_PASSWORD")) {
        config = config.basic_auth(username, password);
    }
    let keys = KeysApi::new(examples::for_api(config.build()?));

    keys.set("/tls-example/greeting", "hello over TLS", None).await?;
    let response = keys.get("/tls-example/greeting", None).await?;
    println!("{} = {:?}", response.node.key, response.node.value);
    Ok(())
}

/// What to fix, when the call failed in a TLS handshake.
fn tls_hint(error: &Error) -> Option<&'static str> {
    let Error::Cluster(cluster) = error else { return None };
    cluster.errors().iter().find_map(|endpoint| {
        let AttemptFailure::Connect(cause) = endpoint.failure() else { return None };
        Some(match cause.downcast_ref::<TlsError>()?.kind() {
            TlsErrorKind::UnknownIssuer => "set ETCD_CA_FILE to the CA that signed the member's certificate",
            TlsErrorKind::NameMismatch => "use a host the certificate lists, or set ETCD_SERVER_NAME",
            TlsErrorKind::ClientCertificateRequired => "set ETCD_CERT_FILE and ETCD_KEY_FILE",
            TlsErrorKind::ClientCertificateRejected => "the member trusts another CA for client certificates",
            TlsErrorKind::NotTls => "the member serves plain HTTP: use an http:// endpoint",
            _ => "see the error above",
        })
    })
}
