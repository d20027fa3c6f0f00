//! The article search index: a tantivy index that each process keeps in memory, built from the
//! database on its first search and caught up before every search from `kb_index_log`, which
//! every article write updates in its own transaction.
//!
//! Why not the database's own full-text search: FTS5 and `ts_rank` score every matching row
//! before the limit applies, so a common word costs tens of milliseconds on 100,000 articles;
//! tantivy ranks with BM25 over an inverted index held in memory, and one index gives both
//! databases the same ranking. Why in memory and per process: the database stays the only
//! thing to back up, nodes stay stateless, and no index directory can be stale or locked by
//! another process.
//!
//! Order: the log keeps one row per article with the sequence number of its latest change,
//! given out as `MAX(seq) + 1` while the writer holds the table (SQLite has one writer;
//! PostgreSQL takes an EXCLUSIVE lock on the table), so sequence order is commit order and
//! "applied up to N" means every change up to N is in the index.

use crate::{Backend, Db, Result, StoreError, Tx};
use opsdesk_domain::kb::ArticleVisibility;
use std::sync::{Arc, RwLock};
use tantivy::schema::{Field, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Tokens longer than this many bytes are not indexed (nobody searches for them).
const LONGEST_TOKEN: usize = 80;
/// Articles read from the database per query while building or catching up.
const PAGE: i64 = 500;
/// The indexing arena: segments are flushed when it fills.
const WRITER_MEMORY: usize = 48_000_000;

/// `scope` values: which searchers may find a document.
pub(super) const SCOPE_HEAD: &str = "head";
pub(super) const SCOPE_LIVE_PUBLIC: &str = "live_public";

/// The fields of an index document (one per findable version of an article).
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub title: Field,
    pub summary: Field,
    pub tags: Field,
    pub body: Field,
    pub article: Field,
    pub version: Field,
    /// `head` (agents find it) and/or `live_public` (requesters find it).
    pub scope: Field,
    pub desk: Field,
    pub state: Field,
    pub tag: Field,
    pub category: Field,
}

impl Fields {
    /// The text fields with their weights: a match in the title counts most.
    pub fn weighted(&self) -> [(Field, f32); 4] {
        [(self.title, 10.0), (self.summary, 4.0), (self.tags, 4.0), (self.body, 1.0)]
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("kb")
            .set_index_option(tantivy::schema::IndexRecordOption::WithFreqs),
    );
    let id = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        title: b.add_text_field("title", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        body: b.add_text_field("body", text),
        article: b.add_u64_field("article", id.clone()),
        version: b.add_u64_field("version", id.clone()),
        scope: b.add_text_field("scope", STRING),
        desk: b.add_u64_field("desk", id.clone()),
        state: b.add_text_field("state", STRING),
        tag: b.add_text_field("tag", STRING),
        category: b.add_u64_field("category", id),
    };
    (b.build(), fields)
}

/// Words to index terms: letters and digits, lower-cased, accents folded, English stems. The
/// same analyzer reads queries, so "Printers" finds "printer" and "jammed" finds "jam".
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The terms `text` is indexed as.
pub(super) fn terms_of(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

pub(super) fn index_error(e: tantivy::TantivyError) -> StoreError {
    StoreError::Index(e.to_string())
}

/// What a search reads: the index as of `applied`.
#[derive(Clone)]
pub(super) struct Searchable {
    pub reader: IndexReader,
    pub applied: i64,
}

/// One process's index. Cheap until the first search builds it.
pub(crate) struct KbIndex {
    pub(super) fields: Fields,
    live: RwLock<Option<Searchable>>,
    /// Held while building or catching up, so one task does it and the others wait for it.
    writer: tokio::sync::Mutex<Option<IndexWriter>>,
}

impl KbIndex {
    pub(crate) fn new() -> Arc<KbIndex> {
        Arc::new(KbIndex { fields: schema().1, live: RwLock::new(None), writer: tokio::sync::Mutex::new(None) })
    }

    fn current(&self) -> Option<Searchable> {
        self.live.read().map(|l| l.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn publish(&self, s: Searchable) {
        match self.live.write() {
            Ok(mut l) => *l = Some(s),
            Err(poisoned) => *poisoned.into_inner() = Some(s),
        }
    }
}

/// An indexable version as read from the database.
#[derive(Debug, sqlx::FromRow)]
struct IndexRow {
    id: i64,
    article_id: i64,
    title: String,
    summary: String,
    tags: String,
    categories: String,
    body_text: String,
    #[sqlx(try_from = "String")]
    visibility: ArticleVisibility,
    is_head: bool,
    is_live: bool,
    desk_id: i64,
    state: String,
}

const INDEX_ROW: &str = "SELECT v.id, v.article_id, v.title, v.summary, v.tags, v.categories, v.body_text, \
    v.visibility, v.is_head, v.is_live, a.desk_id, a.state \
    FROM kb_versions v JOIN kb_articles a ON a.id = v.article_id WHERE (v.is_head OR v.is_live)";

fn document(f: &Fields, r: &IndexRow) -> Option<TantivyDocument> {
    let live_public = r.is_live && r.visibility == ArticleVisibility::Public;
    if !r.is_head && !live_public {
        // A live internal version that is not the head: agents find the head instead.
        return None;
    }
    let mut d = TantivyDocument::default();
    if r.is_head {
        d.add_text(f.scope, SCOPE_HEAD);
    }
    if live_public {
        d.add_text(f.scope, SCOPE_LIVE_PUBLIC);
    }
    // A version whose tags or categories do not parse is logged (by `stored_json`) and still
    // indexed by its text: one bad row must not take the whole knowledge search down. Its
    // article page reports the error (`Version::tag_list`).
    let tags: Vec<String> =
        crate::stored_json(&format!("tags of article version {}", r.id), &r.tags).unwrap_or_default();
    let categories: Vec<i64> =
        crate::stored_json(&format!("categories of article version {}", r.id), &r.categories).unwrap_or_default();
    d.add_text(f.title, &r.title);
    d.add_text(f.summary, &r.summary);
    d.add_text(f.tags, tags.join(" "));
    d.add_text(f.body, &r.body_text);
    d.add_u64(f.article, r.article_id as u64);
    d.add_u64(f.version, r.id as u64);
    d.add_u64(f.desk, r.desk_id as u64);
    d.add_text(f.state, &r.state);
    for t in &tags {
        d.add_text(f.tag, t);
    }
    for c in categories {
        d.add_u64(f.category, c as u64);
    }
    Some(d)
}

impl Db {
    /// The newest change any process has made to the articles.
    async fn kb_latest_change(&self) -> Result<i64> {
        let (seq,): (i64,) =
            on_read!(self, |p| sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM kb_index_log").fetch_one(p).await?);
        Ok(seq)
    }

    /// Brings this process's search index up to every committed article change (building it on
    /// first use) and returns it.
    pub(super) async fn fresh_kb_index(&self) -> Result<Searchable> {
        let latest = self.kb_latest_change().await?;
        if let Some(s) = self.kb.current().filter(|s| s.applied == latest) {
            return Ok(s);
        }
        let mut writer = self.kb.writer.lock().await;
        // Another task may have caught up while this one waited.
        let latest = self.kb_latest_change().await?;
        match (self.kb.current(), writer.take()) {
            (Some(s), Some(w)) if s.applied == latest => {
                *writer = Some(w);
                Ok(s)
            }
            // Numbers only grow, so an index ahead of the log means the database went back
            // (a restore under a running server): that index describes another database.
            (Some(s), Some(w)) if s.applied < latest => {
                let (w, s) = self.catch_up(w, s).await?;
                *writer = Some(w);
                self.kb.publish(s.clone());
                Ok(s)
            }
            _ => {
                let (w, s) = self.build_kb_index(latest).await?;
                *writer = Some(w);
                self.kb.publish(s.clone());
                Ok(s)
            }
        }
    }

    /// Brings the index up to date now (a server calls it at start, so that the first search
    /// does not wait for the build).
    pub async fn refresh_kb_index(&self) -> Result<()> {
        self.fresh_kb_index().await.map(|_| ())
    }

    /// Builds the index from every findable version; `applied` is a change number read before
    /// the articles, so anything committed during the build is caught up afterwards.
    async fn build_kb_index(&self, applied: i64) -> Result<(IndexWriter, Searchable)> {
        let (schema, _) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register("kb", analyzer());
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        let writer: IndexWriter = index.writer_with_options(options).map_err(index_error)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(index_error)?;
        let f = self.kb.fields;
        let mut last = 0i64;
        loop {
            let ids: Vec<(i64,)> =
                on_read!(self, |p| sqlx::query_as("SELECT id FROM kb_articles WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(last)
                    .bind(PAGE)
                    .fetch_all(p)
                    .await?);
            let Some(&(end,)) = ids.last() else { break };
            for r in self.index_rows(ids.iter().map(|(id,)| *id)).await? {
                if let Some(d) = document(&f, &r) {
                    writer.add_document(d).map_err(index_error)?;
                }
            }
            last = end;
        }
        let (writer, reader) = commit(writer, reader).await?;
        Ok((writer, Searchable { reader, applied }))
    }

    /// The findable versions of some articles.
    async fn index_rows(&self, article_ids: impl Iterator<Item = i64>) -> Result<Vec<IndexRow>> {
        // Ids are integers from the database, so they can be written into the statement.
        let list = article_ids.map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{INDEX_ROW} AND v.article_id IN ({list})");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Re-indexes every article changed after `s.applied`.
    async fn catch_up(&self, writer: IndexWriter, s: Searchable) -> Result<(IndexWriter, Searchable)> {
        let changed: Vec<(i64, i64)> =
            on_read!(self, |p| sqlx::query_as("SELECT article_id, seq FROM kb_index_log WHERE seq > $1 ORDER BY seq")
                .bind(s.applied)
                .fetch_all(p)
                .await?);
        let applied = changed.iter().map(|(_, seq)| *seq).max().unwrap_or(s.applied).max(s.applied);
        let f = self.kb.fields;
        for ids in changed.chunks(PAGE as usize) {
            let rows = self.index_rows(ids.iter().map(|(id, _)| *id)).await?;
            for (id, _) in ids {
                writer.delete_term(Term::from_field_u64(f.article, *id as u64));
            }
            for r in &rows {
                if let Some(d) = document(&f, r) {
                    writer.add_document(d).map_err(index_error)?;
                }
            }
        }
        let (writer, reader) = commit(writer, s.reader).await?;
        Ok((writer, Searchable { reader, applied }))
    }
}

/// Commits and makes the commit searchable, off the async threads (it waits for indexing).
async fn commit(mut writer: IndexWriter, reader: IndexReader) -> Result<(IndexWriter, IndexReader)> {
    tokio::task::spawn_blocking(move || {
        writer.commit().map_err(index_error)?;
        reader.reload().map_err(index_error)?;
        Ok((writer, reader))
    })
    .await
    .map_err(|e| StoreError::Index(e.to_string()))?
}

impl Tx {
    /// Tells every process's search index that an article changed (its content, head or live
    /// version, state, desk, or that it is gone): its log row takes the next change number.
    /// Called after the article's own rows are written, so that on PostgreSQL the log's table
    /// lock is the last lock a writer takes (no two writers wait for each other).
    pub(super) async fn note_kb_change(&mut self, article_id: i64) -> Result<()> {
        if self.backend() == Backend::Postgres {
            // Numbers are given out one writer at a time, so they commit in order.
            on_tx!(self, |c| sqlx::query("LOCK TABLE kb_index_log IN EXCLUSIVE MODE")
                .execute(c)
                .await?
                .rows_affected());
        }
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO kb_index_log (article_id, seq) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_index_log)) \
             ON CONFLICT (article_id) DO UPDATE SET seq = EXCLUDED.seq"
        )
        .bind(article_id)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }
}
