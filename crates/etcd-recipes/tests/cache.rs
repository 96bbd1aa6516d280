//! The cache against a real three-member cluster: it follows a directory through a member's death without a
//! gap, and reads it again when etcd no longer has the events its watch needs (401).

mod common;

/// Makes etcd forget every event so far, the v2 way: v2 keeps the last 1,000 events, so 1,120 writes elsewhere
/// (through `writer`, over the members `_writers`) push them out.
async fn forget_events(_cluster: &etcd_testkit::Cluster, _writers: [usize; 2], writer: &etcd_keys::KeysApi) {
    let writes: Vec<_> = (0..8)
        .map(|w| {
            let writer = writer.clone();
            tokio::spawn(async move {
                for i in 0..140 {
                    writer.set(&format!("/elsewhere/{w}"), &i.to_string(), None).await.unwrap();
                }
            })
        })
        .collect();
    for write in writes {
        write.await.unwrap();
    }
}

include!("suites/cache.rs");
