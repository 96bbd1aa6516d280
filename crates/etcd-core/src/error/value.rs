use std::fmt;

/// A key's value is not what the caller expected: the JSON helpers (`KeysApi::get_json`) could not read it as
/// the type asked for, or could not write a value as JSON.
///
/// etcd answered (or would have been asked) correctly; the value itself is the problem, so retrying will not
/// help until someone writes another value.
#[derive(Debug)]
pub struct InvalidValue {
    key: String,
    index: Option<u64>,
    source: serde_json::Error,
}

impl InvalidValue {
    /// The value of `key` (read at `index`, when it was read) could not be decoded or encoded, for `source`.
    pub fn new(key: impl Into<String>, index: Option<u64>, source: serde_json::Error) -> Self {
        InvalidValue { key: key.into(), index, source }
    }

    /// The key whose value it is.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The index the value was read at; `None` for a value that was to be written.
    pub fn index(&self) -> Option<u64> {
        self.index
    }

    /// serde_json's error: where in the value, and what (its line and column, `classify()`).
    pub fn json_error(&self) -> &serde_json::Error {
        &self.source
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "the value of {} (index {index}) is not the JSON expected", self.key),
            None => write!(f, "the value for {} cannot be written as JSON", self.key),
        }
    }
}

/// The cause is serde_json's error (what and where), not repeated in `Display`.
impl std::error::Error for InvalidValue {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
