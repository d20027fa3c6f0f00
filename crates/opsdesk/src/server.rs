//! Starting Opsdesk: connect, migrate, optionally seed the demo, then serve HTTP, run the
//! worker, or both.

use anyhow::Context;
use opsdesk_app::{App, AppConfig};
use opsdesk_store::{Db, DbOptions};
use opsdesk_web::{WebConfig, WebState};
use opsdesk_worker::{Worker, WorkerConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What a process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Role {
    /// HTTP and worker in one process (the single-node default).
    #[default]
    All,
    /// HTTP only.
    Web,
    /// Background jobs only.
    Worker,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub database: DbOptions,
    pub listen: String,
    pub role: Role,
    pub demo: bool,
    pub web: WebConfig,
    pub worker: WorkerConfig,
    pub mail: opsdesk_app::mail::MailConfig,
    /// Where the inbound SMTP listener accepts mail (`--smtp-listen`); none by default.
    pub smtp_listen: Option<String>,
}

/// Connects to the database and brings its schema up to date.
pub async fn open(database: &DbOptions) -> anyhow::Result<App> {
    let db = Db::connect(database).await.context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(App::new(db, AppConfig::default()))
}

/// A running server; stop it with `shutdown`.
pub struct Running {
    pub addr: Option<SocketAddr>,
    /// Where the SMTP listener accepts mail, when it runs.
    pub smtp_addr: Option<SocketAddr>,
    pub app: App,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting work, lets requests and jobs in flight finish, and closes the database.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.app.db.close().await;
    }
}

/// Starts the configured roles and returns once they are serving. A port in use or an
/// unreachable database is an error here, before anything runs.
pub async fn start(config: ServerConfig) -> anyhow::Result<Running> {
    let listener = match config.role {
        Role::All | Role::Web => Some(
            TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?,
        ),
        Role::Worker => None,
    };
    let smtp = match &config.smtp_listen {
        Some(a) => Some(TcpListener::bind(a).await.with_context(|| format!("cannot listen for SMTP on {a}"))?),
        None => None,
    };
    let mut app = open(&config.database).await?;
    app.config.mail = config.mail.clone();
    if config.demo && app.seed_demo().await.context("cannot seed the demo data")? {
        tracing::info!("demo data created");
    }
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut addr = None;
    if let Some(listener) = listener {
        addr = Some(listener.local_addr()?);
        // The knowledge search index lives in memory: build it now rather than on the first
        // search (a search that comes first waits for this build, not a second one).
        let db = app.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.refresh_kb_index().await {
                tracing::warn!(error = %e, "cannot build the knowledge search index yet");
            }
        });
        let router = opsdesk_web::router(WebState::new(app.clone(), config.web.clone()));
        let mut rx = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            if let Err(e) = opsdesk_web::serve(listener, router, shutdown).await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }));
    }
    let mut smtp_addr = None;
    if let Some(listener) = smtp {
        smtp_addr = Some(listener.local_addr()?);
        let limits = crate::smtp_in::SmtpLimits::default();
        tasks.push(tokio::spawn(crate::smtp_in::serve(listener, app.clone(), limits, stopped.clone())));
    }
    if matches!(config.role, Role::All | Role::Worker) {
        let worker = Worker::new(app.clone(), config.worker.clone(), opsdesk_worker::builtin::registry());
        tasks.push(tokio::spawn(worker.run(stopped)));
    }
    Ok(Running { addr, smtp_addr, app, stop, tasks })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn termination() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Grace period for in-flight work on shutdown before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
