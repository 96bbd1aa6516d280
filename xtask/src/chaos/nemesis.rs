//! The nemesis: from a seeded RNG, SIGKILLs and restarts, or SIGSTOPs and SIGCONTs, one member at a time,
//! chosen at random, as the leader, or as the member a shared-key client is pinned to; and heals everything at
//! the end.
//!
//! It runs on a thread of its own, since the testkit's cluster calls block.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use etcd_keys::Client;
use etcd_testkit::{Cluster, MemberState};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::history::{Fault, FaultKind, Target};

/// How long a member stays frozen: always longer than the clients' header timeout (1 s), so that a request
/// sent to it times out while the member still holds it.
const FREEZE: (Duration, Duration) = (Duration::from_millis(1_500), Duration::from_millis(4_000));
/// How long a member stays dead before its restart.
const KILL: (Duration, Duration) = (Duration::from_millis(300), Duration::from_millis(2_500));
/// Quiet time between two faults.
const QUIET: (Duration, Duration) = (Duration::from_millis(500), Duration::from_millis(2_000));
/// Bound on waiting for a leader before a fault, and for the cluster's readiness when healing.
const SETTLE: Duration = Duration::from_secs(30);

/// What the nemesis did.
#[derive(Debug, Default)]
pub struct Log {
    /// Every fault, healed.
    pub faults: Vec<Fault>,
    /// What went wrong with the cluster itself (a restart that failed, no leader in time).
    pub notes: Vec<String>,
}

/// The nemesis of a run.
pub struct Nemesis {
    cluster: Cluster,
    rng: StdRng,
    /// The shared-key clients, whose pins it aims at.
    pinned: Vec<Client>,
    /// Closed (or sent to) when the run is over.
    stop: Receiver<()>,
    /// The kinds of fault it may inject; none makes a run without faults, a baseline.
    kinds: Vec<FaultKind>,
    log: Log,
}

impl Nemesis {
    /// A nemesis for `cluster`, seeded with `seed`.
    pub fn new(cluster: Cluster, seed: u64, kinds: Vec<FaultKind>, pinned: Vec<Client>, stop: Receiver<()>) -> Self {
        Nemesis { cluster, rng: StdRng::seed_from_u64(seed), pinned, stop, kinds, log: Log::default() }
    }

    /// Injects faults until told to stop, heals every member, and gives the cluster back with the log.
    pub fn run(mut self) -> (Cluster, Log) {
        while !self.pause(QUIET) {
            // Freezes are the likelier, since they are what leaves a request's outcome unknown.
            let freeze = self.rng.random_bool(0.6);
            let kind = match self.kinds.as_slice() {
                [] => continue,
                [only] => *only,
                _ if freeze => FaultKind::Freeze,
                _ => FaultKind::Kill,
            };
            if let Err(e) = self.cluster.wait_leader(SETTLE) {
                self.log.notes.push(format!("no leader before a fault: {e}"));
            }
            let (target, member) = self.pick();
            let hold = match kind {
                FaultKind::Freeze => FREEZE,
                FaultKind::Kill => KILL,
            };
            let start = Instant::now();
            let injected = match kind {
                FaultKind::Freeze => self.cluster.stop(member),
                FaultKind::Kill => self.cluster.kill(member),
            };
            if let Err(e) = injected {
                self.log.notes.push(format!("cannot {kind:?} m{member}: {e}"));
                continue;
            }
            let stopped = self.pause(hold);
            let healed = match kind {
                FaultKind::Freeze => self.cluster.cont(member),
                FaultKind::Kill => self.cluster.restart(member),
            };
            if let Err(e) = healed {
                self.log.notes.push(format!("cannot heal m{member} after {kind:?}: {e}"));
            }
            self.log.faults.push(Fault { kind, member, target, start, end: Instant::now() });
            if stopped {
                break;
            }
        }
        self.heal();
        (self.cluster, self.log)
    }

    /// Resumes frozen members, restarts killed ones, and waits until all are ready.
    fn heal(&mut self) {
        for i in 0..self.cluster.members().len() {
            let healed = match self.cluster.member(i).state() {
                MemberState::Running => Ok(()),
                MemberState::Stopped => self.cluster.cont(i),
                MemberState::Killed => self.cluster.restart_no_wait(i),
            };
            if let Err(e) = healed {
                self.log.notes.push(format!("cannot heal m{i} at the end: {e}"));
            }
        }
        if let Err(e) = self.cluster.wait_ready(SETTLE) {
            self.log.notes.push(format!("the cluster is not ready after healing: {e}"));
        }
    }

    /// The victim: the member a shared-key client is pinned to (40 %), the leader (30 %), any member (30 %).
    /// The same random numbers are drawn whatever the cluster's state, so that a seed always gives the same
    /// sequence of choices (which member is the leader, or pinned, still depends on the run).
    fn pick(&mut self) -> (Target, usize) {
        let n = self.cluster.members().len();
        let roll = self.rng.random_range(0..10);
        let which_client = self.rng.random_range(0..self.pinned.len().max(1));
        let any = self.rng.random_range(0..n);
        if roll < 4 && !self.pinned.is_empty() {
            let client = &self.pinned[which_client];
            let pinned = client.endpoints().map(|e| e.pinned().as_str().trim_end_matches('/').to_string());
            let member = pinned.and_then(|url| {
                self.cluster.members().iter().position(|m| m.client_url().trim_end_matches('/') == url)
            });
            if let Some(member) = member {
                return (Target::Pinned, member);
            }
        }
        if roll < 7 {
            if let Some(leader) = self.cluster.leader() {
                return (Target::Leader, leader);
            }
        }
        (Target::Random, any)
    }

    /// Waits `range` (a random duration within it); `true` when the run is over.
    fn pause(&mut self, (low, high): (Duration, Duration)) -> bool {
        let wait = self.rng.random_range(low..=high);
        !matches!(self.stop.recv_timeout(wait), Err(RecvTimeoutError::Timeout))
    }
}
