//! The task that expires TTLs when due, on tokio's clock, so a watcher hears of an expiry without any other
//! request (and `advance()` under paused time makes it happen exactly then).

use std::sync::{Arc, Weak};

use crate::fake::Shared;

pub(crate) fn spawn(shared: &Arc<Shared>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let weak = Arc::downgrade(shared);
    let wake = Arc::clone(&shared.wake);
    runtime.spawn(async move {
        loop {
            let Some(next) = next_expiry(&weak) else { return };
            let woken = wake.notified();
            match next {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = woken => {}
                    }
                }
                None => woken.await,
            }
            let Some(shared) = weak.upgrade() else { return };
            shared.expire_due();
        }
    });
}

/// `None` when the fake is gone; else the earliest pending expiry, if any.
fn next_expiry(weak: &Weak<Shared>) -> Option<Option<tokio::time::Instant>> {
    let shared = weak.upgrade()?;
    let next = shared.store().next_expiry();
    Some(next)
}
