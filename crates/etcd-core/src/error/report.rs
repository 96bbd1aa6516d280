//! Printing an error with its causes on one line.

use std::fmt;

/// An error followed by its causes on its last line, `error: cause: root`, as `anyhow` prints with `{:#}`: for
/// logs and messages that print errors with `Display` alone.
///
/// Every error of this workspace says its own facts in `Display` and its cause through `source()`, so that a chain
/// printer (anyhow's `Caused by:`, eyre, tracing's error fields) shows each cause once, and an `io::Error` or a TLS
/// error is reached by walking `source()`. A [`ClusterError`](crate::ClusterError) lists each endpoint on its own line, the last one's
/// cause being its `source()`; [`OutcomeUnknown`](crate::OutcomeUnknown) puts the endpoint that may have applied the write last.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use etcd_core::{AttemptFailure, ClusterError, EndpointError, Error};
///
/// let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
/// let error = Error::from(ClusterError::new(vec![
///     EndpointError::new("http://a:1", AttemptFailure::HeaderTimeout(Duration::from_secs(1))),
///     EndpointError::new("http://b:2", AttemptFailure::Connect(refused.into())),
/// ]));
/// assert_eq!(
///     error.report().to_string(),
///     "all 2 endpoints failed:\n  http://a:1: no response headers within 1s\n  http://b:2: connection failed: connection refused"
/// );
/// ```
#[derive(Clone, Copy)]
pub struct Report<'a>(&'a (dyn std::error::Error + 'static));

impl<'a> Report<'a> {
    /// `error` with its causes.
    pub fn new(error: &'a (dyn std::error::Error + 'static)) -> Self {
        Report(error)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
