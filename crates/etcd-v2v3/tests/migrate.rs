//! Copying a v2 tree into the bridge's layout on a real etcd that serves both APIs (the in-place move before
//! v2 is turned off): values, directories and TTLs arrive, a second run changes nothing, a run after a change
//! copies only it, and the verification names what differs. Skips loudly without etcd; fails when
//! `ETCD_REQUIRED=1`.

use std::time::Duration;

use etcd_keys::{Client, KeysApi, SetOptions};
use etcd_testkit::cluster_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_complete_idempotent_and_resumable() {
    let Some(etcd) = cluster_or_skip(1) else { return };
    let client = Client::builder(etcd.endpoints()).header_timeout_per_request(Duration::from_secs(5)).build().unwrap();
    let v2 = KeysApi::new(client.clone());
    let bridged = KeysApi::new(etcd_v2v3::bridge(client));

    v2.set("/app/config/mode", "fast", None).await.unwrap();
    v2.set("/app/config/size", "3", None).await.unwrap();
    v2.set("/app/empty", "", Some(SetOptions::new().with_dir())).await.unwrap();
    v2.set("/app/session", "s", Some(SetOptions::new().with_ttl(Duration::from_secs(300)))).await.unwrap();
    v2.set("/top", "t", None).await.unwrap();

    let first = etcd_v2v3::copy_tree(&v2, &bridged, "/").await.unwrap();
    assert_eq!((first.copied, first.directories, first.unchanged, first.expired), (4, 3, 0, 0), "{first:?}");
    assert!(etcd_v2v3::verify_tree(&v2, &bridged, "/").await.unwrap().is_empty());
    let session = bridged.get("/app/session", None).await.unwrap();
    assert_eq!(session.node.value, "s");
    assert!(session.node.ttl.is_some_and(|ttl| ttl > 250 && ttl <= 300), "{:?}", session.node.ttl);
    assert!(bridged.get("/app/empty", None).await.unwrap().node.dir);

    let again = etcd_v2v3::copy_tree(&v2, &bridged, "/").await.unwrap();
    assert_eq!((again.copied, again.directories, again.unchanged), (0, 0, 7), "a second run changes nothing");

    v2.set("/app/config/size", "4", None).await.unwrap();
    let differences = etcd_v2v3::verify_tree(&v2, &bridged, "/").await.unwrap();
    assert_eq!(differences, [r#"/app/config/size: Some("4") became Some("3")"#]);
    let resumed = etcd_v2v3::copy_tree(&v2, &bridged, "/").await.unwrap();
    assert_eq!((resumed.copied, resumed.unchanged), (1, 6));
    assert!(etcd_v2v3::verify_tree(&v2, &bridged, "/").await.unwrap().is_empty());

    v2.delete("/top", None).await.unwrap();
    v2.set("/top/now-a-dir", "x", None).await.unwrap();
    let conflicted = etcd_v2v3::copy_tree(&v2, &bridged, "/").await.unwrap();
    assert_eq!(conflicted.conflicts, ["/top"], "a file here, a directory there: left alone");
}
