//! Runnable examples of the etcd v2 client; each file under `examples/` is one program:
//! `cargo run -p examples --example quickstart`.
//!
//! Every example that talks to etcd builds its client from the environment with
//! [`Config::from_env`](etcd_transport::Config::from_env): `ETCD_ENDPOINTS` (comma-separated, default
//! `http://127.0.0.1:2379`), `ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE`, `ETCD_USERNAME`, `ETCD_PASSWORD`,
//! and etcdctl's `ETCDCTL_*` names as fallbacks.
//!
//! `ETCD_API=v3` runs them through [`etcd_v2v3::bridge`] against the same endpoints: the v2 API answered from
//! etcd's v3 API, for a cluster started without `--enable-v2` ([`for_api`]). `auth` refuses it (v2 auth has no
//! bridge).
//!
//! `cargo xtask quickstart` starts a local etcd and runs the quickstart against it; `export $(cargo xtask etcd
//! start)` starts one that keeps running, and sets `ETCD_ENDPOINTS` for any example.

use etcd_keys::{Client, Config, Error};

/// A client configuration from the environment (see the [crate docs](crate)); add your own settings to it and
/// build. The same as [`Config::from_env`].
///
/// # Errors
/// As [`Config::from_env`].
pub fn config_from_env() -> Result<Config, Error> {
    Config::from_env()
}

/// [`config_from_env`], built.
///
/// # Errors
/// As [`Config::from_env`], and [`Config::build`]'s errors (a bad endpoint, an unreadable certificate file).
pub fn client_from_env() -> Result<Client, Error> {
    Ok(for_api(config_from_env()?.build()?))
}

/// Whether `ETCD_API` asks for etcd's v3 API (`v3` or `3`); anything else, or nothing, is v2.
pub fn api_is_v3() -> bool {
    std::env::var("ETCD_API").is_ok_and(|api| matches!(api.trim().to_ascii_lowercase().as_str(), "v3" | "3"))
}

/// `client` as it is for v2, or bridged onto etcd's v3 API when `ETCD_API=v3`: the same calls either way.
pub fn for_api(client: Client) -> Client {
    if api_is_v3() { etcd_v2v3::bridge(client) } else { client }
}
