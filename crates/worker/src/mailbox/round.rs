//! One round on a selected folder: find the unseen messages, ingest each in UID order, and
//! settle it on the server only once its outcome is committed; and the IDLE wait between
//! rounds.

use super::connect::{step, ImapError, ImapSession};
use futures_util::TryStreamExt;
use opsdesk_app::{App, AppError};
use opsdesk_store::mail::Mailbox;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// The keyword on messages Opsdesk refused; they are not fetched again.
pub(super) const REFUSED: &str = "$OpsdeskRefused";

/// At most this many messages per round, so a flooded folder still renews its lease.
const PER_ROUND: usize = 100;

#[derive(Debug, Default)]
pub(super) struct RoundOutcome {
    /// Messages ingested and settled (stored, duplicate, held, dropped, bounce).
    pub committed: usize,
    /// What to show the admin: a refused message or a temporary failure.
    pub problem: Option<String>,
    /// The round stopped at a temporary failure; the message stays for the next round.
    pub temporary: bool,
}

pub(super) async fn run(
    app: &App,
    m: &Mailbox,
    session: &mut ImapSession,
    uidplus: bool,
) -> Result<RoundOutcome, ImapError> {
    let mut out = RoundOutcome::default();
    let found = step(session.uid_search(format!("UNSEEN UNDELETED UNKEYWORD {REFUSED}"))).await?;
    if found.is_empty() {
        return Ok(out);
    }
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(PER_ROUND);
    let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    // Sizes first, so an oversized message is refused without downloading it.
    let sizes: HashMap<u32, u32> = step(async {
        let s = session.uid_fetch(&set, "(UID RFC822.SIZE)").await?;
        let all: Vec<_> = s.try_collect().await?;
        Ok::<_, async_imap::error::Error>(all.iter().filter_map(|f| Some((f.uid?, f.size?))).collect())
    })
    .await?;
    let limit = app.config.mail.max_message_bytes;
    let desk = m.desk_id.to_string();
    for uid in uids {
        let Some(size) = sizes.get(&uid).copied() else { continue };
        if size as usize > limit {
            refuse(session, uid, &mut out, &format!("larger than the limit of {limit} bytes ({size} bytes)")).await?;
            continue;
        }
        let raw = step(async {
            let s = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await?;
            let all: Vec<_> = s.try_collect().await?;
            Ok::<_, async_imap::error::Error>(all.iter().find_map(|f| f.body().map(<[u8]>::to_vec)))
        })
        .await?;
        // Gone meanwhile (another client deleted it): nothing to do.
        let Some(raw) = raw else { continue };
        match app.ingest_mail(&desk, &raw).await {
            Ok(done) => {
                tracing::info!(uid, message_id = %done.message_id, outcome = ?done.outcome, "mailbox message ingested");
                settle(session, uid, uidplus).await?;
                out.committed += 1;
            }
            Err(AppError::TooLarge { limit }) => {
                refuse(session, uid, &mut out, &format!("larger than the limit of {limit} bytes")).await?;
            }
            Err(AppError::Invalid(inv)) => {
                let why: Vec<String> = inv.0.iter().map(|f| f.message.clone()).collect();
                refuse(session, uid, &mut out, &why.join("; ")).await?;
            }
            Err(e) => {
                // The store could not take it now: leave it unseen for the next round.
                tracing::warn!(uid, error = %e, "mailbox message not ingested; it stays for the next round");
                out.problem = Some(format!("message UID {uid} not ingested yet (temporary failure): {e}"));
                out.temporary = true;
                break;
            }
        }
    }
    Ok(out)
}

/// The message is committed: mark it seen and delete it (the raw message is kept by Opsdesk).
async fn settle(session: &mut ImapSession, uid: u32, uidplus: bool) -> Result<(), ImapError> {
    step(async {
        let s = session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen \\Deleted)").await?;
        let _: Vec<_> = s.try_collect().await?;
        Ok::<_, async_imap::error::Error>(())
    })
    .await?;
    step(async {
        // UID EXPUNGE removes only this message; plain EXPUNGE also removes any other message
        // someone marked deleted, which is what that flag asks for anyway.
        if uidplus {
            let s = session.uid_expunge(uid.to_string()).await?;
            let _: Vec<_> = s.try_collect().await?;
        } else {
            let s = session.expunge().await?;
            let _: Vec<_> = s.try_collect().await?;
        }
        Ok::<_, async_imap::error::Error>(())
    })
    .await
}

/// A permanent refusal: flag the message so it is not fetched again, log it, and report it.
async fn refuse(session: &mut ImapSession, uid: u32, out: &mut RoundOutcome, why: &str) -> Result<(), ImapError> {
    tracing::warn!(uid, reason = %why, "mailbox message refused; flagged {REFUSED} and left in the folder");
    let flagged = step(async {
        let s = session.uid_store(uid.to_string(), format!("+FLAGS.SILENT (\\Seen {REFUSED})")).await?;
        let _: Vec<_> = s.try_collect().await?;
        Ok::<_, async_imap::error::Error>(())
    })
    .await;
    if flagged.is_err() {
        // A server without keywords: \Seen alone keeps it out of the next search.
        step(async {
            let s = session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)").await?;
            let _: Vec<_> = s.try_collect().await?;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
    }
    out.problem = Some(format!("message UID {uid} refused: {why}"));
    Ok(())
}

/// IDLE until the server reports a change, `wait` passes, or the session is asked to stop.
/// Returns the session (out of IDLE again) and whether to stop.
pub(super) async fn idle(
    session: ImapSession,
    wait: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Result<(ImapSession, bool), ImapError> {
    let mut handle = session.idle();
    step(handle.init()).await?;
    let stopped = {
        let (fut, _interrupt) = handle.wait_with_timeout(wait);
        tokio::select! {
            r = fut => { r?; false }
            _ = stop.changed() => true,
        }
    };
    let session = step(handle.done()).await?;
    Ok((session, stopped || *stop.borrow()))
}
