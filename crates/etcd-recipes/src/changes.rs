//! The stream of a cache's changes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::cache::{Change, Shared};

type Receive = Pin<Box<dyn Future<Output = (Result<Change, RecvError>, broadcast::Receiver<Change>)> + Send>>;

/// The changes of a [`Cache`](crate::Cache) from when this stream was made, in order; it ends when the cache is
/// dropped. See [`Cache::changes`](crate::Cache::changes).
pub struct Changes {
    receive: Receive,
    shared: Arc<Shared>,
}

impl Changes {
    pub(crate) fn new(receiver: broadcast::Receiver<Change>, shared: Arc<Shared>) -> Changes {
        Changes { receive: receive(receiver), shared }
    }

    /// The next change, or `None` once the cache was dropped. The same as `StreamExt::next`, without the import.
    pub async fn next(&mut self) -> Option<Change> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

fn receive(mut receiver: broadcast::Receiver<Change>) -> Receive {
    Box::pin(async move { (receiver.recv().await, receiver) })
}

impl Stream for Changes {
    type Item = Change;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Change>> {
        let (received, receiver) = ready!(self.receive.as_mut().poll(cx));
        self.receive = receive(receiver);
        Poll::Ready(match received {
            Ok(change) => Some(change),
            Err(RecvError::Lagged(_)) => Some(Change::Reset { index: self.shared.index() }),
            Err(RecvError::Closed) => None,
        })
    }
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes").field("index", &self.shared.index()).finish_non_exhaustive()
    }
}
