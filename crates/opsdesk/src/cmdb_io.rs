//! `opsdesk cmdb import` and `opsdesk cmdb export`: configuration items as CSV or JSON. An
//! import is an inventory push from the source `cli` (or `--source`), reconciled like any
//! other, so importing the same file twice changes nothing and an export imported back finds
//! every item.

use anyhow::Context;
use opsdesk_app::cmdb::{ClassView, InventoryInput, InventoryItem, ListCis};
use opsdesk_app::App;
use opsdesk_domain::cmdb::{AttrType, IdKind};
use opsdesk_domain::Actor;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::ExitCode;

/// The columns that are not attributes.
const FIXED: [&str; 8] = ["class", "name", "status", "serial", "asset_tag", "hostname", "mac", "uuid"];

fn format_of(file: &Path, format: Option<&str>) -> anyhow::Result<String> {
    Ok(match format {
        Some(f) => f.to_string(),
        None => match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => "csv".into(),
            Some("json") => "json".into(),
            _ => anyhow::bail!("cannot tell the format of {}: pass --format csv or --format json", file.display()),
        },
    })
}

/// A CSV cell as the attribute's type wants it; text when it does not parse (the class schema
/// then rejects the item, naming the attribute).
fn typed(cell: &str, t: Option<AttrType>) -> Value {
    match t {
        Some(AttrType::Number) => match (cell.parse::<i64>(), cell.parse::<f64>()) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(f)) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or_else(|| json!(cell)),
            _ => json!(cell),
        },
        Some(AttrType::Reference) => cell.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(cell)),
        Some(AttrType::Bool) => match cell.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => json!(true),
            "false" | "no" | "0" => json!(false),
            _ => json!(cell),
        },
        _ => json!(cell),
    }
}

fn csv_items(file: &Path, classes: &[ClassView]) -> anyhow::Result<Vec<InventoryItem>> {
    let types: HashMap<(String, String), AttrType> = classes
        .iter()
        .flat_map(|c| c.attributes.iter().map(move |a| ((c.key.clone(), a.key.clone()), a.attr_type)))
        .collect();
    let mut reader = csv::Reader::from_path(file).with_context(|| format!("cannot open {}", file.display()))?;
    let headers: Vec<String> = reader.headers()?.iter().map(|h| h.trim().to_string()).collect();
    let mut items = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("line {}", line + 2))?;
        let mut identifiers = Map::new();
        let mut attributes = Map::new();
        let mut class = String::new();
        let mut name = String::new();
        for (h, cell) in headers.iter().zip(record.iter()) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match h.as_str() {
                "class" => class = cell.to_string(),
                "name" => name = cell.to_string(),
                "status" => {}
                k if IdKind::parse(k).is_some() => {
                    identifiers.insert(k.to_string(), json!(cell));
                }
                k => {
                    let t = types.get(&(class.clone(), k.to_string())).copied();
                    attributes.insert(k.to_string(), typed(cell, t));
                }
            }
        }
        items.push(InventoryItem { class, name, identifiers: Value::Object(identifiers), attributes });
    }
    Ok(items)
}

/// `opsdesk cmdb import FILE`: prints what became of each item; exits 2 when any item was
/// rejected or conflicted.
pub async fn import(
    app: &App,
    file: &Path,
    format: Option<&str>,
    source: &str,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let format = format_of(file, format)?;
    let classes = app.ci_classes(&Actor::system()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let items: Vec<InventoryItem> = if format == "csv" {
        csv_items(file, &classes)?
    } else {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
        let list = v.get("items").cloned().unwrap_or(v);
        serde_json::from_value(list).context("the JSON is a list of items {class, name, identifiers, attributes}")?
    };
    let input = InventoryInput { source: source.to_string(), items, dry_run, explain: None };
    let report =
        app.push_inventory(&Actor::system(), input).await.map_err(|e| anyhow::anyhow!("import failed: {e}"))?;
    println!(
        "{}created {}, updated {}, unchanged {}, conflicts {}, rejected {}",
        if dry_run { "dry run: " } else { "" },
        report.created,
        report.updated,
        report.unchanged,
        report.conflicts.len(),
        report.rejected.len()
    );
    for d in report.decisions.iter().filter(|d| d.action == "conflict" || d.action == "rejected") {
        println!("item {}: {}: {}", d.item + 1, d.action, d.explanation);
    }
    Ok(if report.conflicts.is_empty() && report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// `opsdesk cmdb export`: every live item (of a class), as CSV or JSON, on stdout.
pub async fn export(app: &App, format: &str, class: Option<String>) -> anyhow::Result<ExitCode> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let list = ListCis { q: None, class: class.clone(), stale: false, after, limit: 500 };
        let page = app.cis(&Actor::system(), &list).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(last) = page.last() else { break };
        after = last.id;
        all.extend(page);
    }
    let mut out = std::io::stdout().lock();
    if format == "json" {
        let items: Vec<Value> = all
            .iter()
            .map(|c| json!({"class": c.class, "name": c.name, "status": c.status, "identifiers": c.identifiers, "attributes": c.attributes}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &json!({"items": items}))?;
        println!();
        return Ok(ExitCode::SUCCESS);
    }
    let attrs: BTreeSet<String> = all.iter().flat_map(|c| c.attributes.keys().cloned()).collect();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(FIXED.iter().map(|s| s.to_string()).chain(attrs.iter().cloned()))?;
    for c in &all {
        let cell = |v: Option<&Value>| match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let mut row = vec![c.class.clone(), c.name.clone(), c.status.clone()];
        row.extend(FIXED[3..].iter().map(|k| cell(c.identifiers.get(*k))));
        row.extend(attrs.iter().map(|k| cell(c.attributes.get(k))));
        w.write_record(row)?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
