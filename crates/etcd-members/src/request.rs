//! Each call as the exact HTTP request etcd expects: method, path relative to the endpoint, JSON body, and
//! whether a replay is harmless.

use etcd_core::{InvalidRequest, InvalidRequestKind, MemberId};
use etcd_transport::rotation::SendTo;
use etcd_transport::{Endpoint, Idempotency, RequestBody};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request};

const MEMBERS: &str = "/v2/members";
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// `GET /v2/members`.
pub(crate) fn list() -> Request<RequestBody> {
    read(MEMBERS)
}

/// `GET /v2/members/leader`: the leader as the answering member sees it.
pub(crate) fn leader() -> Request<RequestBody> {
    read("/v2/members/leader")
}

/// `POST /v2/members` with the new member's peer URLs, checked first. Not replayed: a second add of the same
/// URLs would fail with "peer URL exists" although the first one worked.
pub(crate) fn add<I, S>(peer_urls: I) -> Result<Request<RequestBody>, InvalidRequest>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let body = peer_urls_body(peer_urls)?;
    Ok(write(Method::POST, MEMBERS.to_owned(), Some(body), Idempotency::NonIdempotentWrite))
}

/// `DELETE /v2/members/<id>`. A replay is harmless: etcd answers 410 Gone for a member already removed, which
/// the API counts as done (as the Go client does).
pub(crate) fn remove(id: MemberId) -> Request<RequestBody> {
    write(Method::DELETE, format!("{MEMBERS}/{id}"), None, Idempotency::ReplaySafeWrite)
}

/// `PUT /v2/members/<id>` with the member's new peer URLs, checked first. A replay is harmless: etcd compares the
/// URLs with the other members' only.
pub(crate) fn update<I, S>(id: MemberId, peer_urls: I) -> Result<Request<RequestBody>, InvalidRequest>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let body = peer_urls_body(peer_urls)?;
    Ok(write(Method::PUT, format!("{MEMBERS}/{id}"), Some(body), Idempotency::IdempotentWrite))
}

/// `GET path` (`/version`, `/health`, `/v2/stats/self`, ...), to `endpoint` alone when given.
pub(crate) fn info(path: &'static str, endpoint: Option<&Endpoint>) -> Request<RequestBody> {
    let mut request = read(path);
    if let Some(endpoint) = endpoint {
        request.extensions_mut().insert(SendTo(endpoint.clone()));
    }
    request
}

fn read(path: &str) -> Request<RequestBody> {
    let mut request = Request::get(path).body(RequestBody::empty()).expect("a constant path is a valid URI");
    request.extensions_mut().insert(Idempotency::Read);
    request
}

fn write(method: Method, path: String, json: Option<String>, idempotency: Idempotency) -> Request<RequestBody> {
    let mut request = Request::builder().method(method).uri(path);
    if json.is_some() {
        request = request.header(CONTENT_TYPE, JSON);
    }
    let body = json.map_or_else(RequestBody::empty, RequestBody::from);
    let mut request = request.body(body).expect("a member ID in hexadecimal is a valid path");
    request.extensions_mut().insert(idempotency);
    request
}

/// `{"peerURLs":[...]}`, each URL checked as etcd would (the Go client's `types.NewURLs`), so that a typo is
/// refused before it reaches the cluster.
fn peer_urls_body<I, S>(peer_urls: I) -> Result<String, InvalidRequest>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let urls = peer_urls
        .into_iter()
        .map(|url| check_peer_url(url.as_ref().trim()).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Err(InvalidRequest::new(InvalidRequestKind::Options, "a member needs at least one peer URL"));
    }
    Ok(serde_json::json!({ "peerURLs": urls }).to_string())
}

/// A peer URL etcd accepts: `http://host:port` or `https://host:port` (a port, no path, query or credentials),
/// or a `unix://` or `unixs://` socket.
pub(crate) fn check_peer_url(url: &str) -> Result<&str, InvalidRequest> {
    // Named without the password of a mistaken `user:pass@`.
    let bad = |why: &str| {
        InvalidRequest::new(InvalidRequestKind::Options, format!("peer URL {:?}: {why}", Endpoint::redact(url)))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad("no scheme; write http://host:port"));
    };
    match scheme {
        "unix" | "unixs" if !rest.is_empty() => return Ok(url),
        "unix" | "unixs" => return Err(bad("no socket path")),
        "http" | "https" => {}
        _ => return Err(bad("the scheme must be http, https, unix or unixs")),
    }
    if rest.contains(['/', '?', '#']) {
        return Err(bad("a peer URL has no path, query or fragment"));
    }
    if rest.contains('@') {
        return Err(bad("a peer URL has no credentials"));
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once("]:") {
            Some((host, port)) => (host, port),
            None => return Err(bad("the address is not of the form host:port")),
        },
        None => match rest.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, port),
            _ => return Err(bad("the address is not of the form host:port")),
        },
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("no host"));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) || !port.parse::<u16>().is_ok_and(|p| p != 0) {
        return Err(bad("the port is not a number from 1 to 65535"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(request: &Request<RequestBody>) -> serde_json::Value {
        serde_json::from_slice(request.body().as_bytes()).unwrap()
    }

    #[test]
    fn requests_are_what_etcd_reads() {
        let add = add(["http://127.0.0.1:2380", " https://[::1]:2381 "]).unwrap();
        assert_eq!((add.method(), add.uri().path()), (&Method::POST, "/v2/members"));
        assert_eq!(add.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(body(&add), serde_json::json!({"peerURLs": ["http://127.0.0.1:2380", "https://[::1]:2381"]}));
        assert_eq!(add.extensions().get::<Idempotency>(), Some(&Idempotency::NonIdempotentWrite));

        let id = MemberId::new(0x06e4_d4a5_3cda_d343);
        let update = update(id, ["unix://etcd.sock"]).unwrap();
        assert_eq!((update.method(), update.uri().path()), (&Method::PUT, "/v2/members/6e4d4a53cdad343"));
        assert_eq!(update.extensions().get::<Idempotency>(), Some(&Idempotency::IdempotentWrite));
        let remove = remove(id);
        assert_eq!((remove.method(), remove.uri().path()), (&Method::DELETE, "/v2/members/6e4d4a53cdad343"));
        assert!(remove.body().as_bytes().is_empty() && !remove.headers().contains_key(CONTENT_TYPE));

        assert_eq!(list().uri(), "/v2/members");
        assert_eq!(leader().extensions().get::<Idempotency>(), Some(&Idempotency::Read));
        let endpoint = Endpoint::parse("http://127.0.0.1:2379").unwrap();
        let health = info("/health", Some(&endpoint));
        assert_eq!(health.extensions().get::<SendTo>(), Some(&SendTo(endpoint)));
        assert!(info("/version", None).extensions().get::<SendTo>().is_none());
    }

    #[test]
    fn bad_peer_urls_are_refused_before_sending() {
        for bad in [
            "127.0.0.1:2380",
            "ftp://h:1",
            "http://h",
            "http://h:",
            "http://h:0",
            "http://h:70000",
            "http://h:1/",
            "http://h:1/peer",
            "http://h:1?x=1",
            "http://u:p@h:1",
            "http://:1",
            "http://[::1]",
            "http://::1:2380",
            "unix://",
        ] {
            let error = add([bad]).unwrap_err();
            assert_eq!(error.kind(), InvalidRequestKind::Options, "{bad}");
            assert!(error.reason().contains(&format!("{:?}", Endpoint::redact(bad))), "{error}");
            assert!(!error.reason().contains("u:p@"), "{error}");
        }
        let none: [&str; 0] = [];
        assert!(add(none).unwrap_err().reason().contains("at least one peer URL"));
        assert!(update(MemberId::new(1), ["http://h:1", "nope"]).is_err());
    }
}
