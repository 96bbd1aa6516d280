//! Running a few futures at once in the caller's task, without spawning and without a dependency.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

/// Polls every future until all are done; their outputs, in the order given.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|output| output.expect("every future finished")).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn outputs_come_in_the_order_given_and_the_waits_overlap() {
        let started = tokio::time::Instant::now();
        let futures = [3u64, 1, 2].map(|secs| async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            secs
        });
        assert_eq!(join_all(futures.into_iter().collect()).await, [3, 1, 2]);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }
}
