//! `cargo xtask bench`: the client against the raw hyper-util limit, on one local etcd, in one run.
//!
//! Starts a single etcd member as the tests do (free loopback ports, data on `/dev/shm`), builds `etcd-bench`
//! with `--release` (the default release profile, what users build with), runs it against the member, and
//! stops the member. The report goes to stdout and to `target/bench/report.md`; `--update` also puts it into
//! `BENCHMARKS.md` between its result markers.

use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode};

use etcd_testkit::Cluster;

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
            .args(["bench", "-p", "etcd-core", "-p", "etcd-keys", "--bench", "decode", "--bench", "request"])
            .args(["--", "--warm-up-time", "1", "--measurement-time", "3"])
            .status()
            .map_err(|e| format!("cannot run cargo bench: {e}"))?;
        return Ok(crate::exit_code(status));
    }
    Ok(ExitCode::SUCCESS)
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
    fn results_go_between_the_markers_and_nowhere_else() {
        let doc = format!("# B\n\nintro\n{BEGIN}\nold table\n{END}\n\nnotes\n");
        let updated = splice(&doc, "| new |\n").unwrap();
        assert_eq!(updated, format!("# B\n\nintro\n{BEGIN}\n\n| new |\n{END}\n\nnotes\n"));
        assert_eq!(splice(&updated, "| new |\n").unwrap(), updated, "updating twice changes nothing");
        assert!(splice("no markers", "x").is_none());
        assert!(splice(&format!("{END} {BEGIN}"), "x").is_none());
    }
}
