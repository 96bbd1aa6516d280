//! etcd's v2 errors (`v2error`): a code, its fixed message, a cause, the store's index, and the HTTP status each
//! code is answered with.

use http::StatusCode;

/// An error code of etcd's v2 API, with etcd's number (`errorCode` in the JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 100: the key does not exist.
    KeyNotFound,
    /// 101: a compare (prevValue, prevIndex) failed.
    TestFailed,
    /// 102: the operation needs a file and found a directory.
    NotFile,
    /// 104: a path component is a file, not a directory.
    NotDir,
    /// 105: the key exists (create, prevExist=false).
    NodeExist,
    /// 107: the root is read only.
    RootReadOnly,
    /// 108: the directory is not empty (delete without recursive).
    DirNotEmpty,
    /// 110: authentication required or insufficient.
    Unauthorized,
    /// 201: `prevValue` was given empty.
    PrevValueRequired,
    /// 202: `ttl` is not a number.
    TtlNaN,
    /// 203: an index (`prevIndex`, `waitIndex`) is not a number.
    IndexNaN,
    /// 209: a field has an invalid value.
    InvalidField,
    /// 210: the form could not be parsed, or the path is not under the keys prefix.
    InvalidForm,
    /// 211: a value was given on a refresh.
    RefreshValue,
    /// 212: a refresh without a TTL.
    RefreshTtlRequired,
    /// 300: raft internal error (a timeout, no quorum).
    RaftInternal,
    /// 301: during leader election.
    LeaderElect,
    /// 400: the watcher was cleared by a recovery.
    WatcherCleared,
    /// 401: the requested watch index is older than the history kept (1,000 events).
    EventIndexCleared,
}

impl ErrorCode {
    /// etcd's number for this code.
    pub fn number(self) -> u32 {
        match self {
            ErrorCode::KeyNotFound => 100,
            ErrorCode::TestFailed => 101,
            ErrorCode::NotFile => 102,
            ErrorCode::NotDir => 104,
            ErrorCode::NodeExist => 105,
            ErrorCode::RootReadOnly => 107,
            ErrorCode::DirNotEmpty => 108,
            ErrorCode::Unauthorized => 110,
            ErrorCode::PrevValueRequired => 201,
            ErrorCode::TtlNaN => 202,
            ErrorCode::IndexNaN => 203,
            ErrorCode::InvalidField => 209,
            ErrorCode::InvalidForm => 210,
            ErrorCode::RefreshValue => 211,
            ErrorCode::RefreshTtlRequired => 212,
            ErrorCode::RaftInternal => 300,
            ErrorCode::LeaderElect => 301,
            ErrorCode::WatcherCleared => 400,
            ErrorCode::EventIndexCleared => 401,
        }
    }

    /// etcd's fixed message for this code (`message` in the JSON).
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::KeyNotFound => "Key not found",
            ErrorCode::TestFailed => "Compare failed",
            ErrorCode::NotFile => "Not a file",
            ErrorCode::NotDir => "Not a directory",
            ErrorCode::NodeExist => "Key already exists",
            ErrorCode::RootReadOnly => "Root is read only",
            ErrorCode::DirNotEmpty => "Directory not empty",
            ErrorCode::Unauthorized => "The request requires user authentication",
            ErrorCode::PrevValueRequired => "PrevValue is Required in POST form",
            ErrorCode::TtlNaN => "The given TTL in POST form is not a number",
            ErrorCode::IndexNaN => "The given index in POST form is not a number",
            ErrorCode::InvalidField => "Invalid field",
            ErrorCode::InvalidForm => "Invalid POST form",
            ErrorCode::RefreshValue => "Value provided on refresh",
            ErrorCode::RefreshTtlRequired => "A TTL must be provided on refresh",
            ErrorCode::RaftInternal => "Raft Internal Error",
            ErrorCode::LeaderElect => "During Leader Election",
            ErrorCode::WatcherCleared => "watcher is cleared due to etcd recovery",
            ErrorCode::EventIndexCleared => "The event in requested index is outdated and cleared",
        }
    }

    /// The HTTP status etcd answers this code with (400 unless listed in etcd's `errorStatus`).
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::KeyNotFound => StatusCode::NOT_FOUND,
            ErrorCode::NotFile | ErrorCode::DirNotEmpty => StatusCode::FORBIDDEN,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::TestFailed | ErrorCode::NodeExist => StatusCode::PRECONDITION_FAILED,
            ErrorCode::RaftInternal | ErrorCode::LeaderElect => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error of etcd's v2 API as etcd answers it: `{"errorCode":..,"message":..,"cause":..,"index":..}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} ({cause})", code.message())]
pub struct V2Error {
    /// The code.
    pub code: ErrorCode,
    /// What etcd names as the cause: a key, a comparison (`[a != b]`), a reason; empty is left out of the JSON.
    pub cause: String,
    /// The store's index when the error happened; 0 for a request etcd refused before reaching the store.
    pub index: u64,
}

impl V2Error {
    /// An error with its cause and the store's index.
    pub fn new(code: ErrorCode, cause: impl Into<String>, index: u64) -> Self {
        V2Error { code, cause: cause.into(), index }
    }

    /// An error found while parsing the request (index 0, as etcd's `NewRequestError`).
    pub fn request(code: ErrorCode, cause: impl Into<String>) -> Self {
        V2Error::new(code, cause, 0)
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The JSON body etcd writes, with its trailing newline, in etcd's field order and escaping.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Wire<'a> {
            #[serde(rename = "errorCode")]
            error_code: u32,
            message: &'a str,
            #[serde(skip_serializing_if = "str::is_empty")]
            cause: &'a str,
            index: u64,
        }
        let wire = Wire {
            error_code: self.code.number(),
            message: self.code.message(),
            cause: &self.cause,
            index: self.index,
        };
        let mut text = crate::json::to_go_json(&wire);
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_etcd_does_leaving_out_an_empty_cause() {
        let error = V2Error::new(ErrorCode::KeyNotFound, "/foo", 7);
        assert_eq!(
            error.to_json(),
            "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/foo\",\"index\":7}\n"
        );
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        let error = V2Error::request(ErrorCode::RaftInternal, "");
        assert_eq!(error.to_json(), "{\"errorCode\":300,\"message\":\"Raft Internal Error\",\"index\":0}\n");
        assert_eq!(V2Error::request(ErrorCode::TtlNaN, "x").status(), StatusCode::BAD_REQUEST);
    }
}
