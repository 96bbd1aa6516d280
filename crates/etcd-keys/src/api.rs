use std::sync::Arc;

use etcd_core::{Error, Response, decode};
use etcd_transport::{Client, PerCallTimeout};

use crate::key::{KEYS_ROOT, KeyBase};
use crate::options::{CreateInOrderOptions, DeleteOptions, GetOptions, PrevExist, SetOptions};
use crate::request;
use crate::watch::{ProbeCache, WatchLoop, Watcher, WatcherOptions};

/// etcd's v2 keys API over a [`Client`]: get, set, create, create in order, update, delete.
///
/// Cheap to clone. Every call returns a typed [`Response`] or an [`Error`]; calls with options take
/// `Option<XxxOptions>`, `None` meaning the defaults.
///
/// # Cancel safety
///
/// Every call is a future that does nothing until polled and may be dropped at any point: dropping it (a
/// `tokio::select!` branch that lost, an outer timeout) drops the request in flight and closes its connection.
/// A read dropped so is harmless. A write dropped after it was sent may still be applied by etcd, as after an
/// [`Error::is_outcome_unknown`]; read the key to know. Dropping a [`Watcher`] ends its watch and closes its
/// connection. For a deadline that ends in this crate's [`Error::DeadlineExceeded`] rather than a runtime's
/// timeout error, use [`with_timeout`](KeysApi::with_timeout).
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_keys::Error> {
/// use std::time::Duration;
/// use etcd_keys::{Client, KeysApi};
///
/// let client = Client::builder(["http://127.0.0.1:2379"])
///     .header_timeout_per_request(Duration::from_secs(1))
///     .build()?;
/// let keys = KeysApi::new(client);
/// keys.set("/foo", "bar", None).await?;
/// let response = keys.get("/foo", None).await?;
/// println!("{} = {}", response.node.key, response.node.value);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KeysApi {
    client: Client,
    base: KeyBase,
    /// Shared by the watchers of this API and its clones.
    probes: Arc<ProbeCache>,
    /// The budget of each call made through this handle (see `with_timeout`).
    pub(crate) timeout: PerCallTimeout,
}

impl KeysApi {
    /// The keys API of the cluster `client` talks to.
    pub fn new(client: Client) -> Self {
        KeysApi::with_prefix(client, "")
    }

    /// The keys API with every key under `prefix`, inside etcd's keys API: `get("a")` reads the key
    /// `<prefix>/a`, at `/v2/keys/<prefix>/a`. The keys in responses are etcd's full keys, prefix included.
    ///
    /// This is not the Go client's `NewKeysAPIWithPrefix`, whose prefix replaces `/v2/keys`: that is
    /// [`KeysApi::with_keys_path`].
    pub fn with_prefix(client: Client, prefix: impl Into<String>) -> Self {
        KeysApi::at(client, KeyBase { root: KEYS_ROOT, prefix: prefix.into().into() })
    }

    /// The keys API at `path` instead of `/v2/keys` (the Go client's `NewKeysAPIWithPrefix`, whose prefix
    /// replaces the keys path): `get("a")` requests `<path>/a` on the endpoint. For a proxy or gateway that
    /// serves etcd's keys API at another path; `with_keys_path(client, "/v2/keys/app")` is
    /// `with_prefix(client, "/app")`. The path is encoded like a key, and a `.` or `..` segment is refused.
    pub fn with_keys_path(client: Client, path: impl Into<String>) -> Self {
        KeysApi::at(client, KeyBase { root: "", prefix: path.into().into() })
    }

    fn at(client: Client, base: KeyBase) -> Self {
        KeysApi { client, base, probes: Arc::default(), timeout: PerCallTimeout::default() }
    }

    pub(crate) fn probes(&self) -> &ProbeCache {
        &self.probes
    }

    /// The client this API sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The prefix put before every key (under `/v2/keys`, or the whole path with
    /// [`with_keys_path`](KeysApi::with_keys_path)); empty by default.
    pub fn prefix(&self) -> &str {
        &self.base.prefix
    }

    pub(crate) fn base(&self) -> &KeyBase {
        &self.base
    }

    /// Reads a key, or a directory's children (the whole tree with
    /// [`with_recursive`](GetOptions::with_recursive)).
    ///
    /// # Errors
    /// [`Error::is_key_not_found`] when there is no such key; the transport's errors otherwise.
    pub async fn get(&self, key: &str, options: Option<GetOptions>) -> Result<Response, Error> {
        let request = request::get(&self.base, key, &options.unwrap_or_default())?;
        self.call(request).await
    }

    /// Writes a key (or a directory, [`with_dir`](SetOptions::with_dir)), with the conditions and TTL of
    /// `options`.
    ///
    /// # Errors
    /// [`Error::is_test_failed`] when a compare failed, [`Error::is_node_exist`] or
    /// [`Error::is_key_not_found`] when a `prev_exist` condition failed, [`Error::InvalidRequest`] for options
    /// that contradict each other; the transport's errors otherwise.
    pub async fn set(&self, key: &str, value: &str, options: Option<SetOptions>) -> Result<Response, Error> {
        let request = request::set(&self.base, key, value, &options.unwrap_or_default())?;
        self.call(request).await
    }

    /// Creates a key that must not exist yet.
    ///
    /// # Errors
    /// [`Error::is_node_exist`] when it exists. Never replayed after an unknown outcome:
    /// [`Error::is_outcome_unknown`] says the key may have been created.
    pub async fn create(&self, key: &str, value: &str) -> Result<Response, Error> {
        self.set(key, value, Some(SetOptions::new().with_prev_exist(PrevExist::NotExists))).await
    }

    /// Creates a key with a unique, increasing name under the directory `dir` (a queue entry); the response's
    /// node has the new key.
    ///
    /// # Errors
    /// [`Error::is_not_dir`] when `dir` is a key. Never replayed after an unknown outcome, so a queue never gets
    /// a duplicate entry from the client.
    pub async fn create_in_order(
        &self,
        dir: &str,
        value: &str,
        options: Option<CreateInOrderOptions>,
    ) -> Result<Response, Error> {
        let request = request::create_in_order(&self.base, dir, value, &options.unwrap_or_default())?;
        self.call(request).await
    }

    /// Updates a key that must exist.
    ///
    /// # Errors
    /// [`Error::is_key_not_found`] when it does not exist.
    pub async fn update(&self, key: &str, value: &str) -> Result<Response, Error> {
        self.set(key, value, Some(SetOptions::new().with_prev_exist(PrevExist::Exists))).await
    }

    /// Deletes a key, or a directory with [`with_dir`](DeleteOptions::with_dir) or
    /// [`with_recursive`](DeleteOptions::with_recursive), with the conditions of `options`.
    ///
    /// # Errors
    /// [`Error::is_key_not_found`], [`Error::is_test_failed`], [`Error::is_dir_not_empty`], ...
    pub async fn delete(&self, key: &str, options: Option<DeleteOptions>) -> Result<Response, Error> {
        let request = request::delete(&self.base, key, &options.unwrap_or_default())?;
        self.call(request).await
    }

    /// Watches a key, or a tree with [`with_recursive`](WatcherOptions::with_recursive): a stream of its events
    /// from now on, or after [`with_after_index`](WatcherOptions::with_after_index); see [`Watcher`]. Nothing is
    /// sent until the watcher is polled.
    pub fn watcher(&self, key: &str, options: Option<WatcherOptions>) -> Watcher {
        Watcher::new(WatchLoop::new(self.clone(), key, options.unwrap_or_default()))
    }

    /// Reads a key or a tree, and watches it from exactly after that read: no change between the two is missed,
    /// and none is seen twice. The read is a quorum read, so that it is the cluster's latest; the watch is
    /// recursive when the read is.
    ///
    /// # Errors
    /// The read's errors ([`Error::is_key_not_found`], ...); the watch reports its own through the stream.
    pub async fn get_and_watch(
        &self,
        key: &str,
        options: Option<GetOptions>,
        watch: Option<WatcherOptions>,
    ) -> Result<(Response, Watcher), Error> {
        let options = options.unwrap_or_default().with_quorum();
        let recursive = options.recursive;
        let read = self.get(key, Some(options)).await?;
        let mut watch = watch.unwrap_or_default().with_after_index(read.index);
        if recursive {
            watch = watch.with_recursive();
        }
        let watcher = self.watcher(key, Some(watch));
        Ok((read, watcher))
    }

    async fn call(&self, request: http::Request<bytes::Bytes>) -> Result<Response, Error> {
        let answer = self.timeout.execute(&self.client, request).await?;
        decode::response(answer.status, &answer.headers, &answer.body).map_err(|e| answer.attribute(e))
    }
}
