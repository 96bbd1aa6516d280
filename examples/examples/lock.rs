//! Takes a lock N times, holding it for a while each time, and prints each acquisition and release with its
//! fencing token and the time, flushed at once, so that the lines of several copies can be checked for overlap:
//!
//! ```text
//! acquired <NAME> <fencing-token> <unix-ms>
//! released <NAME> <fencing-token> <unix-ms>
//! ```
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example lock -- --key /locks/demo --id a --rounds 3 --hold-ms 500`
//!
//! A `released` line is printed when this process stops using the lock (before its key is deleted), or when
//! the lock was lost (also said on stderr). Killed while holding the lock, the process leaves its key to expire:
//! the next waiter gets the lock within the TTL (`--ttl`, 10 s by default).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use etcd_keys::KeysApi;
use etcd_recipes::Lock;

struct Args {
    key: String,
    id: String,
    rounds: u64,
    hold: Duration,
    ttl: Option<Duration>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("{problem}\nusage: lock --key KEY --id NAME --rounds N --hold-ms MS [--ttl S]");
            return ExitCode::from(2);
        }
    };
    let client = match examples::client_from_env() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {}", error.report());
            return ExitCode::FAILURE;
        }
    };
    let mut lock = Lock::new(KeysApi::new(client), &args.key).with_value(&args.id);
    if let Some(ttl) = args.ttl {
        lock = lock.with_ttl(ttl);
    }
    for _ in 0..args.rounds {
        let guard = match lock.lock().await {
            Ok(guard) => guard,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        let token = guard.token();
        say(&format!("acquired {} {token} {}", args.id, unix_ms()));
        tokio::select! {
            reason = guard.lost() => eprintln!("{}: lost the lock: {reason}", args.id),
            _ = tokio::time::sleep(args.hold) => {}
        }
        say(&format!("released {} {token} {}", args.id, unix_ms()));
        if let Err(error) = guard.unlock().await {
            eprintln!("{}: unlock failed, the key expires at its TTL: {error}", args.id);
        }
    }
    ExitCode::SUCCESS
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn unix_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default()
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut key, mut id, mut rounds, mut hold, mut ttl) = (None, None, None, None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} takes a value"));
        let number = |text: String| text.parse::<u64>().map_err(|_| format!("{arg} takes a number, not {text:?}"));
        match arg.as_str() {
            "--key" => key = Some(value()?),
            "--id" => id = Some(value()?),
            "--rounds" => rounds = Some(number(value()?)?),
            "--hold-ms" => hold = Some(Duration::from_millis(number(value()?)?)),
            "--ttl" => ttl = Some(Duration::from_secs(number(value()?)?)),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    Ok(Args {
        key: key.ok_or("--key is needed")?,
        id: id.ok_or("--id is needed")?,
        rounds: rounds.ok_or("--rounds is needed")?,
        hold: hold.ok_or("--hold-ms is needed")?,
        ttl,
    })
}
