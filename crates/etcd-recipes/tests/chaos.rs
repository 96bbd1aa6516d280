//! Lock contenders in processes of their own (this test binary again, `contender_child`), printing what the
//! `lock` example prints, while a nemesis kills, freezes and restarts etcd members and SIGKILLs the process that
//! holds the lock. Checked afterwards from the printed lines: never two holders at once (by fencing token and by
//! time), the lock taken again within the TTL and a bound after its holder was killed, and the queue empty
//! within a TTL of the last contender's death (no orphan entry outlives its TTL).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{cluster, dir, keys};
use etcd_keys::{Client, GetOptions, KeysApi};
use etcd_recipes::Lock;
use etcd_testkit::Cluster;

const TTL: Duration = Duration::from_secs(2);
/// What the next holder may take beyond the TTL after its predecessor was killed (see holder_killed.rs).
const BOUND: Duration = Duration::from_millis(1500);
const CHILD_ENDPOINTS: &str = "RECIPES_TEST_CONTENDER_ENDPOINTS";
const CHILD_DIR: &str = "RECIPES_TEST_CONTENDER_DIR";

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

/// A printed line: `acquired|released <who> <token> <unix-ms>`.
#[derive(Clone, Debug)]
struct Line {
    acquired: bool,
    who: String,
    token: u64,
    at: u64,
}

/// The contender processes and every line they printed.
struct Contenders {
    endpoints: String,
    dir: String,
    running: Vec<(String, Child)>,
    lines: Arc<Mutex<Vec<Line>>>,
    /// Each killed contender and when it was dead.
    killed: Vec<(String, u64)>,
    started: usize,
}

impl Contenders {
    fn spawn(&mut self) {
        let who = format!("p{}", self.started);
        self.started += 1;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "contender_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENDPOINTS, &self.endpoints)
            .env(CHILD_DIR, &self.dir)
            .env("RECIPES_TEST_CONTENDER_NAME", &who)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (stdout, lines) = (BufReader::new(child.stdout.take().unwrap()), self.lines.clone());
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let words: Vec<&str> = line.split_whitespace().collect();
                // libtest may print the test's name before the first line.
                let Some(at) = words.iter().position(|w| *w == "acquired" || *w == "released") else { continue };
                let [kind, who, token, ms] = words[at..] else { continue };
                let (Ok(token), Ok(at)) = (token.parse(), ms.parse()) else { continue };
                lines.lock().unwrap().push(Line { acquired: kind == "acquired", who: who.into(), token, at });
            }
        });
        self.running.push((who, child));
    }

    /// The running contender that printed `acquired` last without `released` after it.
    fn holder(&self) -> Option<usize> {
        let lines = self.lines.lock().unwrap();
        let last = lines.iter().rev().find(|l| l.acquired)?;
        let released = lines.iter().any(|l| !l.acquired && l.token == last.token);
        (!released).then(|| self.running.iter().position(|(who, _)| *who == last.who)).flatten()
    }

    fn kill(&mut self, index: usize) -> u64 {
        let (who, mut child) = self.running.remove(index);
        child.kill().unwrap();
        let _ = child.wait();
        let dead = unix_ms();
        self.killed.push((who, dead));
        dead
    }
}

#[test]
fn contender_processes_never_hold_the_lock_together_under_member_and_holder_kills() {
    let Some(mut cluster) = cluster() else { return };
    let lock_dir = dir("chaos");
    let mut contenders = Contenders {
        endpoints: cluster.endpoints().join(","),
        dir: lock_dir.clone(),
        running: Vec::new(),
        lines: Arc::default(),
        killed: Vec::new(),
        started: 0,
    };
    for _ in 0..3 {
        contenders.spawn();
    }
    let mut holder_kills = Vec::new();
    sleep(Duration::from_secs(2));
    for round in 0..3 {
        nemesis(&mut cluster, round);
        // The holder's process killed, and a new contender in its place.
        if let Some(holder) = contenders.holder() {
            holder_kills.push(contenders.kill(holder));
            contenders.spawn();
        }
        sleep(TTL + BOUND + Duration::from_millis(500));
    }
    while !contenders.running.is_empty() {
        contenders.kill(0);
    }
    let all_dead = unix_ms();

    let lines = contenders.lines.lock().unwrap().clone();
    let held = holdings(&lines, &contenders.killed);
    eprintln!("{} holdings, {} holders killed", held.len(), holder_kills.len());
    assert!(held.len() >= 10, "the contenders kept taking the lock: {}", held.len());
    assert!(!holder_kills.is_empty(), "a holder was killed");
    common::assert_exclusive(&held);
    for killed in holder_kills {
        let next = lines.iter().filter(|l| l.acquired && l.at >= killed).map(|l| l.at).min();
        let waited = next.map(|at| at - killed);
        eprintln!("lock taken again {waited:?} ms after its holder was killed");
        assert!(waited.is_some_and(|ms| ms <= (TTL + BOUND).as_millis() as u64), "{waited:?}");
    }

    // No entry outlives its TTL: a TTL (and etcd's expiry tick) after the last contender died, the queue is empty.
    let admin = keys(&cluster);
    let deadline = all_dead + (TTL + Duration::from_millis(1200)).as_millis() as u64;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let left = loop {
        let quorum = Some(GetOptions::new().with_quorum());
        let left = rt.block_on(admin.get(&lock_dir, quorum)).map(|r| r.node.nodes.len()).unwrap_or(0);
        if left == 0 || unix_ms() > deadline {
            break left;
        }
        sleep(Duration::from_millis(100));
    };
    assert_eq!(left, 0, "entries left {} ms after the last contender died", unix_ms() - all_dead);
}

/// A member fault and its repair: a follower killed and restarted (round 0), the other follower frozen and
/// thawed (round 1), the leader killed and restarted (round 2).
fn nemesis(cluster: &mut Cluster, round: usize) {
    let leader = cluster.wait_leader(Duration::from_secs(10)).unwrap();
    let pause = Duration::from_millis(1500);
    match round {
        1 => {
            let member = (leader + 2) % 3;
            cluster.stop(member).unwrap();
            sleep(pause);
            cluster.cont(member).unwrap();
        }
        _ => {
            let member = if round == 0 { (leader + 1) % 3 } else { leader };
            cluster.kill(member).unwrap();
            sleep(pause);
            cluster.restart(member).unwrap();
        }
    }
}

/// The holdings the lines show, for the shared checker (on a clock that starts at the first line): acquired,
/// and released when the contender said so or when it was killed.
fn holdings(lines: &[Line], killed: &[(String, u64)]) -> Vec<common::Held> {
    let first = lines.iter().map(|l| l.at).min().unwrap_or_default();
    let origin = std::time::Instant::now();
    let at = |ms: u64| origin + Duration::from_millis(ms - first);
    lines
        .iter()
        .filter(|l| l.acquired)
        .filter_map(|a| {
            let released = lines.iter().find(|r| !r.acquired && r.token == a.token).map(|r| r.at);
            let died = killed.iter().find(|(who, _)| *who == a.who).map(|(_, at)| *at);
            let released = released.or(died)?;
            Some(common::Held { who: a.who.clone(), token: a.token, acquired: at(a.at), released: at(released) })
        })
        .collect()
}

/// A contender, in a child process: takes the lock for 50 ms at a time, printing each acquisition and release
/// as the `lock` example does, until killed.
#[tokio::test]
#[ignore = "run in a child process by contender_processes_never_hold_the_lock_together_under_member_and_holder_kills"]
async fn contender_child() {
    let (Ok(endpoints), Ok(lock_dir), Ok(who)) =
        (std::env::var(CHILD_ENDPOINTS), std::env::var(CHILD_DIR), std::env::var("RECIPES_TEST_CONTENDER_NAME"))
    else {
        return;
    };
    let client = Client::builder(endpoints.split(',')).header_timeout_per_request(common::HEADER_TIMEOUT).build();
    let lock = Lock::new(KeysApi::new(client.unwrap()), lock_dir).with_ttl(TTL);
    loop {
        let Ok(guard) = lock.lock().await else { continue };
        let token = guard.token();
        say(&format!("acquired {who} {token} {}", unix_ms()));
        tokio::select! {
            _ = guard.lost() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        say(&format!("released {who} {token} {}", unix_ms()));
        let _ = guard.unlock().await;
    }
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
