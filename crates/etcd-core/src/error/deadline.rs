//! The caller's deadline.

use std::fmt;
use std::time::Duration;

/// The caller's overall deadline for a call passed, whatever the attempts had met.
///
/// A write may have been applied: the deadline can pass after the request reached a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineExceeded {
    budget: Duration,
}

impl DeadlineExceeded {
    /// The deadline of a call whose budget was `budget`.
    pub fn new(budget: Duration) -> Self {
        DeadlineExceeded { budget }
    }

    /// The budget the call had.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline of {:?} exceeded", self.budget)
    }
}

impl std::error::Error for DeadlineExceeded {}
