//! The workloads, and how one side (the library or the raw baseline) runs one of them.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use etcd_keys::{GetOptions, KeysApi};
use tokio::task::JoinSet;

use crate::data::{Data, LIST_DIR, LIST_KEYS};
use crate::measure::{Reading, Sample};
use crate::raw::{self, RawClient};
use crate::{follow, idle};

/// What one operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `get` of a small key.
    Get,
    /// `set` of a small key to a small value.
    Set,
    /// Recursive `get` of the 10,000-key directory.
    List,
    /// Decoding the 10,000-key listing's bytes, without the network.
    DecodeListing,
    /// A recursive watcher following a writer in another process (`in_flight` writes at a time): an operation is
    /// an event delivered.
    Watch,
    /// Watchers on distinct keys that never change, all open at once: an operation is a watcher registered, and
    /// what counts is the resident size they add.
    IdleWatchers,
}

/// A workload: an operation, how many are in flight, and how many the measured part runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Its name on the command line and in the report.
    pub name: &'static str,
    /// The operation.
    pub op: Op,
    /// Calls in flight on the one client; for a watch, the writer's writes in flight.
    pub in_flight: usize,
    /// Operations measured (before scaling).
    pub ops: usize,
}

/// Every workload, in report order. Counts are chosen so that each measured part lasts one to two seconds on the
/// reference machine.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "get", op: Op::Get, in_flight: 1, ops: 8_000 },
    Workload { name: "set", op: Op::Set, in_flight: 1, ops: 4_000 },
    Workload { name: "get-16", op: Op::Get, in_flight: 16, ops: 30_000 },
    Workload { name: "set-16", op: Op::Set, in_flight: 16, ops: 16_000 },
    Workload { name: "get-64", op: Op::Get, in_flight: 64, ops: 30_000 },
    Workload { name: "set-64", op: Op::Set, in_flight: 64, ops: 16_000 },
    Workload { name: "list-10k", op: Op::List, in_flight: 1, ops: 40 },
    Workload { name: "decode-10k", op: Op::DecodeListing, in_flight: 1, ops: 60 },
    Workload { name: "watch", op: Op::Watch, in_flight: 1, ops: 10_000 },
    Workload { name: "idle-watchers", op: Op::IdleWatchers, in_flight: 1_000, ops: 1_000 },
];

impl Workload {
    /// The workload called `name`.
    pub fn named(name: &str) -> Option<Workload> {
        WORKLOADS.iter().copied().find(|w| w.name == name)
    }

    /// The measured operation count after scaling, at least one per call in flight. The idle watchers are not
    /// scaled: their target is about 1,000.
    pub fn scaled_ops(&self, scale: f64) -> usize {
        if self.op == Op::IdleWatchers {
            return self.ops;
        }
        ((self.ops as f64 * scale).round() as usize).max(self.in_flight)
    }

    /// Operations run before measuring: connections opened, caches warm.
    pub fn warm_up_ops(&self) -> usize {
        match self.op {
            Op::Get | Op::Set => (self.in_flight * 20).max(500),
            Op::List | Op::DecodeListing => 3,
            Op::Watch | Op::IdleWatchers => 0,
        }
    }
}

/// Which client runs a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideKind {
    /// hyper-util with nothing around it.
    Raw,
    /// `etcd_keys::KeysApi` over `Client::builder(..).build()`: the default stack.
    Client,
    /// Diagnostic: the default stack without its per-attempt header timeout.
    ClientNoHeaderTimeout,
    /// Diagnostic: `KeysApi` over `Client::new(HyperTransport::new())`, no layers at all.
    ClientBare,
    /// `KeysApi` through the v2-over-v3 bridge (`etcd_v2v3::bridge`) over the default stack: the same calls
    /// answered from etcd's v3 API (get and set only).
    Bridge,
}

impl SideKind {
    /// The diagnostic variants of the client, run with `--variants`.
    pub const VARIANTS: [SideKind; 2] = [SideKind::ClientNoHeaderTimeout, SideKind::ClientBare];

    /// Parses a side's name.
    pub fn parse(text: &str) -> Option<SideKind> {
        [SideKind::Raw, SideKind::Client, SideKind::ClientNoHeaderTimeout, SideKind::ClientBare, SideKind::Bridge]
            .into_iter()
            .find(|side| side.as_str() == text)
    }

    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SideKind::Raw => "raw",
            SideKind::Client => "client",
            SideKind::ClientNoHeaderTimeout => "client-no-header-timeout",
            SideKind::ClientBare => "client-bare",
            SideKind::Bridge => "bridge",
        }
    }
}

impl fmt::Display for SideKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One side, ready to run operations.
pub enum Side {
    /// The baseline.
    Raw(RawClient),
    /// The library.
    Client(KeysApi),
}

impl Side {
    /// The side `kind` for a server at `endpoint`.
    pub fn new(kind: SideKind, endpoint: &str) -> Result<Side, String> {
        Ok(match kind {
            SideKind::Raw => Side::Raw(RawClient::new()),
            SideKind::Client => {
                let client = etcd_keys::Client::builder([endpoint]).build().map_err(|e| e.to_string())?;
                Side::Client(KeysApi::new(client))
            }
            SideKind::ClientNoHeaderTimeout => {
                let config = etcd_keys::Client::builder([endpoint]).without_header_timeout();
                Side::Client(KeysApi::new(config.build().map_err(|e| e.to_string())?))
            }
            SideKind::ClientBare => Side::Client(KeysApi::new(etcd_keys::Client::new(bare_transport(endpoint)?))),
            SideKind::Bridge => {
                let client = etcd_keys::Client::builder([endpoint]).build().map_err(|e| e.to_string())?;
                Side::Client(KeysApi::new(etcd_v2v3::bridge(client)))
            }
        })
    }

    /// Runs operation number `i` of kind `op` (network operations only). With `count`, returns how many nodes
    /// the answer holds; without, 0 (counting is for the warm-up's checks, not for the measured part).
    async fn run_op(&self, data: &Data, op: Op, i: usize, count: bool) -> Result<usize, String> {
        let k = Data::small(i);
        match self {
            Side::Raw(raw) => {
                let request = match op {
                    Op::Get => raw::get_request(&data.small_uris[k]),
                    Op::Set => raw::set_request(&data.small_uris[k], &data.small_forms[k]),
                    Op::List => raw::get_request(&data.list_uri),
                    Op::DecodeListing | Op::Watch | Op::IdleWatchers => return Err(format!("{op:?} is not a call")),
                };
                let response = raw.call(request).await?;
                Ok(if count { response.node_count() } else { 0 })
            }
            Side::Client(keys) => {
                let response = match op {
                    Op::Get => keys.get(&data.small_keys[k], None).await,
                    Op::Set => keys.set(&data.small_keys[k], &data.small_values[k], None).await,
                    Op::List => keys.get(LIST_DIR, Some(GetOptions::new().with_recursive())).await,
                    Op::DecodeListing | Op::Watch | Op::IdleWatchers => return Err(format!("{op:?} is not a call")),
                };
                let response = response.map_err(|e| e.to_string())?;
                Ok(if count { response.node.walk().count() } else { 0 })
            }
        }
    }
}

/// `HyperTransport` with only what it needs below `Client::new`: requests made absolute for `endpoint`.
fn bare_transport(endpoint: &str) -> Result<impl etcd_transport::Transport, String> {
    let base: http::Uri = endpoint.parse().map_err(|e| format!("bad endpoint {endpoint}: {e}"))?;
    let authority = base.authority().cloned().ok_or_else(|| format!("no host in {endpoint}"))?;
    Ok(tower::ServiceExt::map_request(
        etcd_transport::HyperTransport::new(),
        move |mut request: http::Request<etcd_transport::RequestBody>| {
            let path_and_query = request.uri().path_and_query().cloned();
            let mut uri = http::uri::Parts::default();
            uri.scheme = Some(http::uri::Scheme::HTTP);
            uri.authority = Some(authority.clone());
            uri.path_and_query = path_and_query;
            *request.uri_mut() = http::Uri::from_parts(uri).expect("a relative path and query under an http authority");
            request
        },
    ))
}

/// Runs `workload` on `side`: a warm-up, then the measured part, and returns the measured sample.
pub async fn run(side: Side, data: Data, workload: Workload, ops: usize) -> Result<Sample, String> {
    match workload.op {
        Op::DecodeListing => return decode_listing(&side, &data, workload.warm_up_ops(), ops).await,
        Op::Watch => return follow::run(&side, &data, workload, ops).await,
        Op::IdleWatchers => return idle::run(&side, &data, ops).await,
        Op::Get | Op::Set | Op::List => {}
    }
    let side = Arc::new(side);
    let data = Arc::new(data);
    let nodes = drive(&side, &data, workload, workload.warm_up_ops(), true).await?;
    if workload.op == Op::List && nodes != LIST_KEYS + 1 {
        return Err(format!("the listing read {nodes} nodes, expected {} (the directory and its keys)", LIST_KEYS + 1));
    }
    let before = Reading::now();
    drive(&side, &data, workload, ops, false).await?;
    let after = Reading::now();
    Ok(before.until(&after, ops as u64))
}

/// Runs `ops` operations with `workload.in_flight` of them in flight, each in-flight slot a task of its own
/// taking the next operation number when its call completes. With `count`, returns the most nodes one answer held.
async fn drive(
    side: &Arc<Side>,
    data: &Arc<Data>,
    workload: Workload,
    ops: usize,
    count: bool,
) -> Result<usize, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..workload.in_flight {
        let (side, data, next) = (side.clone(), data.clone(), next.clone());
        tasks.spawn(async move {
            let mut nodes = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ops {
                    return Ok::<_, String>(nodes);
                }
                nodes = nodes.max(side.run_op(&data, workload.op, i, count).await?);
            }
        });
    }
    let mut nodes = 0;
    while let Some(result) = tasks.join_next().await {
        nodes = nodes.max(result.map_err(|e| format!("a worker task failed: {e}"))??);
    }
    Ok(nodes)
}

/// Fetches the listing's bytes once, then decodes them `ops` times as this side decodes an answer.
async fn decode_listing(side: &Side, data: &Data, warm_up: usize, ops: usize) -> Result<Sample, String> {
    let (status, headers, body) = RawClient::new().send(raw::get_request(&data.list_uri)).await?;
    let decode_once = |count: bool| -> Result<usize, String> {
        match side {
            Side::Raw(_) => {
                let response = raw::decode(status, &headers, &body)?;
                Ok(if count { response.node_count() } else { 0 })
            }
            Side::Client(_) => {
                let response = etcd_core::decode::response(status, &headers, &body).map_err(|e| e.to_string())?;
                Ok(if count { response.node.walk().count() } else { 0 })
            }
        }
    };
    for _ in 0..warm_up {
        let nodes = decode_once(true)?;
        if nodes != LIST_KEYS + 1 {
            return Err(format!("the listing decoded to {nodes} nodes, expected {}", LIST_KEYS + 1));
        }
    }
    let before = Reading::now();
    for _ in 0..ops {
        decode_once(false)?;
    }
    let after = Reading::now();
    Ok(before.until(&after, ops as u64))
}
