//! A differential conformance suite for etcd v2 servers.
//!
//! The same [`Case`]s (named sequences of raw v2 HTTP requests, with long polls, streams, TTL expiry, history
//! overflow and auth) run against two servers, real etcd 3.4 and 3.5 or etcd and the in-memory fake; a plain
//! hyper client ([`Runner`]) records each answer's status, etcd's headers and the body with its field order;
//! [`normalize`](normalize::normalize) rewrites what may differ between two correct servers, every such rule
//! listed with its reason in [`normalize::RULES`]; [`compare`](compare::compare) lists everything else that
//! differs. The cases are in [`cases`]; the tests in `tests/` start the servers and print a [`Summary`].
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
