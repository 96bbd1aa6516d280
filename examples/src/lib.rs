//! Runnable examples of the etcd v2 client; each file under `examples/` is one program:
//! `cargo run -p examples --example quickstart`.
//!
//! Every example reads its endpoints from `ETCD_ENDPOINTS` (comma-separated, default `http://127.0.0.1:2379`);
//! `cargo xtask quickstart` starts a local etcd and runs the quickstart against it.
