//! etcd 3.4 against etcd 3.5: every case of the suite on a fresh member of each, answers compared modulo the
//! normalizer's list. A difference that is not in the list fails the test; the summary is printed either way.

use std::time::Duration;

use etcd_conformance::normalize::VERSION_DIFFERENCES;
use etcd_conformance::suite::{summary_from_env, write_transcripts};
use etcd_conformance::targets::{etcd_or_skip, fresh_member, label, loud, other_version};
use etcd_conformance::{Runner, cases, compare_group};

/// A bound on each group (the longest, history overflow, takes a few seconds).
const GROUP_BOUND: Duration = Duration::from_secs(90);

#[test]
fn etcd_3_4_and_3_5_answer_alike() {
    let Some(found) = etcd_or_skip("etcd_3_4_and_3_5_answer_alike") else { return };
    let Some(other) = other_version(&found) else {
        let message = format!(
            "etcd-conformance: only etcd {} is installed; the 3.4-vs-3.5 comparison needs both \
             (/usr/bin/etcd and target/etcd/<version>/etcd, see `cargo xtask etcd provision`)",
            found.version()
        );
        assert!(!etcd_testkit::etcd_required(), "{message}");
        loud(&format!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n"));
        return;
    };
    let (older, newer) = if found.version_triple() <= other.version_triple() { (found, other) } else { (other, found) };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut summary = summary_from_env(&label(&older), &label(&newer));
    for group in cases::groups() {
        let (left, right) = std::thread::scope(|s| {
            let left = s.spawn(|| fresh_member(&older));
            let right = fresh_member(&newer);
            (left.join().expect("starting etcd panicked"), right)
        });
        let (l, r) = (Runner::new(&left.endpoints()[0]), Runner::new(&right.endpoints()[0]));
        runtime
            .block_on(async { tokio::time::timeout(GROUP_BOUND, compare_group(&group, &l, &r, &mut summary)).await })
            .unwrap_or_else(|_| panic!("group {} took longer than {GROUP_BOUND:?}", group.name))
            .unwrap_or_else(|e| panic!("group {}: {e}", group.name));
    }
    loud(&summary.to_string());
    for path in write_transcripts(&summary).expect("writing the transcripts") {
        loud(&format!("transcript: {}", path.display()));
    }
    assert!(summary.requests >= 150, "fewer answers compared than the suite has: {}", summary.requests);
    assert!(summary.failed_answers.is_empty(), "answers missing:\n{summary}");
    for known in VERSION_DIFFERENCES {
        assert!(
            summary.version_dependent.contains_key(&(known.case.to_owned(), known.step)),
            "{} #{} is listed as a 3.4-vs-3.5 difference ({}), but both answered alike: take it off the list",
            known.case,
            known.step,
            known.reason
        );
    }
    assert!(
        summary.differences.is_empty(),
        "etcd {} and {} differ beyond the normalizer's list:\n{summary}",
        summary.servers.0,
        summary.servers.1
    );
}
