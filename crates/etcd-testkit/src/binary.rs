//! Locating an etcd binary and finding out what it can do.

use std::env;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Name of the environment variable that points at the etcd binary to use.
pub const ETCD_BIN_ENV: &str = "ETCD_BIN";

/// An etcd server binary whose version is known.
///
/// Obtained from [`find_etcd`], [`try_find_etcd`] or [`EtcdBinary::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdBinary {
    path: PathBuf,
    version: String,
    unsafe_no_fsync: bool,
}

impl EtcdBinary {
    /// Probes the binary at `path`: runs `etcd --version` (and `etcd --help` to
    /// learn which flags it takes).
    ///
    /// Fails if the file cannot be run or does not print an etcd version.
    pub fn new(path: impl Into<PathBuf>) -> io::Result<EtcdBinary> {
        let mut path = path.into();
        // A relative path would mean something else in a child process with
        // another working directory (`cargo test` runs in each package's).
        if path.is_relative() && path.components().count() > 1 {
            path = env::current_dir()?.join(path);
        }
        let out = etcd_command(&path)
            .arg("--version")
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run `{} --version`: {e}", path.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = match (out.status.success(), parse_version_output(&text)) {
            (true, Some(v)) => v,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "`{} --version` did not report an etcd version (status {}): {}{}",
                        path.display(),
                        out.status,
                        text.trim(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                ));
            }
        };
        // `--unsafe-no-fsync` appeared in etcd 3.5; ask the binary itself rather than
        // guessing from the version, falling back to the version if `--help` fails.
        let unsafe_no_fsync = match etcd_command(&path).arg("--help").output() {
            Ok(help) => {
                let mut all = help.stdout;
                all.extend_from_slice(&help.stderr);
                String::from_utf8_lossy(&all).contains("--unsafe-no-fsync")
            }
            Err(_) => parse_version_triple(&version).is_some_and(|v| v >= (3, 5, 0)),
        };
        Ok(EtcdBinary { path, version, unsafe_no_fsync })
    }

    /// Path of the etcd executable.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Version as printed by `etcd --version`, for example `"3.4.23"`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Version as `(major, minor, patch)`, if it parses as such.
    pub fn version_triple(&self) -> Option<(u64, u64, u64)> {
        parse_version_triple(&self.version)
    }

    /// Whether this binary accepts `--unsafe-no-fsync` (etcd 3.5 and later).
    ///
    /// When it does, clusters started by this crate pass it: test data does not
    /// need to survive a power cut, and skipping fsync makes tests faster.
    pub fn supports_unsafe_no_fsync(&self) -> bool {
        self.unsafe_no_fsync
    }
}

impl fmt::Display for EtcdBinary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd {} ({})", self.version, self.path.display())
    }
}

/// A `Command` for the etcd binary at `path`, with an environment that cannot
/// change etcd's configuration behind the test's back.
///
/// etcd reads every `ETCD_<FLAG>` environment variable as a flag, and this
/// project's own variables (`ETCD_BIN`, `ETCD_ENDPOINTS`, `ETCD_REQUIRED`) start
/// with the same prefix, so all of them are removed, except
/// `ETCD_UNSUPPORTED_ARCH`, which etcd needs on some platforms.
pub(crate) fn etcd_command(path: &Path) -> Command {
    let mut cmd = Command::new(path);
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("ETCD_") && key != "ETCD_UNSUPPORTED_ARCH" {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Extracts `3.4.23` from the output of `etcd --version` (`etcd Version: 3.4.23`).
pub(crate) fn parse_version_output(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("etcd Version:")?.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    })
}

/// Parses `"3.5.1"` (or `"v3.5.1"`, `"3.5.1-rc.0"`) into `(3, 5, 1)`.
pub(crate) fn parse_version_triple(version: &str) -> Option<(u64, u64, u64)> {
    let v = version.trim().trim_start_matches('v');
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// Finds a usable etcd binary, or `None`.
///
/// Looks, in this order, at:
/// 1. the environment variable `ETCD_BIN` (if it is set, nothing else is tried:
///    an explicit choice is never silently replaced by another binary);
/// 2. `etcd` on `PATH`;
/// 3. a copy provisioned by `cargo xtask etcd provision` under the workspace's
///    target directory, `target/etcd/<version>/etcd` (the highest version wins).
///
/// If `ETCD_BIN` is set but unusable, a warning goes to stderr and `None` is
/// returned; use [`try_find_etcd`] to get that as an error instead.
pub fn find_etcd() -> Option<EtcdBinary> {
    match try_find_etcd() {
        Ok(found) => found,
        Err(e) => {
            crate::skip::loud(&format!("WARNING: {e}"));
            None
        }
    }
}

/// Like [`find_etcd`], but an `ETCD_BIN` that is set and does not point at a
/// working etcd binary is an error rather than `None`.
pub fn try_find_etcd() -> io::Result<Option<EtcdBinary>> {
    if let Some(bin) = env::var_os(ETCD_BIN_ENV).filter(|v| !v.is_empty()) {
        return EtcdBinary::new(resolve_etcd_bin(Path::new(&bin))).map(Some).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{ETCD_BIN_ENV}={} is not a usable etcd binary: {e}", Path::new(&bin).display()),
            )
        });
    }
    if let Some(found) = find_on_path(OsStr::new("etcd")).and_then(|p| EtcdBinary::new(p).ok()) {
        return Ok(Some(found));
    }
    Ok(find_provisioned())
}

/// `ETCD_BIN` as given, unless it is a relative path that does not exist from
/// the current directory but does from the workspace root: `cargo test` runs
/// each package's tests in the package's directory, while the user most likely
/// wrote the path relative to the workspace root.
fn resolve_etcd_bin(bin: &Path) -> PathBuf {
    if bin.is_absolute() || bin.components().count() < 2 || bin.exists() {
        return bin.to_path_buf();
    }
    start_dirs()
        .iter()
        .filter_map(|d| workspace_root(d))
        .map(|root| root.join(bin))
        .find(|p| p.exists())
        .unwrap_or_else(|| bin.to_path_buf())
}

/// The first executable file called `name` in a directory of `PATH`.
fn find_on_path(name: &OsStr) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable_file(candidate))
}

pub(crate) fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The highest-versioned working binary among `<target>/etcd/*/etcd`, over all
/// candidate target directories.
fn find_provisioned() -> Option<EtcdBinary> {
    let mut found: Vec<((u64, u64, u64), PathBuf)> = Vec::new();
    for target in target_dir_candidates() {
        let Ok(entries) = fs::read_dir(target.join("etcd")) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = name.to_str().and_then(parse_version_triple) else {
                continue;
            };
            let bin = entry.path().join("etcd");
            if is_executable_file(&bin) {
                found.push((version, bin));
            }
        }
    }
    found.sort();
    found.into_iter().rev().find_map(|(_, bin)| EtcdBinary::new(bin).ok())
}

/// The Cargo target directory of the workspace being built or tested, if it can
/// be found.
///
/// Uses `CARGO_TARGET_DIR` when set (relative values are taken from the current
/// directory, as Cargo does); otherwise `<workspace root>/target`, where the
/// workspace root is found from `CARGO_MANIFEST_DIR` (set by `cargo run` and
/// `cargo test`) or the current directory, see [`workspace_root`]; failing
/// that, the target directory that holds the running executable.
pub fn target_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return Some(if dir.is_absolute() { dir } else { env::current_dir().ok()?.join(dir) });
    }
    start_dirs().iter().find_map(|d| workspace_root(d)).map(|root| root.join("target")).or_else(exe_target_dir)
}

/// The target directory holding the running executable: test binaries live
/// in `<target>/debug/deps/`, and Cargo marks a target directory with a
/// `CACHEDIR.TAG` file.
fn exe_target_dir() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?;
    exe.ancestors().skip(1).find(|d| d.join("CACHEDIR.TAG").is_file()).map(Path::to_path_buf)
}

/// Every place a provisioned etcd may be under: [`target_dir`], the workspace
/// targets found from `CARGO_MANIFEST_DIR` and the current directory, and the
/// target directory that holds the running executable.
fn target_dir_candidates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = target_dir().into_iter().collect();
    for start in start_dirs() {
        if let Some(root) = workspace_root(&start) {
            dirs.push(root.join("target"));
        }
    }
    dirs.extend(exe_target_dir());
    let mut unique = Vec::new();
    for d in dirs {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    unique
}

fn start_dirs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(d) = env::var_os("CARGO_MANIFEST_DIR").filter(|v| !v.is_empty()) {
        v.push(PathBuf::from(d));
    }
    if let Ok(d) = env::current_dir() {
        v.push(d);
    }
    v
}

/// The Cargo workspace root at or above `start`: the nearest directory whose
/// `Cargo.toml` has a `[workspace]` table, or, when there is none (a project
/// that is a single package), the outermost directory with a `Cargo.toml`.
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    let mut outermost_package = None;
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        if text.lines().any(|l| {
            let l = l.trim();
            l == "[workspace]" || l.starts_with("[workspace.")
        }) {
            return Some(dir.to_path_buf());
        }
        outermost_package = Some(dir.to_path_buf());
    }
    outermost_package
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_output_of_3_4_and_3_5() {
        let v34 = "etcd Version: 3.4.23\nGit SHA: Not provided (use ./build instead of go build)\nGo Version: go1.19.8\nGo OS/Arch: linux/amd64\n";
        let v35 = "etcd Version: 3.5.1\nGit SHA: e8732fb5f\nGo Version: go1.16.3\nGo OS/Arch: linux/amd64\n";
        assert_eq!(parse_version_output(v34).as_deref(), Some("3.4.23"));
        assert_eq!(parse_version_output(v35).as_deref(), Some("3.5.1"));
        assert_eq!(parse_version_output("hello\n"), None);
        assert_eq!(parse_version_output("etcd Version:   \n"), None);
    }

    #[test]
    fn parses_version_triples() {
        assert_eq!(parse_version_triple("3.4.23"), Some((3, 4, 23)));
        assert_eq!(parse_version_triple("v3.5.1"), Some((3, 5, 1)));
        assert_eq!(parse_version_triple("3.6.0-rc.1"), Some((3, 6, 0)));
        assert_eq!(parse_version_triple("3.5"), Some((3, 5, 0)));
        assert_eq!(parse_version_triple("download"), None);
        assert_eq!(parse_version_triple(".tmp-123"), None);
    }

    #[test]
    fn finds_workspace_root_and_package_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("crates/a/src")).unwrap();
        fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"crates/*\"]\n").unwrap();
        fs::write(root.join("crates/a/Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
        assert_eq!(workspace_root(&root.join("crates/a/src")).as_deref(), Some(root));
        assert_eq!(workspace_root(root).as_deref(), Some(root));

        let single = tempfile::tempdir().unwrap();
        fs::create_dir_all(single.path().join("src")).unwrap();
        fs::write(single.path().join("Cargo.toml"), "[package]\nname = \"b\"\n").unwrap();
        assert_eq!(workspace_root(&single.path().join("src")).as_deref(), Some(single.path()));
    }

    #[test]
    fn this_workspace_has_a_target_dir() {
        // `cargo test` sets CARGO_MANIFEST_DIR, so this must always be found.
        assert!(target_dir().is_some());
    }

    #[test]
    fn rejects_a_binary_that_is_not_etcd() {
        let err = EtcdBinary::new("/bin/true").unwrap_err();
        assert!(err.to_string().contains("did not report an etcd version"), "{err}");
        assert!(EtcdBinary::new("/nonexistent/etcd").is_err());
        // Relative paths are made absolute in messages (and in `path()`).
        let err = EtcdBinary::new("no-such-dir/etcd").unwrap_err().to_string();
        let cwd = env::current_dir().unwrap();
        assert!(err.contains(&cwd.join("no-such-dir/etcd").display().to_string()), "{err}");
    }
}
