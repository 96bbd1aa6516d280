//! A scripted hostile server: an HTTP listener on loopback that answers each request with the raw bytes of a
//! script (headers, chunked pieces, stalls, a close), for the failures a real etcd will not produce on demand.
//!
//! Plain threads and `std::net`, so that it serves tests on any runtime (or none) and adds no dependency.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// One step of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes as they are (a status line, headers, a chunk, garbage).
    Write(Vec<u8>),
    /// Send nothing for this long.
    Stall(Duration),
    /// Close the connection now (the rest of the script is not played).
    Close,
    /// Send nothing more and keep the connection open until the client closes it (a server that stalls for
    /// ever; the rest of the script is not played).
    HoldOpen,
    /// Write these bytes again and again, as fast as the client reads, until it closes the connection (an
    /// endless body; the rest of the script is not played).
    Repeat(Vec<u8>),
}

impl Step {
    /// [`Step::Write`] of a text.
    pub fn text(text: impl Into<String>) -> Step {
        Step::Write(text.into().into_bytes())
    }

    /// One piece of a `Transfer-Encoding: chunked` body: its size in hexadecimal, the bytes, CRLF.
    pub fn chunk(data: impl AsRef<[u8]>) -> Step {
        let data = data.as_ref();
        let mut bytes = format!("{:x}\r\n", data.len()).into_bytes();
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(b"\r\n");
        Step::Write(bytes)
    }
}

/// A request as the server read it: its head only (request line and headers).
#[derive(Clone, Debug)]
pub struct ScriptedRequest {
    /// The request line and headers, as sent (lossy UTF-8), without the final blank line.
    pub head: String,
}

impl ScriptedRequest {
    /// The request target (`/v2/keys/k?wait=true`).
    pub fn target(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or_default()
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

type Script = dyn Fn(&ScriptedRequest) -> Vec<Step> + Send + Sync;

/// A loopback HTTP server playing a script for each request; stopped when dropped (connections in flight play
/// their script to its end or close).
///
/// # Examples
/// ```
/// use etcd_testkit::{ScriptedServer, Step};
/// let server = ScriptedServer::start(|request| {
///     vec![Step::text(format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n", request.target()))]
/// });
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// ```
pub struct ScriptedServer {
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<ScriptedRequest>>>,
}

/// The longest request head read; a client that sends more is cut off.
const MAX_HEAD: usize = 256 * 1024;

impl ScriptedServer {
    /// Listens on `127.0.0.1:0` and answers every request with `script(request)`. Requests on a connection
    /// kept alive are read one after another; a request body is not read (scripts answer GETs and small forms).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(script: impl Fn(&ScriptedRequest) -> Vec<Step> + Send + Sync + 'static) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("the listener's address");
        let stopping = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (stop, log) = (stopping.clone(), requests.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (script, log) = (script.clone(), log.clone());
                thread::spawn(move || {
                    let _ = serve(stream, &*script, &log);
                });
            }
        });
        ScriptedServer { address, stopping, requests }
    }

    /// The server's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The requests read so far, in order.
    pub fn requests(&self) -> Vec<ScriptedRequest> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
    }
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer").field("url", &self.url()).finish_non_exhaustive()
    }
}

fn serve(mut stream: TcpStream, script: &Script, log: &Mutex<Vec<ScriptedRequest>>) -> io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let head = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                buffer.drain(..end + 4);
                break head;
            }
            if buffer.len() > MAX_HEAD {
                return Ok(());
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk)? {
                0 => return Ok(()),
                n => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let request = ScriptedRequest { head };
        log.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
        for step in script(&request) {
            match step {
                Step::Write(bytes) => stream.write_all(&bytes)?,
                Step::Stall(time) => thread::sleep(time),
                Step::Close => return Ok(()),
                Step::HoldOpen => {
                    let mut sink = [0u8; 4096];
                    while stream.read(&mut sink)? > 0 {}
                    return Ok(());
                }
                Step::Repeat(bytes) => loop {
                    stream.write_all(&bytes)?;
                },
            }
        }
    }
}
