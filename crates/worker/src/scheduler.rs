//! Scheduled work. Each occurrence of a schedule is enqueued as a job with a unique key, so
//! however many workers see the occurrence come due, exactly one job exists for it.

use opsdesk_store::jobs::NewJob;
use opsdesk_store::{Db, Ts};
use std::collections::HashMap;
use std::time::Duration;

/// Enqueue a job of `job_kind` once every `every`, aligned to the Unix epoch (so every node
/// computes the same occurrences).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub every: Duration,
    pub job_kind: String,
    pub payload: serde_json::Value,
}

impl Schedule {
    /// The occurrence that is due at `now`: its number and its instant.
    pub fn occurrence_at(&self, now: Ts) -> (i64, Ts) {
        let every = self.every.as_micros().max(1) as i64;
        let n = now.micros().div_euclid(every);
        (n, Ts::from_micros(n * every))
    }
}

/// Remembers the last occurrence enqueued per schedule, so a tick costs no database write.
#[derive(Default)]
pub(crate) struct Scheduler {
    last: HashMap<String, i64>,
}

impl Scheduler {
    pub(crate) async fn tick(&mut self, db: &Db, schedules: &[Schedule], now: Ts) -> opsdesk_store::Result<()> {
        for s in schedules {
            let (n, at) = s.occurrence_at(now);
            if self.last.get(&s.name) == Some(&n) {
                continue;
            }
            let key = format!("schedule:{}:{n}", s.name);
            let job = NewJob {
                kind: &s.job_kind,
                payload: s.payload.clone(),
                run_at: at,
                max_attempts: 3,
                unique_key: Some(&key),
            };
            if db.enqueue_job(&job).await?.is_some() {
                tracing::debug!(schedule = %s.name, occurrence = n, "scheduled job enqueued");
            }
            self.last.insert(s.name.clone(), n);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences_align_to_the_epoch() {
        let s = Schedule {
            name: "x".into(),
            every: Duration::from_secs(3600),
            job_kind: "k".into(),
            payload: serde_json::Value::Null,
        };
        let t = Ts::from_micros(7_200_000_000 + 1_234_000);
        let (n, at) = s.occurrence_at(t);
        assert_eq!(n, 2);
        assert_eq!(at, Ts::from_micros(7_200_000_000));
        let (n2, _) = s.occurrence_at(Ts::from_micros(10_799_999_999));
        assert_eq!(n2, 2, "the same occurrence until the next hour");
    }
}
