//! `password_reset.mail` composes one password-reset message (a fresh single-use link that
//! replaces the user's previous one) and delivers it.

use crate::mail::deliver_recorded;
use crate::{JobContext, JobError, Registry};
use opsdesk_app::password_reset::RESET_MAIL_JOB;

pub fn register(r: &mut Registry) {
    r.handle(RESET_MAIL_JOB, mail);
}

async fn mail(ctx: JobContext, payload: serde_json::Value) -> Result<(), JobError> {
    let user_id = payload["user_id"].as_i64().ok_or_else(|| JobError::Permanent("no user_id".into()))?;
    let Some(url) = ctx.app.config.mail.smtp_url.clone() else {
        return Err(JobError::Retry("no SMTP relay is configured (OPSDESK_SMTP_URL)".into()));
    };
    let tag = format!("j{}a{}", ctx.job_id, ctx.attempt);
    let Some(m) = ctx.app.compose_password_reset_mail(user_id, &tag).await? else { return Ok(()) };
    deliver_recorded(&ctx, &url, m.mail_id, &m.from, &m.to, &m.raw).await
}
