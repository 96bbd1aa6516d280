//! Just enough HTTP/1.0 to ask an etcd member whether it is ready, and to poke at it in the kit's own tests.
//!
//! Why not a client crate: the kit is synchronous (plain threads, no runtime), and a blocking client (ureq)
//! brings a TLS stack and some 20 crates into every test build for a probe that is 100 lines here, bounded in
//! time and size.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The status and body of an HTTP response.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// Upper bound on the size of a response we read (etcd's health and stats
/// answers are a few hundred bytes).
const MAX_RESPONSE: u64 = 1 << 20;

/// Sends one HTTP/1.0 request to `addr` and reads the whole response; every
/// step (connect, write, read) is bounded by `timeout`.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    form_body: Option<&str>,
    timeout: Duration,
) -> io::Result<Response> {
    send(addr, method, path, form_body.map(|body| ("application/x-www-form-urlencoded", body)), timeout)
}

/// Like [`request`], with a body of any content type (`(content type, body)`).
pub(crate) fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
    timeout: Duration,
) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some((content_type, body)) = body {
        req.push_str(&format!("Content-Type: {content_type}\r\n"));
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    } else {
        req.push_str("\r\n");
    }
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// `GET path`, see [`request`].
pub(crate) fn get(addr: SocketAddr, path: &str, timeout: Duration) -> io::Result<Response> {
    request(addr, "GET", path, None, timeout)
}

fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("bad HTTP response: {what}"));
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
    let status_line = head.lines().next().ok_or_else(|| bad("empty"))?;
    let mut parts = status_line.split_whitespace();
    let proto = parts.next().unwrap_or_default();
    if !proto.starts_with("HTTP/") {
        return Err(bad(status_line));
    }
    let status = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| bad(status_line))?;
    Ok(Response { status, body: body.to_string() })
}

/// Whether a `/health` body says the member is healthy
/// (`{"health":"true"}` in 3.4 and 3.5, possibly with a `reason` field).
pub(crate) fn is_healthy_body(body: &str) -> bool {
    body.replace(char::is_whitespace, "").contains("\"health\":\"true\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_responses() {
        let r = parse_response(
            b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"health\":\"true\",\"reason\":\"\"}",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert!(is_healthy_body(&r.body));
        let r = parse_response(
            b"HTTP/1.1 503 Service Unavailable\r\n\r\n{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}",
        )
        .unwrap();
        assert_eq!(r.status, 503);
        assert!(!is_healthy_body(&r.body));
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"SSH-2.0 x\r\n\r\n").is_err());
    }

    #[test]
    fn a_closed_port_is_an_error_not_a_hang() {
        let port = crate::cluster::free_ports(1).unwrap()[0];
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        assert!(get(addr, "/health", Duration::from_millis(500)).is_err());
    }
}
