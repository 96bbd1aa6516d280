//! The keys and values every workload uses, as the client takes them (key, value) and as the raw baseline
//! sends them (absolute URI, form body). They need no percent-encoding, so the two spellings are the same
//! request; `identical.rs` checks that they are, byte for byte.

/// How many distinct small keys the `get`/`set` workloads cycle through.
pub const SMALL_KEYS: usize = 64;
/// The directory the small keys live in.
pub const SMALL_DIR: &str = "/bench/small";
/// The directory read recursively by the listing workload.
pub const LIST_DIR: &str = "/bench/list";
/// How many keys that directory holds.
pub const LIST_KEYS: usize = 10_000;
/// The length of each listed value: with etcd's JSON around it, the listing is about 1.8 MB.
pub const LIST_VALUE_LEN: usize = 90;
/// The length of each small value.
pub const SMALL_VALUE_LEN: usize = 16;
/// The directory the watch workload's writer fills and its watcher follows.
pub const WATCH_DIR: &str = "/bench/watch";
/// The directory whose keys the idle watchers watch (one key each; the keys are never written).
pub const IDLE_DIR: &str = "/bench/idle";

/// The prepared keys, values and their raw spellings for one endpoint.
#[derive(Debug)]
pub struct Data {
    /// `/bench/small/kNN`, as given to the client.
    pub small_keys: Vec<String>,
    /// The value written to each small key.
    pub small_values: Vec<String>,
    /// `http://host:port/v2/keys/bench/small/kNN`, as the raw baseline sends it.
    pub small_uris: Vec<String>,
    /// `value=...`, the raw baseline's form body for each small key.
    pub small_forms: Vec<String>,
    /// `http://host:port/v2/keys/bench/list?recursive=true`.
    pub list_uri: String,
    /// `http://host:port`.
    pub endpoint: String,
}

impl Data {
    /// The data for a server at `endpoint` (`http://host:port`, no trailing slash).
    pub fn new(endpoint: &str) -> Data {
        let endpoint = endpoint.trim_end_matches('/');
        let small_keys: Vec<String> = (0..SMALL_KEYS).map(|i| format!("{SMALL_DIR}/k{i:02}")).collect();
        let small_values: Vec<String> =
            (0..SMALL_KEYS).map(|i| padded(&format!("v{i:02}-"), SMALL_VALUE_LEN)).collect();
        let small_uris = small_keys.iter().map(|k| format!("{endpoint}/v2/keys{k}")).collect();
        let small_forms = small_values.iter().map(|v| format!("value={v}")).collect();
        let list_uri = format!("{endpoint}/v2/keys{LIST_DIR}?recursive=true");
        Data { small_keys, small_values, small_uris, small_forms, list_uri, endpoint: endpoint.to_owned() }
    }

    /// `http://host:port/v2/keys{key}`, a key's URI with no query.
    pub fn key_uri(&self, key: &str) -> String {
        format!("{}/v2/keys{key}", self.endpoint)
    }

    /// The URI of a streaming watch of `key` as the library asks for it: `?wait=true&recursive=true&stream=true`
    /// for a tree (`recursive`), then `&waitIndex=N` when it waits from a given index.
    pub fn watch_uri(&self, key: &str, recursive: bool, wait_index: Option<u64>) -> String {
        let mut uri = format!("{}?wait=true", self.key_uri(key));
        if recursive {
            uri.push_str("&recursive=true");
        }
        uri.push_str("&stream=true");
        if let Some(index) = wait_index {
            uri.push_str(&format!("&waitIndex={index}"));
        }
        uri
    }

    /// `http://host:port/v2/stats/store`, where etcd counts its watchers.
    pub fn store_stats_uri(&self) -> String {
        format!("{}/v2/stats/store", self.endpoint)
    }

    /// The index into the small keys of operation `op`.
    pub fn small(op: usize) -> usize {
        op % SMALL_KEYS
    }
}

/// The key of listed entry `i`.
pub fn list_key(i: usize) -> String {
    format!("{LIST_DIR}/key-{i:05}")
}

/// The value of listed entry `i`.
pub fn list_value(i: usize) -> String {
    padded(&format!("listed-value-{i:05}-"), LIST_VALUE_LEN)
}

/// The key the watch workload's writer sets as its write number `i`.
pub fn watch_key(i: usize) -> String {
    format!("{WATCH_DIR}/w{i:06}")
}

/// The key that idle watcher number `i` watches.
pub fn idle_key(i: usize) -> String {
    format!("{IDLE_DIR}/k{i:04}")
}

/// `head` followed by letters and digits up to `len` bytes: form- and JSON-safe, never escaped.
fn padded(head: &str, len: usize) -> String {
    const FILL: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len.max(head.len()));
    out.push_str(head);
    let mut i = 0;
    while out.len() < len {
        out.push(char::from(FILL[i % FILL.len()]));
        i += 1;
    }
    out
}
