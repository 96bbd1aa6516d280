//! Campaigns in a leader election, leads for a while (or until leadership is lost), resigns, and prints each
//! leader change it observes meanwhile:
//!
//! ```text
//! leader <identity> <token>      (or: leader none)
//! leading <NAME> <token>
//! resigned <NAME> <token>
//! ```
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example election -- --dir /elections/demo --id a --lead-ms 3000`
//!
//! Start two or three at once: one leads, the others wait in line and take over when it resigns or dies
//! (killed, it leaves its key to expire within the TTL, `--ttl`, 10 s by default).

use std::process::ExitCode;
use std::time::Duration;

use etcd_keys::KeysApi;
use etcd_recipes::{Election, Leader};

struct Args {
    dir: String,
    id: String,
    lead: Duration,
    ttl: Option<Duration>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("{problem}\nusage: election --dir DIR --id NAME --lead-ms MS [--ttl S]");
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
    let mut election = Election::new(KeysApi::new(client), &args.dir, &args.id);
    if let Some(ttl) = args.ttl {
        election = election.with_ttl(ttl);
    }
    let mut observer = match election.observe().await {
        Ok(observer) => observer,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let observing = tokio::spawn(async move {
        while let Some(leader) = observer.next().await {
            match leader {
                Some(Leader { identity, token, .. }) => println!("leader {identity} {token}"),
                None => println!("leader none"),
            }
        }
    });

    let leadership = match election.campaign().await {
        Ok(leadership) => leadership,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let token = leadership.token();
    println!("leading {} {token}", args.id);
    tokio::select! {
        reason = leadership.lost() => eprintln!("{}: leadership lost: {reason}", args.id),
        _ = tokio::time::sleep(args.lead) => {}
    }
    if let Err(error) = leadership.resign().await {
        eprintln!("{}: resign failed, the key expires at its TTL: {error}", args.id);
    }
    println!("resigned {} {token}", args.id);
    // Let the observer print the next leader before leaving.
    tokio::time::sleep(Duration::from_millis(300)).await;
    observing.abort();
    ExitCode::SUCCESS
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut dir, mut id, mut lead, mut ttl) = (None, None, None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} takes a value"));
        let number = |text: String| text.parse::<u64>().map_err(|_| format!("{arg} takes a number, not {text:?}"));
        match arg.as_str() {
            "--dir" => dir = Some(value()?),
            "--id" => id = Some(value()?),
            "--lead-ms" => lead = Some(Duration::from_millis(number(value()?)?)),
            "--ttl" => ttl = Some(Duration::from_secs(number(value()?)?)),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    Ok(Args {
        dir: dir.ok_or("--dir is needed")?,
        id: id.ok_or("--id is needed")?,
        lead: lead.ok_or("--lead-ms is needed")?,
        ttl,
    })
}
