//! What the conformance tests share: each group on a fresh pair of servers, bounded, into one summary.

use std::time::Duration;

use etcd_conformance::suite::{Summary, write_transcripts};
use etcd_conformance::targets::loud;
use etcd_conformance::{Group, Runner, compare_group};

/// A bound on each group (the longest, history overflow, takes a few seconds a server).
const GROUP_BOUND: Duration = Duration::from_secs(90);

/// A server started for one group: its members' base URLs, and whatever keeps it alive until dropped.
pub struct Fresh {
    pub urls: Vec<String>,
    pub _guard: Box<dyn Send>,
}

/// Runs `groups` (the suite's, `etcd_conformance::cases::groups()`, or some of them for a server that does not serve a whole API),
/// each on a fresh server of the group's size from `left` and one from `right` (started side by side), and
/// prints the summary (and saves transcripts when asked, see `suite::TRANSCRIPTS_ENV`).
pub fn compare_fresh_groups(
    mut summary: Summary,
    groups: Vec<Group>,
    left: &(dyn Fn(usize) -> Fresh + Sync),
    right: &(dyn Fn(usize) -> Fresh + Sync),
) -> Summary {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for group in groups {
        let (l, r) = std::thread::scope(|s| {
            let l = s.spawn(|| left(group.members));
            let r = right(group.members);
            (l.join().expect("starting a server panicked"), r)
        });
        let (left_runner, right_runner) = (Runner::cluster(&l.urls), Runner::cluster(&r.urls));
        runtime
            .block_on(async {
                tokio::time::timeout(GROUP_BOUND, compare_group(&group, &left_runner, &right_runner, &mut summary))
                    .await
            })
            .unwrap_or_else(|_| panic!("group {} took longer than {GROUP_BOUND:?}", group.name))
            .unwrap_or_else(|e| panic!("group {}: {e}", group.name));
    }
    // The whole list goes into a failing assertion's message; a passing run prints the counts.
    loud(&summary.overview());
    for path in write_transcripts(&summary).expect("writing the transcripts") {
        loud(&format!("transcript: {}", path.display()));
    }
    summary
}
