/// What replaying a request could break; set by the API crates as a request extension, read by the retry
/// policy when an attempt failed after the request may have reached a member.
///
/// A request without this extension is treated as [`Idempotency::NonIdempotentWrite`]: never replayed unless it
/// certainly never left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idempotency {
    /// A read: replaying it changes nothing.
    Read,
    /// A write that gives the same result when applied twice in a row (an unconditional `set`). Still not
    /// replayed by the default policy: a late copy applied after someone else's newer write would undo it.
    IdempotentWrite,
    /// A write that a repeated or late copy cannot change: removing a member (IDs are never reused, and a second
    /// removal answers 410 Gone, which counts as done). Sent on to the next member like a read.
    ReplaySafeWrite,
    /// A write that must not be applied twice: create, create-in-order, compare-and-swap, delete. Replaying one
    /// could add a second queue entry or answer "key exists" because our own first attempt succeeded.
    NonIdempotentWrite,
}

impl Idempotency {
    /// Whether a request of this kind may be sent again after an attempt that may have reached a member,
    /// without breaking linearizability: a read, or a write no copy of which can change anything.
    pub fn is_replay_safe(self) -> bool {
        matches!(self, Idempotency::Read | Idempotency::ReplaySafeWrite)
    }
}
