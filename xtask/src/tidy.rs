//! `cargo xtask tidy`: what a reviewer would check before reading a change, run by `cargo xtask test` first so
//! that CI (which runs the README's test command) checks it too: formatting, clippy, rustdoc, and that the
//! project's own docs still name what the tree holds.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use crate::{cargo, exit_code};

/// One cargo run: what it checks, its arguments, and an environment variable it needs.
type Check = (&'static str, &'static [&'static str], Option<(&'static str, &'static str)>);

/// Runs every check, stopping at the first that fails.
pub(crate) fn cmd_tidy(root: &Path) -> Result<ExitCode, String> {
    let checks: [Check; 3] = [
        ("formatting (cargo fmt --check)", &["fmt", "--all", "--check"], None),
        (
            "lints (cargo clippy -D warnings)",
            &["clippy", "--workspace", "--all-targets", "--all-features", "--quiet", "--", "-D", "warnings"],
            None,
        ),
        (
            "docs (cargo doc -D warnings)",
            &["doc", "--workspace", "--no-deps", "--all-features", "--quiet"],
            Some(("RUSTDOCFLAGS", "-D warnings")),
        ),
    ];
    for (what, args, env) in checks {
        eprintln!("xtask tidy: {what}");
        let mut cmd = cargo();
        cmd.args(args).current_dir(root);
        if let Some((key, value)) = env {
            cmd.env(key, value);
        }
        let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            eprintln!("xtask tidy: {what} failed");
            return Ok(exit_code(status));
        }
    }
    eprintln!("xtask tidy: docs name what the tree holds");
    let problems = docs_problems(root)?;
    if !problems.is_empty() {
        eprintln!("xtask tidy: the docs are no longer true:");
        for problem in &problems {
            eprintln!("  - {problem}");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What README.md and ARCHITECTURE.md fail to name: each crate, each example, each transport layer's folder;
/// and words public docs must no longer use.
fn docs_problems(root: &Path) -> Result<Vec<String>, String> {
    let read = |path: &str| fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"));
    let (readme, architecture) = (read("README.md")?, read("ARCHITECTURE.md")?);
    let mut problems = Vec::new();
    for name in entries(&root.join("crates"), |p| p.is_dir())? {
        let entry = format!("crates/{name}");
        if !readme.contains(&format!("`{entry}`")) {
            problems.push(format!("README.md's crate table has no row for `{entry}`"));
        }
        if !architecture.contains(&format!("{name}/")) {
            problems.push(format!("ARCHITECTURE.md's rooms do not list {name}/"));
        }
    }
    for file in entries(&root.join("examples/examples"), |p| p.extension().is_some_and(|e| e == "rs"))? {
        let example = file.trim_end_matches(".rs");
        if !readme.contains(&format!("`{example}`")) {
            problems.push(format!("README.md does not list the example `{example}`"));
        }
    }
    for layer in entries(&root.join("crates/etcd-transport/src"), |p| p.is_dir())? {
        if layer != "transport" && !architecture.contains(&format!("{layer}/")) {
            problems.push(format!("ARCHITECTURE.md does not list etcd-transport's folder {layer}/"));
        }
    }
    for crate_dir in entries(&root.join("crates"), |p| p.is_dir())? {
        for (path, text) in rust_files(&root.join("crates").join(&crate_dir).join("src"))? {
            if text.contains("the seed's") {
                problems.push(format!("{path}: says \"the seed's\" (say \"the Go client's\")"));
            }
        }
    }
    Ok(problems)
}

/// The names of the entries of `dir` that `keep` accepts, sorted.
fn entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<String>, String> {
    let read = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names: Vec<String> = read
        .flatten()
        .filter(|entry| keep(&entry.path()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Every `.rs` file below `dir`, with its text.
fn rust_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let read = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in read.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                found.push((path.display().to_string(), text));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as it is: the docs name everything (this is what `cargo xtask tidy` checks, as a test too).
    #[test]
    fn the_docs_name_what_the_tree_holds() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(docs_problems(root).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_crate_missing_from_the_docs_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["crates/etcd-new/src", "crates/etcd-transport/src/layer_x", "examples/examples"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("examples/examples/demo.rs"), "").unwrap();
        fs::write(root.join("crates/etcd-new/src/lib.rs"), "//! as the seed's client does\n").unwrap();
        fs::write(root.join("README.md"), "`crates/etcd-transport`").unwrap();
        fs::write(root.join("ARCHITECTURE.md"), "etcd-transport/").unwrap();
        let problems = docs_problems(root).unwrap();
        let text = problems.join("\n");
        assert!(text.contains("no row for `crates/etcd-new`"), "{text}");
        assert!(text.contains("do not list etcd-new/"), "{text}");
        assert!(text.contains("the example `demo`"), "{text}");
        assert!(text.contains("folder layer_x/"), "{text}");
        assert!(text.contains("the seed's"), "{text}");
        assert_eq!(problems.len(), 5, "{text}");
    }
}
