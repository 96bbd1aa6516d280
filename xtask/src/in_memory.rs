//! `--in-memory`: the in-memory etcd (`etcd-fake`) served over HTTP in place of a real etcd, for
//! `cargo xtask etcd start --in-memory` and `cargo xtask quickstart --in-memory`.
//!
//! `etcd start --in-memory` runs xtask itself, detached, as the server (`__serve-in-memory`), named
//! `etcd-in-memory` and given a `--data-dir` under a directory named as etcd-testkit names its own: the state
//! file, `etcd status` and `etcd stop` then treat it as they treat a real cluster's members.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use etcd_testkit::{DetachedCluster, DetachedMember};

use crate::state::{self, State};

/// What the state file records as the "etcd binary" of an in-memory cluster.
const WHAT: &str = "in-memory etcd-fake (cargo xtask etcd start --in-memory)";

/// Removes `--in-memory` from `args`; returns whether it was there.
pub fn take_flag(args: &[String]) -> (bool, Vec<String>) {
    let rest: Vec<String> = args.iter().filter(|a| *a != "--in-memory").cloned().collect();
    (rest.len() != args.len(), rest)
}

/// `cargo xtask etcd start --in-memory [--members N]`: serves the fake from a detached process, records it,
/// prints `ETCD_ENDPOINTS=...`.
pub fn start(members: usize) -> Result<ExitCode, String> {
    let target = crate::target_dir()?;
    let state_path = state::path(&target);
    if let Some(existing) = crate::local::read_state(&state_path)? {
        if !existing.cluster.running_pids().is_empty() {
            return Err(format!(
                "a cluster started by `cargo xtask etcd start` is already running (ETCD_ENDPOINTS={}); \
                 run `cargo xtask etcd stop` first",
                existing.cluster.endpoints().join(",")
            ));
        }
        existing.cluster.kill().map_err(|e| e.to_string())?;
        fs::remove_file(&state_path).map_err(|e| format!("cannot remove {}: {e}", state_path.display()))?;
    }
    let dir = target.join("xtask-etcd").join(format!("etcd-testkit-in-memory-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find xtask's own binary: {e}"))?;
    let log = fs::File::create(dir.join("server.log")).map_err(|e| format!("cannot create the log: {e}"))?;
    let mut child = Command::new(exe)
        .arg0("etcd-in-memory")
        .args(["__serve-in-memory", "--members", &members.to_string(), "--data-dir"])
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        // Its own process group: a Ctrl-C in this terminal does not reach it; `etcd stop` ends it.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the in-memory server: {e}"))?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    let Some(endpoints) = line.trim().strip_prefix("ETCD_ENDPOINTS=").map(str::to_owned) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("the in-memory server did not start; see {}", dir.join("server.log").display()));
    };
    let members: Vec<DetachedMember> = endpoints
        .split(',')
        .enumerate()
        .map(|(i, url)| DetachedMember {
            name: format!("fake{i}"),
            pid: child.id(),
            client_url: url.to_owned(),
            peer_url: format!("http://fake-member-{i}:2380"),
        })
        .collect();
    let state = State { etcd: WHAT.to_owned(), cluster: DetachedCluster { dir: dir.clone(), members } };
    if let Err(e) = fs::write(&state_path, state.render()) {
        let _ = state.cluster.kill();
        return Err(format!("cannot write {}: {e}", state_path.display()));
    }
    eprintln!(
        "xtask: serving the in-memory etcd (pid {}, log in {}); state in {}; stop it with `cargo xtask etcd stop`",
        child.id(),
        dir.join("server.log").display(),
        crate::rel(&state_path)
    );
    println!("ETCD_ENDPOINTS={endpoints}");
    Ok(ExitCode::SUCCESS)
}

/// The detached server: serves until killed; prints `ETCD_ENDPOINTS=...` once listening.
pub fn serve_forever(args: &[String]) -> Result<ExitCode, String> {
    let mut members = 1;
    let mut data_dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--members" => members = it.next().and_then(|v| v.parse().ok()).ok_or("--members takes a number")?,
            "--data-dir" => data_dir = it.next().map(PathBuf::from),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let _ = data_dir; // Only there so `etcd status` and `etcd stop` recognise the process as their member.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(async move {
        let fake = version(etcd_fake::FakeEtcd::builder().members(members)).build();
        let served = etcd_fake::serve(&fake).await.map_err(|e| format!("cannot listen: {e}"))?;
        println!("ETCD_ENDPOINTS={}", served.endpoints_env());
        std::future::pending::<()>().await;
        drop(served);
        Ok(ExitCode::SUCCESS)
    })
}

/// `ETCD_FAKE_VERSION=3.4.23` (say) makes the fake report, and answer as, that etcd version (3.5.1 unless set).
fn version(builder: etcd_fake::Builder) -> etcd_fake::Builder {
    match std::env::var("ETCD_FAKE_VERSION") {
        Ok(server) if !server.is_empty() => {
            let cluster = server.splitn(3, '.').take(2).collect::<Vec<_>>().join(".") + ".0";
            builder.version(server, cluster)
        }
        _ => builder,
    }
}

/// Serves the fake in this process, on a thread of its own, until the returned guard is dropped; returns the
/// endpoints. For the quickstart.
pub fn serve_in_background() -> Result<(String, InMemoryGuard), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("cannot start a runtime: {e}")));
                return;
            }
        };
        runtime.block_on(async move {
            let fake = version(etcd_fake::FakeEtcd::builder()).build();
            match etcd_fake::serve(&fake).await {
                Ok(served) => {
                    let _ = ready_tx.send(Ok(served.endpoints_env()));
                    let _ = stop_rx.await;
                    served.stop();
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot listen: {e}")));
                }
            }
        });
    });
    let endpoints = ready_rx.recv().map_err(|_| "the in-memory server's thread ended".to_string())??;
    Ok((endpoints, InMemoryGuard { stop: Some(stop_tx), thread: Some(thread) }))
}

/// Stops the in-process server when dropped.
pub struct InMemoryGuard {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for InMemoryGuard {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
