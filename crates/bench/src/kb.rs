//! The knowledge search benchmark: loads N generated articles into a database through the
//! store's own write path (version rows, head/live flags, the search index log, the
//! vocabulary of corrections), then times `App::search_articles` (the command behind
//! `GET /api/v1/kb/search`) for a mix of queries as a requester and as an agent.

use crate::report::percentile;
use crate::words;
use opsdesk_app::kb::SearchInput;
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::kb::{plain_text, query_words, ArticleState, ArticleVisibility};
use opsdesk_domain::{Actor, Role};
use opsdesk_store::kb::{Article, NewVersion};
use opsdesk_store::{Db, DbOptions, Ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct KbConfig {
    pub database_url: String,
    pub articles: u64,
    pub queries: u64,
    pub seed: u64,
    pub batch: u64,
}

/// Latencies of one kind of query, in microseconds, sorted.
#[derive(Debug, Clone)]
pub struct Timing {
    pub name: &'static str,
    pub micros: Vec<u32>,
    pub empty: usize,
}

impl Timing {
    pub fn line(&self) -> String {
        let ms = |p: f64| percentile(&self.micros, p) as f64 / 1000.0;
        format!(
            "{:<26} n={:<6} p50={:>6.2} ms  p90={:>6.2} ms  p99={:>6.2} ms  max={:>6.2} ms  (no hits: {})",
            self.name,
            self.micros.len(),
            ms(50.0),
            ms(90.0),
            ms(99.0),
            ms(100.0),
            self.empty
        )
    }
}

fn article(rng: &mut StdRng) -> (String, String, String, Vec<String>) {
    let topic = words::topic(rng);
    let kind = if rng.gen_bool(0.7) { "incident" } else { "service_request" };
    let title = words::title(rng, kind, topic);
    let summary = words::description(rng, topic).split(". ").next().unwrap_or("").to_string();
    let body = format!(
        "## Symptom\n\n{}\n\n## Resolution\n\n1. {}\n2. {}\n\n## Applies to\n\n{} on every site.\n",
        words::description(rng, topic),
        words::comment(rng, topic, true),
        words::comment(rng, topic, true),
        topic.name
    );
    let other = words::topic(rng);
    // Tags are a set (the domain sorts and dedupes them); two draws can name one topic.
    let mut tags = vec![topic.word.to_string(), other.word.to_string()];
    tags.sort();
    tags.dedup();
    (title, summary, body, tags)
}

/// Loads the articles (85 % published, 80 % of those public) in transactions of `batch`.
pub async fn load(db: &Db, cfg: &KbConfig) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let desk = db.desks().await?.first().map(|d| d.id).ok_or_else(|| anyhow::anyhow!("no service desk"))?;
    let mut done = 0;
    while done < cfg.articles {
        let n = cfg.batch.min(cfg.articles - done);
        let mut tx = db.begin().await?;
        let now = Ts::now();
        for _ in 0..n {
            let (title, summary, body, tags) = article(&mut rng);
            let published = rng.gen_bool(0.85);
            let visibility = if rng.gen_bool(0.8) { ArticleVisibility::Public } else { ArticleVisibility::Internal };
            let a = tx.insert_article(desk, None, None, now).await?;
            let id = a.id;
            let body_text = plain_text(&body);
            let v = NewVersion {
                article_id: id,
                number: 1,
                title: &title,
                summary: &summary,
                body: &body,
                body_text: &body_text,
                visibility,
                tags: &tags,
                categories: &[],
                note: "",
                author_id: None,
            };
            tx.insert_version(&v, now).await?;
            let live = published.then_some(1);
            if published {
                let p = Article { state: ArticleState::Published, live_version: live, published_at: Some(now), ..a };
                tx.update_article(&p).await?;
            }
            tx.settle_versions(id, 1, live).await?;
            let mut terms: Vec<String> = format!("{title} {summary} {} {body_text}", tags.join(" "))
                .split(|c: char| !c.is_alphanumeric())
                .flat_map(query_words)
                .filter(|w| (4..=30).contains(&w.chars().count()) && w.chars().all(char::is_alphabetic))
                .collect();
            terms.sort();
            terms.dedup();
            tx.add_kb_terms(&terms).await?;
        }
        tx.commit().await?;
        done += n;
        eprintln!("loaded {done} articles ({:.0} s)", start.elapsed().as_secs_f64());
    }
    Ok(start.elapsed().as_secs_f64())
}

/// A word with one letter swapped with its neighbour (a typo one edit away).
fn typo(w: &str, rng: &mut StdRng) -> String {
    let mut c: Vec<char> = w.chars().collect();
    if c.len() >= 5 {
        let i = rng.gen_range(1..c.len() - 1);
        c.swap(i, i + 1);
    }
    c.into_iter().collect()
}

/// Runs the query mix and returns the timings per kind.
pub async fn measure(app: &App, cfg: &KbConfig) -> anyhow::Result<Vec<Timing>> {
    let mut rng = StdRng::seed_from_u64(cfg.seed + 1);
    let requester = Actor {
        user_id: Some(1),
        role: Role::Requester,
        organization_id: None,
        group_ids: vec![],
        sees_all_groups: false,
    };
    let agent = Actor { role: Role::Agent, ..requester.clone() };
    let mut timings = vec![
        Timing { name: "one word (requester)", micros: vec![], empty: 0 },
        Timing { name: "two words (requester)", micros: vec![], empty: 0 },
        Timing { name: "title phrase (agent)", micros: vec![], empty: 0 },
        Timing { name: "typo in one word (req.)", micros: vec![], empty: 0 },
        Timing { name: "suggestion (requester)", micros: vec![], empty: 0 },
    ];
    for i in 0..cfg.queries {
        let (title, _, _, tags) = article(&mut rng);
        let kind = (i % 5) as usize;
        let title_words: Vec<String> = query_words(&title).into_iter().filter(|w| w.len() > 3).collect();
        let q = match kind {
            0 => tags[0].clone(),
            1 => format!("{} {}", tags[0], title_words.last().cloned().unwrap_or_default()),
            2 => title.clone(),
            3 => format!("{} {}", typo(&title_words.first().cloned().unwrap_or_default(), &mut rng), tags[0]),
            _ => title.chars().take(rng.gen_range(8..title.len().max(9))).collect(),
        };
        let actor = if kind == 2 { &agent } else { &requester };
        let t = Instant::now();
        let found = if kind == 4 {
            app.suggest_articles(actor, &q, 5).await?.len()
        } else {
            app.search_articles(actor, &SearchInput { q, limit: Some(10), ..Default::default() }).await?.items.len()
        };
        timings[kind].micros.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
        if found == 0 {
            timings[kind].empty += 1;
        }
    }
    for t in &mut timings {
        t.micros.sort_unstable();
    }
    Ok(timings)
}

/// Loads (unless the database already has articles) and measures.
pub async fn bench(cfg: &KbConfig) -> anyhow::Result<(Option<f64>, Vec<Timing>)> {
    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = false;
    let db = Db::connect(&opts).await?;
    db.migrate().await?;
    let empty = db.articles(&opsdesk_store::kb::ArticleFilter { limit: 1, ..Default::default() }).await?.is_empty();
    let loaded = if empty { Some(load(&db, cfg).await?) } else { None };
    // The search index is built in memory from the database on first use (a server starts
    // building it at start); timed on its own, apart from the searches.
    let t = Instant::now();
    db.refresh_kb_index().await?;
    eprintln!("search index built from the database in {:.1} s", t.elapsed().as_secs_f64());
    let app = App::new(db, AppConfig::default());
    // Warm the page cache as a server that has been running would be.
    let warm = KbConfig { queries: 200, seed: cfg.seed + 7, ..cfg.clone() };
    measure(&app, &warm).await?;
    Ok((loaded, measure(&app, cfg).await?))
}
