//! What a sync does with the endpoints, decided from scripted member lists (a transport answering
//! `/v2/members` and `/v2/members/leader` from a table): order, pin, fallback, and the cases that must leave the
//! endpoints alone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use etcd_members::{ClusterSync, MemberErrorKind, SelectionMode, SyncOptions};
use etcd_transport::{Body, Client, RequestBody};
use http::{Request, Response};
use serde_json::json;
use tower::service_fn;

/// The members the scripted cluster lists, as (id, client URLs), and the leader's index.
#[derive(Clone, Default)]
struct Script {
    members: Vec<(u64, Vec<&'static str>)>,
    leader: usize,
}

fn member_json((id, urls): &(u64, Vec<&'static str>)) -> serde_json::Value {
    json!({"id": format!("{id:x}"), "name": format!("m{id}"), "peerURLs": [format!("http://peer:{id}")], "clientURLs": urls})
}

/// A client over `endpoints` (in order) whose transport answers from `script`.
fn scripted(endpoints: &[&str], script: &Arc<Mutex<Script>>) -> Client {
    let script = script.clone();
    let transport = service_fn(move |request: Request<RequestBody>| {
        let script = script.lock().unwrap().clone();
        async move {
            let body = match request.uri().path() {
                "/v2/members" => json!({"members": script.members.iter().map(member_json).collect::<Vec<_>>()}),
                "/v2/members/leader" => member_json(&script.members[script.leader]),
                other => panic!("unexpected request for {other}"),
            };
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(body.to_string())))
        }
    });
    Client::builder(endpoints.iter().copied()).shuffle_endpoints(false).transport(transport).build().unwrap()
}

fn script(members: Vec<(u64, Vec<&'static str>)>, leader: usize) -> Arc<Mutex<Script>> {
    Arc::new(Mutex::new(Script { members, leader }))
}

fn endpoints(client: &Client) -> Vec<String> {
    client.endpoints().unwrap().endpoints().iter().map(|e| e.as_str().to_owned()).collect()
}

fn pinned(client: &Client) -> String {
    client.endpoints().unwrap().pinned().as_str().to_owned()
}

fn three() -> Vec<(u64, Vec<&'static str>)> {
    vec![(1, vec!["http://a:1"]), (2, vec!["http://b:2"]), (3, vec!["http://c:3"])]
}

#[tokio::test]
async fn random_selection_keeps_order_and_pin_while_the_set_stays_and_repins_when_it_changes() {
    let cluster = script(three(), 0);
    let client = scripted(&["http://seed:9"], &cluster);
    let outcome = client.sync().await.unwrap();
    assert!(outcome.changed());
    let set: HashSet<String> = endpoints(&client).into_iter().collect();
    assert_eq!(set, ["http://a:1", "http://b:2", "http://c:3"].map(String::from).into());
    assert_eq!(pinned(&client), endpoints(&client)[0], "a changed set pins the first of its random order");

    // Whatever pin the calls moved to, and however often, an unchanged set keeps order and pin.
    let second = client.endpoints().unwrap().endpoints()[1].clone();
    client.endpoints().unwrap().pin_to(&second);
    let (order, pin) = (endpoints(&client), pinned(&client));
    for _ in 0..10 {
        assert!(!client.sync().await.unwrap().changed());
        assert_eq!((endpoints(&client), pinned(&client)), (order.clone(), pin.clone()));
    }

    // A fourth member: a new order and a new pin.
    cluster.lock().unwrap().members.push((4, vec!["http://d:4", "unix://etcd.sock"]));
    let outcome = client.sync().await.unwrap();
    assert!(outcome.changed());
    assert_eq!(endpoints(&client).len(), 4, "the unix socket is not an endpoint");
    assert_eq!(pinned(&client), endpoints(&client)[0]);
}

#[tokio::test]
async fn random_selection_spreads_clients_over_the_members() {
    let cluster = script(three(), 0);
    let mut orders = HashSet::new();
    for _ in 0..30 {
        let client = scripted(&["http://seed:9"], &cluster);
        client.sync().await.unwrap();
        orders.insert(endpoints(&client));
    }
    assert!(orders.len() > 1, "30 clients all got the same order: {orders:?}");
}

#[tokio::test]
async fn fallback_endpoints_come_after_the_members_and_are_never_dropped() {
    let cluster = script(three(), 0);
    let client = scripted(&["http://seed:9"], &cluster);
    let options = SyncOptions::new().fallback_endpoints(["http://seed:9", "http://b:2"]).unwrap();
    client.sync_with(&options).await.unwrap();
    let now = endpoints(&client);
    assert_eq!(now.len(), 4, "{now:?}");
    assert_eq!(now[3], "http://seed:9", "fallback last, and b once");

    // Members that advertise nothing usable: the fallback alone.
    cluster.lock().unwrap().members = vec![(1, vec!["unix://a.sock"]), (2, vec![])];
    client.sync_with(&options).await.unwrap();
    assert_eq!(endpoints(&client), ["http://seed:9", "http://b:2"]);
}

#[tokio::test]
async fn leader_first_pins_the_leader_in_the_members_order() {
    let cluster = script(three(), 1);
    let client = scripted(&["http://a:1"], &cluster);
    let leader_first = SyncOptions::new().selection_mode(SelectionMode::LeaderFirst);
    let outcome = client.sync_with(&leader_first).await.unwrap();
    assert_eq!(endpoints(&client), ["http://a:1", "http://b:2", "http://c:3"]);
    assert_eq!((pinned(&client), outcome.pinned().as_str()), ("http://b:2".to_owned(), "http://b:2"));

    cluster.lock().unwrap().leader = 2;
    let outcome = client.sync_with(&leader_first).await.unwrap();
    assert!(!outcome.changed());
    assert_eq!(pinned(&client), "http://c:3", "the pin follows the leader");
}

#[tokio::test]
async fn nothing_usable_leaves_the_endpoints_as_they_were() {
    let cluster = script(vec![(1, vec!["unix://a.sock"]), (2, vec![])], 0);
    let client = scripted(&["http://seed:9"], &cluster);
    let error = client.sync().await.unwrap_err();
    assert_eq!(error.as_member().map(|e| e.kind()), Some(MemberErrorKind::NoClientUrl), "{error}");
    assert!(error.to_string().contains("unix://a.sock"), "{error}");
    assert_eq!(endpoints(&client), ["http://seed:9"]);

    // A leader whose only URL is a socket: no pin to give, and no change.
    let cluster = script(vec![(1, vec!["unix://a.sock"]), (2, vec!["http://b:2"])], 0);
    let client = scripted(&["http://seed:9"], &cluster);
    let leader_first = SyncOptions::new().selection_mode(SelectionMode::LeaderFirst);
    let error = client.sync_with(&leader_first).await.unwrap_err();
    assert_eq!(error.as_member().map(|e| e.kind()), Some(MemberErrorKind::NoClientUrl), "{error}");
    assert_eq!(endpoints(&client), ["http://seed:9"]);

    // A client made with Client::new has no endpoints to sync.
    let bare = Client::new(service_fn(|_: Request<RequestBody>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Body::from("{}")))
    }));
    assert!(bare.sync().await.unwrap_err().is_invalid_request());
}
