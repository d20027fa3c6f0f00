//! The email channel's jobs: outbox events become notifications (`mail.notify`), and each
//! stored outbound message is delivered over SMTP (`mail.send`), retried with backoff by the
//! queue; the last failure is recorded on the ticket.

use crate::{JobContext, JobError, Registry, Subscriber};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use opsdesk_app::mail::SEND_ATTEMPTS;
use std::time::Duration;

pub const NOTIFY: &str = "mail.notify";
pub const SEND: &str = "mail.send";

pub fn register(r: &mut Registry) {
    r.handle(NOTIFY, notify);
    r.handle(SEND, send);
    for prefix in ["ticket.created", "ticket.updated", "ticket.transitioned", "comment.added"] {
        r.subscribe(Subscriber {
            name: format!("mail-{prefix}"),
            event_prefix: prefix.into(),
            job_kind: NOTIFY.into(),
        });
    }
}

async fn notify(ctx: JobContext, payload: serde_json::Value) -> Result<(), JobError> {
    let event: opsdesk_app::mail::EventRef =
        serde_json::from_value(payload).map_err(|e| JobError::Permanent(format!("unreadable event: {e}")))?;
    let queued = ctx.app.queue_notifications(&event).await?;
    if !queued.is_empty() {
        tracing::info!(event = event.event_id, count = queued.len(), "queued notifications");
    }
    Ok(())
}

async fn send(ctx: JobContext, payload: serde_json::Value) -> Result<(), JobError> {
    let mail_id = payload["mail_id"].as_i64().ok_or_else(|| JobError::Permanent("no mail_id".into()))?;
    let Some((m, raw)) = ctx.app.mail_to_send(mail_id).await? else { return Ok(()) };
    let last = ctx.attempt >= SEND_ATTEMPTS;
    let Some(url) = ctx.app.config.mail.smtp_url.clone() else {
        let err = "no SMTP relay is configured (OPSDESK_SMTP_URL)";
        ctx.app.record_delivery(mail_id, Some(err), last).await?;
        return Err(JobError::Retry(err.into()));
    };
    let (Some(from), Some(to)) = (m.sender.as_deref(), m.recipient.as_deref()) else {
        ctx.app.record_delivery(mail_id, Some("the message has no envelope"), true).await?;
        return Err(JobError::Permanent("no envelope".into()));
    };
    deliver_recorded(&ctx, &url, mail_id, from, to, &raw).await
}

/// Delivers one stored message and records the attempt on it: delivered, failed for good, or
/// to be retried (failed for good on the last attempt).
pub(crate) async fn deliver_recorded(
    ctx: &JobContext,
    url: &str,
    mail_id: i64,
    from: &str,
    to: &str,
    raw: &[u8],
) -> Result<(), JobError> {
    let last = ctx.attempt >= SEND_ATTEMPTS;
    match deliver(url, from, to, raw).await {
        Ok(()) => {
            ctx.app.record_delivery(mail_id, None, false).await?;
            Ok(())
        }
        Err(Delivery::Permanent(err)) => {
            ctx.app.record_delivery(mail_id, Some(&err), true).await?;
            Err(JobError::Permanent(err))
        }
        Err(Delivery::Temporary(err)) => {
            ctx.app.record_delivery(mail_id, Some(&err), last).await?;
            Err(JobError::Retry(err))
        }
    }
}

/// Why a delivery failed: for good (bad address, refused by the relay) or for now.
pub(crate) enum Delivery {
    Permanent(String),
    Temporary(String),
}

/// Sends `raw` from `from` to `to` through the relay at `url`.
pub(crate) async fn deliver(url: &str, from: &str, to: &str, raw: &[u8]) -> Result<(), Delivery> {
    let envelope = match (from.parse(), to.parse()) {
        (Ok(f), Ok(t)) => Envelope::new(Some(f), vec![t]).map_err(|e| e.to_string()),
        (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
    };
    let envelope = envelope.map_err(|e| Delivery::Permanent(format!("bad address: {e}")))?;
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
        Ok(b) => b.timeout(Some(Duration::from_secs(30))).build(),
        Err(e) => return Err(Delivery::Temporary(format!("bad SMTP URL: {e}"))),
    };
    match transport.send_raw(&envelope, raw).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Delivery::Permanent(format!("refused by the relay: {e}"))),
        Err(e) => Err(Delivery::Temporary(format!("delivery failed: {e}"))),
    }
}
