use std::fmt;

use http::StatusCode;
use serde::Deserialize;

/// An etcd v2 error code (`errorCode` in etcd's JSON), with a constant for every code etcd defines.
///
/// A newtype rather than an enum so that a code this client does not know is kept as it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u32);

macro_rules! error_codes {
    ($($name:ident = $code:literal, $message:literal;)*) => {
        impl ErrorCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $message, ".")]
                pub const $name: ErrorCode = ErrorCode($code);
            )*

            /// The constant's name of a known code (`"KEY_NOT_FOUND"`), `None` for an unknown one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// etcd's own message for a known code (`"Key not found"`), `None` for an unknown one.
            pub fn canonical_message(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($message),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    KEY_NOT_FOUND = 100, "Key not found";
    TEST_FAILED = 101, "Compare failed";
    NOT_FILE = 102, "Not a file";
    NO_MORE_PEER = 103, "Reached the max number of peers in the cluster";
    NOT_DIR = 104, "Not a directory";
    NODE_EXIST = 105, "Key already exists";
    KEY_IS_PRESERVED = 106, "The prefix of given key is a keyword in etcd";
    ROOT_READ_ONLY = 107, "Root is read only";
    DIR_NOT_EMPTY = 108, "Directory not empty";
    EXISTING_PEER_ADDR = 109, "Peer address has existed";
    UNAUTHORIZED = 110, "The request requires user authentication";
    VALUE_REQUIRED = 200, "Value is Required in POST form";
    PREV_VALUE_REQUIRED = 201, "PrevValue is Required in POST form";
    TTL_NAN = 202, "The given TTL in POST form is not a number";
    INDEX_NAN = 203, "The given index in POST form is not a number";
    VALUE_OR_TTL_REQUIRED = 204, "Value or TTL is required in POST form";
    TIMEOUT_NAN = 205, "The given timeout in POST form is not a number";
    NAME_REQUIRED = 206, "Name is required in POST form";
    INDEX_OR_VALUE_REQUIRED = 207, "Index or value is required";
    INDEX_VALUE_MUTEX = 208, "Index and value cannot both be specified";
    INVALID_FIELD = 209, "Invalid field";
    INVALID_FORM = 210, "Invalid POST form";
    REFRESH_VALUE = 211, "Value provided on refresh";
    REFRESH_TTL_REQUIRED = 212, "A TTL must be provided on refresh";
    RAFT_INTERNAL = 300, "Raft Internal Error";
    LEADER_ELECT = 301, "During Leader Election";
    WATCHER_CLEARED = 400, "watcher is cleared due to etcd recovery";
    EVENT_INDEX_CLEARED = 401, "The event in requested index is outdated and cleared";
    STANDBY_INTERNAL = 402, "Standby Internal Error";
    INVALID_ACTIVE_SIZE = 403, "Invalid active size";
    INVALID_REMOVE_DELAY = 404, "Standby remove delay";
    CLIENT_INTERNAL = 500, "Client Internal Error";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An answer from etcd that says no: its `errorCode`, `message`, `cause` and `index`.
///
/// This is etcd speaking, not a transport failure: the request reached a member and the member refused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdError {
    code: ErrorCode,
    message: String,
    cause: Option<String>,
    index: u64,
    status: StatusCode,
}

/// etcd's error body; `index` and `cause` are absent on some errors.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EtcdErrorBody {
    pub(crate) error_code: ErrorCode,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) cause: Option<String>,
    #[serde(default)]
    pub(crate) index: u64,
}

impl EtcdError {
    /// Builds an error as etcd would send it; useful for test doubles.
    pub fn new(code: ErrorCode, message: impl Into<String>, cause: Option<String>, index: u64) -> Self {
        EtcdError { code, message: message.into(), cause, index, status: StatusCode::BAD_REQUEST }
    }

    pub(crate) fn from_body(body: EtcdErrorBody, status: StatusCode) -> Self {
        EtcdError {
            code: body.error_code,
            message: body.message,
            cause: body.cause.filter(|c| !c.is_empty()),
            index: body.index,
            status,
        }
    }

    /// Sets the HTTP status the error came with.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// etcd's error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// etcd's message, as it sent it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the error is about, usually the key (`/foo`) or the failed comparison (`[bar != baz]`).
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The etcd index when the error happened; a watcher resumes after it.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The HTTP status the error came with (404 for key not found, 412 for a failed compare, ...).
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl fmt::Display for EtcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd error {}: {}", self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        write!(f, " at index {}", self.index)
    }
}

impl std::error::Error for EtcdError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_names_and_messages_and_unknown_ones_are_kept() {
        assert_eq!(ErrorCode::KEY_NOT_FOUND, ErrorCode(100));
        assert_eq!(ErrorCode(100).name(), Some("KEY_NOT_FOUND"));
        assert_eq!(ErrorCode(401).canonical_message(), Some("The event in requested index is outdated and cleared"));
        assert_eq!(ErrorCode(999).name(), None);
        assert_eq!(ErrorCode(999).to_string(), "999");
    }

    #[test]
    fn display_names_code_message_cause_and_index() {
        let e = EtcdError::new(ErrorCode::KEY_NOT_FOUND, "Key not found", Some("/foo".into()), 7);
        assert_eq!(e.to_string(), "etcd error 100: Key not found (/foo) at index 7");
    }
}
