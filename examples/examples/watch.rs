//! Prints one line per event of a key or a tree, `<action> <key> <modifiedIndex>`, as they come, until
//! interrupted. It survives member failures without a gap; it stops with an error when etcd no longer has the
//! events it needs.
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example watch -- /config --recursive`
//! `cargo run -p examples --example watch -- /config --after-index 1200`

use std::io::Write;
use std::process::ExitCode;

use etcd_keys::{KeysApi, WatcherOptions};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut key = None;
    let mut options = WatcherOptions::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--recursive" => options = options.with_recursive(),
            "--after-index" => match args.next().and_then(|n| n.parse().ok()) {
                Some(index) => options = options.with_after_index(index),
                None => return usage("--after-index takes a number"),
            },
            other if key.is_none() && !other.starts_with("--") => key = Some(other.to_owned()),
            other => return usage(&format!("unexpected argument {other:?}")),
        }
    }
    let Some(key) = key else { return usage("which key?") };

    let client = match examples::client_from_env() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {}", error.report());
            return ExitCode::FAILURE;
        }
    };
    let mut watcher = KeysApi::new(client).watcher(&key, Some(options));
    let mut out = std::io::stdout().lock();
    while let Some(event) = watcher.next().await {
        match event {
            Ok(event) => {
                let _ = writeln!(out, "{} {} {}", event.action, event.node.key, event.node.modified_index);
                let _ = out.flush();
            }
            Err(error) if error.is_cluster() => eprintln!("no member reachable, retrying: {}", error.report()),
            Err(error) => {
                eprintln!("error: {}", error.report());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: watch KEY [--recursive] [--after-index N]");
    ExitCode::from(2)
}
