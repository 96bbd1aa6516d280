//! Copies a v2 tree into the bridge's layout in etcd's v3 keyspace, before v2 is turned off (or into another
//! cluster that serves only v3): values, directories and remaining TTLs, then verifies the copy.
//!
//!     cargo run -p examples --example migrate_v2_to_v3 -- --from http://127.0.0.1:2379 --to http://127.0.0.1:2379
//!
//! Options: `--root /app` (copy one subtree; default `/`), `--prefix /etcd-v2v3` (the bridge's v3 prefix).
//! Idempotent: a node already copied is left alone, so a run cut short is resumed by running it again. Hidden
//! nodes (`_name`) are not listed by v2 and so are not copied. Exits with 1 when the verification finds a
//! difference or a node is a file on one side and a directory on the other.

use std::process::ExitCode;
use std::time::Duration;

use etcd_keys::{Client, KeysApi};

/// The command line: `--from ENDPOINTS --to ENDPOINTS [--root PATH] [--prefix PREFIX]`.
struct Args {
    from: String,
    to: String,
    root: String,
    prefix: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args =
        Args { from: String::new(), to: String::new(), root: "/".into(), prefix: etcd_v2v3::DEFAULT_PREFIX.into() };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let value = words.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--from" => args.from = value,
            "--to" => args.to = value,
            "--root" => args.root = value,
            "--prefix" => args.prefix = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.from.is_empty() || args.to.is_empty() {
        return Err("usage: migrate_v2_to_v3 --from ENDPOINTS --to ENDPOINTS [--root PATH] [--prefix PREFIX]".into());
    }
    Ok(args)
}

/// A client of `endpoints`, with the TLS files and credentials of the environment (see the `examples` crate).
fn client(endpoints: &str) -> Result<Client, etcd_keys::Error> {
    let lookup =
        |name: &str| if name == "ETCD_ENDPOINTS" { Some(endpoints.to_owned()) } else { std::env::var(name).ok() };
    etcd_keys::Config::from_lookup(lookup)?.header_timeout_per_request(Duration::from_secs(5)).build()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {} (run again to resume)", error.report());
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<bool, etcd_keys::Error> {
    let from = KeysApi::new(client(&args.from)?);
    let to = KeysApi::new(etcd_v2v3::bridge_with_prefix(client(&args.to)?, &args.prefix));
    let report = etcd_v2v3::copy_tree(&from, &to, &args.root).await?;
    println!(
        "copied {} files and {} directories; {} already there; {} expired before their turn",
        report.copied, report.directories, report.unchanged, report.expired
    );
    for key in &report.conflicts {
        println!("conflict: {key} is a file on one side and a directory on the other; left alone");
    }
    let differences = etcd_v2v3::verify_tree(&from, &to, &args.root).await?;
    for difference in &differences {
        println!("differs: {difference}");
    }
    if differences.is_empty() && report.conflicts.is_empty() {
        println!("verified: the copy under {} matches (nodes with a TTL left out of the comparison)", args.root);
        return Ok(true);
    }
    Ok(false)
}
