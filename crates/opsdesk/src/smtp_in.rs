//! The inbound SMTP listener (`opsdesk serve --smtp-listen ADDR`): a small ESMTP server an MTA
//! or a mail service relays to. Each accepted message goes through the same pipeline as
//! `opsdesk mail-in`, and 250 is answered only once the ingest committed: 451 on a temporary
//! store failure (the sender retries), 552 over the size limit, 550 for a recipient that is no
//! desk's address. Lines, sessions and their number are bounded; there is no relaying, no AUTH
//! and no TLS (run it on a private network or behind an MTA that terminates TLS).

use opsdesk_app::{App, AppError};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// Limits of the listener.
#[derive(Debug, Clone)]
pub struct SmtpLimits {
    /// Sessions served at once; more are answered 421 and closed.
    pub max_sessions: usize,
    /// Longest wait for a command line (RFC 5321 suggests 5 minutes).
    pub command_timeout: Duration,
    /// Longest a whole DATA transfer may take.
    pub data_timeout: Duration,
    /// Longest command line, CRLF included (RFC 5321: 512; some clients send longer).
    pub max_command_line: usize,
    /// Longest line of message text (RFC 5321: 1000; generous for real-world mail).
    pub max_text_line: usize,
    /// Recipients per message.
    pub max_recipients: usize,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        SmtpLimits {
            max_sessions: 64,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            max_command_line: 2048,
            max_text_line: 64 * 1024,
            max_recipients: 100,
        }
    }
}

/// Accepts sessions until `shutdown` turns true.
pub async fn serve(listener: TcpListener, app: App, limits: SmtpLimits, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(limits.max_sessions.max(1)));
    let limits = Arc::new(limits);
    let name = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "opsdesk".into());
    let name: Arc<str> = name.into();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n").await;
            });
            continue;
        };
        let (app, limits, name) = (app.clone(), limits.clone(), name.clone());
        tokio::spawn(async move {
            if let Err(e) = session(stream, peer, &app, &limits, &name).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended");
            }
            drop(permit);
        });
    }
}

enum Line {
    Ok,
    TooLong,
    Eof,
}

/// Reads one line (through LF) into `buf`, at most `max` bytes; a longer line is consumed and
/// reported, without being kept.
async fn read_line(r: &mut BufReader<OwnedReadHalf>, max: usize, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Ok(Line::Eof);
        }
        let (take, done) = match avail.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long && buf.len() + take <= max {
            buf.extend_from_slice(&avail[..take]);
        } else {
            too_long = true;
        }
        r.consume(take);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Ok });
        }
    }
}

struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Conn {
    async fn reply(&mut self, line: &str) -> std::io::Result<()> {
        self.writer.write_all(line.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await
    }
}

/// The envelope being built.
#[derive(Default)]
struct Envelope {
    greeted: bool,
    from: Option<String>,
    /// Recipients that are desk addresses, with their desk.
    to: Vec<(String, i64)>,
}

/// The address inside `<...>` after a `FROM:` or `TO:` keyword, and the parameters after it.
fn path_arg<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((&rest[..end], rest[end + 1..].trim()))
}

#[tracing::instrument(skip_all, fields(%peer))]
async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    app: &App,
    limits: &SmtpLimits,
    name: &str,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    let mut c = Conn { reader: BufReader::new(r), writer: w };
    let max = app.config.mail.max_message_bytes;
    c.reply(&format!("220 {name} Opsdesk ESMTP ready")).await?;
    let mut env = Envelope::default();
    let mut line = Vec::new();
    loop {
        let read =
            tokio::time::timeout(limits.command_timeout, read_line(&mut c.reader, limits.max_command_line, &mut line));
        match read.await {
            Err(_) => return c.reply("421 4.4.2 Timeout, closing the connection").await,
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Line::Eof)) => return Ok(()),
            Ok(Ok(Line::TooLong)) => {
                c.reply("500 5.5.2 Line too long").await?;
                continue;
            }
            Ok(Ok(Line::Ok)) => {}
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            c.reply("500 5.5.2 Commands are ASCII").await?;
            continue;
        };
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" if !rest.trim().is_empty() => {
                env = Envelope { greeted: true, ..Envelope::default() };
                c.reply(&format!("250-{name} greets {}", rest.trim())).await?;
                c.reply(&format!("250-SIZE {max}")).await?;
                c.reply("250-8BITMIME").await?;
                c.reply("250 ENHANCEDSTATUSCODES").await?;
            }
            "HELO" if !rest.trim().is_empty() => {
                env = Envelope { greeted: true, ..Envelope::default() };
                c.reply(&format!("250 {name}")).await?;
            }
            "EHLO" | "HELO" => c.reply("501 5.5.4 Say who you are").await?,
            "MAIL" => {
                if !env.greeted {
                    c.reply("503 5.5.1 Send EHLO or HELO first").await?;
                    continue;
                }
                let Some((from, params)) = path_arg(rest, "FROM:") else {
                    c.reply("501 5.5.4 Syntax: MAIL FROM:<address>").await?;
                    continue;
                };
                let declared = params
                    .split_whitespace()
                    .find_map(|p| p.get(..5).filter(|k| k.eq_ignore_ascii_case("SIZE=")).map(|_| &p[5..]))
                    .and_then(|n| n.parse::<u64>().ok());
                if declared.is_some_and(|n| n > max as u64) {
                    c.reply(&format!("552 5.3.4 Message size exceeds the limit of {max} bytes")).await?;
                    continue;
                }
                env.from = Some(from.to_string());
                env.to.clear();
                c.reply("250 2.1.0 OK").await?;
            }
            "RCPT" => {
                if env.from.is_none() {
                    c.reply("503 5.5.1 Send MAIL first").await?;
                    continue;
                }
                let Some((to, _)) = path_arg(rest, "TO:") else {
                    c.reply("501 5.5.4 Syntax: RCPT TO:<address>").await?;
                    continue;
                };
                if env.to.len() >= limits.max_recipients {
                    c.reply("452 4.5.3 Too many recipients").await?;
                    continue;
                }
                let Some(address) = opsdesk_mail::address::normalize(to) else {
                    c.reply("553 5.1.3 Not a valid address").await?;
                    continue;
                };
                match app.db.all_desk_mail().await {
                    Ok(desks) => match desks.iter().find(|d| d.address == address) {
                        Some(d) => {
                            env.to.push((address, d.desk_id));
                            c.reply("250 2.1.5 OK").await?;
                        }
                        None => c.reply("550 5.1.1 No such mailbox here").await?,
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "SMTP: cannot read the desk addresses");
                        c.reply("451 4.3.0 Temporary failure, try again later").await?;
                    }
                }
            }
            "DATA" => {
                if env.to.is_empty() {
                    c.reply("503 5.5.1 Send RCPT first").await?;
                    continue;
                }
                c.reply("354 End data with <CR><LF>.<CR><LF>").await?;
                let body =
                    tokio::time::timeout(limits.data_timeout, read_data(&mut c.reader, max, limits.max_text_line));
                let answer = match body.await {
                    Err(_) => return c.reply("421 4.4.2 Timeout during DATA, closing the connection").await,
                    Ok(Err(e)) => return Err(e),
                    Ok(Ok(Data::Eof)) => return Ok(()),
                    Ok(Ok(Data::TooLong)) => "500 5.5.2 Line too long in the message".to_string(),
                    Ok(Ok(Data::TooLarge)) => format!("552 5.3.4 Message size exceeds the limit of {max} bytes"),
                    Ok(Ok(Data::Message(raw))) => deliver(app, &env, peer, name, raw).await,
                };
                env.from = None;
                env.to.clear();
                c.reply(&answer).await?;
            }
            "RSET" => {
                env.from = None;
                env.to.clear();
                c.reply("250 2.0.0 OK").await?;
            }
            "NOOP" => c.reply("250 2.0.0 OK").await?,
            "QUIT" => return c.reply("221 2.0.0 Bye").await,
            "VRFY" => c.reply("252 2.5.0 Cannot verify, but will accept the message").await?,
            _ => c.reply("502 5.5.1 Command not implemented").await?,
        }
    }
}

enum Data {
    Message(Vec<u8>),
    TooLarge,
    TooLong,
    Eof,
}

/// Reads message text up to the lone dot, undoing dot-stuffing. Past `max` bytes it keeps
/// reading (to stay in step with the client) but keeps nothing.
async fn read_data(r: &mut BufReader<OwnedReadHalf>, max: usize, max_line: usize) -> std::io::Result<Data> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    let mut too_large = false;
    let mut too_long = false;
    loop {
        match read_line(r, max_line, &mut line).await? {
            Line::Eof => return Ok(Data::Eof),
            Line::TooLong => {
                too_long = true;
                continue;
            }
            Line::Ok => {}
        }
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let text = if line.starts_with(b".") { &line[1..] } else { &line[..] };
        if too_large || raw.len() + text.len() > max {
            too_large = true;
            raw = Vec::new();
        } else {
            raw.extend_from_slice(text);
        }
    }
    Ok(if too_long {
        Data::TooLong
    } else if too_large {
        Data::TooLarge
    } else {
        Data::Message(raw)
    })
}

/// Ingests one message for the desk of its first recipient and says what to answer.
async fn deliver(app: &App, env: &Envelope, peer: SocketAddr, name: &str, body: Vec<u8>) -> String {
    let Some((_, desk)) = env.to.first() else { return "503 5.5.1 Send RCPT first".into() };
    // We are the final delivery: record the envelope sender (an empty one marks a bounce) and
    // where the message came from, like any MTA does.
    let from = env.from.as_deref().unwrap_or("");
    let from: String = from.chars().filter(|c| !c.is_control()).collect();
    let now = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S +0000");
    let mut raw = format!("Return-Path: <{from}>\r\nReceived: from {peer} by {name} (Opsdesk) with ESMTP; {now}\r\n")
        .into_bytes();
    raw.extend_from_slice(&body);
    match app.ingest_mail(&desk.to_string(), &raw).await {
        Ok(done) => {
            tracing::info!(message_id = %done.message_id, outcome = ?done.outcome, "SMTP message ingested");
            format!("250 2.0.0 OK {}", done.message_id.chars().filter(|c| !c.is_control()).collect::<String>())
        }
        Err(AppError::TooLarge { limit }) => format!("552 5.3.4 Message size exceeds the limit of {limit} bytes"),
        Err(AppError::Invalid(inv)) => {
            let why: Vec<String> = inv.0.iter().map(|f| f.message.replace(['\r', '\n'], " ")).collect();
            format!("550 5.6.0 Message refused: {}", why.join("; "))
        }
        Err(e) => {
            tracing::warn!(error = %e, "SMTP message not ingested; answered 451 so the sender retries");
            "451 4.3.0 Temporary failure, try again later".into()
        }
    }
}
