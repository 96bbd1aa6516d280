//! The pause before a watch asks again after polls that brought nothing: a member that keeps failing, or a
//! stream that keeps ending without events, is not asked in a tight loop.

use std::time::Duration;

/// The longest pause between two polls that delivered nothing.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// Polls in a row that delivered no event, and the pause that follows from them: none after a poll that
/// delivered, then 50 ms, doubling up to 2 s.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    quiet_polls: u32,
}

impl Backoff {
    /// A poll brought nothing (it failed, or its stream ended without an event).
    pub(super) fn quiet(&mut self) {
        self.quiet_polls = self.quiet_polls.saturating_add(1);
    }

    /// A poll delivered an event: the next one goes at once.
    pub(super) fn reset(&mut self) {
        self.quiet_polls = 0;
    }

    /// The pause before the next poll.
    pub(super) fn pause(&self) -> Option<Duration> {
        let exponent = self.quiet_polls.checked_sub(1)?.min(8);
        Some((FIRST_BACKOFF * 2u32.pow(exponent)).min(MAX_BACKOFF))
    }

    /// Waits for the pause, if any.
    pub(super) async fn wait(&self) {
        if let Some(pause) = self.pause() {
            tokio::time::sleep(pause).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_from_50_ms_to_2_s_and_an_event_ends_it() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.pause(), None);
        let pauses: Vec<u64> = (0..8)
            .map(|_| {
                backoff.quiet();
                backoff.pause().unwrap().as_millis() as u64
            })
            .collect();
        assert_eq!(pauses, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
        backoff.reset();
        assert_eq!(backoff.pause(), None);
    }
}
