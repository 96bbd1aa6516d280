//! Recipes on etcd's v2 keys API that stay correct under failure: a fair [`Lock`] with fencing tokens, leader
//! [`Election`], service [`Registration`] with a TTL kept alive, and a [`Cache`] of a directory kept current by a
//! watch.
//!
//! Every recipe is built on [`etcd_keys::KeysApi`] and its watch, and assumes what a cluster under failure does:
//! members die, freeze and come back, a write's outcome can be unknown, a holder's process can be killed. What
//! each recipe promises then is written on it; in short:
//!
//! - keys with a TTL are kept alive by a background task (`refresh=true`, no value, every TTL/3), and a holder
//!   learns it may have lost its key when no refresh was acknowledged for a TTL, counted from when the last
//!   acknowledged one was sent;
//! - a create whose outcome is unknown is looked for by its unique value rather than created twice; one that is
//!   applied after the recipe looked (a request held by a frozen member) expires within its TTL;
//! - a watch resumes from the index after the read it follows, so no change between the two is missed.
//!
//! Dropping a handle stops its background task and deletes its key best effort (a spawned delete); the TTL
//! bounds the rest. The recipes need a tokio runtime.
//!
//! # Feature flags
//!
//! None: this crate adds no features of its own. `etcd-v2` re-exports it as `etcd_v2::recipes` with its
//! `recipes` feature.

mod cache;
mod changes;
mod election;
mod error;
mod keepalive;
mod lock;
mod queue;
mod registration;
mod token;

pub use cache::{Cache, Change};
pub use changes::Changes;
pub use election::{Election, Leader, LeaderChanges, Leadership};
pub use error::{Error, LostReason};
pub use lock::{DEFAULT_TTL, Holder, Lock, LockGuard};
pub use registration::Registration;
