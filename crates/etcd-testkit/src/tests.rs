//! Tests against a real etcd (skipped loudly without one, failing with
//! `ETCD_REQUIRED=1`). Every wait is bounded.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crate::{Cluster, Member, MemberState, cluster_or_skip, http, is_etcd_process_in, process};

/// Upper bound for anything the tests wait for (elections take ~1-2 s).
const BOUND: Duration = Duration::from_secs(20);

/// What a frozen member's answer is waited for before calling it unresponsive.
const FROZEN_PROBE: Duration = Duration::from_millis(1500);

fn put(m: &Member, key: &str, value: &str) -> io::Result<u16> {
    let r = http::request(
        m.client_addr(),
        "PUT",
        &format!("/v2/keys/{key}"),
        Some(&format!("value={value}")),
        Duration::from_secs(5),
    )?;
    Ok(r.status)
}

/// The value of `key` read through `m` with a quorum (linearizable) read.
fn get(m: &Member, key: &str) -> Option<String> {
    let r = http::get(m.client_addr(), &format!("/v2/keys/{key}?quorum=true"), Duration::from_secs(5)).ok()?;
    if r.status != 200 {
        return None;
    }
    let start = r.body.find("\"value\":\"")? + "\"value\":\"".len();
    let len = r.body[start..].find('"')?;
    Some(r.body[start..start + len].to_string())
}

fn wait_healthy(m: &Member) -> bool {
    process::wait_until(BOUND, || m.is_healthy())
}

#[test]
fn single_member_serves_v2_and_drop_cleans_up() {
    let Some(cluster) = cluster_or_skip(1) else {
        return;
    };
    let endpoints = cluster.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert!(endpoints[0].starts_with("http://127.0.0.1:"), "{endpoints:?}");
    assert_ne!(endpoints[0], "http://127.0.0.1:2379");
    let m = cluster.member(0);
    assert_eq!(m.name(), "m0");
    assert_eq!(m.client_url(), endpoints[0]);
    assert_eq!(m.state(), MemberState::Running);
    assert!(m.is_healthy() && m.is_ready());
    assert_eq!(cluster.leader(), Some(0));
    assert!(matches!(put(m, "greeting", "hello"), Ok(200 | 201)));
    assert_eq!(get(m, "greeting").as_deref(), Some("hello"));

    let pid = m.pid().unwrap();
    let dir = cluster.dir().to_path_buf();
    assert!(is_etcd_process_in(pid, &dir));
    assert!(m.log_path().is_file());
    if cluster.binary().supports_unsafe_no_fsync() {
        assert!(process::cmdline(pid).unwrap().iter().any(|a| a == "--unsafe-no-fsync"));
    }
    drop(cluster);
    assert!(!process::is_alive(pid), "member survived drop");
    assert!(!dir.exists(), "directory survived drop");
}

#[test]
fn kill_then_restart_keeps_name_ports_and_data() {
    let Some(mut cluster) = cluster_or_skip(1) else {
        return;
    };
    assert!(matches!(put(cluster.member(0), "k", "before-kill"), Ok(200 | 201)));
    let url = cluster.member(0).client_url();
    let old_pid = cluster.member(0).pid().unwrap();

    cluster.kill(0).unwrap();
    let m = cluster.member(0);
    assert_eq!(m.state(), MemberState::Killed);
    assert_eq!(m.pid(), None);
    assert!(!process::is_alive(old_pid));
    // Nothing listens any more: refused at once, not a hang.
    assert!(http::get(m.client_addr(), "/health", Duration::from_secs(2)).is_err());
    assert!(!m.is_healthy());
    cluster.kill(0).unwrap(); // idempotent
    assert!(cluster.stop(0).is_err(), "cannot freeze a killed member");

    cluster.restart(0).unwrap();
    let m = cluster.member(0);
    assert_eq!(m.state(), MemberState::Running);
    assert_eq!(m.client_url(), url);
    assert_ne!(m.pid(), Some(old_pid));
    assert!(m.is_ready());
    assert_eq!(get(m, "k").as_deref(), Some("before-kill"));

    // Restarting a running member kills it first.
    let pid = m.pid().unwrap();
    cluster.restart(0).unwrap();
    assert!(!process::is_alive(pid));
    assert_eq!(get(cluster.member(0), "k").as_deref(), Some("before-kill"));
}

#[test]
fn stop_freezes_a_member_and_cont_resumes_it() {
    let Some(mut cluster) = cluster_or_skip(1) else {
        return;
    };
    let pid = cluster.member(0).pid().unwrap();
    cluster.stop(0).unwrap();
    assert_eq!(cluster.member(0).state(), MemberState::Stopped);
    assert_eq!(process::process_state(pid), Some('T'));
    // The kernel still accepts connections, but nobody answers.
    let err = http::get(cluster.member(0).client_addr(), "/health", FROZEN_PROBE).unwrap_err();
    assert!(matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "{err}");

    cluster.cont(0).unwrap();
    assert_eq!(cluster.member(0).state(), MemberState::Running);
    assert_ne!(process::process_state(pid), Some('T'));
    assert!(wait_healthy(cluster.member(0)));
    cluster.wait_ready(BOUND).unwrap();

    // A frozen member is also cleaned up by drop.
    cluster.stop(0).unwrap();
    drop(cluster);
    assert!(!process::is_alive(pid));
}

#[test]
fn a_panicking_test_still_cleans_up() {
    let Some(cluster) = cluster_or_skip(1) else {
        return;
    };
    let pid = cluster.member(0).pid().unwrap();
    let dir = cluster.dir().to_path_buf();
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        let _cluster = cluster;
        panic!("deliberate panic while holding a cluster");
    }));
    assert!(outcome.is_err());
    assert!(!process::is_alive(pid));
    assert!(!dir.exists());
}

#[test]
fn three_members_ride_out_a_killed_follower_and_a_killed_leader() {
    let Some(mut cluster) = cluster_or_skip(3) else {
        return;
    };
    let endpoints = cluster.endpoints();
    assert_eq!(endpoints.len(), 3);
    let mut unique = endpoints.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{endpoints:?}");
    assert!(cluster.members().iter().all(Member::is_ready));

    let leader = cluster.wait_leader(BOUND).unwrap();
    assert!(matches!(put(cluster.member(leader), "a", "1"), Ok(200 | 201)));
    let follower = (leader + 1) % 3;
    let other = (leader + 2) % 3;
    assert_eq!(get(cluster.member(follower), "a").as_deref(), Some("1"));

    // Lose a follower: the other two keep a quorum.
    cluster.kill(follower).unwrap();
    assert!(!cluster.member(follower).is_healthy());
    assert!(cluster.member(leader).is_healthy());
    assert!(cluster.member(other).is_healthy());
    assert!(matches!(put(cluster.member(other), "b", "2"), Ok(200 | 201)));
    cluster.restart(follower).unwrap();
    assert_eq!(get(cluster.member(follower), "b").as_deref(), Some("2"));

    // Lose the leader: one of the two others takes over.
    cluster.kill(leader).unwrap();
    let new_leader = cluster.wait_leader(BOUND).unwrap();
    assert_ne!(new_leader, leader);
    assert!(matches!(put(cluster.member(new_leader), "c", "3"), Ok(200 | 201)));
    cluster.restart(leader).unwrap();
    assert_eq!(get(cluster.member(leader), "c").as_deref(), Some("3"));
    cluster.wait_ready(BOUND).unwrap();
}

#[test]
fn three_members_replace_a_frozen_leader() {
    let Some(mut cluster) = cluster_or_skip(3) else {
        return;
    };
    let leader = cluster.wait_leader(BOUND).unwrap();
    cluster.stop(leader).unwrap();
    assert!(!cluster.member(leader).is_healthy());
    // `leader()` skips stopped members, so this finds the successor.
    let new_leader = cluster.wait_leader(BOUND).unwrap();
    assert_ne!(new_leader, leader);
    let others: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    for &i in &others {
        assert!(wait_healthy(cluster.member(i)), "m{i} unhealthy after failover");
    }

    cluster.cont(leader).unwrap();
    cluster.wait_ready(BOUND).unwrap();
    assert!(cluster.members().iter().all(Member::is_healthy));
}

#[test]
fn quorum_loss_and_recovery_with_restart_no_wait() {
    let Some(mut cluster) = cluster_or_skip(3) else {
        return;
    };
    cluster.kill(1).unwrap();
    cluster.kill(2).unwrap();
    // One of three has no quorum, hence no leader, hence not healthy.
    assert!(!process::wait_until(Duration::from_secs(3), || cluster.member(0).is_healthy()));
    cluster.restart_no_wait(1).unwrap();
    cluster.restart(2).unwrap();
    cluster.wait_ready(BOUND).unwrap();
    assert!(cluster.members().iter().all(Member::is_healthy));
}

#[test]
fn detached_cluster_outlives_its_handle() {
    let Some(cluster) = cluster_or_skip(1) else {
        return;
    };
    let addr = cluster.member(0).client_addr();
    let detached = cluster.into_detached();
    assert_eq!(detached.members.len(), 1);
    assert_eq!(detached.running_pids(), vec![detached.members[0].pid]);
    let r = http::get(addr, "/health", Duration::from_secs(5)).unwrap();
    assert!(http::is_healthy_body(&r.body), "{}", r.body);
    assert!(detached.dir.exists());
    assert!(detached.members[0].is_healthy());

    detached.kill().unwrap();
    assert!(detached.running_pids().is_empty());
    assert!(!process::is_alive(detached.members[0].pid));
    assert!(!detached.dir.exists());
    detached.kill().unwrap(); // nothing left to do
}

#[test]
fn startup_failure_reports_the_log_tail() {
    let Some(binary) = crate::find_etcd() else {
        crate::skip::loud(
            "\n!!!!!!!! SKIPPED: test `tests::startup_failure_reports_the_log_tail`: no etcd binary found !!!!!!!!\n",
        );
        assert!(!crate::etcd_required(), "ETCD_REQUIRED=1 but no etcd found");
        return;
    };
    let err = Cluster::builder()
        .binary(binary)
        .arg("--no-such-flag-for-the-testkit")
        .start_attempts(2)
        .ready_timeout(BOUND)
        .start()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("failed to start 2 times"), "{msg}");
    assert!(msg.contains("exited during startup"), "{msg}");
    assert!(msg.contains("no-such-flag-for-the-testkit"), "{msg}");
}

#[test]
fn members_can_advertise_other_client_urls_than_they_listen_on() {
    let Some(cluster) = Cluster::builder().advertise_client_urls(["http://127.0.0.1:1"]).start_or_skip() else {
        return;
    };
    let m = cluster.member(0);
    assert_eq!(m.advertised_client_url(), "http://127.0.0.1:1");
    assert_ne!(m.client_url(), m.advertised_client_url());
    assert!(m.is_ready(), "it serves on its real URL");
    let members = http::get(m.client_addr(), "/v2/members", Duration::from_secs(5)).unwrap();
    assert!(members.body.contains(r#""clientURLs":["http://127.0.0.1:1"]"#), "{}", members.body);
}

/// What a cluster that moved on from v2 looks like: healthy, the v3 gateway answering, the v2 keys API not found.
#[test]
fn a_cluster_without_v2_serves_only_v3() {
    let Some(cluster) = Cluster::builder().without_v2().start_or_skip() else {
        return;
    };
    let m = cluster.member(0);
    assert!(m.is_healthy() && m.is_ready());
    let pid = m.pid().unwrap();
    assert!(!process::cmdline(pid).unwrap().iter().any(|a| a.starts_with("--enable-v2")));
    let v2 = http::get(m.client_addr(), "/v2/keys/", Duration::from_secs(5)).unwrap();
    assert_eq!(v2.status, 404, "{}", v2.body);
    let v3 = http::request(m.client_addr(), "POST", "/v3/kv/range", Some(r#"{"key":"Zm9v"}"#), Duration::from_secs(5));
    let v3 = v3.unwrap();
    assert_eq!(v3.status, 200, "{}", v3.body);
    assert!(v3.body.contains("\"header\""), "{}", v3.body);
}

#[test]
fn a_new_member_joins_the_running_cluster_once_announced() {
    let Some(mut cluster) = cluster_or_skip(1) else {
        return;
    };
    assert!(matches!(put(cluster.member(0), "k", "before-join"), Ok(200 | 201)));
    let index = cluster.new_member().unwrap();
    assert_eq!(index, 1);
    let new = cluster.member(1);
    assert_eq!((new.name(), new.state()), ("m1", MemberState::Killed), "made, not started");
    assert_eq!(new.advertised_client_url(), new.client_url());
    let announce = format!(r#"{{"peerURLs":["{}"]}}"#, new.peer_url());
    let added = http::send(
        cluster.member(0).client_addr(),
        "POST",
        "/v2/members",
        Some(("application/json", &announce)),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(added.status, 201, "{}", added.body);

    cluster.start_member(1).unwrap();
    let new = cluster.member(1);
    assert_eq!(new.state(), MemberState::Running);
    let args = process::cmdline(new.pid().unwrap()).unwrap();
    let flag = |name: &str| args.iter().position(|a| a == name).map(|i| args[i + 1].clone());
    assert_eq!(flag("--initial-cluster-state").as_deref(), Some("existing"));
    let initial = format!("m0={},m1={}", cluster.member(0).peer_url(), new.peer_url());
    assert_eq!(flag("--initial-cluster"), Some(initial));
    assert_eq!(get(new, "k").as_deref(), Some("before-join"), "the new member has the cluster's data");
    assert_eq!(cluster.endpoints().len(), 2);
}

/// The environment variable that makes [`watchdog_child`] run, in the child process
/// [`a_cluster_dies_with_its_process_on_sigterm`] starts.
const WATCHDOG_CHILD: &str = "ETCD_TESTKIT_WATCHDOG_CHILD";

#[test]
fn a_cluster_dies_with_its_process_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    if crate::find_etcd().is_none() {
        assert!(!crate::etcd_required(), "ETCD_REQUIRED=1 and no etcd");
        eprintln!("SKIPPED: no etcd");
        return;
    }
    // This test binary again, running only the child below, which starts a cluster and waits to be killed.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "tests::watchdog_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(WATCHDOG_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // libtest prints the test's name first, on the same line.
    let line = stdout.lines().map_while(Result::ok).find_map(|l| Some(l.split_once("CLUSTER ")?.1.to_owned()));
    let line = line.expect("the child's cluster");
    let mut words = line.split_whitespace();
    let (pid, dir): (u32, std::path::PathBuf) = (words.next().unwrap().parse().unwrap(), words.next().unwrap().into());
    assert!(is_etcd_process_in(pid, &dir), "{line}");

    // What an IDE's stop button does: no destructor runs in the child.
    process::send_signal(child.id(), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status}");
    let gone = process::wait_until(Duration::from_secs(5), || !process::is_alive(pid) && !dir.exists());
    assert!(gone, "etcd {pid} alive: {}, {} exists: {}", process::is_alive(pid), dir.display(), dir.exists());
}

/// Run by [`a_cluster_dies_with_its_process_on_sigterm`] in a child process.
#[test]
#[ignore = "run in a child process by a_cluster_dies_with_its_process_on_sigterm"]
fn watchdog_child() {
    if std::env::var_os(WATCHDOG_CHILD).is_none() {
        return;
    }
    let cluster = Cluster::start(1).unwrap();
    let pid = cluster.member(0).pid().unwrap();
    println!("CLUSTER {pid} {}", cluster.dir().display());
    std::thread::sleep(Duration::from_secs(60));
    drop(cluster);
}
