//! Reminders and escalations: an approver who has not decided `remind_after_secs` after their
//! stage started is reminded once; after `escalate_after_secs` their manager is told once.
//! "Once" is the `approval_nudges` key, inserted in the transaction that queues the mail, so
//! however many workers scan at the same time, one of them queues it.

use super::mail::MailPurpose;
use super::start::enqueue_mail;
use crate::{emit, App, Result};
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use serde_json::json;
use std::time::Duration;

/// What one scan queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nudged {
    pub reminders: usize,
    pub escalations: usize,
}

impl App {
    /// Queues the reminders and escalations that are due at `now` (the scheduled job).
    pub async fn nudge_approvers(&self, now: Ts) -> Result<Nudged> {
        let s = self.approval_settings().await?;
        let mut done = Nudged::default();
        for (purpose, after) in
            [(MailPurpose::Reminder, s.remind_after_secs), (MailPurpose::Escalation, s.escalate_after_secs)]
        {
            let cutoff = Ts::from_micros(now.micros() - Duration::from_secs(after.max(0) as u64).as_micros() as i64);
            loop {
                let due = self.db.due_approval_nudges(purpose.as_str(), cutoff, 200).await?;
                let mut queued = 0;
                for d in &due {
                    let mut tx = self.db.begin().await?;
                    if tx.record_approval_nudge(d.stage_id, d.approver_id, purpose.as_str(), now).await? {
                        enqueue_mail(&mut tx, d.stage_id, d.approver_id, purpose, now).await?;
                        let kind = match purpose {
                            MailPurpose::Escalation => "approval.escalated",
                            _ => "approval.reminded",
                        };
                        let payload =
                            json!({ "approval_id": d.approval_id, "stage_id": d.stage_id, "approver": d.approver_id });
                        emit(&mut tx, kind, format!("approval:{}", d.approval_id), &Actor::system(), payload, now)
                            .await?;
                        queued += 1;
                    }
                    tx.commit().await?;
                }
                match purpose {
                    MailPurpose::Escalation => done.escalations += queued,
                    _ => done.reminders += queued,
                }
                if due.len() < 200 || queued == 0 {
                    break;
                }
            }
        }
        Ok(done)
    }
}
