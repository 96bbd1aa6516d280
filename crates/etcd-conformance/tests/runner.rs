//! The runner against scripted servers (no etcd): streams split anywhere, quiet streams, bodies that are not
//! Go's encoding, and what goes on the wire (credentials, content type, expanded indexes).

use std::time::Duration;

use etcd_conformance::{Body, Case, Runner};
use etcd_testkit::{ScriptedRequest, ScriptedServer, Step};

fn head(status: &str, extra: &str) -> Step {
    Step::text(format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Etcd-Index: 40\r\n{extra}"))
}

/// Index 40 to the runner's probe, then `script` for the case's own requests.
fn server(script: impl Fn(&ScriptedRequest) -> Vec<Step> + Send + Sync + 'static) -> ScriptedServer {
    ScriptedServer::start(move |request| {
        if request.target() == "/v2/keys/" {
            return vec![head("200 OK", "Content-Length: 2\r\n\r\n"), Step::text("{}")];
        }
        script(request)
    })
}

fn run(server: &ScriptedServer, case: &Case) -> etcd_conformance::Recording {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), Runner::new(&server.url()).run(case))
            .await
            .expect("the runner is bounded")
            .expect("the case runs")
    })
}

#[test]
fn stream_events_split_anywhere_are_read_whole_and_a_quiet_stream_is_recorded_as_such() {
    let events =
        r#"{"action":"set","node":{"key":"/a","modifiedIndex":41}}{"action":"delete","node":{"key":"/a"}}{"act"#;
    let (first, rest) = events.split_at(20);
    let (second, third) = rest.split_at(45);
    let (first, second, third) = (first.to_owned(), second.to_owned(), third.to_owned());
    let server = server(move |_| {
        vec![
            head("200 OK", "Transfer-Encoding: chunked\r\n\r\n"),
            Step::chunk(&first),
            Step::Stall(Duration::from_millis(50)),
            Step::chunk(&second),
            Step::chunk(&third),
            Step::Stall(Duration::from_secs(5)),
        ]
    });
    let case = Case::new("s").start_stream_quiet_after("s", "/v2/keys/a?wait=true&stream=true", 3, 500).collect("s");
    let recording = run(&server, &case);
    assert_eq!(recording.start_index, 40);
    match &recording.exchanges[0].body {
        Body::PartialEvents { events, then } => {
            assert_eq!(events.len(), 2, "{events:?}");
            assert_eq!(events[1].get("action").and_then(|a| a.as_str()), Some("delete"));
            assert_eq!(then, "quiet");
        }
        other => panic!("not a partial stream: {other:?}"),
    }
}

#[test]
fn a_body_not_as_go_writes_it_is_flagged_and_the_request_is_sent_as_written() {
    let server = server(|_| {
        let body = "{\"action\": \"get\",\"v\":\"<\"}\n";
        vec![head("200 OK", &format!("Content-Length: {}\r\n\r\n", body.len())), Step::text(body)]
    });
    let case = Case::new("c").as_user("PUT", "/v2/keys/a?prevIndex={i+2}", Some("value=1"), "root", "pw");
    let recording = run(&server, &case);
    let exchange = &recording.exchanges[0];
    assert_eq!(exchange.step, "PUT /v2/keys/a?prevIndex={i+2} value=1 (as root)");
    match &exchange.body {
        Body::Json { unusual_encoding: Some(raw), newline: true, .. } => assert!(raw.contains("\": \"get")),
        other => panic!("expected JSON flagged as unusual: {other:?}"),
    }
    let sent = server.requests().into_iter().find(|r| r.target() != "/v2/keys/").expect("the case's request");
    assert_eq!(sent.target(), "/v2/keys/a?prevIndex=42");
    assert_eq!(sent.header("authorization"), Some("Basic cm9vdDpwdw=="));
    assert_eq!(sent.header("content-type"), Some("application/x-www-form-urlencoded"));
}
