//! Registration against a real three-member cluster: kept past its TTL, written again when deleted or when it
//! expired while etcd was frozen, removed on shutdown and on drop.

mod common;

include!("suites/registration.rs");
