//! `opsdesk mail-in`: an MTA pipes one message to it. Exit 0 only once the message is stored
//! (or was stored before); 75 (EX_TEMPFAIL) when the database cannot take it now, so the MTA
//! retries; 65 (EX_DATAERR) or 67 (EX_NOUSER) with a one-line reason for a permanent refusal.

use opsdesk_app::mail::MailConfig;
use opsdesk_app::{App, AppConfig, AppError};
use opsdesk_store::{Db, DbOptions};
use std::io::Read;
use std::process::ExitCode;

pub const EX_DATAERR: u8 = 65;
pub const EX_NOUSER: u8 = 67;
pub const EX_TEMPFAIL: u8 = 75;

pub async fn run(database: &DbOptions, desk: &str, mail: MailConfig) -> anyhow::Result<ExitCode> {
    let limit = mail.max_message_bytes;
    let mut raw = Vec::new();
    // Read one byte past the limit, so an oversized message is refused without reading it all.
    if let Err(e) = std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut raw) {
        eprintln!("opsdesk mail-in: cannot read the message: {e}");
        return Ok(ExitCode::from(EX_TEMPFAIL));
    }
    if raw.len() > limit {
        eprintln!("opsdesk mail-in: message refused: larger than the limit of {limit} bytes");
        return Ok(ExitCode::from(EX_DATAERR));
    }
    // One process per message: it opens what one message needs and checks the schema with
    // one query rather than the full migrator.
    let database = DbOptions { single_connection: true, ..database.clone() };
    let db = match Db::connect(&database).await {
        Ok(db) => db,
        Err(e) => return Ok(temporary(&e.to_string())),
    };
    if let Err(e) = db.migrate_if_behind().await {
        return Ok(temporary(&e.to_string()));
    }
    let app = App::new(db, AppConfig { mail, ..AppConfig::default() });
    let result = app.ingest_mail(desk, &raw).await;
    app.db.close().await;
    match result {
        Ok(done) => {
            println!("{}", serde_json::to_string(&done)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::TooLarge { limit }) => {
            eprintln!("opsdesk mail-in: message refused: larger than the limit of {limit} bytes");
            Ok(ExitCode::from(EX_DATAERR))
        }
        Err(AppError::Invalid(inv)) => {
            let parts: Vec<String> = inv.0.iter().map(|f| f.message.clone()).collect();
            eprintln!("opsdesk mail-in: message refused: {}", parts.join("; "));
            Ok(ExitCode::from(EX_NOUSER))
        }
        Err(e) => Ok(temporary(&e.to_string())),
    }
}

fn temporary(reason: &str) -> ExitCode {
    eprintln!("opsdesk mail-in: temporary failure, try again later: {}", reason.replace('\n', " "));
    ExitCode::from(EX_TEMPFAIL)
}
