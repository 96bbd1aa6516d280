//! A blocking client, for programs without an async runtime (feature `blocking`), as `reqwest::blocking` is.
//!
//! [`Client`] owns a single-threaded tokio runtime and runs each call of the async API on it to its end:
//! the same requests, failover, timeouts and errors, nothing of its own. Every method blocks the calling
//! thread; call them from plain threads, never from inside an async runtime (tokio panics: a runtime cannot
//! be started from within one).
//!
//! ```no_run
//! use std::time::Duration;
//! use etcd_v2::Config;
//!
//! # fn run() -> Result<(), etcd_v2::Error> {
//! let client = etcd_v2::blocking::Client::new(
//!     Config::new(["http://127.0.0.1:2379"]).header_timeout_per_request(Duration::from_secs(1)),
//! )?;
//! let keys = client.keys();
//! keys.set("/foo", "bar", None)?;
//! println!("{}", keys.get("/foo", None)?.node.value);
//! for event in keys.watcher("/foo", None).take(1) {
//!     println!("{}", event?.action);
//! }
//! // Anything else of the async API, run to its end:
//! let leader = client.block_on(etcd_v2::members::MembersApi::new(client.inner().clone()).leader())?;
//! # Ok(()) }
//! ```
//!
//! Connections are driven while a call runs; between calls the runtime is idle, and a connection the server
//! closed meanwhile is found out, and replaced, on the next call.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::runtime::Runtime;

use crate::{
    Config, CreateInOrderOptions, DeleteOptions, Error, GetOptions, InvalidRequest, InvalidRequestKind, Response,
    SetOptions, WatcherOptions,
};

/// A blocking handle to an etcd cluster: an async [`Client`](crate::Client) and the runtime its calls run on.
/// Cheap to clone; clones share the runtime, the connections and the pinned member.
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

impl Client {
    /// Builds `config` into a client, with a runtime of its own.
    ///
    /// # Errors
    /// [`Config::build`]'s errors; [`Error::InvalidRequest`] when the runtime cannot be started (the process
    /// is out of threads or file descriptors).
    pub fn new(config: Config) -> Result<Client, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
            InvalidRequest::new(InvalidRequestKind::Config, format!("cannot start the client's runtime: {e}"))
        })?;
        // Built inside the runtime: layers such as tower's Buffer spawn their worker where they are built.
        let inner = {
            let _entered = runtime.enter();
            config.build()?
        };
        Ok(Client { inner, runtime: Arc::new(runtime) })
    }

    /// The keys API over this client.
    pub fn keys(&self) -> KeysApi {
        KeysApi { inner: crate::KeysApi::new(self.inner.clone()), runtime: self.runtime.clone() }
    }

    /// The keys API with every key under `prefix`; see [`KeysApi::with_prefix`](crate::KeysApi::with_prefix).
    pub fn keys_with_prefix(&self, prefix: impl Into<String>) -> KeysApi {
        KeysApi { inner: crate::KeysApi::with_prefix(self.inner.clone(), prefix), runtime: self.runtime.clone() }
    }

    /// The async client underneath, for the APIs this module does not wrap (members, status, auth): give their
    /// calls to [`block_on`](Client::block_on).
    pub fn inner(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs `future` (a call of the async API) on this client's runtime to its end.
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client").field("inner", &self.inner).finish_non_exhaustive()
    }
}

/// The keys API, blocking: each method is [`crate::KeysApi`]'s, run to its end. Cheap to clone.
#[derive(Clone)]
pub struct KeysApi {
    inner: crate::KeysApi,
    runtime: Arc<Runtime>,
}

impl KeysApi {
    /// The async API underneath.
    pub fn inner(&self) -> &crate::KeysApi {
        &self.inner
    }

    /// This API with every call bounded by `timeout`; see [`crate::KeysApi::with_timeout`].
    #[must_use = "with_timeout returns a new handle; the original keeps its budget"]
    pub fn with_timeout(&self, timeout: Duration) -> KeysApi {
        KeysApi { inner: self.inner.with_timeout(timeout), runtime: self.runtime.clone() }
    }

    /// [`crate::KeysApi::get`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::get`].
    pub fn get(&self, key: &str, options: Option<GetOptions>) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.get(key, options))
    }

    /// [`crate::KeysApi::set`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::set`].
    pub fn set(&self, key: &str, value: &str, options: Option<SetOptions>) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.set(key, value, options))
    }

    /// [`crate::KeysApi::create`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::create`].
    pub fn create(&self, key: &str, value: &str) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.create(key, value))
    }

    /// [`crate::KeysApi::create_in_order`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::create_in_order`].
    pub fn create_in_order(
        &self,
        dir: &str,
        value: &str,
        options: Option<CreateInOrderOptions>,
    ) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.create_in_order(dir, value, options))
    }

    /// [`crate::KeysApi::update`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::update`].
    pub fn update(&self, key: &str, value: &str) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.update(key, value))
    }

    /// [`crate::KeysApi::delete`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::delete`].
    pub fn delete(&self, key: &str, options: Option<DeleteOptions>) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.delete(key, options))
    }

    /// [`crate::KeysApi::get_json`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::get_json`].
    pub fn get_json<T: DeserializeOwned>(&self, key: &str, options: Option<GetOptions>) -> Result<T, Error> {
        self.runtime.block_on(self.inner.get_json(key, options))
    }

    /// [`crate::KeysApi::set_json`], blocking.
    ///
    /// # Errors
    /// As [`crate::KeysApi::set_json`].
    pub fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        options: Option<SetOptions>,
    ) -> Result<Response, Error> {
        self.runtime.block_on(self.inner.set_json(key, value, options))
    }

    /// [`crate::KeysApi::watcher`] as an iterator: each `next()` blocks until the next event.
    pub fn watcher(&self, key: &str, options: Option<WatcherOptions>) -> Watcher {
        Watcher { inner: self.inner.watcher(key, options), runtime: self.runtime.clone() }
    }
}

impl fmt::Debug for KeysApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::KeysApi").field("inner", &self.inner).finish_non_exhaustive()
    }
}

/// A [`crate::Watcher`] as an iterator of events; dropping it ends the watch and closes its connection.
pub struct Watcher {
    inner: crate::Watcher,
    runtime: Arc<Runtime>,
}

impl Iterator for Watcher {
    type Item = Result<Response, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.runtime.block_on(self.inner.next())
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Watcher").field("inner", &self.inner).finish_non_exhaustive()
    }
}
