//! SRV discovery against a DNS server on loopback started by the test (a small UDP responder answering SRV
//! queries from a table, NXDOMAIN otherwise), and end to end against a real etcd member found that way.

#![cfg(feature = "srv")]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use common::{blocking, turn};
use etcd_keys::KeysApi;
use etcd_members::{DiscoveryError, SrvDiscovery};
use etcd_testkit::cluster_or_skip;
use hickory_resolver::Name;
use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::SRV;
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// A DNS server on 127.0.0.1 answering SRV queries for the names of its table; stops when dropped.
struct DnsServer {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `(name, [(priority, weight, port, target)])`.
type Zone<'a> = &'a [(&'a str, &'a [(u16, u16, u16, &'a str)])];

async fn dns_server(zone: Zone<'_>) -> DnsServer {
    let table: HashMap<String, Vec<SRV>> = zone
        .iter()
        .map(|(name, records)| {
            let srvs = records
                .iter()
                .map(|&(priority, weight, port, target)| {
                    SRV::new(priority, weight, port, Name::from_ascii(target).unwrap())
                })
                .collect();
            (name.to_ascii_lowercase(), srvs)
        })
        .collect();
    let table = Arc::new(table);
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        loop {
            let Ok((len, from)) = socket.recv_from(&mut buffer).await else { return };
            let Ok(query) = Message::from_vec(&buffer[..len]) else { continue };
            let mut answer = Message::new();
            answer
                .set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(OpCode::Query)
                .set_authoritative(true)
                .set_recursion_desired(query.recursion_desired());
            answer.add_queries(query.queries().to_vec());
            let asked = query.queries().first().filter(|q| q.query_type() == RecordType::SRV);
            match asked.and_then(|q| table.get(&q.name().to_ascii().to_ascii_lowercase()).map(|srvs| (q, srvs))) {
                Some((q, srvs)) => {
                    for srv in srvs {
                        answer.add_answer(Record::from_rdata(q.name().clone(), 60, RData::SRV(srv.clone())));
                    }
                }
                None => {
                    answer.set_response_code(ResponseCode::NXDomain);
                }
            }
            let _ = socket.send_to(&answer.to_vec().unwrap(), from).await;
        }
    });
    DnsServer { address, task }
}

const ZONE: Zone<'static> = &[
    ("_etcd-client-ssl._tcp.example.test.", &[(20, 0, 2379, "b.example.test."), (10, 5, 2379, "a.example.test.")]),
    ("_etcd-client._tcp.example.test.", &[(10, 1, 2380, "c.example.test."), (10, 9, 2381, "d.example.test.")]),
    ("_etcd-client-prod._tcp.example.test.", &[(0, 0, 4001, "e.example.test.")]),
];

#[tokio::test]
async fn https_records_then_http_records_each_by_priority_then_weight() {
    let dns = dns_server(ZONE).await;
    let discovery = SrvDiscovery::with_name_servers(&[dns.address]);
    let expected = [
        "https://a.example.test:2379",
        "https://b.example.test:2379",
        "http://d.example.test:2381",
        "http://c.example.test:2380",
    ];
    assert_eq!(discovery.discover("example.test", None).await.unwrap(), expected);
    assert_eq!(discovery.discover("example.test.", None).await.unwrap(), expected, "a trailing dot is the same");
    // With a service name, only that service's records; its https records are missing, which is fine.
    assert_eq!(discovery.discover("example.test", Some("prod")).await.unwrap(), ["http://e.example.test:4001"]);
}

#[tokio::test]
async fn no_record_at_all_is_an_error_naming_both_lookups() {
    let dns = dns_server(ZONE).await;
    let discovery = SrvDiscovery::with_name_servers(&[dns.address]);
    let error = discovery.discover("nothing.test", None).await.unwrap_err();
    let DiscoveryError::NotFound { lookups } = &error else { panic!("{error:?}") };
    let names: Vec<&str> = lookups.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["_etcd-client-ssl._tcp.nothing.test.", "_etcd-client._tcp.nothing.test."]);
    let text = error.to_string();
    assert!(text.starts_with("no etcd client SRV records: _etcd-client-ssl._tcp.nothing.test.: "), "{text}");

    let label = "x".repeat(64);
    let error = discovery.discover(&format!("{label}.test"), None).await.unwrap_err();
    assert!(matches!(error, DiscoveryError::InvalidName { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_built_from_discovered_endpoints_reaches_etcd() {
    let _turn = turn().await;
    let Some(cluster) = blocking(|| cluster_or_skip(1)) else { return };
    let port = cluster.member(0).client_addr().port();
    let records = [(0, 0, port, "127.0.0.1.")];
    let zone: Zone<'_> = &[("_etcd-client._tcp.cluster.test.", &records)];
    let dns = dns_server(zone).await;

    let endpoints = SrvDiscovery::with_name_servers(&[dns.address]).discover("cluster.test", None).await.unwrap();
    assert_eq!(endpoints, [cluster.member(0).client_url()]);
    let keys = KeysApi::new(common::client(endpoints));
    keys.set("/srv/found", "yes", None).await.unwrap();
    assert_eq!(keys.get("/srv/found", None).await.unwrap().node.value, "yes");
}
