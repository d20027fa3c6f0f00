//! Group commit: writes that arrive at the same moment share one transaction. SQLite has one
//! writer and every commit waits for the disk, so a commit per request caps the write rate at
//! the disk's flush rate; writing everything that waits in one transaction does not.
//!
//! Each caller leaves its item in a queue. If no writer is running, the caller starts one: it
//! writes everything waiting (up to a limit) in one batch, answers each caller with its own
//! result (only after the commit), and goes on until the queue is empty. One writer at a time,
//! started and stopped under the queue's lock, so no item waits without a writer.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

pub struct GroupCommit<T, R> {
    state: Mutex<State<T, R>>,
    max_batch: usize,
}

struct State<T, R> {
    waiting: Vec<(T, oneshot::Sender<R>)>,
    /// A writer task is running (it empties `waiting` before it stops).
    writing: bool,
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    pub fn new(max_batch: usize) -> Arc<Self> {
        Arc::new(GroupCommit {
            state: Mutex::new(State { waiting: Vec::new(), writing: false }),
            max_batch: max_batch.max(1),
        })
    }

    /// Queues `item` and returns its result once the batch holding it is written. `write`
    /// gets a batch and returns one result per item, in order. `None` if the batch was
    /// abandoned (its writer panicked).
    pub async fn submit<F, Fut>(self: &Arc<Self>, item: T, write: F) -> Option<R>
    where
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let start_writer = {
            let mut state = self.lock();
            state.waiting.push((item, answer));
            !std::mem::replace(&mut state.writing, true)
        };
        // The writer is its own task, so a caller that is dropped (a request whose client went
        // away) cannot abandon the batch it is writing for others.
        if start_writer {
            tokio::spawn(self.clone().write_all(write));
        }
        answered.await.ok()
    }

    async fn write_all<F, Fut>(self: Arc<Self>, write: F)
    where
        F: Fn(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        loop {
            let (items, answers): (Vec<T>, Vec<oneshot::Sender<R>>) = {
                let mut state = self.lock();
                if state.waiting.is_empty() {
                    state.writing = false;
                    return;
                }
                let n = state.waiting.len().min(self.max_batch);
                state.waiting.drain(..n).unzip()
            };
            // A batch that panics drops its answers (its callers see it abandoned) and the
            // writer goes on with the next.
            if let Ok(results) = tokio::spawn(write(items)).await {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T, R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_gets_its_own_result_and_batches_form() {
        let gc = GroupCommit::<u32, (u32, usize)>::new(16);
        let mut calls = Vec::new();
        for i in 0..100u32 {
            let gc = gc.clone();
            calls.push(tokio::spawn(async move {
                gc.submit(i, |items| async move {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    let n = items.len();
                    items.into_iter().map(|i| (i * 2, n)).collect::<Vec<_>>()
                })
                .await
            }));
        }
        let mut largest = 0;
        for (i, c) in calls.into_iter().enumerate() {
            let (doubled, batch) = c.await.unwrap().unwrap();
            assert_eq!(doubled, i as u32 * 2);
            assert!(batch <= 16);
            largest = largest.max(batch);
        }
        assert!(largest > 1, "no batch held more than one item");
        let state = gc.lock();
        assert!(state.waiting.is_empty() && !state.writing, "the writer stopped with the queue empty");
    }
}
