//! A cluster's members die with the process that started them, however it ends.
//!
//! Dropping a [`Cluster`](crate::Cluster) kills its members and removes its directory, but a process killed
//! by a signal (SIGTERM from an IDE's stop button or a supervisor, SIGKILL, SIGINT to it alone) runs no
//! destructor: its etcd members would live on, reparented to init, with their data in `/dev/shm`. The usual
//! cure, `prctl(PR_SET_PDEATHSIG)` in the child, needs `pre_exec` (unsafe code, which the workspace forbids)
//! and fires when the spawning *thread* ends, which would kill a member restarted from a short-lived thread.
//!
//! So each cluster has a watchdog: a small `sh` process that checks every half second that its parent is
//! alive and the cluster's directory still exists. When the parent is gone and the directory is not, it kills
//! (SIGKILL) each pid listed in the directory's `pids` file whose command line still names the directory (so
//! a reused pid is never touched), then removes the directory. The cluster rewrites `pids` whenever a member
//! starts, and kills the watchdog when it is dropped or detached.

use std::fs;
use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The watchdog's script: `$1` the parent's pid, `$2` the cluster's directory.
const SCRIPT: &str = r#"
parent="$1"; dir="$2"
while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do sleep 0.5; done
[ -d "$dir" ] || exit 0
for pid in $(cat "$dir/pids" 2>/dev/null); do
    if tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then kill -9 "$pid"; fi
done
rm -rf -- "$dir"
"#;

/// The file a cluster lists its members' pids in, one a line.
pub(crate) const PIDS_FILE: &str = "pids";

/// Starts the watchdog of the cluster in `dir`, for this process.
pub(crate) fn spawn(dir: &Path) -> io::Result<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("etcd-testkit-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

/// Records the members' pids where the watchdog reads them (written whole, then renamed, so that the watchdog
/// never reads half a file).
pub(crate) fn write_pids(dir: &Path, pids: impl IntoIterator<Item = u32>) -> io::Result<()> {
    let text: String = pids.into_iter().map(|pid| format!("{pid}\n")).collect();
    let partial = dir.join(format!("{PIDS_FILE}.partial"));
    fs::write(&partial, text)?;
    fs::rename(partial, dir.join(PIDS_FILE))
}

/// Stops a watchdog (the cluster is being cleaned up, or handed over to a caller who will).
pub(crate) fn stop(mut watchdog: Child) {
    let _ = watchdog.kill();
    let _ = watchdog.wait();
}
