//! The state file of the cluster started by `cargo xtask etcd start`.
//!
//! A small line-based text file, `target/xtask-etcd/cluster.state`:
//!
//! ```text
//! # written by `cargo xtask etcd start`, removed by `cargo xtask etcd stop`
//! etcd 3.4.23 /usr/bin/etcd
//! dir /dev/shm/etcd-testkit-AbC123
//! member m0 4242 http://127.0.0.1:40001 http://127.0.0.1:40002
//! endpoints http://127.0.0.1:40001
//! ```

use std::path::{Path, PathBuf};

use etcd_testkit::{DetachedCluster, DetachedMember};

/// What the state file records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// `<version> <path>` of the etcd binary the members run.
    pub etcd: String,
    /// The cluster: directory, member pids and URLs.
    pub cluster: DetachedCluster,
}

/// `<target>/xtask-etcd/cluster.state`.
pub fn path(target: &Path) -> PathBuf {
    target.join("xtask-etcd").join("cluster.state")
}

impl State {
    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::from("# written by `cargo xtask etcd start`, removed by `cargo xtask etcd stop`\n");
        out.push_str(&format!("etcd {}\n", self.etcd));
        out.push_str(&format!("dir {}\n", self.cluster.dir.display()));
        for m in &self.cluster.members {
            out.push_str(&format!("member {} {} {} {}\n", m.name, m.pid, m.client_url, m.peer_url));
        }
        out.push_str(&format!("endpoints {}\n", self.cluster.endpoints().join(",")));
        out
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<State, String> {
        let mut etcd = String::new();
        let mut dir = None;
        let mut members = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "etcd" => etcd = rest.to_string(),
                "dir" => dir = Some(PathBuf::from(rest)),
                "member" => {
                    let f: Vec<&str> = rest.split_whitespace().collect();
                    let [name, pid, client_url, peer_url] = f[..] else {
                        return Err(format!("line {}: bad member line `{line}`", n + 1));
                    };
                    members.push(DetachedMember {
                        name: name.to_string(),
                        pid: pid.parse().map_err(|_| format!("line {}: bad pid `{pid}`", n + 1))?,
                        client_url: client_url.to_string(),
                        peer_url: peer_url.to_string(),
                    });
                }
                "endpoints" => {}
                other => return Err(format!("line {}: unknown key `{other}`", n + 1)),
            }
        }
        let dir = dir.ok_or("no `dir` line")?;
        if members.is_empty() {
            return Err("no `member` line".to_string());
        }
        Ok(State { etcd, cluster: DetachedCluster { dir, members } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        State {
            etcd: "3.5.1 /work/target/etcd/3.5.1/etcd".to_string(),
            cluster: DetachedCluster {
                dir: PathBuf::from("/dev/shm/etcd-testkit-AbC123"),
                members: (0..3)
                    .map(|i| DetachedMember {
                        name: format!("m{i}"),
                        pid: 1000 + i,
                        client_url: format!("http://127.0.0.1:{}", 40000 + 2 * i),
                        peer_url: format!("http://127.0.0.1:{}", 40001 + 2 * i),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let text = s.render();
        assert!(text.contains("endpoints http://127.0.0.1:40000,http://127.0.0.1:40002,http://127.0.0.1:40004\n"));
        assert_eq!(State::parse(&text), Ok(s));
    }

    #[test]
    fn rejects_garbage() {
        assert!(State::parse("").is_err());
        assert!(State::parse("dir /x\n").is_err());
        assert!(State::parse("dir /x\nmember m0 notapid a b\n").is_err());
        assert!(State::parse("dir /x\nmember m0 1 a\n").is_err());
        assert!(State::parse("bogus line\n").is_err());
    }

    #[test]
    fn lives_under_target() {
        assert_eq!(path(Path::new("/w/target")), PathBuf::from("/w/target/xtask-etcd/cluster.state"));
    }
}
