//! `cargo xtask bench`: the client against the raw hyper-util limit, on one local etcd, in one run.
//!
//! Starts a single etcd member as the tests do (free loopback ports, data on `/dev/shm`), builds `etcd-bench`
//! with `--release` (the default release profile, what users build with), runs it against the member, and
//! stops the member. The report goes to stdout and to `target/bench/report.md`; `--update` also puts it into
//! `BENCHMARKS.md` between its result markers.
//!
//! The idle-watchers workload holds 1,000 connections open at etcd, and etcd accepts at most its soft open-file
//! limit minus 150 client connections, a number it fixes when it starts. etcd built with Go 1.19 or later raises
//! its soft limit to the hard one at start; older builds (etcd 3.5.1 is Go 1.16) keep the soft limit they
//! inherit, often 1,024, which allows 874. So this process raises its own soft limit, which etcd inherits, with
//! util-linux's `prlimit` (xtask has no binding to `setrlimit`, and raising etcd's after it started is too late).

use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode};

use etcd_testkit::Cluster;

/// The open files the member should inherit: 1,000 idle watchers, the harness's other connections, and its own
/// files.
const ETCD_OPEN_FILES: u64 = 4096;

/// Where `--update` puts the report in `BENCHMARKS.md`.
const BEGIN: &str = "<!-- bench-results:begin (written by `cargo xtask bench --update`) -->";
const END: &str = "<!-- bench-results:end -->";

/// The options `cargo xtask bench` takes.
#[derive(Debug, Default, PartialEq)]
struct Options {
    /// Arguments passed on to `etcd-bench run`.
    passed: Vec<String>,
    update: bool,
    micro: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--update" => options.update = true,
            "--micro" => options.micro = true,
            "--variants" => options.passed.push(arg.clone()),
            "--quick" => options.passed.extend(["--rounds", "1", "--scale", "0.25"].map(String::from)),
            "--rounds" | "--only" | "--runtime" | "--scale" => {
                let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
                options.passed.extend([arg.clone(), value.clone()]);
            }
            other => return Err(format!("unknown bench option `{other}`; see `cargo xtask --help`")),
        }
    }
    Ok(options)
}

pub(crate) fn cmd_bench(args: &[String]) -> Result<ExitCode, String> {
    let options = parse(args)?;
    let target = crate::target_dir()?;
    let binary = crate::ensure_etcd()?;

    eprintln!("xtask: building etcd-bench (--release)");
    let status = crate::cargo()
        .args(["build", "--release", "--quiet", "-p", "etcd-bench"])
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Ok(crate::exit_code(status));
    }

    allow_open_files_to_children();
    let cluster =
        Cluster::builder().members(1).binary(binary).start().map_err(|e| format!("cannot start etcd: {e}"))?;
    let endpoint = cluster.endpoints().into_iter().next().ok_or("the cluster has no endpoint")?;
    eprintln!(
        "xtask: etcd {} is serving at {endpoint} (data in {})",
        cluster.binary().version(),
        cluster.dir().display()
    );

    let report = target.join("bench").join("report.md");
    fs::create_dir_all(report.parent().unwrap_or(&target)).map_err(|e| format!("cannot create target/bench: {e}"))?;
    let command = std::iter::once("cargo xtask bench".to_string()).chain(args.iter().cloned()).collect::<Vec<_>>();
    let status = Command::new(target.join("release").join("etcd-bench"))
        .args(["run", "--endpoint", &endpoint, "--command", &command.join(" ")])
        .arg("--markdown")
        .arg(&report)
        .args(&options.passed)
        .status();
    drop(cluster); // kills etcd and removes its data, also when the benchmark failed
    let status = status.map_err(|e| format!("cannot run etcd-bench: {e}"))?;
    if !status.success() {
        return Ok(crate::exit_code(status));
    }
    eprintln!("xtask: report written to {}", crate::rel(&report));

    if options.update {
        let start = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from).unwrap_or_default();
        let root = etcd_testkit::workspace_root(&start).ok_or("cannot find the workspace root")?;
        update_benchmarks_md(&root.join("BENCHMARKS.md"), &report)?;
    }
    if options.micro {
        eprintln!("xtask: running the micro-benchmarks (criterion, short measurements)");
        let status = crate::cargo()
            .args(["bench", "-p", "etcd-core", "-p", "etcd-keys", "-p", "etcd-fake"])
            .args(["--bench", "decode", "--bench", "request", "--bench", "get"])
            .args(["--", "--warm-up-time", "1", "--measurement-time", "3"])
            .status()
            .map_err(|e| format!("cannot run cargo bench: {e}"))?;
        return Ok(crate::exit_code(status));
    }
    Ok(ExitCode::SUCCESS)
}

/// Raises this process's soft open-file limit to [`ETCD_OPEN_FILES`] (within the hard limit) when it is lower, so
/// that etcd inherits it; warns when that fails, since only the idle-watchers workload needs it.
fn allow_open_files_to_children() {
    let limits = fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some((soft, hard)) = open_files(&limits) else { return };
    if soft >= ETCD_OPEN_FILES {
        return;
    }
    let wanted = hard.map_or(ETCD_OPEN_FILES, |hard| hard.min(ETCD_OPEN_FILES));
    let hard_text = hard.map_or_else(|| "unlimited".to_string(), |hard| hard.to_string());
    let raised = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={wanted}:{hard_text}"))
        .status()
        .is_ok_and(|status| status.success());
    if raised && wanted >= ETCD_OPEN_FILES {
        eprintln!("xtask: raised the open-file limit from {soft} to {wanted} for etcd (1,000 idle watchers)");
    } else {
        eprintln!(
            "xtask: warning: the open-file limit stays at {} (`prlimit` failed or the hard limit is lower); an \
             etcd built with Go older than 1.19 then accepts too few connections for the idle-watchers workload: \
             raise `ulimit -n` first",
            if raised { wanted } else { soft }
        );
    }
}

/// The soft and hard limits of open files in a `/proc/PID/limits` text; a hard limit of `None` is unlimited.
fn open_files(limits: &str) -> Option<(u64, Option<u64>)> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut values = line["Max open files".len()..].split_whitespace();
    let soft = values.next()?.parse().ok()?;
    let hard = values.next()?;
    Some((soft, if hard == "unlimited" { None } else { Some(hard.parse().ok()?) }))
}

/// Replaces what lies between the result markers of `doc` with the report.
fn update_benchmarks_md(doc: &Path, report: &Path) -> Result<(), String> {
    let text = fs::read_to_string(doc).map_err(|e| format!("cannot read {}: {e}", doc.display()))?;
    let results = fs::read_to_string(report).map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let updated = splice(&text, &results)
        .ok_or_else(|| format!("{} has no `{BEGIN}` ... `{END}` markers to write between", doc.display()))?;
    fs::write(doc, updated).map_err(|e| format!("cannot write {}: {e}", doc.display()))?;
    eprintln!("xtask: updated the results in {}", crate::rel(doc));
    Ok(())
}

/// `text` with the part between the markers replaced by `results`; `None` without both markers in order.
fn splice(text: &str, results: &str) -> Option<String> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    Some(format!("{}\n\n{}\n{}", &text[..start], results.trim_end(), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_are_passed_on_or_refused() {
        let options = parse(&s(&["--quick", "--only", "get,set", "--update"])).unwrap();
        assert_eq!(options.passed, s(&["--rounds", "1", "--scale", "0.25", "--only", "get,set"]));
        assert!(options.update && !options.micro);
        assert!(parse(&s(&["--rounds"])).is_err());
        assert!(parse(&s(&["--frobnicate"])).is_err());
    }

    #[test]
    fn open_file_limits_are_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95142                95142                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(open_files(limits), Some((1024, Some(524288))));
        let unlimited = "Max open files            4096                 unlimited            files     \n";
        assert_eq!(open_files(unlimited), Some((4096, None)));
        assert_eq!(open_files("Max processes 1 1 processes\n"), None);
    }

    #[test]
    fn results_go_between_the_markers_and_nowhere_else() {
        let doc = format!("# B\n\nintro\n{BEGIN}\nold table\n{END}\n\nnotes\n");
        let updated = splice(&doc, "| new |\n").unwrap();
        assert_eq!(updated, format!("# B\n\nintro\n{BEGIN}\n\n| new |\n{END}\n\nnotes\n"));
        assert_eq!(splice(&updated, "| new |\n").unwrap(), updated, "updating twice changes nothing");
        assert!(splice("no markers", "x").is_none());
        assert!(splice(&format!("{END} {BEGIN}"), "x").is_none());
    }
}
