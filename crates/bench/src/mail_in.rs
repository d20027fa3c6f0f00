//! The email ingestion benchmark: builds a mixed corpus from the repository's test messages
//! (new requests, replies threading into earlier ones, HTML, attachments, non-UTF-8 charsets,
//! auto-replies, newsletters, bounces, duplicates), each with a unique Message-ID, and
//! ingests it through the pipeline `opsdesk mail-in` uses: in this process through
//! `App::ingest_mail`, or by spawning `opsdesk mail-in` once per message as an MTA pipe does.

use crate::report::percentile;
use anyhow::Context;
use opsdesk_app::mail::{DeskMailInput, MailConfig, Outcome};
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::Actor;
use opsdesk_store::{Db, DbOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The desk address the corpus is sent to.
pub const DESK_ADDRESS: &str = "help@desk.test";

const NEW: &[(&str, &[u8])] = &[
    ("plain", include_bytes!("../../mail/tests/corpus/new-request.eml")),
    ("html", include_bytes!("../../mail/tests/corpus/html-only.eml")),
    ("attachment", include_bytes!("../../mail/tests/corpus/unicode-attachment.eml")),
    ("nested", include_bytes!("../../mail/tests/corpus/nested-multipart.eml")),
    ("latin1", include_bytes!("../../mail/tests/corpus/iso-8859-1.eml")),
    ("koi8", include_bytes!("../../mail/tests/corpus/koi8-r.eml")),
    ("forward", include_bytes!("../../mail/tests/corpus/forward.eml")),
];
const REPLY: &[(&str, &[u8])] = &[
    ("gmail", include_bytes!("../../mail/tests/corpus/gmail-reply.eml")),
    ("outlook", include_bytes!("../../mail/tests/corpus/outlook-reply.eml")),
    ("apple", include_bytes!("../../mail/tests/corpus/apple-mail-reply.eml")),
];
const AUTO_REPLY: &[u8] = include_bytes!("../../mail/tests/corpus/auto-reply.eml");
const BULK: &[u8] = include_bytes!("../../mail/tests/corpus/bulk-newsletter.eml");
const BOUNCE: &[u8] = include_bytes!("../../mail/tests/corpus/dsn-bounce.eml");
const BOUNCED_ID: &str = "opsdesk.bounced-original@desk.test";

/// How the messages reach the pipeline.
#[derive(Debug, Clone)]
pub enum Via {
    /// `App::ingest_mail` in this process.
    InProcess,
    /// One `opsdesk mail-in --desk IT` process per message (this binary).
    Process(PathBuf),
}

#[derive(Debug, Clone)]
pub struct MailInConfig {
    pub database_url: String,
    pub messages: usize,
    /// Messages in flight at once (1: one after the other).
    pub concurrency: usize,
    pub via: Via,
    pub sqlite_synchronous_full: bool,
    pub seed: u64,
}

/// One message of the corpus and what it is meant to exercise.
#[derive(Debug, Clone)]
pub struct Message {
    pub shape: &'static str,
    pub raw: Vec<u8>,
}

/// The figures of one run.
#[derive(Debug, Clone)]
pub struct MailInReport {
    pub messages: usize,
    pub seconds: f64,
    /// Per message, microseconds, sorted.
    pub micros: Vec<u32>,
    pub shapes: BTreeMap<&'static str, usize>,
    pub outcomes: BTreeMap<String, usize>,
    pub errors: Vec<String>,
}

impl MailInReport {
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.seconds.max(1e-9)
    }

    pub fn text(&self) -> String {
        let ms = |p: f64| percentile(&self.micros, p) as f64 / 1000.0;
        let shapes: Vec<String> = self.shapes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let outcomes: Vec<String> = self.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let mut s = format!(
            "{} messages in {:.2} s: {:.0} messages/s; per message p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
            self.messages,
            self.seconds,
            self.per_second(),
            ms(50.0),
            ms(90.0),
            ms(99.0),
            ms(100.0)
        );
        s.push_str(&format!("corpus: {}\noutcomes: {}\n", shapes.join(", "), outcomes.join(", ")));
        if !self.errors.is_empty() {
            s.push_str(&format!("{} errors, e.g.: {}\n", self.errors.len(), self.errors[0]));
        }
        s
    }

    pub fn to_json(&self) -> serde_json::Value {
        let ms = |p: f64| percentile(&self.micros, p) as f64 / 1000.0;
        serde_json::json!({
            "messages": self.messages,
            "seconds": self.seconds,
            "messages_per_second": self.per_second(),
            "p50_ms": ms(50.0), "p90_ms": ms(90.0), "p99_ms": ms(99.0), "max_ms": ms(100.0),
            "corpus": self.shapes, "outcomes": self.outcomes, "errors": self.errors.len(),
        })
    }
}

/// Replaces the named headers of a template (with their folded continuation lines) by `set`.
/// Works on bytes: the legacy-charset templates are not UTF-8.
fn rewrite(template: &[u8], set: &[(&str, String)]) -> Vec<u8> {
    let split = template
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|a| a + 2)
        .or_else(|| template.windows(2).position(|w| w == b"\n\n").map(|b| b + 1))
        .unwrap_or(template.len());
    let (head, body) = template.split_at(split);
    let mut out = Vec::with_capacity(template.len() + 256);
    for (name, value) in set {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            let name = line.split(|b| *b == b':').next().unwrap_or_default();
            let name = String::from_utf8_lossy(name);
            skipping = set.iter().any(|(n, _)| n.eq_ignore_ascii_case(name.trim()));
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// A sender who has written before, with the Message-ID of their request.
struct Thread {
    sender: String,
    message_id: String,
    subject: String,
}

/// Builds `n` messages: about 40 % new requests (plain, HTML, attachments, nested, legacy
/// charsets, forwards), 30 % replies from the requester to an earlier request, 7 %
/// auto-replies, 5 % newsletters, 5 % bounces of an earlier request, 13 % duplicates of an
/// earlier message. Message-IDs carry `tag`, so a database can take several runs.
pub fn corpus(n: usize, seed: u64, tag: &str) -> Vec<Message> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: Vec<Message> = Vec::with_capacity(n);
    let mut threads: Vec<Thread> = Vec::new();
    // Replies, bounces and duplicates point at least this far back, so that with a few
    // messages in flight their original is stored first.
    const BACK: usize = 32;
    for i in 0..n {
        let roll = rng.gen_range(0..100);
        let settled = threads.len().saturating_sub(BACK / 2);
        let id = format!("<bench-{tag}-{i}@example.test>");
        let msg = match roll {
            40..=69 if settled > 0 => {
                let t = &threads[rng.gen_range(0..settled)];
                let (shape, tpl) = REPLY[rng.gen_range(0..REPLY.len())];
                // One reply in ten comes from someone outside the ticket: held for an agent.
                let stranger = rng.gen_ratio(1, 10);
                let from = if stranger { format!("stranger{i}@elsewhere.test") } else { t.sender.clone() };
                let raw = rewrite(
                    tpl,
                    &[
                        ("From", from.clone()),
                        ("To", DESK_ADDRESS.into()),
                        ("Subject", format!("Re: {}", t.subject)),
                        ("Message-ID", id),
                        ("In-Reply-To", t.message_id.clone()),
                        ("References", t.message_id.clone()),
                        ("Return-Path", format!("<{from}>")),
                    ],
                );
                Message { shape: if stranger { "reply (stranger)" } else { reply_shape(shape) }, raw }
            }
            70..=76 => {
                let who = format!("away{}@example.test", rng.gen_range(0..5000));
                let raw = rewrite(AUTO_REPLY, &[("From", who), ("To", DESK_ADDRESS.into()), ("Message-ID", id)]);
                Message { shape: "auto-reply", raw }
            }
            77..=81 => {
                let list = format!("news{}@lists.example.test", rng.gen_range(0..50));
                let raw = rewrite(BULK, &[("From", list), ("To", DESK_ADDRESS.into()), ("Message-ID", id)]);
                Message { shape: "newsletter", raw }
            }
            82..=86 if settled > 0 => {
                let t = &threads[rng.gen_range(0..settled)];
                let original = t.message_id.trim_matches(['<', '>']);
                let text = String::from_utf8_lossy(BOUNCE).replace(BOUNCED_ID, original);
                let raw = rewrite(text.as_bytes(), &[("To", DESK_ADDRESS.into()), ("Message-ID", id)]);
                Message { shape: "bounce", raw }
            }
            87..=99 if out.len() > BACK => {
                let earlier = out[rng.gen_range(0..out.len() - BACK)].raw.clone();
                Message { shape: "duplicate", raw: earlier }
            }
            _ => {
                let (shape, tpl) = NEW[rng.gen_range(0..NEW.len())];
                // Enough senders that the per-sender limit (60 an hour) is not what is measured.
                let sender = format!("user{}@example.test", rng.gen_range(0..(n / 8).max(50)));
                let subject = format!("Request {i}: {}", ["VPN drops", "printer jam", "new laptop", "password"][i % 4]);
                let raw = rewrite(
                    tpl,
                    &[
                        ("From", format!("Bench User <{sender}>")),
                        ("To", DESK_ADDRESS.into()),
                        ("Subject", subject.clone()),
                        ("Message-ID", id.clone()),
                        ("Return-Path", format!("<{sender}>")),
                    ],
                );
                threads.push(Thread { sender, message_id: id, subject });
                Message { shape: new_shape(shape), raw }
            }
        };
        out.push(msg);
    }
    out
}

fn reply_shape(s: &str) -> &'static str {
    match s {
        "gmail" => "reply (gmail)",
        "outlook" => "reply (outlook)",
        _ => "reply (apple)",
    }
}

fn new_shape(s: &str) -> &'static str {
    match s {
        "plain" => "new (plain)",
        "html" => "new (html)",
        "attachment" => "new (attachment)",
        "nested" => "new (nested)",
        "latin1" => "new (iso-8859-1)",
        "koi8" => "new (koi8-r)",
        _ => "new (forward)",
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Ticket { .. } => "ticket",
        Outcome::Comment { .. } => "comment",
        Outcome::Held { .. } => "held",
        Outcome::Bounce { .. } => "bounce",
        Outcome::Dropped => "dropped",
        Outcome::Duplicate => "duplicate",
    }
}

/// Migrates the database and gives the IT desk the corpus's address (once).
pub async fn prepare(cfg: &MailInConfig) -> anyhow::Result<App> {
    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = cfg.sqlite_synchronous_full;
    let db = Db::connect(&opts).await.context("cannot connect to the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let app = App::new(db, AppConfig { mail: MailConfig::default(), ..AppConfig::default() });
    let input = DeskMailInput {
        address: DESK_ADDRESS.into(),
        from_name: Some("IT Help".into()),
        strangers: Some("hold".into()),
        ..Default::default()
    };
    app.put_desk_mail(&Actor::system(), 1, input).await.context("cannot set the IT desk's address")?;
    Ok(app)
}

/// One message's latency in microseconds and its outcome (or error).
type Timed = (u32, Result<String, String>);

/// Ingests the corpus and measures it.
pub async fn bench(cfg: &MailInConfig) -> anyhow::Result<MailInReport> {
    anyhow::ensure!((1..=64).contains(&cfg.concurrency), "--concurrency is between 1 and 64");
    anyhow::ensure!(cfg.messages > 0, "--messages is at least 1");
    let app = prepare(cfg).await?;
    let tag = format!("{}-{}", cfg.seed, opsdesk_store::Ts::now().micros());
    let corpus = Arc::new(corpus(cfg.messages, cfg.seed, &tag));
    let mut shapes = BTreeMap::new();
    for m in corpus.iter() {
        *shapes.entry(m.shape).or_insert(0) += 1;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<Timed>>> = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..cfg.concurrency {
        let (corpus, next, results, app, via, url) =
            (corpus.clone(), next.clone(), results.clone(), app.clone(), cfg.via.clone(), cfg.database_url.clone());
        let sync = if cfg.sqlite_synchronous_full { "full" } else { "normal" };
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = corpus.get(i) else { break };
                let t = Instant::now();
                let r = match &via {
                    Via::InProcess => app
                        .ingest_mail("IT", &m.raw)
                        .await
                        .map(|d| outcome_name(&d.outcome).to_string())
                        .map_err(|e| e.to_string()),
                    Via::Process(bin) => {
                        let (bin, raw, url) = (bin.clone(), m.raw.clone(), url.clone());
                        tokio::task::spawn_blocking(move || pipe(&bin, &url, sync, &raw))
                            .await
                            .unwrap_or_else(|e| Err(e.to_string()))
                    }
                };
                let us = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                if let Ok(mut all) = results.lock() {
                    all.push((us, r));
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let seconds = start.elapsed().as_secs_f64();
    app.db.close().await;
    let results = std::mem::take(&mut *results.lock().map_err(|_| anyhow::anyhow!("a task panicked"))?);
    let mut micros: Vec<u32> = results.iter().map(|(us, _)| *us).collect();
    micros.sort_unstable();
    let mut outcomes = BTreeMap::new();
    let mut errors = Vec::new();
    for (_, r) in results {
        match r {
            Ok(o) => *outcomes.entry(o).or_insert(0) += 1,
            Err(e) => errors.push(e),
        }
    }
    Ok(MailInReport { messages: cfg.messages, seconds, micros, shapes, outcomes, errors })
}

/// What an MTA pipe does: one `opsdesk mail-in` process, the message on its stdin.
fn pipe(bin: &PathBuf, url: &str, sync: &str, raw: &[u8]) -> Result<String, String> {
    let mut child = Command::new(bin)
        .args(["mail-in", "--desk", "IT"])
        .env("OPSDESK_DATABASE_URL", url)
        .env("OPSDESK_SQLITE_SYNC", sync)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(raw).map_err(|e| format!("cannot write the message: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable outcome: {e}"))?;
    Ok(v["outcome"].as_str().unwrap_or("unknown").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_mixed_and_its_message_ids_are_unique_but_for_duplicates() {
        let c = corpus(2000, 7, "t");
        let kinds: std::collections::BTreeSet<&str> =
            c.iter().map(|m| m.shape.split(' ').next().unwrap_or("")).collect();
        for k in ["new", "reply", "auto-reply", "newsletter", "bounce", "duplicate"] {
            assert!(kinds.contains(k), "{k} missing from {kinds:?}");
        }
        let ids: Vec<String> = c
            .iter()
            .filter(|m| m.shape != "duplicate")
            .map(|m| opsdesk_mail::InboundMail::parse(&m.raw).message_id)
            .collect();
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        let reply = c.iter().find(|m| m.shape.starts_with("reply")).expect("a reply");
        let parsed = opsdesk_mail::InboundMail::parse(&reply.raw);
        assert!(parsed.referenced_ids().iter().any(|r| r.starts_with("bench-t-")), "{:?}", parsed.referenced_ids());
        assert!(parsed.from.is_some_and(|f| f.address.starts_with("user")));
    }
}
