//! Signals and `/proc` look-ups for processes this crate started.

use std::fs;
use std::io;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// Sends `sig` to `pid`.
pub(crate) fn send_signal(pid: u32, sig: Signal) -> io::Result<()> {
    let raw = i32::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("pid {pid} out of range")))?;
    signal::kill(Pid::from_raw(raw), sig).map_err(io::Error::from)
}

/// The state letter of `pid` from `/proc/PID/stat` (`R`, `S`, `T`, `Z`, ...), or
/// `None` if there is no such process (or no `/proc`).
pub(crate) fn process_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (second field) is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().next()?.chars().next()
}

/// Whether `pid` exists and is not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
    matches!(process_state(pid), Some(s) if s != 'Z' && s != 'X')
}

/// The command line of `pid`, one string per argument.
pub(crate) fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect())
}

/// Whether `pid` is a live etcd process whose data directory is inside `dir`.
///
/// Used before signalling a pid read from a state file, so that a pid that
/// has been reused by another program is never touched.
pub fn is_etcd_process_in(pid: u32, dir: &Path) -> bool {
    if !is_alive(pid) {
        return false;
    }
    let Some(args) = cmdline(pid) else {
        return false;
    };
    let is_etcd =
        args.first().and_then(|a0| Path::new(a0).file_name()).is_some_and(|n| n.to_string_lossy().contains("etcd"));
    let dir = dir.to_string_lossy();
    let dir = dir.trim_end_matches('/');
    let uses_dir =
        args.windows(2).any(|w| w[0] == "--data-dir" && (w[1] == dir || w[1].starts_with(&format!("{dir}/"))))
            || args
                .iter()
                .filter_map(|a| a.strip_prefix("--data-dir="))
                .any(|d| d == dir || d.starts_with(&format!("{dir}/")));
    is_etcd && uses_dir
}

/// Polls until `pred` holds or `timeout` passes; returns whether it held.
pub(crate) fn wait_until(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if pred() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Every process's command line joined into one string each (for spotting
/// processes that still use a directory); unreadable entries are skipped.
pub(crate) fn all_cmdlines() -> Vec<String> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| cmdline(pid).map(|a| a.join(" ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        assert!(is_alive(me));
        assert!(matches!(process_state(me), Some('R' | 'S')));
        assert!(!cmdline(me).unwrap().is_empty());
        assert!(!is_etcd_process_in(me, Path::new("/")));
        assert!(!is_alive(u32::MAX));
    }
}
