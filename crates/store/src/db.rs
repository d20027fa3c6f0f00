//! Connecting to a backend, migrating it, and running the same SQL on either.
//!
//! Repository methods are written once with the `on_tx!` / `on_read!` macros, which expand the
//! body for each backend's concrete connection type; SQL uses `$1` placeholders, which both
//! backends accept.

use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Which database engine a handle talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, or a one-line reason it names none we support.
    pub fn of_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!("unsupported database URL {:?}: use sqlite://FILE or postgres://...", redact(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    /// PostgreSQL pool size, and the number of SQLite reader connections.
    pub max_connections: u32,
    /// SQLite `synchronous=FULL` (survives power loss) instead of `NORMAL` (survives a crash of
    /// the process, which is what WAL guarantees with NORMAL).
    pub sqlite_synchronous_full: bool,
    pub connect_timeout: Duration,
    /// SQLite: one connection for reads and writes, no reader pool. For a short-lived command
    /// (`mail-in`, one process per message) that would spend more opening readers than using
    /// them.
    pub single_connection: bool,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DbOptions {
            url: url.into(),
            max_connections: 8,
            sqlite_synchronous_full: true,
            connect_timeout: Duration::from_secs(10),
            single_connection: false,
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub(crate) enum Pools {
    /// SQLite allows one writer at a time; a single-connection writer pool makes writers queue
    /// in the process instead of failing with SQLITE_BUSY, while readers run in parallel.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Pg(PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pools: Pools,
    /// This process's knowledge search index (built on the first search).
    pub(crate) kb: std::sync::Arc<crate::kb::KbIndex>,
}

/// One database transaction. Every command that writes opens exactly one, and everything it
/// writes (state, history, outbox event) commits or rolls back together.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::db::Tx::Pg(t) => {
                let $c: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}

macro_rules! on_read {
    ($db:expr, |$c:ident| $body:expr) => {
        match &$db.pools {
            $crate::db::Pools::Sqlite { reader: $c, .. } => $body,
            $crate::db::Pools::Pg($c) => $body,
        }
    };
}

/// Hides the password of a database URL for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***{}", &url[..s], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Connects (creating a SQLite file if absent) and checks that the database answers.
    pub async fn connect(opts: &DbOptions) -> Result<Db> {
        let backend = Backend::of_url(&opts.url).map_err(StoreError::Unavailable)?;
        let shown = redact(&opts.url);
        let fail = |e: sqlx::Error| StoreError::Unavailable(format!("cannot connect to {shown}: {e}"));
        let pools = match backend {
            Backend::Sqlite => {
                let base = SqliteConnectOptions::from_str(&opts.url)
                    .map_err(fail)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(if opts.sqlite_synchronous_full {
                        SqliteSynchronous::Full
                    } else {
                        SqliteSynchronous::Normal
                    })
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-32768")
                    .pragma("temp_store", "memory");
                // Each reader keeps its own page cache; a smaller one per reader keeps the
                // server's memory bounded (the OS page cache holds the file anyway).
                let reader_opts = base.clone().read_only(true).pragma("cache_size", "-4096");
                let in_memory = opts.url.contains(":memory:") || opts.url.contains("mode=memory");
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    // A ping before every use is a round trip to the connection's thread, and
                    // a SQLite connection is a file handle in this process: there is no peer
                    // that could have gone away.
                    .test_before_acquire(false)
                    .connect_with(base.clone())
                    .await
                    .map_err(fail)?;
                let reader = if in_memory || opts.single_connection {
                    writer.clone()
                } else {
                    SqlitePoolOptions::new()
                        .max_connections(opts.max_connections.max(1))
                        .test_before_acquire(false)
                        .acquire_timeout(Duration::from_secs(30))
                        .connect_with(reader_opts)
                        .await
                        .map_err(fail)?
                };
                Pools::Sqlite { writer, reader }
            }
            Backend::Postgres => {
                let co = PgConnectOptions::from_str(&opts.url).map_err(fail)?.application_name("opsdesk");
                let pool = tokio::time::timeout(
                    opts.connect_timeout,
                    PgPoolOptions::new()
                        .max_connections(opts.max_connections.max(2))
                        .acquire_timeout(opts.connect_timeout)
                        .connect_with(co),
                )
                .await
                .map_err(|_| StoreError::Unavailable(format!("cannot connect to {shown}: timed out")))?
                .map_err(fail)?;
                Pools::Pg(pool)
            }
        };
        Ok(Db { pools, kb: crate::kb::KbIndex::new() })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Pg(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let r = match &self.pools {
            Pools::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await,
            Pools::Pg(pool) => PG_MIGRATIONS.run(pool).await,
        };
        r.map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        self.seed_cmdb().await
    }

    /// `migrate` for a short-lived process: one query reads what the database has applied;
    /// when that is exactly this binary's migrations it stops there, when the database is
    /// behind (or the query finds no answer) it runs `migrate`. A schema newer than this binary
    /// is an error rather than something to work against.
    pub async fn migrate_if_behind(&self) -> Result<()> {
        let migrator = match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &PG_MIGRATIONS,
        };
        let ours: Vec<&sqlx::migrate::Migration> =
            migrator.iter().filter(|m| !m.migration_type.is_down_migration()).collect();
        let Some(newest) = ours.iter().max_by_key(|m| m.version) else { return Ok(()) };
        let sql = "SELECT version, checksum, success, (SELECT COUNT(*) FROM _sqlx_migrations) \
                   FROM _sqlx_migrations ORDER BY version DESC LIMIT 1";
        // The newest applied migration (version, checksum, success) and how many are applied.
        type Newest = (i64, Vec<u8>, bool, i64);
        let applied: std::result::Result<Option<Newest>, sqlx::Error> = match &self.pools {
            Pools::Sqlite { writer, .. } => sqlx::query_as(sql).fetch_optional(writer).await,
            Pools::Pg(pool) => sqlx::query_as(sql).fetch_optional(pool).await,
        };
        match applied {
            Ok(Some((version, _, _, _))) if version > newest.version => Err(StoreError::Unavailable(format!(
                "the database schema (migration {version}) is newer than this opsdesk knows (migration {}): \
                 run the opsdesk that migrated it, or a newer one",
                newest.version
            ))),
            Ok(Some((version, checksum, true, count)))
                if version == newest.version && *checksum == *newest.checksum && count == ours.len() as i64 =>
            {
                Ok(())
            }
            // Behind, half-applied, edited, or no migrations table yet: the migrator applies
            // what is missing or says precisely what is wrong.
            _ => self.migrate().await,
        }
    }

    /// Opens a write transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`) so that two processes sharing a file wait for each other instead of failing
    /// when a reader upgrades.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Pools::Pg(pool) => Tx::Pg(pool.begin().await?),
        })
    }

    /// Whether the database answers a trivial query (readiness).
    pub async fn ping(&self) -> Result<()> {
        on_read!(self, |p| sqlx::query("SELECT 1").execute(p).await?.rows_affected());
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Pg(p) => p.close().await,
        }
    }

    /// `SKIP LOCKED` row locking where the backend has it. SQLite has one writer, so a claim
    /// inside a write transaction is already exclusive.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }

    pub(crate) fn skip_locked(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "",
            Tx::Pg(_) => " FOR UPDATE SKIP LOCKED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Backend::of_url("sqlite://opsdesk.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://u:p@h/db").unwrap(), Backend::Postgres);
        assert!(Backend::of_url("mysql://x").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://bob:secret@db:5432/x"), "postgres://bob:***@db:5432/x");
        assert_eq!(redact("sqlite://opsdesk.db"), "sqlite://opsdesk.db");
    }
}
