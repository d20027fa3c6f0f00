//! Approval jobs: `approval.mail` composes one request, reminder or escalation (a fresh signed
//! link each time) and delivers it; `approvals.nudge` runs every minute and queues the
//! reminders and escalations that have come due, each once.

use crate::mail::deliver_recorded;
use crate::{JobContext, JobError, Registry, Schedule};
use opsdesk_app::approvals::{MailPurpose, MAIL_JOB};
use opsdesk_store::Ts;
use std::time::Duration;

pub const NUDGE: &str = "approvals.nudge";

pub fn register(r: &mut Registry) {
    r.handle(MAIL_JOB, mail);
    r.handle(NUDGE, nudge);
    r.schedule(Schedule {
        name: "approval-nudges".into(),
        every: Duration::from_secs(60),
        job_kind: NUDGE.into(),
        payload: serde_json::json!({}),
    });
}

async fn mail(ctx: JobContext, payload: serde_json::Value) -> Result<(), JobError> {
    let stage_id = payload["stage_id"].as_i64().ok_or_else(|| JobError::Permanent("no stage_id".into()))?;
    let approver = payload["approver_id"].as_i64().ok_or_else(|| JobError::Permanent("no approver_id".into()))?;
    let purpose = payload["purpose"]
        .as_str()
        .and_then(MailPurpose::parse)
        .ok_or_else(|| JobError::Permanent("unknown purpose".into()))?;
    let Some(url) = ctx.app.config.mail.smtp_url.clone() else {
        return Err(JobError::Retry("no SMTP relay is configured (OPSDESK_SMTP_URL)".into()));
    };
    let tag = format!("j{}a{}", ctx.job_id, ctx.attempt);
    let Some(m) = ctx.app.compose_approval_mail(stage_id, approver, purpose, &tag).await? else { return Ok(()) };
    deliver_recorded(&ctx, &url, m.mail_id, &m.from, &m.to, &m.raw).await
}

async fn nudge(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let n = ctx.app.nudge_approvers(Ts::now()).await?;
    if n.reminders + n.escalations > 0 {
        tracing::info!(
            reminders = n.reminders,
            escalations = n.escalations,
            "approval reminders and escalations queued"
        );
    }
    Ok(())
}
