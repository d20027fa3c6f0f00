//! Reading import files: CSV with a header row, or JSON lines. Rows are read lazily, so a file
//! of any size streams through in constant memory.

use anyhow::Context;
use opsdesk_app::tickets::{CreateTicket, ImportRow, Ref};
use opsdesk_app::App;
use opsdesk_domain::Actor;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

/// `opsdesk import tickets FILE`: prints a summary and each rejected row; exits non-zero when
/// any row was rejected.
pub async fn tickets(app: &App, file: &Path, format: Option<&str>) -> anyhow::Result<ExitCode> {
    let format = match format {
        Some(f) => f.to_string(),
        None => match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => "csv".into(),
            Some("jsonl") | Some("ndjson") | Some("json") => "jsonl".into(),
            _ => anyhow::bail!("cannot tell the format of {}: pass --format csv or --format jsonl", file.display()),
        },
    };
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let rows: Box<dyn Iterator<Item = ImportRow>> =
        if format == "csv" { Box::new(csv_rows(f)?) } else { Box::new(jsonl_rows(std::io::BufReader::new(f))) };
    let report = app.import_tickets(&Actor::system(), rows).await.map_err(|e| anyhow::anyhow!("import failed: {e}"))?;
    println!(
        "created {}, skipped {} already imported, rejected {}",
        report.created,
        report.skipped_existing,
        report.rejected.len()
    );
    for r in &report.rejected {
        println!("line {}: {}", r.line, r.reason);
    }
    Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn jsonl_rows(r: impl BufRead + 'static) -> impl Iterator<Item = ImportRow> {
    r.lines().enumerate().filter_map(|(i, line)| {
        let n = i as u64 + 1;
        match line {
            Err(e) => Some((n, Err(format!("unreadable line: {e}")))),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => {
                Some((n, serde_json::from_str::<CreateTicket>(&l).map_err(|e| format!("not a ticket object: {e}"))))
            }
        }
    })
}

fn csv_rows(f: std::fs::File) -> anyhow::Result<impl Iterator<Item = ImportRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(f);
    let headers: Vec<String> =
        reader.headers().context("cannot read the CSV header row")?.iter().map(|h| h.trim().to_string()).collect();
    Ok(reader.into_records().map(move |rec| {
        let line = rec.as_ref().ok().and_then(|r| r.position()).map(|p| p.line()).unwrap_or(0);
        match rec {
            Err(e) => (line, Err(format!("unreadable CSV row: {e}"))),
            Ok(r) => (line, csv_ticket(&headers, &r)),
        }
    }))
}

/// A digits-only reference is an id; anything else a name or email.
fn reference(v: &str) -> Ref {
    match v.parse::<i64>() {
        Ok(id) => Ref::Id(id),
        Err(_) => Ref::Name(v.to_string()),
    }
}

fn csv_ticket(headers: &[String], r: &csv::StringRecord) -> Result<CreateTicket, String> {
    let mut t = CreateTicket::default();
    let mut custom = Map::new();
    for (h, v) in headers.iter().zip(r.iter()) {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let int = |field: &str| v.parse::<i64>().map_err(|_| format!("{field}: expected a whole number, got {v:?}"));
        match h.as_str() {
            "kind" => t.kind = v.into(),
            "title" => t.title = v.into(),
            "description" => t.description = v.into(),
            "impact" => t.impact = Some(int("impact")?),
            "urgency" => t.urgency = Some(int("urgency")?),
            "priority" => t.priority = Some(v.into()),
            "priority_reason" => t.priority_reason = Some(v.into()),
            "category" => t.category = Some(reference(v)),
            "desk" => t.desk = Some(reference(v)),
            "group" => t.group = Some(reference(v)),
            "assignee" => t.assignee = Some(reference(v)),
            "requester" => t.requester = Some(reference(v)),
            "external_id" => t.external_id = Some(v.into()),
            "shared_with_organization" => t.shared_with_organization = matches!(v, "true" | "yes" | "1"),
            other => match other.strip_prefix("cf.") {
                Some(key) => {
                    // Numbers, booleans and lists may be written as JSON; anything else is text.
                    let value = serde_json::from_str::<Value>(v)
                        .ok()
                        .filter(|j| !j.is_string())
                        .unwrap_or(Value::String(v.into()));
                    custom.insert(key.to_string(), value);
                }
                None => return Err(format!("unknown column {other:?}")),
            },
        }
    }
    t.custom_fields = custom;
    Ok(t)
}
