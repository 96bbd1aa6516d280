//! etcd 3.4 against etcd 3.5: every case of the suite on a fresh member of each, answers compared modulo the
//! normalizer's list. A difference that is not in the list fails the test; the summary is printed either way.
//! With one version installed, it is compared with itself (two fresh members): that still catches cases whose
//! answers vary from run to run, which the normalizer would have to name (`CONFORMANCE_SELF=1` asks for that
//! even when both versions are installed).

mod common;

use etcd_conformance::normalize::VERSION_DIFFERENCES;
use etcd_conformance::suite::summary_from_env;
use etcd_conformance::targets::{etcd_or_skip, fresh_cluster, label, loud, other_version};

use etcd_conformance::cases;

use common::{Fresh, compare_fresh_groups};

#[test]
fn etcd_3_4_and_3_5_answer_alike() {
    let Some(found) = etcd_or_skip("etcd_3_4_and_3_5_answer_alike") else { return };
    // CONFORMANCE_SELF=1 compares the found version with itself even when another is installed.
    let other = other_version(&found).filter(|_| std::env::var_os("CONFORMANCE_SELF").is_none());
    if other.is_none() {
        loud(&format!(
            "\n!!!!!!!! etcd-conformance: etcd {} is compared with itself (CONFORMANCE_SELF is set, or no other \
             version is installed: the 3.4-vs-3.5 comparison needs both, /usr/bin/etcd and \
             target/etcd/<version>/etcd, see `cargo xtask etcd provision`) !!!!!!!!\n",
            found.version()
        ));
    }
    let other = other.unwrap_or_else(|| found.clone());
    let (older, newer) = if found.version_triple() <= other.version_triple() { (found, other) } else { (other, found) };
    let start = |binary: &etcd_testkit::EtcdBinary, members: usize| {
        let cluster = fresh_cluster(binary, members);
        Fresh { urls: cluster.endpoints(), _guard: Box::new(cluster) }
    };
    let summary = compare_fresh_groups(
        summary_from_env(&label(&older), &label(&newer)),
        cases::groups(),
        &|members| start(&older, members),
        &|members| start(&newer, members),
    );
    assert!(summary.requests >= 250, "fewer answers compared than the suite has: {}", summary.requests);
    assert!(summary.failed_answers.is_empty(), "answers missing:\n{summary}");
    if older.version_triple() != newer.version_triple() {
        for known in VERSION_DIFFERENCES {
            assert!(
                summary.version_dependent.contains_key(&(known.case.to_owned(), known.step)),
                "{} #{} is listed as a 3.4-vs-3.5 difference ({}), but both answered alike: take it off the list",
                known.case,
                known.step,
                known.reason
            );
        }
    } else {
        assert!(summary.version_dependent.is_empty(), "one version answered two ways:\n{summary}");
    }
    assert!(
        summary.differences.is_empty(),
        "{} and {} differ beyond the normalizer's list:\n{summary}",
        summary.servers.0,
        summary.servers.1
    );
}
