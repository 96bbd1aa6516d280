//! `cargo xtask etcd start|stop|status`: a local etcd cluster that outlives the command, recorded in
//! `target/xtask-etcd/cluster.state` (the in-memory server records itself there too, see `in_memory`).

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use etcd_testkit::Cluster;

use crate::state::{self, State};
use crate::{ensure_etcd, rel, target_dir};

/// `cargo xtask etcd start`: a detached cluster, recorded in the state file.
pub(crate) fn start(members: usize) -> Result<ExitCode, String> {
    let target = target_dir()?;
    let state_path = state::path(&target);
    if let Some(existing) = read_state(&state_path)? {
        let alive = existing.cluster.running_pids();
        if !alive.is_empty() {
            return Err(format!(
                "an etcd cluster started by `cargo xtask etcd start` is already running \
                 (pids {alive:?}, ETCD_ENDPOINTS={}); run `cargo xtask etcd stop` first",
                existing.cluster.endpoints().join(",")
            ));
        }
        eprintln!("xtask: removing the stale state of a cluster that is no longer running");
        existing.cluster.kill().map_err(|e| e.to_string())?;
        fs::remove_file(&state_path).map_err(|e| format!("cannot remove {}: {e}", state_path.display()))?;
    }
    let binary = ensure_etcd()?;
    let etcd = format!("{} {}", binary.version(), binary.path().display());
    let cluster =
        Cluster::builder().members(members).binary(binary).start().map_err(|e| format!("cannot start etcd: {e}"))?;
    let version = cluster.binary().version().to_string();
    let detached = cluster.into_detached();
    let state = State { etcd, cluster: detached };
    let written = fs::create_dir_all(state_path.parent().unwrap_or(&target))
        .and_then(|()| fs::write(&state_path, state.render()));
    if let Err(e) = written {
        let _ = state.cluster.kill();
        return Err(format!("cannot write {}: {e}", state_path.display()));
    }
    let pids: Vec<u32> = state.cluster.members.iter().map(|m| m.pid).collect();
    eprintln!(
        "xtask: started a {members}-member etcd {version} cluster (pids {pids:?}; data and logs in {}); \
         state in {}; stop it with `cargo xtask etcd stop`",
        state.cluster.dir.display(),
        rel(&state_path)
    );
    println!("ETCD_ENDPOINTS={}", state.cluster.endpoints().join(","));
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask etcd stop`: kills what the state file records and removes it.
pub(crate) fn stop() -> Result<ExitCode, String> {
    let state_path = state::path(&target_dir()?);
    let Some(state) = read_state(&state_path)? else {
        eprintln!("xtask: no cluster recorded in {}; nothing to stop", rel(&state_path));
        return Ok(ExitCode::SUCCESS);
    };
    let pids = state.cluster.running_pids();
    state.cluster.kill().map_err(|e| format!("cannot stop the cluster: {e}"))?;
    fs::remove_file(&state_path).map_err(|e| format!("cannot remove {}: {e}", state_path.display()))?;
    if pids.is_empty() {
        eprintln!("xtask: the recorded etcd processes were already gone; removed their data and the state file");
    } else {
        eprintln!("xtask: killed etcd pids {pids:?}, removed {} and the state file", state.cluster.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask etcd status`: what the state file records, and whether it runs.
pub(crate) fn status() -> Result<ExitCode, String> {
    let state_path = state::path(&target_dir()?);
    let Some(state) = read_state(&state_path)? else {
        println!("no cluster recorded in {}", rel(&state_path));
        return Ok(ExitCode::from(3));
    };
    let alive = state.cluster.running_pids();
    println!("etcd {}", state.etcd);
    println!("dir {}", state.cluster.dir.display());
    for m in &state.cluster.members {
        let what = if !alive.contains(&m.pid) {
            "NOT RUNNING"
        } else if m.is_healthy() {
            "healthy"
        } else {
            "running, not healthy"
        };
        println!("{} pid {} {}: {what}", m.name, m.pid, m.client_url);
    }
    println!("ETCD_ENDPOINTS={}", state.cluster.endpoints().join(","));
    Ok(if alive.len() == state.cluster.members.len() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The recorded cluster, if any.
pub(crate) fn read_state(path: &Path) -> Result<Option<State>, String> {
    match fs::read_to_string(path) {
        Ok(text) => State::parse(&text)
            .map(Some)
            .map_err(|e| format!("{} is corrupt ({e}); inspect and remove it by hand", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
