// The keys suite's cases, shared by every fixture that serves the keys API: real etcd with v2
// (`keys_against_etcd.rs`), the in-memory etcd (`etcd-fake/tests/keys_suite.rs`) and the v3 bridge
// (`etcd-v2v3/tests/keys_suite.rs`). Each includes this file after its own `etcd()` fixture, which returns a
// guard to hold and a `KeysApi`, and the imports below:
// `std::time::{Duration, Instant}` and `etcd_keys::{Action, CreateInOrderOptions, DeleteOptions, ErrorCode,
// GetOptions, KeysApi, MAX_TTL, PrevExist, SetOptions}`. One copy, so that a case fixed or added runs everywhere.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_get_create_update_and_their_errors() {
    let Some((_etcd, keys)) = etcd() else { return };

    let set = keys.set("/foo", "bar", None).await.unwrap();
    assert_eq!(set.action, Action::Set);
    assert_eq!((set.node.key.as_str(), set.node.value.as_str()), ("/foo", "bar"));
    assert_eq!(set.node.created_index, set.node.modified_index);
    assert!(set.index >= set.node.modified_index);
    assert!(set.prev_node.is_none());
    assert!(set.raft_index.is_some() && set.raft_term.is_some() && set.cluster_id.is_some());

    let got = keys.get("/foo", None).await.unwrap();
    assert_eq!(got.action, Action::Get);
    assert_eq!(got.node, set.node);

    let again = keys.set("/foo", "baz", None).await.unwrap();
    assert_eq!(again.prev_node.as_ref().unwrap().value, "bar");
    assert!(again.node.modified_index > set.node.modified_index);

    let exists = keys.create("/foo", "x").await.unwrap_err();
    assert!(exists.is_node_exist(), "{exists}");
    assert_eq!(exists.as_etcd().unwrap().cause(), Some("/foo"));

    let created = keys.create("/new", "fresh").await.unwrap();
    assert_eq!(created.action, Action::Create);

    let updated = keys.update("/new", "newer").await.unwrap();
    assert_eq!(updated.action, Action::Update);
    assert_eq!(updated.prev_node.unwrap().value, "fresh");

    let missing = keys.update("/missing", "x").await.unwrap_err();
    assert!(missing.is_key_not_found(), "{missing}");
    let missing = keys.get("/missing", None).await.unwrap_err();
    assert!(missing.is_key_not_found(), "{missing}");
    assert!(missing.as_etcd().unwrap().index() >= updated.node.modified_index);

    let quorum = keys.get("/new", Some(GetOptions::new().with_quorum())).await.unwrap();
    assert_eq!(quorum.node.value, "newer");

    let root = keys.get("/", None).await.unwrap();
    assert!(root.node.is_dir());
    let readonly = keys.set("/", "x", None).await.unwrap_err();
    assert_eq!(readonly.code(), Some(ErrorCode::ROOT_READ_ONLY), "{readonly}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_and_compare_and_delete() {
    let Some((_etcd, keys)) = etcd() else { return };
    let first = keys.set("/cas", "one", None).await.unwrap();

    let swapped = keys.set("/cas", "two", Some(SetOptions::new().with_prev_value("one"))).await.unwrap();
    assert_eq!(swapped.action, Action::CompareAndSwap);
    let failed = keys.set("/cas", "three", Some(SetOptions::new().with_prev_value("one"))).await.unwrap_err();
    assert!(failed.is_test_failed(), "{failed}");
    assert_eq!(failed.as_etcd().unwrap().cause(), Some("[one != two]"));

    let stale = SetOptions::new().with_prev_index(first.node.modified_index);
    assert!(keys.set("/cas", "x", Some(stale)).await.unwrap_err().is_test_failed());
    let fresh = SetOptions::new().with_prev_index(swapped.node.modified_index);
    assert_eq!(keys.set("/cas", "four", Some(fresh)).await.unwrap().node.value, "four");

    let must_exist = SetOptions::new().with_prev_exist(PrevExist::Exists);
    assert!(keys.set("/nope", "x", Some(must_exist.clone())).await.unwrap_err().is_key_not_found());
    let must_not = SetOptions::new().with_prev_exist(PrevExist::NotExists);
    assert!(keys.set("/cas", "x", Some(must_not)).await.unwrap_err().is_node_exist());

    let quiet = keys.set("/cas", "five", Some(must_exist.with_no_value_on_success())).await.unwrap();
    assert_eq!(quiet.action, Action::Update);
    assert_eq!(quiet.node.key, "", "etcd left the node out");
    assert_eq!(keys.get("/cas", None).await.unwrap().node.value, "five");

    let wrong = keys.delete("/cas", Some(DeleteOptions::new().with_prev_value("four"))).await.unwrap_err();
    assert!(wrong.is_test_failed(), "{wrong}");
    let current = keys.get("/cas", None).await.unwrap().node.modified_index;
    assert!(
        keys.delete("/cas", Some(DeleteOptions::new().with_prev_index(current + 100)))
            .await
            .unwrap_err()
            .is_test_failed()
    );
    let deleted =
        keys.delete("/cas", Some(DeleteOptions::new().with_prev_value("five").with_prev_index(current))).await.unwrap();
    assert_eq!(deleted.action, Action::CompareAndDelete);
    assert_eq!(deleted.prev_node.unwrap().value, "five");
    assert!(keys.delete("/cas", None).await.unwrap_err().is_key_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_expiry_rounding_refresh_and_removal() {
    let Some((_etcd, keys)) = etcd() else { return };

    let with_ttl = keys.set("/ttl", "v", Some(SetOptions::new().with_ttl(Duration::from_secs(1)))).await.unwrap();
    assert_eq!(with_ttl.node.ttl, Some(1));
    assert!(with_ttl.node.expiration_time().is_some(), "{:?}", with_ttl.node.expiration);
    // etcd expires keys on its own clock; poll, bounded, until it has.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match keys.get("/ttl", None).await {
            Err(e) if e.is_key_not_found() => break,
            Ok(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("the key did not expire in time: {other:?}"),
        }
    }

    // A sub-second TTL is rounded up to 1 s, never sent as ttl=0 (instant expiry).
    let short = keys.set("/short", "v", Some(SetOptions::new().with_ttl(Duration::from_millis(300)))).await.unwrap();
    assert_eq!(short.node.ttl, Some(1));
    assert_eq!(keys.get("/short", None).await.unwrap().node.value, "v");

    keys.set("/long", "v", Some(SetOptions::new().with_ttl(Duration::from_secs(100)))).await.unwrap();
    let refresh =
        SetOptions::new().with_refresh().with_ttl(Duration::from_secs(500)).with_prev_exist(PrevExist::Exists);
    let refreshed = keys.set("/long", "", Some(refresh)).await.unwrap();
    assert_eq!(refreshed.node.value, "v", "a refresh keeps the value");
    assert!(refreshed.node.ttl.unwrap() > 100, "{:?}", refreshed.node.ttl);

    let removed = keys.set("/long", "w", Some(SetOptions::new().with_ttl_removed())).await.unwrap();
    assert_eq!(removed.node.ttl, None);
    let read = keys.get("/long", None).await.unwrap();
    assert_eq!((read.node.ttl, read.node.expiration.as_deref(), read.node.value.as_str()), (None, None, "w"));

    let no_node = keys.set("/absent", "v", Some(SetOptions::new().with_ttl_removed())).await.unwrap_err();
    assert!(no_node.is_key_not_found(), "{no_node}");

    // The longest TTL the client sends is one etcd stores as it is: the node lives, a century from now.
    let century = keys.set("/century", "v", Some(SetOptions::new().with_ttl(MAX_TTL))).await.unwrap();
    let ttl = century.node.ttl.unwrap();
    assert!((MAX_TTL.as_secs() - 5..=MAX_TTL.as_secs()).contains(&ttl.unsigned_abs()), "{ttl}");
    assert_eq!(keys.get("/century", None).await.unwrap().node.value, "v");
    let past = keys.set("/past", "v", Some(SetOptions::new().with_ttl(MAX_TTL + Duration::from_secs(1)))).await;
    assert!(past.unwrap_err().is_invalid_request());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directories_listing_and_deletion() {
    let Some((_etcd, keys)) = etcd() else { return };
    let dir = keys.set("/dir", "", Some(SetOptions::new().with_dir())).await.unwrap();
    assert!(dir.node.is_dir());
    keys.set("/dir/b", "2", None).await.unwrap();
    keys.set("/dir/a", "1", None).await.unwrap();
    keys.set("/dir/sub/c", "3", None).await.unwrap();

    let flat = keys.get("/dir", Some(GetOptions::new().with_sort())).await.unwrap();
    let names: Vec<&str> = flat.node.nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(names, ["/dir/a", "/dir/b", "/dir/sub"]);
    assert!(flat.node.nodes[2].nodes.is_empty(), "not recursive");

    let tree = keys.get("/dir", Some(GetOptions::new().with_recursive().with_sort())).await.unwrap();
    let all: Vec<&str> = tree.node.walk().map(|n| n.key.as_str()).collect();
    assert_eq!(all, ["/dir", "/dir/a", "/dir/b", "/dir/sub", "/dir/sub/c"]);

    let under_file = keys.get("/dir/a/below", None).await.unwrap_err();
    assert!(under_file.is_not_dir(), "{under_file}");
    assert!(keys.set("/dir/a/below", "x", None).await.unwrap_err().is_not_dir());
    assert!(keys.set("/dir", "x", None).await.unwrap_err().is_not_file());
    assert!(keys.delete("/dir", None).await.unwrap_err().is_not_file());
    assert!(keys.delete("/dir", Some(DeleteOptions::new().with_dir())).await.unwrap_err().is_dir_not_empty());

    keys.set("/empty", "", Some(SetOptions::new().with_dir())).await.unwrap();
    assert!(keys.delete("/empty", Some(DeleteOptions::new().with_dir())).await.unwrap().node.is_dir());

    let gone = keys.delete("/dir", Some(DeleteOptions::new().with_recursive())).await.unwrap();
    assert_eq!(gone.action, Action::Delete);
    assert!(keys.get("/dir/sub/c", None).await.unwrap_err().is_key_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_in_order_makes_increasing_keys() {
    let Some((_etcd, keys)) = etcd() else { return };
    let mut created = Vec::new();
    for i in 0..5 {
        let r = keys.create_in_order("/queue", &format!("job{i}"), None).await.unwrap();
        assert_eq!(r.action, Action::Create);
        created.push(r.node.key);
    }
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(created, sorted, "in-order keys increase");
    let listed = keys.get("/queue", Some(GetOptions::new().with_sort())).await.unwrap();
    let values: Vec<&str> = listed.node.nodes.iter().map(|n| n.value.as_str()).collect();
    assert_eq!(values, ["job0", "job1", "job2", "job3", "job4"]);

    let ttl = CreateInOrderOptions::new().with_ttl(Duration::from_millis(1_500));
    let expiring = keys.create_in_order("/queue", "later", Some(ttl)).await.unwrap();
    assert_eq!(expiring.node.ttl, Some(2));

    keys.set("/file", "v", None).await.unwrap();
    let not_dir = keys.create_in_order("/file", "x", None).await.unwrap_err();
    assert!(not_dir.is_not_dir(), "{not_dir}");
}

/// Keys that a URL path cannot carry as they are round-trip byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_keys_round_trip() {
    let Some((_etcd, keys)) = etcd() else { return };
    let names = [
        "with space",
        "question?mark",
        "hash#tag",
        "100%",
        "%2F",
        "plus+sign",
        "a&b=c;d",
        "colon:at@bang!dollar$",
        "quote'paren(star)*comma,",
        "tilde~dash-under_dot.",
        "...",
        "ключ",
        "日本語",
        "emoji🔑🚀",
        "tab\there",
    ];
    for name in names {
        let key = format!("/awkward/{name}");
        let value = format!("value of {name} ?&=#%+");
        let set = keys.set(&key, &value, None).await.unwrap_or_else(|e| panic!("{key:?}: {e}"));
        assert_eq!(set.node.key, key);
        let got = keys.get(&key, None).await.unwrap();
        assert_eq!((got.node.key.as_str(), got.node.value.as_str()), (key.as_str(), value.as_str()));
        let swapped = keys.set(&key, "swapped", Some(SetOptions::new().with_prev_value(value.clone()))).await.unwrap();
        assert_eq!(swapped.action, Action::CompareAndSwap, "{key:?}: prevValue round-trips too");
    }
    let listed = keys.get("/awkward", None).await.unwrap();
    let mut listed: Vec<String> = listed.node.nodes.into_iter().map(|n| n.key).collect();
    let mut expected: Vec<String> = names.iter().map(|n| format!("/awkward/{n}")).collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "etcd stored exactly these keys, nothing else");

    let refused = keys.get("/awkward/../../etc", None).await.unwrap_err();
    assert!(refused.is_invalid_request(), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_api_stays_under_its_prefix() {
    let Some((_etcd, keys)) = etcd() else { return };
    let app = KeysApi::with_prefix(keys.client().clone(), "/apps/billing");
    let set = app.set("config/mode", "fast", None).await.unwrap();
    assert_eq!(set.node.key, "/apps/billing/config/mode");
    assert_eq!(keys.get("/apps/billing/config/mode", None).await.unwrap().node.value, "fast");
    assert_eq!(app.get("/config/mode", None).await.unwrap().node.value, "fast");
    app.delete("config", Some(DeleteOptions::new().with_recursive())).await.unwrap();
    assert!(keys.get("/apps/billing/config", None).await.unwrap_err().is_key_not_found());
}
