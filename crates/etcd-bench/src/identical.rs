//! The fairness check: the library and the raw baseline put byte-identical requests on the wire (request line,
//! headers, body). Both send their workload requests to a loopback listener of this module that records the
//! bytes it receives and answers as etcd would; the two recordings must be equal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_keys::{GetOptions, KeysApi, WatcherOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::data::{Data, LIST_DIR, WATCH_DIR};
use crate::raw::{self, RawClient};

type Recorded = Arc<Mutex<Vec<Vec<u8>>>>;

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 1\r\nContent-Length: 48\r\n\r\n\
{\"action\":\"get\",\"node\":{\"key\":\"/k\",\"value\":\"v\"}}";
/// A streaming watch's answer: headers, then a body that never comes, so the watcher waits and asks nothing more.
const STREAM_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
/// The index the checked watch waits after.
const AFTER_INDEX: u64 = 41;

/// Checks that the library's get, set and recursive get of the workloads are the raw baseline's, byte for byte.
///
/// # Errors
/// A description of the first difference, or of what failed.
pub async fn check() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot listen: {e}"))?;
    let endpoint = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let recorded: Recorded = Arc::default();
    let server = tokio::spawn(serve(listener, recorded.clone()));
    let data = Data::new(&endpoint);

    let client = etcd_keys::Client::builder([endpoint.as_str()]).build().map_err(|e| e.to_string())?;
    let keys = KeysApi::new(client);
    for k in [0, data.small_keys.len() - 1] {
        keys.get(&data.small_keys[k], None).await.map_err(|e| format!("client get: {e}"))?;
        keys.set(&data.small_keys[k], &data.small_values[k], None).await.map_err(|e| format!("client set: {e}"))?;
    }
    keys.get(LIST_DIR, Some(GetOptions::new().with_recursive())).await.map_err(|e| format!("client list: {e}"))?;
    let ours = std::mem::take(&mut *recorded.lock().expect("not poisoned"));

    let raw = RawClient::new();
    for k in [0, data.small_keys.len() - 1] {
        raw.call(raw::get_request(&data.small_uris[k])).await?;
        raw.call(raw::set_request(&data.small_uris[k], &data.small_forms[k])).await?;
    }
    raw.call(raw::get_request(&data.list_uri)).await?;
    let theirs = std::mem::take(&mut *recorded.lock().expect("not poisoned"));

    if ours.len() != theirs.len() || ours.len() != 5 {
        server.abort();
        return Err(format!(
            "the listener saw {} client and {} raw requests, expected 5 each",
            ours.len(),
            theirs.len()
        ));
    }
    let watches = watch_requests(&keys, &raw, &data, &recorded).await;
    server.abort();
    let (our_watch, their_watch) = watches?;
    let ours = ours.into_iter().chain([our_watch]);
    let theirs = theirs.into_iter().chain([their_watch]);
    for (ours, theirs) in ours.zip(theirs) {
        if ours != theirs {
            return Err(format!(
                "the client's request differs from the baseline's:\n--- client\n{}\n--- raw\n{}",
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            ));
        }
    }
    Ok(())
}

/// The request of the watch workload's watcher (a recursive `Watcher` after an index) and the baseline's.
async fn watch_requests(
    keys: &KeysApi,
    raw: &RawClient,
    data: &Data,
    recorded: &Recorded,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let options = WatcherOptions::new().with_recursive().with_after_index(AFTER_INDEX);
    let mut watcher = keys.watcher(WATCH_DIR, Some(options));
    let waiting = tokio::spawn(async move { watcher.next().await.map(|item| item.map(drop)) });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while recorded.lock().expect("not poisoned").is_empty() {
        if tokio::time::Instant::now() >= deadline || waiting.is_finished() {
            waiting.abort();
            return Err("the client's watcher sent no request within 5 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    waiting.abort();
    let ours = std::mem::take(&mut *recorded.lock().expect("not poisoned"));
    drop(raw.watch(&data.watch_uri(WATCH_DIR, true, Some(AFTER_INDEX + 1))).await?);
    let theirs = std::mem::take(&mut *recorded.lock().expect("not poisoned"));
    match (<[_; 1]>::try_from(ours), <[_; 1]>::try_from(theirs)) {
        (Ok([ours]), Ok([theirs])) => Ok((ours, theirs)),
        (ours, theirs) => Err(format!(
            "the listener saw {} client and {} raw watch requests, expected 1 each",
            ours.map_or_else(|v| v.len(), |_| 1),
            theirs.map_or_else(|v| v.len(), |_| 1)
        )),
    }
}

/// Accepts connections and records every request on them, answering each as etcd answers a small get, or a
/// streaming watch.
async fn serve(listener: TcpListener, recorded: Recorded) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(record(stream, recorded.clone()));
    }
}

async fn record(mut stream: TcpStream, recorded: Recorded) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(head_end) = find(&buffer, b"\r\n\r\n").map(|at| at + 4) else {
            if read_more(&mut stream, &mut buffer).await? == 0 {
                return Ok(());
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            if read_more(&mut stream, &mut buffer).await? == 0 {
                return Ok(());
            }
        }
        let request: Vec<u8> = buffer.drain(..head_end + length).collect();
        let streaming = head.lines().next().is_some_and(|line| line.contains("stream=true"));
        recorded.lock().expect("not poisoned").push(request);
        stream.write_all(if streaming { STREAM_ANSWER } else { ANSWER }).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
