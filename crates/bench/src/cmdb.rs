//! The CMDB benchmark: a layered graph of N configuration items and R relationships (business
//! services depend on applications and databases, which run on virtual machines, hosted on
//! servers, which connect to network devices and storage; workstations connect to network
//! devices), loaded straight through the store; then impact analysis through
//! [`App::ci_impact`] from random items, both directions, 5 levels; then an inventory push of
//! M items through [`App::push_inventory`], half of them already known by one identifier.
//! Resident memory of this process is reported after each phase.

use crate::report::{percentile, Memory};
use anyhow::Context;
use opsdesk_app::cmdb::{ImpactQuery, InventoryInput, InventoryItem};
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::cmdb::Direction;
use opsdesk_domain::Actor;
use opsdesk_store::cmdb::BulkCi;
use opsdesk_store::{Db, DbOptions, Ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct CmdbConfig {
    pub database_url: String,
    pub cis: u64,
    pub relationships: u64,
    pub queries: u64,
    pub depth: u32,
    pub inventory: u64,
    pub seed: u64,
}

/// The layers, in order: class key, share of items (per mille), the layer it points at and
/// the relationship type.
const LAYERS: &[(&str, u64, Option<usize>, &str)] = &[
    ("business_service", 10, Some(1), "depends_on"),
    ("application", 90, Some(3), "runs_on"),
    ("database", 50, Some(3), "runs_on"),
    ("virtual_machine", 300, Some(4), "hosted_on"),
    ("server", 100, Some(5), "connects_to"),
    ("network_device", 50, None, ""),
    ("storage", 50, None, ""),
    ("workstation", 350, Some(5), "connects_to"),
];

fn rss_mb() -> f64 {
    Memory::of(std::process::id()).map(|m| m.rss_kb as f64 / 1024.0).unwrap_or(0.0)
}

pub async fn cmdb(cfg: &CmdbConfig) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!((10..=5_000_000).contains(&cfg.cis), "--cis is between 10 and 5000000");
    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = false;
    let db = Db::connect(&opts).await.context("cannot open the database")?;
    db.migrate().await?;
    let app = App::new(db.clone(), AppConfig::default());
    let system = Actor::system();
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    let load = Instant::now();
    let ranges = load_graph(&db, &app, cfg.cis, cfg.relationships, &mut rng).await?;
    let load_secs = load.elapsed().as_secs_f64();
    let rss_after_load = rss_mb();

    // Impact from random items, alternating directions.
    let mut runs: HashMap<Direction, (Vec<u32>, Vec<usize>)> = HashMap::new();
    for q in 0..cfg.queries {
        let direction = if q % 2 == 0 { Direction::Downstream } else { Direction::Upstream };
        let id = rng.gen_range(1..=cfg.cis as i64);
        let query = ImpactQuery { direction, depth: cfg.depth, ..Default::default() };
        let t = Instant::now();
        let r = app.ci_impact(&system, id, &query).await.map_err(|e| anyhow::anyhow!("impact of {id}: {e}"))?;
        let took = t.elapsed().as_micros() as u32;
        let e = runs.entry(direction).or_default();
        e.0.push(took);
        e.1.push(r.nodes.len());
    }
    let mut impact = serde_json::Map::new();
    for (direction, (mut micros, mut reach)) in runs {
        micros.sort_unstable();
        reach.sort_unstable();
        let key = if direction == Direction::Downstream { "downstream" } else { "upstream" };
        impact.insert(
            key.into(),
            json!({
                "queries": micros.len(),
                "p50_ms": percentile(&micros, 50.0) as f64 / 1000.0,
                "p99_ms": percentile(&micros, 99.0) as f64 / 1000.0,
                "max_ms": micros.last().copied().unwrap_or(0) as f64 / 1000.0,
                "nodes_p50": reach.get(reach.len() / 2).copied().unwrap_or(0),
                "nodes_max": reach.last().copied().unwrap_or(0),
            }),
        );
    }
    let rss_after_impact = rss_mb();

    // An inventory push: half the items are known servers reported by host name and a new MAC,
    // half are new workstations.
    let servers = ranges[4];
    let items: Vec<InventoryItem> = (0..cfg.inventory as i64)
        .map(|i| {
            if i % 2 == 0 {
                let id = servers.0 + (i / 2) % (servers.1 - servers.0 + 1);
                InventoryItem {
                    class: "server".into(),
                    name: format!("server {id}"),
                    identifiers: json!({"hostname": format!("server-{id}.bench.example"), "mac": format!("02:00:{:02x}:{:02x}:{:02x}:{:02x}", (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)}),
                    attributes: json!({"os": "Debian 13", "cpu_count": 16}).as_object().cloned().unwrap_or_default(),
                }
            } else {
                InventoryItem {
                    class: "workstation".into(),
                    name: format!("new-ws-{i}-{}", cfg.seed),
                    identifiers: json!({"serial": format!("INV{}-{i:08}", cfg.seed)}),
                    attributes: serde_json::Map::new(),
                }
            }
        })
        .collect();
    let pushed = items.len();
    let rss_with_items = rss_mb();
    let t = Instant::now();
    let r = app
        .push_inventory(&system, InventoryInput { source: "bench".into(), items, dry_run: false, explain: None })
        .await
        .map_err(|e| anyhow::anyhow!("inventory: {e}"))?;
    let inventory_secs = t.elapsed().as_secs_f64();
    Ok(json!({
        "backend": db.backend().name(),
        "cis": cfg.cis,
        "relationships": cfg.relationships,
        "depth": cfg.depth,
        "load_seconds": load_secs,
        "impact": impact,
        "inventory": {"items": pushed, "seconds": inventory_secs, "created": r.created, "updated": r.updated,
                      "unchanged": r.unchanged, "conflicts": r.conflicts.len(), "rejected": r.rejected.len(),
                      "items_per_second": pushed as f64 / inventory_secs.max(1e-9)},
        "rss_mb": {"after_load": rss_after_load, "after_impact": rss_after_impact,
                   "with_inventory_items_built": rss_with_items, "after_inventory": rss_mb()},
    }))
}

/// Loads the layered graph of `cis` items and about `relationships` relationships straight
/// through the store, unless the database already holds items; returns the id range of each
/// layer of [`LAYERS`], in order.
pub async fn load_graph(
    db: &Db,
    app: &App,
    cis: u64,
    relationships: u64,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let system = Actor::system();
    let classes: HashMap<String, i64> =
        app.ci_classes(&system).await.map_err(|e| anyhow::anyhow!("{e}"))?.into_iter().map(|c| (c.key, c.id)).collect();
    // Id ranges of each layer.
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    let mut next = 1i64;
    let total: u64 = LAYERS.iter().map(|l| l.1).sum();
    for (i, l) in LAYERS.iter().enumerate() {
        let n = if i == LAYERS.len() - 1 { cis as i64 - next + 1 } else { (cis * l.1 / total).max(1) as i64 };
        ranges.push((next, next + n - 1));
        next += n;
    }
    let existing = app
        .cis(&system, &opsdesk_app::cmdb::ListCis { limit: 1, ..Default::default() })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Ts::now();
    if existing.is_empty() {
        let mut batch = Vec::with_capacity(20_000);
        for (i, l) in LAYERS.iter().enumerate() {
            let class_id = classes[l.0];
            for id in ranges[i].0..=ranges[i].1 {
                let host = format!("{}-{id}.bench.example", l.0.replace('_', "-"));
                let serial = format!("SN{id:09}");
                batch.push(BulkCi {
                    id,
                    class_id,
                    name: format!("{} {id}", l.0),
                    identifiers: json!({"serial": serial, "hostname": host}).to_string(),
                    identifier_rows: vec![("serial", serial), ("hostname", host)],
                });
                if batch.len() == 20_000 {
                    let mut tx = db.begin().await?;
                    tx.insert_cis_bulk(&batch, now).await?;
                    tx.commit().await?;
                    batch.clear();
                }
            }
        }
        let mut tx = db.begin().await?;
        tx.insert_cis_bulk(&batch, now).await?;
        tx.continue_ci_ids().await?;
        tx.commit().await?;
        // Relationships: spread evenly over the items that point at a layer, distinct targets.
        let sources: u64 = LAYERS
            .iter()
            .enumerate()
            .filter(|(_, l)| l.2.is_some())
            .map(|(i, _)| (ranges[i].1 - ranges[i].0 + 1) as u64)
            .sum();
        let per = relationships as f64 / sources as f64;
        let mut rels: Vec<(i64, &'static str, i64)> = Vec::with_capacity(50_000);
        for (i, l) in LAYERS.iter().enumerate() {
            let Some(to) = l.2 else { continue };
            // Servers connect to network devices and storage, both layers.
            let targets = if l.0 == "server" { (ranges[to].0, ranges[to + 1].1) } else { ranges[to] };
            let span = (targets.1 - targets.0 + 1) as usize;
            for id in ranges[i].0..=ranges[i].1 {
                let k = (per.floor() as usize + usize::from(rng.gen_bool(per.fract()))).min(span);
                let mut chosen: Vec<i64> = Vec::with_capacity(k);
                while chosen.len() < k {
                    let t = rng.gen_range(targets.0..=targets.1);
                    if !chosen.contains(&t) {
                        chosen.push(t);
                    }
                }
                for t in chosen {
                    rels.push((id, l.3, t));
                }
                if rels.len() >= 50_000 {
                    let mut tx = db.begin().await?;
                    tx.insert_relationships_bulk(&rels, now).await?;
                    tx.commit().await?;
                    rels.clear();
                }
            }
        }
        let mut tx = db.begin().await?;
        tx.insert_relationships_bulk(&rels, now).await?;
        tx.commit().await?;
    }
    Ok(ranges)
}
