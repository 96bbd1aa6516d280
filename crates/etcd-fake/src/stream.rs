//! A watch's events as a stream: held back while the member is frozen, and unregistered from the store when
//! the stream is dropped (the client went away).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use etcd_v2_server::{Event, EventStream, StoreError};
use futures_core::Stream;
use tokio::sync::{mpsc, watch};

use crate::fake::Shared;
use crate::store::Registered;

struct State {
    shared: Arc<Shared>,
    id: Option<u64>,
    key: String,
    events: mpsc::Receiver<Arc<Event>>,
    frozen: watch::Receiver<bool>,
    downs: watch::Receiver<u64>,
}

impl Drop for State {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared.store().unwatch(&self.key, id);
        }
    }
}

type Next = Pin<Box<dyn Future<Output = Option<(Result<Event, StoreError>, Option<State>)>> + Send>>;

/// The events of a registered watch.
pub(crate) fn events(shared: Arc<Shared>, member: usize, registered: Registered) -> EventStream {
    let frozen = shared.members[member].frozen.subscribe();
    let downs = shared.members[member].downs.subscribe();
    let state = State { shared, id: registered.id, key: registered.key, events: registered.events, frozen, downs };
    Box::pin(Events { next: Some(Box::pin(next(state))) })
}

async fn next(mut state: State) -> Option<(Result<Event, StoreError>, Option<State>)> {
    let event = tokio::select! {
        event = state.events.recv() => event?,
        _ = state.downs.changed() => {
            let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "etcd-fake: the member went down");
            return Some((Err(StoreError::Unavailable(reset.into())), None));
        }
    };
    // A frozen member sends nothing until thawed; a dropped member (the fake gone) ends the stream.
    state.frozen.wait_for(|frozen| !*frozen).await.ok()?;
    Some((Ok(Event::clone(&event)), Some(state)))
}

struct Events {
    next: Option<Next>,
}

impl Stream for Events {
    type Item = Result<Event, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(next) = self.next.as_mut() else { return Poll::Ready(None) };
        match next.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.next = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some((item, state))) => {
                self.next = state.map(|state| Box::pin(self::next(state)) as Next);
                Poll::Ready(Some(item))
            }
        }
    }
}
