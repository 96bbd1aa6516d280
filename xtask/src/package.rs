//! Publishing hygiene: every publishable crate packages, and its manifest says what crates.io shows.
//!
//! `cargo xtask test` runs [`check`] before the tests: `cargo package --no-verify` of every publishable crate
//! together (cargo resolves their path dependencies against each other), offline, without building anything,
//! so it takes a fraction of a second. The tests below check the manifests' own rules.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cargo;

/// A workspace member's manifest, as far as these checks read it.
#[derive(Debug)]
pub(crate) struct Manifest {
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) text: String,
}

impl Manifest {
    /// Whether `cargo publish` would take it (no `publish = false`).
    pub(crate) fn publishable(&self) -> bool {
        !self.text.lines().any(|line| line.replace(' ', "") == "publish=false")
    }

    /// Whether the `[package]` table sets `key` (directly or `key.workspace = true`).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.package_lines().any(|line| {
            line.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                k == key || k == format!("{key}.workspace")
            })
        })
    }

    fn package_lines(&self) -> impl Iterator<Item = &str> {
        self.text.lines().skip_while(|l| l.trim() != "[package]").skip(1).take_while(|l| !l.starts_with('['))
    }
}

/// The manifests of the workspace's members (`crates/*`, `examples`, `xtask`), sorted by path.
pub(crate) fn manifests(root: &Path) -> Result<Vec<Manifest>, String> {
    let read = |path: &Path| fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let mut paths = vec![root.join("examples/Cargo.toml"), root.join("xtask/Cargo.toml")];
    let crates = root.join("crates");
    for entry in fs::read_dir(&crates).map_err(|e| format!("cannot read {}: {e}", crates.display()))? {
        let manifest = entry.map_err(|e| e.to_string())?.path().join("Cargo.toml");
        if manifest.is_file() {
            paths.push(manifest);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = read(&path)?;
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
                .ok_or_else(|| format!("{}: no package name", path.display()))?
                .to_string();
            Ok(Manifest { path, name, text })
        })
        .collect()
}

/// What crates.io would show wrongly or not at all: a publishable crate without its description, license,
/// readme, keywords, categories or `rust-version`, or without a LICENSE file in its package; a placeholder URL;
/// a test or tool crate that could be published; a member not inheriting the workspace's `rust-version`.
pub(crate) fn problems(manifests: &[Manifest]) -> Vec<String> {
    let mut problems = Vec::new();
    for m in manifests {
        let path = m.path.display();
        if !m.text.contains("rust-version.workspace = true") {
            problems.push(format!("{path}: does not inherit the workspace's rust-version"));
        }
        if !m.publishable() {
            continue;
        }
        if ["etcd-testkit", "etcd-bench", "examples", "xtask"].contains(&m.name.as_str()) {
            problems.push(format!("{path}: a test or tool crate, it should say `publish = false`"));
        }
        for key in ["description", "license", "readme", "keywords", "categories", "rust-version", "edition"] {
            if !m.has(key) {
                problems.push(format!("{path}: no `{key}`"));
            }
        }
        if m.text.contains("example.invalid") {
            problems.push(format!("{path}: a placeholder URL"));
        }
        if !m.path.with_file_name("LICENSE").is_file() {
            problems.push(format!("{path}: no LICENSE next to it, so its package would carry no license text"));
        }
    }
    problems
}

/// Packages every publishable crate (`cargo package --no-verify --allow-dirty --offline`), so that a manifest
/// crates.io would refuse (a path dependency without a version, a missing readme) fails the test run early.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let manifests = manifests(root)?;
    let problems = problems(&manifests);
    if !problems.is_empty() {
        return Err(format!("the manifests are not ready to publish:\n  {}", problems.join("\n  ")));
    }
    let names: Vec<&str> = manifests.iter().filter(|m| m.publishable()).map(|m| m.name.as_str()).collect();
    eprintln!("xtask: checking that the publishable crates package: {}", names.join(", "));
    let mut cmd = cargo();
    cmd.current_dir(root).args(["package", "--no-verify", "--allow-dirty", "--offline", "--quiet"]);
    for name in &names {
        cmd.args(["-p", name]);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo package: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`cargo package` failed ({status}); see above")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is in the workspace").to_path_buf()
    }

    #[test]
    fn the_manifests_are_ready_to_publish() {
        let manifests = manifests(&root()).unwrap();
        assert!(manifests.iter().any(|m| m.name == "etcd-v2" && m.publishable()), "{manifests:?}");
        assert_eq!(problems(&manifests), Vec::<String>::new());
    }

    #[test]
    fn problems_are_found() {
        let manifest = |name: &str, text: &str| Manifest {
            path: root().join(format!("nowhere/{name}/Cargo.toml")),
            name: name.to_string(),
            // A key of another table does not count for the package.
            text: format!("[package]\nname = \"{name}\"\n{text}\n[dependencies]\nreadme = \"not the package's\"\n"),
        };
        let problems = problems(&[
            manifest("etcd-testkit", "rust-version.workspace = true"),
            manifest("etcd-x", "description = \"x\"\nrepository = \"https://example.invalid/x\""),
        ]);
        for what in [
            "etcd-testkit/Cargo.toml: a test or tool crate",
            "etcd-x/Cargo.toml: does not inherit",
            "etcd-x/Cargo.toml: no `readme`",
            "etcd-x/Cargo.toml: no `keywords`",
            "etcd-x/Cargo.toml: a placeholder URL",
            "etcd-x/Cargo.toml: no LICENSE",
        ] {
            assert!(problems.iter().any(|p| p.contains(what)), "{what} in {problems:#?}");
        }
        assert!(!problems.iter().any(|p| p.contains("etcd-x/Cargo.toml: no `description`")), "{problems:#?}");
    }

    /// The workspace's `rust-version` is what the code needs: while it is below 1.88, no `if let ... && let`
    /// chain (stable in 1.88) anywhere. Library APIs newer than it are caught by clippy's `incompatible_msrv`.
    #[test]
    fn no_let_chains_below_rust_1_88() {
        let root = root();
        let workspace = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let msrv = workspace
            .lines()
            .find_map(|l| l.strip_prefix("rust-version = \"").and_then(|r| r.strip_suffix('"')))
            .expect("the workspace sets rust-version");
        let minor: u32 = msrv.split('.').nth(1).and_then(|m| m.parse().ok()).expect("a 1.x version");
        if minor >= 88 {
            return;
        }
        let mut found = Vec::new();
        let mut stack = vec![root.join("crates"), root.join("examples"), root.join("xtask")];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        let code = line.trim_start();
                        let chained = code.starts_with("&& let ")
                            || (code.starts_with("if ") || code.starts_with("while ")) && code.contains(" && let ");
                        if chained && !code.starts_with("//") {
                            found.push(format!("{}:{}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "let-chains need Rust 1.88, the workspace says {msrv}: {found:#?}");
    }
}
