//! Types and the error model of the etcd v2 client.
//!
//! This crate holds what every other crate of the workspace shares and nothing that does I/O:
//!
//! - [`Node`], [`Response`] and [`Action`]: what etcd's v2 keys API answers, typed;
//! - [`Error`]: the one error type of the workspace, which separates an answer from etcd ([`EtcdError`]),
//!   a failure to reach the cluster ([`ClusterError`]), a write whose outcome is unknown ([`OutcomeUnknown`]),
//!   an answer that is not etcd's ([`InvalidResponse`]), a request refused before sending ([`InvalidRequest`]),
//!   the caller's own deadline ([`DeadlineExceeded`]), the auth API's refusals ([`AuthError`]) and the members
//!   API's ([`MemberError`]);
//! - [`Member`]: a member of the cluster, as the members API lists it;
//! - [`decode`]: turning an HTTP status, headers and body into a [`Response`] or an [`Error`].
//!
//! Most users reach these types through `etcd-keys`, which re-exports them.

mod action;
pub mod decode;
mod error;
mod member;
mod node;
mod response;
mod time;

pub use action::Action;
pub use error::{
    AttemptFailure, AuthError, AuthErrorKind, BoxError, ClusterError, DeadlineExceeded, EndpointError, Error,
    ErrorCode, EtcdError, InvalidRequest, InvalidRequestKind, InvalidResponse, InvalidResponseKind, InvalidValue,
    MemberError, MemberErrorKind, OutcomeUnknown, Report,
};
pub use member::{Member, MemberId, ParseMemberIdError};
pub use node::Node;
pub use response::Response;
