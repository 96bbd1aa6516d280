//! Options of the keys calls, as builders that read like sentences:
//! `SetOptions::new().with_ttl(Duration::from_secs(30)).with_prev_exist(PrevExist::NotExists)`.
//!
//! Combinations that etcd rejects or silently ignores are refused before any request, with an error that says
//! why; see each builder.

use std::time::Duration;

use etcd_core::{InvalidRequest, InvalidRequestKind};

/// Options of [`KeysApi::get`](crate::KeysApi::get).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetOptions {
    pub(crate) recursive: bool,
    pub(crate) sort: bool,
    pub(crate) quorum: bool,
}

impl GetOptions {
    /// No options: the node itself, and a directory's direct children in etcd's order.
    pub fn new() -> Self {
        GetOptions::default()
    }

    /// Read the whole tree under a directory, not only its direct children.
    pub fn with_recursive(mut self) -> Self {
        self.recursive = true;
        self
    }

    /// Sort children by key (etcd's `sorted=true`).
    pub fn with_sort(mut self) -> Self {
        self.sort = true;
        self
    }

    /// Go through raft so the answer is linearizable rather than whatever the member has (etcd's
    /// `quorum=true`); slower, and it fails when the member is cut off from the cluster.
    pub fn with_quorum(mut self) -> Self {
        self.quorum = true;
        self
    }
}

/// Whether a write requires the node to exist beforehand (etcd's `prevExist`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrevExist {
    /// No requirement (the default).
    #[default]
    Ignore,
    /// The node must exist: an update.
    Exists,
    /// The node must not exist: a create.
    NotExists,
}

/// Options of [`KeysApi::set`](crate::KeysApi::set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct SetOptions {
    pub(crate) prev_value: Option<String>,
    pub(crate) prev_index: Option<u64>,
    pub(crate) prev_exist: PrevExist,
    pub(crate) ttl: Option<Duration>,
    pub(crate) remove_ttl: bool,
    pub(crate) refresh: bool,
    pub(crate) dir: bool,
    pub(crate) no_value_on_success: bool,
}

impl SetOptions {
    /// No options: an unconditional set of a key without TTL.
    pub fn new() -> Self {
        SetOptions::default()
    }

    /// Write only if the current value is `value` (compare-and-swap). An empty value is refused: etcd would
    /// reject it.
    pub fn with_prev_value(mut self, value: impl Into<String>) -> Self {
        self.prev_value = Some(value.into());
        self
    }

    /// Write only if the node was last modified at `index` (compare-and-swap). Zero is refused: etcd treats it
    /// as no condition.
    pub fn with_prev_index(mut self, index: u64) -> Self {
        self.prev_index = Some(index);
        self
    }

    /// Require the node to exist, or not to exist, beforehand.
    pub fn with_prev_exist(mut self, prev_exist: PrevExist) -> Self {
        self.prev_exist = prev_exist;
        self
    }

    /// Expire the node after `ttl`. etcd counts whole seconds: a TTL with a fraction is rounded up (so 500 ms
    /// lives 1 s, never 0 s); a zero TTL, and one above [`MAX_TTL`] (which etcd would wrap), are refused.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Remove the node's TTL, so that it no longer expires. etcd does this for `ttl=` with `prevExist=true`, so
    /// the node must exist; it cannot be combined with a TTL or with [`PrevExist::NotExists`].
    pub fn with_ttl_removed(mut self) -> Self {
        self.remove_ttl = true;
        self
    }

    /// Reset the TTL of an existing key without changing its value and without waking watchers. Needs a TTL;
    /// the value passed to `set` must be empty.
    pub fn with_refresh(mut self) -> Self {
        self.refresh = true;
        self
    }

    /// Create or update a directory instead of a key. The value passed to `set` must be empty.
    pub fn with_dir(mut self) -> Self {
        self.dir = true;
        self
    }

    /// Ask etcd to leave the node out of a successful answer, saving bandwidth; the response's node is then
    /// empty.
    pub fn with_no_value_on_success(mut self) -> Self {
        self.no_value_on_success = true;
        self
    }

    pub(crate) fn check(&self, value: &str) -> Result<(), InvalidRequest> {
        let refuse = |why: &str| Err(options_error(why));
        if self.dir && !value.is_empty() {
            return refuse("a directory has no value; pass an empty value with with_dir()");
        }
        if self.dir && self.prev_value.is_some() {
            return refuse("a directory has no value to compare; use with_prev_index() instead");
        }
        if self.refresh && !value.is_empty() {
            return refuse("a refresh keeps the value; pass an empty value with with_refresh()");
        }
        if self.refresh && self.ttl.is_none() {
            return refuse("a refresh sets a new TTL; add with_ttl()");
        }
        if self.remove_ttl && self.ttl.is_some() {
            return refuse("with_ttl_removed() and with_ttl() contradict each other");
        }
        if self.remove_ttl && self.refresh {
            return refuse("with_ttl_removed() and with_refresh() contradict each other");
        }
        if self.remove_ttl && self.prev_exist == PrevExist::NotExists {
            return refuse("with_ttl_removed() needs an existing node, so PrevExist::NotExists contradicts it");
        }
        check_prev(self.prev_value.as_deref(), self.prev_index)?;
        if let Some(ttl) = self.ttl {
            ttl_seconds(ttl)?;
        }
        Ok(())
    }

    /// Whether replaying this write after an unknown outcome gives the same result.
    pub(crate) fn is_idempotent(&self) -> bool {
        self.prev_value.is_none()
            && self.prev_index.is_none()
            && self.prev_exist == PrevExist::Ignore
            && !self.remove_ttl
            && !self.refresh
    }
}

/// Options of [`KeysApi::delete`](crate::KeysApi::delete).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct DeleteOptions {
    pub(crate) prev_value: Option<String>,
    pub(crate) prev_index: Option<u64>,
    pub(crate) recursive: bool,
    pub(crate) dir: bool,
}

impl DeleteOptions {
    /// No options: delete a key, not a directory.
    pub fn new() -> Self {
        DeleteOptions::default()
    }

    /// Delete only if the current value is `value` (compare-and-delete). An empty value is refused.
    pub fn with_prev_value(mut self, value: impl Into<String>) -> Self {
        self.prev_value = Some(value.into());
        self
    }

    /// Delete only if the node was last modified at `index` (compare-and-delete). Zero is refused.
    pub fn with_prev_index(mut self, index: u64) -> Self {
        self.prev_index = Some(index);
        self
    }

    /// Delete a directory and everything below it.
    pub fn with_recursive(mut self) -> Self {
        self.recursive = true;
        self
    }

    /// Delete an empty directory.
    pub fn with_dir(mut self) -> Self {
        self.dir = true;
        self
    }

    pub(crate) fn check(&self) -> Result<(), InvalidRequest> {
        if (self.dir || self.recursive) && self.prev_value.is_some() {
            return Err(options_error("a directory has no value to compare; use with_prev_index() instead"));
        }
        check_prev(self.prev_value.as_deref(), self.prev_index)
    }
}

/// Options of [`KeysApi::create_in_order`](crate::KeysApi::create_in_order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct CreateInOrderOptions {
    pub(crate) ttl: Option<Duration>,
}

impl CreateInOrderOptions {
    /// No options: an entry without TTL.
    pub fn new() -> Self {
        CreateInOrderOptions::default()
    }

    /// Expire the entry after `ttl`, rounded up to whole seconds; zero and more than [`MAX_TTL`] are refused.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    pub(crate) fn check(&self) -> Result<(), InvalidRequest> {
        match self.ttl {
            Some(ttl) => ttl_seconds(ttl).map(drop),
            None => Ok(()),
        }
    }
}

/// The longest TTL a write may set: 100 years (of 365.25 days), 3,155,760,000 s.
///
/// etcd's v2 handler reads `ttl` as a `uint64` of seconds, then computes
/// `time.Now().Add(time.Duration(ttl) * time.Second).UnixNano()`: a `time.Duration` is an `int64` of nanoseconds,
/// which wraps above 9,223,372,036 s (292 years), and the expiration in Unix nanoseconds wraps after the year
/// 2262. Against etcd 3.4.23 in 2026, `ttl=7000000000` still expires in 2248, `ttl=7500000000` is stored
/// without any TTL, and `ttl=18446744073709551615` wraps to -1 s: the node expires at once, silently. A century
/// stays clear of both limits until the year 2162; a node that should outlive it should have no TTL at all.
pub const MAX_TTL: Duration = Duration::from_secs(3_155_760_000);

/// etcd's TTL in whole seconds, rounded up; a zero TTL is refused rather than sent as `ttl=0`, which expires the
/// node at once, and one above [`MAX_TTL`] rather than wrapped by etcd.
pub(crate) fn ttl_seconds(ttl: Duration) -> Result<u64, InvalidRequest> {
    if ttl.is_zero() {
        return Err(options_error(
            "a TTL of zero would expire the node at once; leave the TTL out for a node that never expires",
        ));
    }
    // Compared before rounding up, so that `Duration::MAX` cannot overflow the addition.
    if ttl > MAX_TTL {
        return Err(options_error(&format!(
            "a TTL of {} s is longer than etcd can store ({} s, 100 years); leave the TTL out for a node that never expires",
            ttl.as_secs(),
            MAX_TTL.as_secs()
        )));
    }
    Ok(ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0))
}

fn check_prev(prev_value: Option<&str>, prev_index: Option<u64>) -> Result<(), InvalidRequest> {
    if prev_value == Some("") {
        return Err(options_error(
            "an empty prev_value is no condition to etcd; compare with with_prev_index() or leave it out",
        ));
    }
    if prev_index == Some(0) {
        return Err(options_error("a prev_index of 0 is no condition to etcd; indexes start at 1"));
    }
    Ok(())
}

fn options_error(why: &str) -> InvalidRequest {
    InvalidRequest::new(InvalidRequestKind::Options, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_and_zero_is_refused() {
        assert_eq!(ttl_seconds(Duration::from_millis(1)).unwrap(), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(500)).unwrap(), 1);
        assert_eq!(ttl_seconds(Duration::from_secs(5)).unwrap(), 5);
        assert_eq!(ttl_seconds(Duration::from_millis(5_001)).unwrap(), 6);
        assert!(ttl_seconds(Duration::ZERO).is_err());
    }

    #[test]
    fn ttl_above_what_etcd_stores_is_refused_never_wrapped() {
        assert_eq!(ttl_seconds(MAX_TTL).unwrap(), 3_155_760_000);
        for huge in [MAX_TTL + Duration::from_nanos(1), Duration::from_secs(u64::MAX), Duration::MAX] {
            let err = ttl_seconds(huge).unwrap_err();
            assert_eq!(err.kind(), InvalidRequestKind::Options);
            assert!(err.reason().contains("longer than etcd can store"), "{err}");
        }
        assert!(SetOptions::new().with_ttl(Duration::MAX).check("v").is_err());
        assert!(CreateInOrderOptions::new().with_ttl(Duration::from_secs(u64::MAX)).check().is_err());
    }

    #[test]
    fn contradicting_set_options_are_refused_with_a_reason() {
        let cases = [
            (SetOptions::new().with_dir(), "v", "directory has no value"),
            (SetOptions::new().with_dir().with_prev_value("x"), "", "no value to compare"),
            (SetOptions::new().with_refresh().with_ttl(Duration::from_secs(1)), "v", "refresh keeps the value"),
            (SetOptions::new().with_refresh(), "", "add with_ttl()"),
            (SetOptions::new().with_prev_value(""), "v", "empty prev_value"),
            (SetOptions::new().with_prev_index(0), "v", "prev_index of 0"),
            (SetOptions::new().with_ttl(Duration::ZERO), "v", "TTL of zero"),
            (SetOptions::new().with_ttl_removed().with_ttl(Duration::from_secs(1)), "v", "contradict"),
            (SetOptions::new().with_ttl_removed().with_prev_exist(PrevExist::NotExists), "v", "needs an existing"),
        ];
        for (options, value, why) in cases {
            let err = options.check(value).unwrap_err();
            assert_eq!(err.kind(), InvalidRequestKind::Options);
            assert!(err.reason().contains(why), "{options:?}: {err}");
        }
        SetOptions::new().with_dir().check("").unwrap();
        SetOptions::new().with_refresh().with_ttl(Duration::from_secs(1)).check("").unwrap();
    }

    #[test]
    fn contradicting_delete_options_are_refused() {
        assert!(DeleteOptions::new().with_dir().with_prev_value("x").check().is_err());
        assert!(DeleteOptions::new().with_prev_value("").check().is_err());
        assert!(DeleteOptions::new().with_prev_index(0).check().is_err());
        DeleteOptions::new().with_recursive().with_prev_index(3).check().unwrap();
        assert!(CreateInOrderOptions::new().with_ttl(Duration::ZERO).check().is_err());
    }
}
