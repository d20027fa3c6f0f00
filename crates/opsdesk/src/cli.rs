//! The command line. Its shape is a contract that scripts and external checks rely on:
//! `serve`, `migrate`, `demo`, `user create`, `user token` keep their flags.

use crate::logging::{self, LogFormat};
use crate::server::{self, Role, ServerConfig};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use opsdesk_app::users::CreateUser;
use opsdesk_domain::Actor;
use opsdesk_store::jobs::NewJob;
use opsdesk_store::{DbOptions, Ts};
use opsdesk_web::WebConfig;
use opsdesk_worker::WorkerConfig;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "opsdesk", version, about = "Opsdesk: the open-source IT service management platform")]
pub struct Cli {
    /// Where the data lives: sqlite://FILE (created if absent) or postgres://USER:PASS@HOST/DB.
    #[arg(long, global = true, env = "OPSDESK_DATABASE_URL", default_value = "sqlite://opsdesk.db")]
    pub database_url: String,
    /// Log as human-readable text or as JSON lines (stderr).
    #[arg(long, global = true, env = "OPSDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// SQLite durability: `full` survives power loss; `normal` survives a crash of the process.
    #[arg(long, global = true, env = "OPSDESK_SQLITE_SYNC", default_value = "full", value_parser = ["full", "normal"])]
    pub sqlite_sync: String,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The async runtime the command runs on. `mail-in` starts once per message and does one
    /// thing at a time, so it skips starting a worker thread per core.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut builder = match self.command {
            Command::MailIn { .. } => tokio::runtime::Builder::new_current_thread(),
            _ => tokio::runtime::Builder::new_multi_thread(),
        };
        builder.enable_all().build()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: HTTP and worker (`--role all`), or one of them.
    Serve {
        #[arg(long, env = "OPSDESK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[arg(long, env = "OPSDESK_ROLE", value_enum, default_value_t = Role::All)]
        role: Role,
        /// Create the demo desk (people, groups, organisations) if it is not there yet.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure; set this when Opsdesk is reached over HTTPS.
        #[arg(long, env = "OPSDESK_COOKIE_SECURE")]
        cookie_secure: bool,
        /// Jobs this process runs at once.
        #[arg(long, env = "OPSDESK_WORKER_CONCURRENCY", default_value_t = 8)]
        worker_concurrency: usize,
        /// Seconds a job lease lasts without renewal (a dead worker's job is retried after it).
        #[arg(long, env = "OPSDESK_JOB_LEASE_SECS", default_value_t = 30)]
        job_lease_secs: u64,
        /// Accept inbound mail over SMTP on this address (e.g. 0.0.0.0:2525); off by default.
        #[arg(long, env = "OPSDESK_SMTP_LISTEN")]
        smtp_listen: Option<String>,
        /// A PEM file of CA certificates to trust, besides the public roots, when the worker
        /// connects to desks' IMAP servers over TLS (a mail server with a private CA).
        #[arg(long, env = "OPSDESK_TLS_CA_FILE")]
        tls_ca_file: Option<std::path::PathBuf>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Apply the database migrations that have not run yet.
    Migrate,
    /// Create the demo desk in the database (idempotent).
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect and retry background jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Check the job queue end to end.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Import records from another system.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Import and export configuration items.
    #[command(subcommand)]
    Cmdb(CmdbCommand),
    /// Store one RFC 5322 message read on stdin (for an MTA pipe). Exits 0 once stored, 75 on
    /// a temporary failure (the MTA retries), 65 or 67 with a reason when refused.
    MailIn {
        /// The desk (name or id) of mail whose recipients name no desk address.
        #[arg(long, default_value = "IT")]
        desk: String,
        #[command(flatten)]
        mail: MailArgs,
    },
}

/// Settings of the email channel.
#[derive(Debug, Clone, clap::Args)]
pub struct MailArgs {
    /// Messages larger than this many bytes are refused.
    #[arg(long, env = "OPSDESK_MAIL_MAX_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub mail_max_bytes: usize,
    /// Messages from one sender per hour that are posted; the rest are held for an agent.
    #[arg(long, env = "OPSDESK_MAIL_SENDER_LIMIT", default_value_t = 60)]
    pub mail_sender_limit: i64,
    /// The relay notifications are sent through: smtp://HOST:PORT, smtps://..., with optional USER:PASS@.
    #[arg(long, env = "OPSDESK_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// This installation's web address, for links in notifications.
    #[arg(long, env = "OPSDESK_BASE_URL")]
    pub base_url: Option<String>,
}

impl MailArgs {
    pub fn config(&self) -> opsdesk_app::mail::MailConfig {
        opsdesk_app::mail::MailConfig {
            max_message_bytes: self.mail_max_bytes,
            sender_limit: self.mail_sender_limit,
            smtp_url: self.smtp_url.clone(),
            base_url: self.base_url.clone(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import tickets from CSV (a header row naming the fields) or JSON lines (one ticket object
    /// per line). Every row needs an external_id; rows already imported are skipped, so running
    /// the same file again changes nothing. Rejected rows are reported with their line number.
    Tickets {
        file: std::path::PathBuf,
        /// csv or jsonl; by default taken from the file's extension.
        #[arg(long, value_parser = ["csv", "jsonl"])]
        format: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CmdbCommand {
    /// Import configuration items from CSV (columns class, name, serial, asset_tag, hostname,
    /// mac, uuid and one per attribute) or JSON (a list of {class, name, identifiers,
    /// attributes}). Items are reconciled like an inventory push: matched by their identifiers,
    /// created or updated, never duplicated; conflicts and bad items are listed (exit code 2).
    Import {
        file: std::path::PathBuf,
        /// csv or json; by default taken from the file's extension.
        #[arg(long, value_parser = ["csv", "json"])]
        format: Option<String>,
        /// The inventory source the items are remembered as reported by.
        #[arg(long, default_value = "cli")]
        source: String,
        /// Report what would happen; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write every live configuration item (of one class) to stdout as CSV or JSON, in the
    /// form `import` reads.
    Export {
        #[arg(long, value_parser = ["csv", "json"], default_value = "csv")]
        format: String,
        #[arg(long)]
        class: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["requester", "agent", "admin"])]
        role: String,
        /// Without a password the user cannot sign in with one (API tokens still work).
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Issue a new API token for a user and print it (alone) on stdout.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first (`--state dead` is the dead-letter list).
    List {
        #[arg(long, value_parser = ["queued", "running", "done", "dead"])]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead job back in the queue.
    Retry { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Enqueue probe jobs, wait until the workers have run them, and report whether each ran
    /// exactly once. Exits non-zero if a job was lost or ran twice.
    Probe {
        #[arg(long, default_value_t = 100)]
        jobs: i64,
        /// How long each probe job takes.
        #[arg(long, default_value_t = 0)]
        sleep_ms: u64,
        /// Only enqueue; print the id range and return.
        #[arg(long)]
        no_wait: bool,
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
}

fn db_options(cli: &Cli) -> DbOptions {
    let mut o = DbOptions::new(cli.database_url.clone());
    o.sqlite_synchronous_full = cli.sqlite_sync == "full";
    o
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_format);
    let database = db_options(&cli);
    match cli.command {
        Command::Serve {
            listen,
            role,
            demo,
            cookie_secure,
            worker_concurrency,
            job_lease_secs,
            smtp_listen,
            tls_ca_file,
            mail,
        } => {
            let mut worker = WorkerConfig {
                concurrency: worker_concurrency.max(1),
                lease: Duration::from_secs(job_lease_secs.max(1)),
                ..WorkerConfig::default()
            };
            if let Some(path) = tls_ca_file {
                worker.mailbox.extra_roots =
                    opsdesk_worker::mailbox::certificates_in(&path).map_err(|e| anyhow::anyhow!(e))?;
            }
            let config = ServerConfig {
                database,
                listen,
                role,
                demo,
                web: WebConfig { cookie_secure },
                worker,
                mail: mail.config(),
                smtp_listen,
            };
            let running = server::start(config).await?;
            if let Some(addr) = running.smtp_addr {
                println!("Opsdesk accepts mail over SMTP on {addr}");
            }
            if let Some(addr) = running.addr {
                println!("Opsdesk is listening on http://{addr} ({} database)", running.app.db.backend().name());
                if demo {
                    println!("Demo sign-ins (open http://{addr}/login):");
                    for l in opsdesk_app::demo::DEMO_LOGINS {
                        println!("  {:<9}  {:<22}  password: {}", l.role, l.email, l.password);
                    }
                }
            } else {
                println!("Opsdesk worker is running ({} database)", running.app.db.backend().name());
            }
            server::termination().await;
            tracing::info!("shutting down");
            if tokio::time::timeout(server::SHUTDOWN_GRACE, running.shutdown()).await.is_err() {
                tracing::warn!("in-flight work did not finish within the grace period");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let app = server::open(&database).await?;
            println!("database is up to date ({})", app.db.backend().name());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let app = server::open(&database).await?;
            let created = app.seed_demo().await.context("cannot seed the demo data")?;
            println!("{}", if created { "demo data created" } else { "demo data was already there" });
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Create { email, name, role, password, time_zone }) => {
            let app = server::open(&database).await?;
            let input = CreateUser { email, name, role, password, time_zone, locale: None, organization_id: None };
            let user = app.create_user(&Actor::system(), input).await.map_err(describe)?;
            println!("{}", serde_json::to_string(&opsdesk_app::users::UserView::from(&user))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Token { email, name }) => {
            let app = server::open(&database).await?;
            let user = app.user_by_email(&email).await.map_err(|e| match e {
                opsdesk_app::AppError::NotFound => anyhow::anyhow!("no user has the email {email}"),
                other => describe(other),
            })?;
            let issued = app.issue_api_token(&Actor::system(), user.id, &name).await.map_err(describe)?;
            println!("{}", issued.secret);
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs(JobsCommand::List { state, limit }) => {
            let app = server::open(&database).await?;
            let jobs =
                app.jobs(&Actor::system(), state.as_deref(), None, limit.clamp(1, 10_000)).await.map_err(describe)?;
            for j in jobs {
                println!("{}", serde_json::to_string(&opsdesk_app::views::JobView::from(&j))?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs(JobsCommand::Retry { id }) => {
            let app = server::open(&database).await?;
            let job = app.retry_job(&Actor::system(), id).await.map_err(describe)?;
            println!("{}", serde_json::to_string(&opsdesk_app::views::JobView::from(&job))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(ImportCommand::Tickets { file, format }) => {
            let app = server::open(&database).await?;
            crate::import::tickets(&app, &file, format.as_deref()).await
        }
        Command::Cmdb(CmdbCommand::Import { file, format, source, dry_run }) => {
            let app = server::open(&database).await?;
            crate::cmdb_io::import(&app, &file, format.as_deref(), &source, dry_run).await
        }
        Command::Cmdb(CmdbCommand::Export { format, class }) => {
            let app = server::open(&database).await?;
            crate::cmdb_io::export(&app, &format, class).await
        }
        Command::MailIn { desk, mail } => crate::mail_in::run(&database, &desk, mail.config()).await,
        Command::Queue(QueueCommand::Probe { jobs, sleep_ms, no_wait, timeout_secs }) => {
            probe(&database, jobs, sleep_ms, no_wait, Duration::from_secs(timeout_secs)).await
        }
    }
}

/// Turns an application error into a one-line message for the console.
fn describe(e: opsdesk_app::AppError) -> anyhow::Error {
    match e {
        opsdesk_app::AppError::Invalid(inv) => {
            let parts: Vec<String> =
                inv.0.iter().map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message)).collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn probe(
    database: &DbOptions,
    jobs: i64,
    sleep_ms: u64,
    no_wait: bool,
    timeout: Duration,
) -> anyhow::Result<ExitCode> {
    if jobs < 1 {
        bail!("--jobs must be at least 1");
    }
    let app = server::open(database).await?;
    let db = &app.db;
    let started = Instant::now();
    let (mut first, mut last) = (i64::MAX, 0);
    // Enqueue in batches: one transaction per thousand jobs.
    let mut left = jobs;
    while left > 0 {
        let n = left.min(1000);
        let mut tx = db.begin().await?;
        let now = Ts::now();
        for _ in 0..n {
            let job = NewJob {
                kind: opsdesk_worker::builtin::PROBE,
                payload: serde_json::json!({ "sleep_ms": sleep_ms }),
                run_at: now,
                max_attempts: 5,
                unique_key: None,
            };
            if let Some(id) = tx.enqueue_job(&job, now).await? {
                first = first.min(id);
                last = last.max(id);
            }
        }
        tx.commit().await?;
        left -= n;
    }
    if no_wait {
        println!("{}", serde_json::json!({ "first_job": first, "last_job": last }));
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        let s = db.probe_summary(first, last).await?;
        if s.finished_jobs >= jobs || started.elapsed() > timeout {
            let workers = db.probe_workers(first, last).await?;
            let secs = started.elapsed().as_secs_f64();
            let report = serde_json::json!({
                "jobs": jobs,
                "runs": s.runs,
                "distinct_jobs_run": s.jobs,
                "finished": s.finished_jobs,
                "ran_more_than_once": s.runs - s.jobs,
                "lost": jobs - s.finished_jobs,
                "seconds": (secs * 1000.0).round() / 1000.0,
                "jobs_per_second": (jobs as f64 / secs).round(),
                "workers": workers.into_iter().map(|(w, n)| serde_json::json!({ "worker": w, "runs": n })).collect::<Vec<_>>(),
            });
            println!("{report}");
            let exact = s.runs == jobs && s.finished_jobs == jobs;
            return Ok(if exact { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
