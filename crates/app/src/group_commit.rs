//! Group commit: writes that arrive at the same moment share one transaction. SQLite has one
//! writer and every commit waits for the disk, so a commit per request caps the write rate at
//! the disk's flush rate; writing everything that waits in one transaction does not.
//!
//! Each caller leaves its item in a queue and then takes a turn; a turn writes everything
//! waiting (up to a limit) and answers each caller with its own result, only after the commit.
//! Every item brings one turn, so no item is left behind: a turn that finds items writes at
//! least one of them.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

pub struct GroupCommit<T, R> {
    waiting: Mutex<Vec<(T, oneshot::Sender<R>)>>,
    /// Held while a batch is written; callers queue on it in order (tokio's mutex is fair).
    turn: tokio::sync::Mutex<()>,
    max_batch: usize,
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    pub fn new(max_batch: usize) -> Arc<Self> {
        Arc::new(GroupCommit { waiting: Mutex::new(Vec::new()), turn: Default::default(), max_batch: max_batch.max(1) })
    }

    /// Queues `item` and returns its result once the batch holding it is written. `write`
    /// gets a batch and returns one result per item, in order. `None` if the batch was
    /// abandoned (its writer panicked).
    pub async fn submit<F, Fut>(self: &Arc<Self>, item: T, write: F) -> Option<R>
    where
        F: FnOnce(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let (answer, answered) = oneshot::channel();
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).push((item, answer));
        // The turn runs in its own task, so a caller that is dropped (a request whose client
        // went away) cannot abandon the batch it is writing for others.
        let this = self.clone();
        tokio::spawn(async move {
            let _turn = this.turn.lock().await;
            let (items, answers): (Vec<T>, Vec<oneshot::Sender<R>>) = {
                let mut waiting = this.waiting.lock().unwrap_or_else(|e| e.into_inner());
                let n = waiting.len().min(this.max_batch);
                waiting.drain(..n).unzip()
            };
            if items.is_empty() {
                return;
            }
            for (answer, result) in answers.into_iter().zip(write(items).await) {
                let _ = answer.send(result);
            }
        });
        answered.await.ok()
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
    }
}
