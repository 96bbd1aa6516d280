//! Unique values for queue entries, so that an entry whose create had an unknown outcome can be found again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 128 random-looking bits as 32 hex digits: std's per-process random hash keys over the process id, the time
/// and a counter, so that no two entries of any process share one (no RNG dependency for 16 bytes).
pub(crate) fn new_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let half = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u32(std::process::id());
        hasher.write_u128(nanos);
        hasher.write_u64(count);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

/// An entry's value in etcd: its token, a space, and the caller's value (a candidate's identity, ...).
pub(crate) fn entry_value(token: &str, value: &str) -> String {
    format!("{token} {value}")
}

/// The caller's value of an entry written by [`entry_value`]; a value without a token is taken whole, so that
/// an entry written by another client still reads as something.
pub(crate) fn caller_value(entry: &str) -> &str {
    match entry.split_once(' ') {
        Some((token, value)) if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) => value,
        _ => entry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_values_round_trip() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(caller_value(&entry_value(&a, "node-1 at 10.0.0.1")), "node-1 at 10.0.0.1");
        assert_eq!(caller_value(&entry_value(&a, "")), "");
        assert_eq!(caller_value("written by hand"), "written by hand");
    }
}
