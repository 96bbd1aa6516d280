//! Reads an answer's whole body within its attempt, bounded in size and in time.
//!
//! Why inside the attempt, and not where the API crates decode it: so that everything a call waits for is under
//! the call's [deadline](crate::deadline), so that a read whose answer is cut mid-body can go to the next member
//! like any failed attempt, and so that a server cannot make the client hold more than
//! [`Config::max_response_size`](crate::Config::max_response_size) bytes or wait forever for the rest of a body.
//!
//! [`WholeBody`] passes long polls ([`LongPoll`](crate::LongPoll): watches) through as streams; their lines are
//! bounded by the watcher. Every other answer comes up as a [`Body`](crate::Body) already in memory. Failures are
//! [`InvalidResponse`](etcd_core::InvalidResponse)s with the answer's status (a 201 whose body was cut was
//! applied): [`Body`](etcd_core::InvalidResponseKind::Body) (the connection broke),
//! [`BodyTimeout`](etcd_core::InvalidResponseKind::BodyTimeout) (less than 16 KiB, and not the end, in a window
//! of the idle timeout: a server trickling a byte now and then is stopped like a silent one) and
//! [`TooLarge`](etcd_core::InvalidResponseKind::TooLarge). No buffer is ever sized from the server's
//! `Content-Length`: memory grows with what arrived, never with what was announced.

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::WholeBodyLayer;
pub use service::WholeBody;

/// The default [`Config::max_response_size`](crate::Config::max_response_size): 256 MiB. A recursive get of a
/// v2 store of a million keys with 100-byte values is about 200 MiB of JSON; etcd's own request limit is 1.5 MiB
/// per value. Large enough for any store a v2 cluster serves well, small enough that a broken or hostile server
/// cannot exhaust a service's memory.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 256 * 1024 * 1024;

#[cfg(test)]
mod tests;
