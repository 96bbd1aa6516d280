//! What etcd says about its watchers (`/v2/stats/store`), and the open-file limit that many of them need.
//!
//! etcd registers a watcher before it sends the answer's headers and forgets it when the connection closes, so its
//! count tells when every watcher of a phase is in place and when those of the phase before are gone.

use std::time::Duration;

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use tokio::time::Instant;

use crate::data::Data;
use crate::raw::{self, RawClient};

/// How often the count is read while waiting for it.
const POLL: Duration = Duration::from_millis(10);

/// How many watchers etcd holds now.
///
/// # Errors
/// When etcd does not answer, or its answer has no count.
pub async fn count(raw: &RawClient, data: &Data) -> Result<u64, String> {
    #[derive(serde::Deserialize)]
    struct StoreStats {
        watchers: u64,
    }
    let (_, _, body) = raw.send(raw::get_request(&data.store_stats_uri())).await?;
    let stats: StoreStats = serde_json::from_slice(&body).map_err(|e| format!("/v2/stats/store: {e}"))?;
    Ok(stats.watchers)
}

/// Waits until etcd holds no watcher: those of an earlier phase went with its process, but etcd notices a closed
/// connection a moment later.
///
/// # Errors
/// When watchers remain after `deadline`.
pub async fn wait_for_none(raw: &RawClient, data: &Data, deadline: Duration) -> Result<(), String> {
    let until = Instant::now() + deadline;
    loop {
        let n = count(raw, data).await?;
        if n == 0 {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(format!("etcd still holds {n} watchers after {deadline:?}; is something else watching?"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until etcd holds at least `n` watchers and `ready()` says this process has done its part (`ready()`
/// fails when a watcher failed).
///
/// # Errors
/// When `ready()` fails, or when etcd does not hold them all within `deadline`.
pub async fn wait_for(
    raw: &RawClient,
    data: &Data,
    n: u64,
    deadline: Duration,
    mut ready: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let until = Instant::now() + deadline;
    let hint = "etcd accepts at most its open-file limit (`ulimit -n` when it started) minus 150 connections, one \
                per watcher: is that limit high enough?";
    loop {
        let held = count(raw, data).await?;
        let ready_here = ready().map_err(|e| format!("{e}\n  etcd holds {held} of the {n} watchers; {hint}"))?;
        if ready_here && held >= n {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(format!("etcd holds {held} of the {n} watchers expected after {deadline:?}; {hint}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Raises this process's soft limit of open files to at least `needed`, within the hard limit: one connection
/// per watcher.
///
/// # Errors
/// When the hard limit is lower than `needed`.
pub fn allow_open_files(needed: u64) -> Result<(), String> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| format!("getrlimit: {e}"))?;
    if soft >= needed {
        return Ok(());
    }
    if hard < needed {
        return Err(format!("{needed} open files are needed and the hard limit (ulimit -Hn) is {hard}"));
    }
    setrlimit(Resource::RLIMIT_NOFILE, needed, hard).map_err(|e| format!("setrlimit: {e}"))
}
