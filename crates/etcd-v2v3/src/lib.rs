//! The etcd v2 keys API on clusters that serve only v3. etcd 3.4 and 3.5 serve v2 only with
//! `--enable-v2=true`, and 3.6 removed it; [`bridge`] keeps code written against the v2 client working:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let v3 = etcd_transport::Client::builder(["http://127.0.0.1:2379"]).build()?;
//! let keys = etcd_keys::KeysApi::new(etcd_v2v3::bridge(v3));
//! keys.set("/jobs/42", "pending", None).await?;
//! # Ok(()) }
//! ```
//!
//! [`V3Store`] implements `etcd_v2_server::V2Store` by calling etcd's v3 JSON gateway (`/v3/kv/range`, `txn`,
//! `/v3/lease/grant|timetolive|keepalive`, the streaming `/v3/watch`, `/v3/cluster/member/list|add|remove|update`,
//! `/v3/maintenance/status`) through an inner `etcd_transport::Client`: endpoints, failover, timeouts and TLS
//! work as they do for v2, and each call is marked with its `Idempotency` (ranges are reads, transactions that
//! write are never replayed, the watch is a `LongPoll`). The v2 side (parsing requests, rendering etcd's
//! answers) is `etcd-v2-server`'s, shared with the in-memory etcd.
//!
//! Moving a v2 tree over: [`copy_tree`] copies values, directories and remaining TTLs into the bridge's layout,
//! idempotent and so resumable, and [`verify_tree`] compares both sides (the `migrate_v2_to_v3` example runs
//! them: `cargo run -p examples --example migrate_v2_to_v3 -- --from ENDPOINTS --to ENDPOINTS`).
//!
//! # Layout
//!
//! Under a prefix `P` (default [`DEFAULT_PREFIX`], `/etcd-v2v3`), each v2 node is two v3 keys written together
//! in one transaction, with the same value:
//!
//! | v3 key | for `/a/b` | why |
//! |---|---|---|
//! | `P/data<path>/` | `P/data/a/b/` | a node and everything below it is one prefix (`P/data/a/`, not `P/data/ab/`): recursive get, recursive delete and recursive watch are one range |
//! | `P/dirs<parent>/` + `/` + name | `P/dirs/a//b` | a directory's children are one prefix (`P/dirs/a//`): listing one level is one range, not a scan of everything below |
//!
//! A value is a header line then the v2 value: `<kind><action><expiry>\n<value>`, kind `f` (file) or `d`
//! (directory), the action that wrote it (`s`et, `c`reate, `u`pdate, compare-and-s`w`ap, `r`efresh: so a watch
//! names the v2 action and skips refreshes), and the expiry in milliseconds since the epoch when the node has a
//! TTL (so reads render `expiration` and `ttl` without asking the lease). A value without a header (written by
//! something else) reads as a file holding it.
//!
//! # Semantics
//!
//! - Indexes are revisions: `modifiedIndex` is the mod revision, `createdIndex` the create revision,
//!   `X-Etcd-Index` the answer's header revision (and `X-Raft-Index`, which v3 does not expose).
//! - A read of several keys (a node and its ancestors; a directory and its listing) is that many ranges sent
//!   together; when their answers saw different revisions, they are read again at the newest of those. Never a
//!   read-only transaction: etcd 3.5.0 to 3.5.4 panic on one whose client gave up on it (etcd#14110), which a
//!   client does to a frozen member at every header timeout: the member crashed when thawed.
//! - A write reads the key and its ancestors at one revision (ranges sent together, as above), decides as etcd's v2
//!   store does (not found, not a file, not a directory, node exists, compare failed, ...), then commits in one
//!   transaction comparing every ancestor's create revision and the key's mod revision (or absence); when another
//!   write got there first it reads and decides again. Missing directories on the way are made in the same
//!   transaction. The first read is serializable (the member's own store: no round of consensus), since the
//!   commit's compares catch a stale one; a retry, and any error answered, are decided on a linearizable read.
//! - CAS and CAD compare value and/or modified index on what was read, and commit only if the key's mod
//!   revision is still the one compared: no lost update.
//! - Create-in-order names the node with the revision after the one read (20 digits) and commits only if no
//!   child of the directory was created since: names are unique and grow in commit order.
//! - A recursive delete is one transaction of three deletes (the subtree's data prefix, its index prefix, the
//!   node's index key); deleting an empty directory compares that its children range is empty.
//! - TTLs are leases: a write with a TTL grants one and puts both keys with it; a node created below a directory
//!   that has a lease takes that lease, so it goes with the directory; a refresh (or any write) with the TTL
//!   the node's own lease was granted for renews that lease (keep-alive) rather than granting another, so a
//!   refreshed directory keeps what is below it.
//! - Hidden nodes (a name starting with `_`) are left out of listings and of recursive watches, as in v2, and
//!   read and watched by their own key.
//! - Quorum reads are linearizable ranges; other reads are serializable (answered by the member itself).
//! - A watch is a v3 watch from the wait index as start revision (0: from now), on the node's data key, or on
//!   its data prefix when recursive. A wait index older than etcd's compaction is v2's 401 `EventIndexCleared`.
//!   The answer is marked `etcd_transport::CompleteStream` (v3 sends history whole: the keys API's watcher keeps
//!   the stream rather than re-asking per event) and names the member serving it; a `/health` or `/version`
//!   request sent to one member (`SendTo`: the watcher's liveness probe, the members API) goes to that member
//!   as it is, and the bridged client shares the inner client's endpoints, so a watch leaves a frozen member.
//!
//! # etcd versions
//!
//! etcd 3.4 and 3.5 serve the gateway. Prefer 3.4 or 3.5.3 and later: 3.5.0 to 3.5.2 can leave a member's v3
//! store inconsistent when it is killed under load (etcd#13766: this crate's chaos run on 3.5.1 read values back
//! with another write's revision and found acknowledged writes gone), which no client can undo; their v2 store
//! is not affected. 3.5.0 to 3.5.4 also crash on a read-only transaction a client gave up on (etcd#14110), which
//! the bridge never sends.
//!
//! # What differs from v2
//!
//! | v2 | through the bridge | why |
//! |---|---|---|
//! | `set` over a file gives the node a new `createdIndex` | `createdIndex` stays the first creation's | a v3 put keeps the create revision; a delete and a put of one key in one transaction is refused |
//! | TTL of 1 s | expires after etcd's minimum lease TTL (about 2 s) | v3 raises short leases to its minimum |
//! | TTLs above 9,000,000,000 s | the lease lives 9,000,000,000 s (the answer shows the TTL asked) | v3's largest lease |
//! | a directory's TTL removes everything below it | what was created below the directory while it had its lease goes with it; a refresh or update with the same TTL renews that lease, one with another TTL gives the directory a new lease and what is below keeps the old one | a v3 key has one lease, and a lease's TTL cannot be changed; moving a subtree to another lease would be a scan |
//! | `expire` events | a delete by a lease is reported `expire` when the node's recorded expiry has come (within 1 s) | v3 marks no delete as coming from a lease |
//! | `compareAndDelete` events to watchers | reported as `delete` | a v3 delete carries no action |
//! | a stream (`stream=true`) from an index in the history sends that one event, then nothing | every event from that index on | v2's watcher hub answers from its history without registering the watcher; a v3 watch goes on |
//! | a recursive delete notifies watchers of each child with the directory's key | a watcher of a child hears of its own key's delete | v3 sends one event per deleted key |
//! | the event history is the last 1,000 events | it is etcd's v3 history, up to its last compaction | revisions are v3's |
//! | `X-Raft-Index` | the revision | the v3 gateway does not expose the raft index |
//! | `/v2/stats/store` counters | `{}` | v3 keeps no v2 store counters |
//! | `Config::expect_cluster_id` refuses another cluster's answers | not checked for the bridge's calls (the inner client's setting) | the v3 gateway sends the cluster ID in its JSON header, not in `X-Etcd-Cluster-Id`, which the check reads |
//! | removing a removed member: 410 `Member permanently removed` | 404 `No such member` | v3 answers both "member not found" |
//! | `/v2/auth/*` (users, roles, enabling auth) | not served (404) | v3's auth is another model (and its users are not v2's); out of this bridge's scope |
//! | `/v2/stats/self` and `/v2/stats/leader` in full | the member's ID, state and leader; no counters or follower latencies | v3's status gives no more |
//! | any depth | a write that makes more than about 60 missing directories at once is refused by etcd | a v3 transaction holds at most 128 operations (`--max-txn-ops`), two puts per node |
//! | served over HTTP: etcd's Go mux answers 301 to a path with `//` or `..`, 405 on the v3 gateway's paths, Go's JSON messages | the path served as given, 404, serde's messages | the v2 side is `etcd-v2-server`'s, shared with the in-memory etcd |
//! | one round trip per write | two rounds of gateway calls per write (the ranges of a read, then the guarded transaction), more under contention | v3 has no compare on "is a directory" without reading the value first |
//!
//! The table is held to etcd: `etcd-conformance`'s `tests/bridge.rs` runs its differential suite (every group
//! but v2 auth) through the bridge over an etcd without v2 against etcd's own v2, and lists each difference it
//! finds with its row, or as a bug until fixed.

mod gateway;
mod layout;
mod lease;
mod members;
mod migrate;
#[cfg(test)]
mod props;
mod read;
mod store;
mod watch;
mod wire;
mod write;

pub use migrate::{MigrationReport, copy_tree, verify_tree};
pub use store::{DEFAULT_PREFIX, V3Store, bridge, bridge_with_prefix};
