//! Desk mailboxes: the worker keeps one IMAP session per configured mailbox, fetches unseen
//! messages and ingests each through the same pipeline as `opsdesk mail-in`. A message is
//! marked `\Seen` and deleted only after its ingest committed (any outcome but a temporary
//! error); a refused one (too large, invalid) is marked `\Seen` and `$OpsdeskRefused` and left
//! in the folder for a person to look at. A lease in the database keeps one session per mailbox
//! across worker processes. IDLE is used when the server offers it, polling otherwise.

mod connect;
mod round;

pub use connect::certificates_in;

use connect::ImapError;
use opsdesk_app::App;
use opsdesk_store::mail::Mailbox;
use opsdesk_store::Ts;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Timings and trust of the mailbox sessions.
#[derive(Debug, Clone)]
pub struct MailboxConfig {
    /// How often the worker looks for added, changed or removed mailboxes.
    pub scan: Duration,
    /// How long a session's lease lasts without renewal; a dead worker's mailbox is taken
    /// over by another this long after its last renewal.
    pub lease: Duration,
    /// The longest an IDLE (or a poll sleep) lasts before the lease is renewed and the folder
    /// searched again.
    pub heartbeat: Duration,
    /// The longest wait between reconnection attempts.
    pub max_backoff: Duration,
    /// Certificates trusted for IMAP over TLS besides the public roots: the CA of a mail
    /// server inside the organisation (`serve --tls-ca-file`).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig {
            scan: Duration::from_secs(5),
            lease: Duration::from_secs(90),
            heartbeat: Duration::from_secs(25),
            max_backoff: Duration::from_secs(300),
            extra_roots: Vec::new(),
        }
    }
}

struct Running {
    revision: i64,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Keeps one session per configured mailbox until `shutdown`; restarts a session whose
/// settings changed and ends those of removed mailboxes.
pub(crate) async fn supervise(app: App, holder: String, cfg: MailboxConfig, mut shutdown: watch::Receiver<bool>) {
    let mut sessions: HashMap<i64, Running> = HashMap::new();
    while !*shutdown.borrow() {
        match app.db.mailboxes().await {
            Ok(all) => {
                let stale: Vec<i64> = sessions
                    .iter()
                    .filter(|(desk, r)| {
                        r.task.is_finished() || !all.iter().any(|m| m.desk_id == **desk && m.revision == r.revision)
                    })
                    .map(|(d, _)| *d)
                    .collect();
                for desk in stale {
                    if let Some(r) = sessions.remove(&desk) {
                        end(r).await;
                    }
                }
                for m in all {
                    if sessions.contains_key(&m.desk_id) {
                        continue;
                    }
                    let (stop, stopped) = watch::channel(false);
                    let revision = m.revision;
                    let desk = m.desk_id;
                    let task = tokio::spawn(session(app.clone(), holder.clone(), cfg.clone(), m, stopped));
                    sessions.insert(desk, Running { revision, stop, task });
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the mailboxes"),
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.scan) => {}
            changed = shutdown.changed() => if changed.is_err() { break },
        }
    }
    for (_, r) in sessions.drain() {
        end(r).await;
    }
}

/// Stops a session and waits for it (it logs out and gives its lease back).
async fn end(r: Running) {
    let _ = r.stop.send(true);
    let abort = r.task.abort_handle();
    if tokio::time::timeout(Duration::from_secs(10), r.task).await.is_err() {
        abort.abort();
    }
}

/// Waits `d`, or less if the session is asked to stop; true when it is.
async fn wait_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        // A dropped sender (the supervisor is gone) means stop as well.
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}

/// One mailbox's life in this worker: take the lease, connect, work until stopped; after a
/// failure record it and reconnect with backoff.
#[tracing::instrument(skip_all, fields(desk = m.desk_id, host = %m.host, folder = %m.folder))]
async fn session(app: App, holder: String, cfg: MailboxConfig, m: Mailbox, mut stop: watch::Receiver<bool>) {
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow() {
            break;
        }
        let now = Ts::now();
        match app.db.lease_mailbox(m.desk_id, &holder, now, now.plus(cfg.lease)).await {
            Ok(true) => {}
            Ok(false) => {
                // Another worker has it; look again in case that worker dies.
                if wait_or_stop(cfg.heartbeat, &mut stop).await {
                    break;
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot lease the mailbox");
                if wait_or_stop(Duration::from_secs(5), &mut stop).await {
                    break;
                }
                continue;
            }
        }
        match connected(&app, &holder, &cfg, &m, &mut stop, &mut failures).await {
            Ok(()) => break,
            Err(e) => {
                failures = failures.saturating_add(1);
                let message = e.to_string();
                tracing::warn!(error = %message, failures, "mailbox session failed");
                if let Err(e) = app.db.mailbox_failed(m.desk_id, &message, Ts::now()).await {
                    tracing::warn!(error = %e, "cannot record the mailbox error");
                }
                if wait_or_stop(backoff(failures, cfg.max_backoff), &mut stop).await {
                    break;
                }
            }
        }
    }
    if let Err(e) = app.db.release_mailbox(m.desk_id, &holder).await {
        tracing::warn!(error = %e, "cannot release the mailbox lease");
    }
}

/// 1 s, 2 s, 4 s, ... up to `max`, with up to 20 % jitter.
fn backoff(failures: u32, max: Duration) -> Duration {
    let base = Duration::from_secs(1u64 << failures.saturating_sub(1).min(16)).min(max);
    let jitter = rand::random::<f64>() * 0.2;
    base.mul_f64(1.0 + jitter).min(max)
}

/// A connected session: rounds of fetch-and-ingest, with IDLE or a sleep between them, until
/// stopped (Ok) or the connection fails (Err).
async fn connected(
    app: &App,
    holder: &str,
    cfg: &MailboxConfig,
    m: &Mailbox,
    stop: &mut watch::Receiver<bool>,
    failures: &mut u32,
) -> Result<(), ImapError> {
    let mut session = connect::open(m, &cfg.extra_roots).await?;
    let caps = connect::step(session.capabilities()).await?;
    let idle = caps.has_str("IDLE");
    let uidplus = caps.has_str("UIDPLUS");
    tracing::info!(idle, "mailbox session open");
    let poll = Duration::from_secs(m.poll_secs.max(1) as u64);
    // What the admin sees in the last error: a connection failure (cleared by the first good
    // round) or a refused message (kept until messages are committed again).
    let mut connection_error = *failures > 0;
    let mut refused_shown = false;
    *failures = 0;
    loop {
        let now = Ts::now();
        match app.db.lease_mailbox(m.desk_id, holder, now, now.plus(cfg.lease)).await {
            Ok(true) => {}
            Ok(false) => return Err(ImapError::Other("another worker took over this mailbox".into())),
            Err(e) => return Err(ImapError::Other(format!("cannot renew the mailbox lease: {e}"))),
        }
        let outcome = round::run(app, m, &mut session, uidplus).await?;
        let clear = match &outcome.problem {
            Some(p) => {
                if let Err(e) = app.db.mailbox_failed(m.desk_id, p, Ts::now()).await {
                    tracing::warn!(error = %e, "cannot record the mailbox error");
                }
                refused_shown |= !outcome.temporary;
                false
            }
            None => outcome.committed > 0 || (connection_error && !refused_shown),
        };
        if let Err(e) = app.db.mailbox_polled(m.desk_id, Ts::now(), clear).await {
            tracing::warn!(error = %e, "cannot record the mailbox poll");
        }
        if clear {
            connection_error = false;
            refused_shown = false;
        }
        if idle && !outcome.temporary {
            let wait = poll.min(cfg.heartbeat);
            let (s, stopped) = round::idle(session, wait, stop).await?;
            session = s;
            if stopped {
                break;
            }
        } else {
            // Polling (or retrying after a temporary failure): sleep until the next round,
            // renewing the lease meanwhile.
            let pause = if outcome.temporary { poll.min(cfg.heartbeat) } else { poll };
            let until = tokio::time::Instant::now() + pause;
            loop {
                let left = until.saturating_duration_since(tokio::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                if wait_or_stop(left.min(cfg.heartbeat), stop).await {
                    let _ = connect::step(session.logout()).await;
                    return Ok(());
                }
                let now = Ts::now();
                if !app.db.lease_mailbox(m.desk_id, holder, now, now.plus(cfg.lease)).await.unwrap_or(false) {
                    return Err(ImapError::Other("lost the mailbox lease".into()));
                }
                // Keep the connection alive through long poll intervals.
                connect::step(session.noop()).await?;
            }
        }
        if *stop.borrow() {
            break;
        }
    }
    let _ = connect::step(session.logout()).await;
    Ok(())
}
