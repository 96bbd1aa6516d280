//! The in-memory fake (`etcd-fake`, served over HTTP on a loopback port) against the etcd the test kit finds
//! (`ETCD_BIN` selects 3.4 or 3.5): every case of the suite on a fresh pair per group, compared modulo the
//! normalizer. The differences still found are listed below with their reasons; the test fails when a new one
//! appears, and when a listed one is gone (fixed: take it off the list).

mod common;

use etcd_conformance::expected::{self, Expected};
use etcd_conformance::suite::summary_from_env;
use etcd_conformance::targets::{etcd_or_skip, fresh_cluster, label, loud};
use etcd_fake::FakeEtcd;

use etcd_conformance::cases;

use common::{Fresh, compare_fresh_groups};

/// What the fake still answers differently from etcd (3.4 and 3.5 alike), each with its reason. Found by this
/// test; the fake's own docs list some of them as choices.
const FAKE_DIFFERENCES: &[Expected] = &[
    Expected {
        case: "bad_requests",
        step: Some(9),
        category: "",
        at: "",
        reason: "GET /v3/kv/range: etcd 405 `Method Not Allowed` (its v3 gateway takes POST), the fake 404",
    },
    Expected {
        case: "get_empty_directory_and_special_names",
        step: Some(7),
        category: "",
        at: "",
        reason: "a path with `//`: etcd's Go mux answers 301 to the cleaned path (text/html), the fake serves it",
    },
    Expected {
        case: "more_option_combinations",
        step: Some(12),
        category: "",
        at: "",
        reason: "a path with `..`: etcd's Go mux answers 301 to the cleaned path, the fake serves it",
    },
    Expected {
        case: "stream_first_events",
        step: Some(6),
        category: "stream events",
        at: "",
        reason: "a stream from history: etcd sends the one event and keeps the connection open and quiet, the \
                 fake ends the stream",
    },
    Expected {
        case: "member_changes_refused",
        step: Some(3),
        category: "value",
        at: "message",
        reason: "a body that is not JSON: etcd Go's decoder message, the fake serde's",
    },
    Expected {
        case: "stats",
        step: Some(0),
        category: "field order",
        at: "",
        reason: "/v2/stats/self's fields in alphabetical order (a serde_json map), not etcd's",
    },
    Expected {
        case: "store_stats_count_operations",
        step: Some(18),
        category: "value",
        at: "",
        reason: "etcd counts a failed get for every request (its auth check reads /2/enabled) and a failed \
                 compare-and-delete as a success; the fake counts what happened",
    },
    Expected { case: "store_stats_count_operations", step: Some(20), category: "value", at: "", reason: "as #18" },
];

/// A fresh fake of `members` members on free loopback ports, on a runtime of its own (its TTLs run on that
/// runtime's real clock).
fn fresh_fake(members: usize, version: &(String, String)) -> Fresh {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    // Made inside the runtime, so that its expiry task runs there: TTLs expire when due, not at the next request.
    let (fake, served) = runtime.block_on(async {
        let fake = FakeEtcd::builder().members(members).version(version.0.clone(), version.1.clone()).build();
        let served = etcd_fake::serve(&fake).await.expect("serving the fake on a loopback port");
        (fake, served)
    });
    let urls = served.endpoints().to_vec();
    // Dropped in this order: the listeners and connections, the store, then the runtime that ran them.
    Fresh { urls, _guard: Box::new((served, fake, runtime)) }
}

/// The cluster version etcd reports for its binary's version: `3.4.0` for 3.4.23.
fn cluster_version(etcd: &etcd_testkit::EtcdBinary) -> String {
    etcd.version_triple().map_or_else(|| etcd.version().to_owned(), |(major, minor, _)| format!("{major}.{minor}.0"))
}

#[test]
fn the_fake_answers_as_etcd_does() {
    let Some(etcd) = etcd_or_skip("the_fake_answers_as_etcd_does") else { return };
    let start_etcd = |members: usize| {
        let cluster = fresh_cluster(&etcd, members);
        Fresh { urls: cluster.endpoints(), _guard: Box::new(cluster) }
    };
    // The fake answers as the etcd version it is told to be where 3.4 and 3.5 differ: told the version of the
    // etcd it is compared with, its version-dependent answers are compared too.
    let version = (etcd.version().to_owned(), cluster_version(&etcd));
    let summary = compare_fresh_groups(
        summary_from_env(&label(&etcd), "etcd-fake").same_version(),
        cases::groups(),
        &start_etcd,
        &|members| fresh_fake(members, &version),
    );
    assert!(summary.requests >= 250, "fewer answers compared than the suite has: {}", summary.requests);
    if let Err(report) = expected::check(&summary, FAKE_DIFFERENCES) {
        panic!("the fake's differences from {} are not the listed ones:\n{report}\n{summary}", summary.servers.0);
    }
    let listed: Vec<String> = FAKE_DIFFERENCES
        .iter()
        .map(|e| {
            format!(
                "  the fake differs: {} #{}: {}",
                e.case,
                e.step.map_or("*".to_owned(), |s| s.to_string()),
                e.reason
            )
        })
        .collect();
    loud(&listed.join("\n"));
}
