//! The seed README's usage, in Rust: a one-second header timeout per request, set `/foo` to `bar`, get it back,
//! print the key and its value.
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example quickstart`; TLS and credentials from
//! `ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE`, `ETCD_USERNAME`, `ETCD_PASSWORD` (see the `examples` crate).

use std::process::ExitCode;
use std::time::Duration;

use etcd_keys::KeysApi;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), etcd_keys::Error> {
    let client = examples::config_from_env()?
        // Fail fast when the member we talk to is unavailable.
        .header_timeout_per_request(Duration::from_secs(1))
        .build()?;
    let keys = KeysApi::new(examples::for_api(client));

    println!("Setting '/foo' key with 'bar' value");
    let response = keys.set("/foo", "bar", None).await?;
    println!("Set is done. Metadata is {response:?}");

    println!("Getting '/foo' key value");
    let response = keys.get("/foo", None).await?;
    println!("Get is done. Metadata is {response:?}");
    println!("{:?} key has {:?} value", response.node.key, response.node.value);
    Ok(())
}
