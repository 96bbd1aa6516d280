//! The fairness check: the library and the raw baseline put byte-identical requests on the wire (request line,
//! headers, body). Both send their workload requests to a loopback listener of this module that records the
//! bytes it receives and answers as etcd would; the two recordings must be equal.

use std::sync::{Arc, Mutex};

use etcd_keys::{GetOptions, KeysApi};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::data::{Data, LIST_DIR};
use crate::raw::{self, RawClient};

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 1\r\nContent-Length: 48\r\n\r\n\
{\"action\":\"get\",\"node\":{\"key\":\"/k\",\"value\":\"v\"}}";

/// Checks that the library's get, set and recursive get of the workloads are the raw baseline's, byte for byte.
///
/// # Errors
/// A description of the first difference, or of what failed.
pub async fn check() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot listen: {e}"))?;
    let endpoint = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let recorded: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
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
    server.abort();

    if ours.len() != theirs.len() || ours.len() != 5 {
        return Err(format!(
            "the listener saw {} client and {} raw requests, expected 5 each",
            ours.len(),
            theirs.len()
        ));
    }
    for (ours, theirs) in ours.iter().zip(&theirs) {
        if ours != theirs {
            return Err(format!(
                "the client's request differs from the baseline's:\n--- client\n{}\n--- raw\n{}",
                String::from_utf8_lossy(ours),
                String::from_utf8_lossy(theirs)
            ));
        }
    }
    Ok(())
}

/// Accepts connections and records every request on them, answering each as etcd answers a small get.
async fn serve(listener: TcpListener, recorded: Arc<Mutex<Vec<Vec<u8>>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(record(stream, recorded.clone()));
    }
}

async fn record(mut stream: TcpStream, recorded: Arc<Mutex<Vec<Vec<u8>>>>) -> std::io::Result<()> {
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
        recorded.lock().expect("not poisoned").push(request);
        stream.write_all(ANSWER).await?;
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
