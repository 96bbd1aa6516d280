//! The store alone: etcd's causes, indexes and quirks, operation by operation.

use super::*;
use etcd_v2_server::Ttl;

fn set(key: &str, value: &str) -> KeyOperation {
    KeyOperation::Set { key: key.into(), dir: false, value: value.into(), ttl: Ttl::default() }
}

fn error(result: Result<Event, V2Error>) -> (u32, String, u64) {
    let e = result.unwrap_err();
    (e.code.number(), e.cause, e.index)
}

#[tokio::test]
async fn errors_carry_etcds_causes_and_the_current_index() {
    let mut store = Store::new(3);
    store.apply(set("/a/b", "1")).unwrap();
    assert_eq!(store.index(), 4);
    let get = |key: &str| KeyOperation::Get { key: key.into(), recursive: false, sorted: false, quorum: false };
    assert_eq!(error(store.apply(get("/x"))), (100, "/x".into(), 4));
    assert_eq!(error(store.apply(get("/a/b/c"))), (104, "/a/b".into(), 4));
    assert_eq!(error(store.apply(set("/a/b/c", "1"))), (104, "/a/b".into(), 4));
    assert_eq!(error(store.apply(set("/a", "1"))), (102, "/a".into(), 4));
    assert_eq!(error(store.apply(set("/", "1"))), (107, "/".into(), 4));
    let cas = KeyOperation::CompareAndSwap {
        key: "/a/b".into(),
        prev_value: "x".into(),
        prev_index: 9,
        value: "2".into(),
        ttl: Ttl::default(),
    };
    assert_eq!(error(store.apply(cas)), (101, "[x != 1] [9 != 4]".into(), 4));
    let delete = KeyOperation::Delete { key: "/a".into(), dir: true, recursive: false };
    assert_eq!(error(store.apply(delete)), (108, "/a".into(), 4));
    let cad_root = KeyOperation::CompareAndDelete { key: "/".into(), prev_value: "x".into(), prev_index: 0 };
    assert_eq!(error(store.apply(cad_root)), (102, String::new(), 4), "the root's key is empty, as etcd trims it");
    assert_eq!(store.index(), 4, "failed writes take no index");
}

#[tokio::test]
async fn a_create_makes_the_missing_directories_with_its_own_index() {
    let mut store = Store::new(0);
    store.apply(set("/x/y", "1")).unwrap();
    let create = KeyOperation::Create {
        key: "/x/y".into(),
        dir: false,
        value: "2".into(),
        ttl: Ttl::default(),
        in_order: false,
    };
    assert_eq!(error(store.apply(create)), (105, "/x/y".into(), 1));
    let deep = KeyOperation::Create {
        key: "/new/dir/x/y".into(),
        dir: false,
        value: "1".into(),
        ttl: Ttl::default(),
        in_order: false,
    };
    store.apply(deep).unwrap();
    let listed = store
        .apply(KeyOperation::Get { key: "/new/dir".into(), recursive: false, sorted: true, quorum: false })
        .unwrap();
    let dir = listed.node.unwrap();
    assert_eq!(dir.created_index, 2, "intermediate directories take the index of the create");
}

#[tokio::test]
async fn a_deleted_directory_notifies_watchers_of_what_was_inside() {
    let mut store = Store::new(0);
    store.apply(set("/d/e/f", "1")).unwrap();
    let mut inside = store.watch("/d/e/f", false, false, 0).unwrap();
    let mut unrelated = store.watch("/other", false, false, 0).unwrap();
    store.apply(KeyOperation::Delete { key: "/d".into(), dir: true, recursive: true }).unwrap();
    let event = inside.events.try_recv().unwrap();
    assert_eq!((event.action, event.node.as_ref().unwrap().key.as_str()), (Action::Delete, "/d"));
    assert!(unrelated.events.try_recv().is_err());
    // From the history, a watch below the deleted directory finds the delete too (etcd's plain prefix test).
    let mut late = store.watch("/d/e/f", false, false, 2).unwrap();
    assert_eq!(late.events.try_recv().unwrap().action, Action::Delete);
}

#[tokio::test]
async fn a_full_watcher_is_dropped_as_etcd_drops_it() {
    let mut store = Store::new(0);
    let watch = store.watch("/k", false, true, 0).unwrap();
    for i in 0..101 {
        store.apply(set("/k", &i.to_string())).unwrap();
    }
    assert_eq!(store.watcher_count(), 0, "a hundred undelivered events: dropped");
    drop(watch);
}

#[tokio::test]
async fn a_huge_ttl_is_kept_without_overflow() {
    let mut store = Store::new(0);
    for seconds in [u64::MAX, i64::MAX as u64, 1 << 62, 1 << 40] {
        let ttl = Ttl { seconds: Some(seconds), refresh: false };
        let set = KeyOperation::Set { key: "/far".into(), dir: false, value: "v".into(), ttl };
        let event = store.apply(set).unwrap();
        assert_eq!(event.node.unwrap().value.as_deref(), Some("v"), "{seconds}");
        let get = KeyOperation::Get { key: "/far".into(), recursive: false, sorted: false, quorum: false };
        assert!(store.apply(get).is_ok());
    }
}
