//! The fake served over loopback HTTP by hyper: the client's default transport (real TCP) against it.

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Action, Client, KeysApi, WatcherOptions};
use etcd_members::MembersApi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_tcp_sees_the_fake_as_etcd() {
    let fake = FakeEtcd::builder().members(2).build();
    let served = etcd_fake::serve(&fake).await.unwrap();
    assert!(served.endpoints().iter().all(|e| e.starts_with("http://127.0.0.1:")), "{:?}", served.endpoints());
    let client = Client::builder(served.endpoints().to_vec())
        .header_timeout_per_request(Duration::from_secs(2))
        .build()
        .unwrap();
    let keys = KeysApi::new(client.clone());
    let set = keys.set("/over/http", "yes", None).await.unwrap();
    assert_eq!(set.action, Action::Set);
    assert_eq!(set.cluster_id.as_deref(), Some(fake.cluster_id().as_str()));

    let mut watcher = keys.watcher("/over", Some(WatcherOptions::new().with_recursive().with_after_index(set.index)));
    let write = keys.set("/over/next", "1", None).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), watcher.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(event.node.modified_index, write.node.modified_index);

    let members = MembersApi::new(client).list().await.unwrap();
    let urls: Vec<String> = members.iter().flat_map(|m| m.client_urls.clone()).collect();
    assert_eq!(urls, served.endpoints(), "the members list the served endpoints");

    fake.member(0).down();
    assert_eq!(keys.get("/over/http", None).await.unwrap().node.value, "yes", "failover to the second member");
    let first = served.endpoints()[0].clone();
    served.stop();
    let gone = KeysApi::new(Client::builder([first]).build().unwrap()).get("/over/http", None).await;
    assert!(gone.unwrap_err().is_cluster(), "stopped: nothing listens");
}
