//! A differential conformance suite for etcd v2 servers.
//!
//! The same [`Case`]s (named sequences of raw v2 HTTP requests, with long polls, streams, TTL expiry, history
//! overflow and auth) run against two servers, real etcd 3.4 and 3.5 or etcd and the in-memory fake; a plain
//! hyper client ([`Runner`]) records each answer's status, etcd's headers and the body with its field order;
//! [`normalize`](normalize::normalize) rewrites what may differ between two correct servers, every such rule
//! listed with its reason in [`normalize::RULES`]; [`compare`](compare::compare) lists everything else that
//! differs. The cases are in [`cases`]; the tests in `tests/` start the servers and print a [`Summary`].
//!
//! # Running it
//!
//! `cargo test -p etcd-conformance` compares the etcd the test kit finds (`ETCD_BIN` selects it) with the other
//! minor version when one is installed (`/usr/bin/etcd` is 3.4.23 here, `target/etcd/3.5.1/etcd` 3.5.1), a fresh
//! member of each per [`Group`]; with one version it compares that version with itself, which still finds
//! answers that vary between runs (`CONFORMANCE_SELF=1` asks for that). `CONFORMANCE_TRANSCRIPTS=dir` saves
//! each side's normalized answers to `dir/<server>.txt`, to read or `diff`. The whole suite takes about 12 s.
//! `tests/fake.rs` holds the in-memory fake to etcd's answers; `tests/bridge.rs` holds the v2-over-v3 bridge
//! (`etcd-v2v3`, over a fresh etcd without v2, served by `etcd_v2_server::serve_http`) to etcd's own v2, every
//! group but v2 auth, indexes compared as revisions as they are (about 20 s).
//!
//! # Adding a case, listing a difference
//!
//! A case goes in the topic's file under `src/cases/`, under a directory of its own; indexes as `{i+N}`. A
//! difference every correct server may show gets a [`normalize::Rule`]; one between etcd versions a
//! [`normalize::VersionDifference`]; one of a server under test (the in-memory fake, the bridge) an
//! [`expected::Expected`] entry in that server's test, with its reason, until it is fixed.
//!
//! ```no_run
//! # async fn run() -> Result<(), etcd_conformance::RunError> {
//! use etcd_conformance::{Runner, Summary, cases, compare_group};
//!
//! let (left, right) = (Runner::new("http://127.0.0.1:40001"), Runner::new("http://127.0.0.1:40002"));
//! let mut summary = Summary::new("etcd 3.4", "etcd 3.5");
//! for group in cases::groups() {
//!     compare_group(&group, &left, &right, &mut summary).await?;
//! }
//! println!("{summary}");
//! # Ok(()) }
//! ```

pub mod case;
pub mod cases;
pub mod compare;
pub mod expected;
pub mod json;
pub mod normalize;
pub mod record;
pub mod runner;
pub mod suite;
pub mod targets;

pub use case::{Case, Request, Step};
pub use compare::{Category, Difference};
pub use json::Json;
pub use record::{Body, Exchange, Recording};
pub use runner::{RunError, Runner};
pub use suite::{Group, Summary, compare_group};
