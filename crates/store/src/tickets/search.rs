//! Full-text search over tickets: SQLite FTS5 and PostgreSQL text search. Each ticket has one
//! search entry with two parts: what a requester may match (title, description, public
//! replies) and internal notes, which only agents' searches reach.

use super::filter::{Arg, Sql, TextTerm};
use crate::{Backend, Db, Result, Tx};

impl Tx {
    /// Adds a comment's text to the ticket's search entry.
    pub async fn index_comment(&mut self, ticket_id: i64, body: &str, public: bool) -> Result<()> {
        let sql = match (self.backend(), public) {
            (Backend::Sqlite, true) => "UPDATE ticket_search SET public_text = public_text || char(10) || $2 WHERE rowid = $1",
            (Backend::Sqlite, false) => {
                "UPDATE ticket_search SET internal_text = internal_text || char(10) || $2 WHERE rowid = $1"
            }
            (Backend::Postgres, true) => {
                "UPDATE ticket_search SET public_text = public_text || to_tsvector('english', $2) WHERE ticket_id = $1"
            }
            (Backend::Postgres, false) => {
                "UPDATE ticket_search SET internal_text = internal_text || to_tsvector('english', $2) WHERE ticket_id = $1"
            }
        };
        on_tx!(self, |c| sqlx::query(sql).bind(ticket_id).bind(body).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Replaces the public part of a ticket's entry (after its title or description changed).
    pub async fn reindex_ticket_public(&mut self, ticket_id: i64, public_text: &str) -> Result<()> {
        let sql = match self.backend() {
            Backend::Sqlite => "UPDATE ticket_search SET public_text = $2 WHERE rowid = $1",
            Backend::Postgres => {
                "UPDATE ticket_search SET public_text = to_tsvector('english', $2) WHERE ticket_id = $1"
            }
        };
        on_tx!(self, |c| sqlx::query(sql).bind(ticket_id).bind(public_text).execute(c).await?.rows_affected());
        Ok(())
    }
}

impl Db {
    /// The text a ticket's public search entry holds: title, description and public replies.
    pub async fn public_search_text(&self, ticket_id: i64, title: &str, description: &str) -> Result<String> {
        let comments = self.public_comment_text(ticket_id).await?;
        Ok(format!("{title}\n{description}\n{comments}"))
    }
}

/// An FTS5 string literal: the term in double quotes, inner quotes doubled, so no input is
/// read as query syntax.
fn fts5_literal(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The FTS5 expression matching all of `terms` (restricted to the public column unless
/// `internal`).
pub(super) fn fts5_expression(terms: &[&TextTerm], internal: bool) -> String {
    let expr = terms.iter().map(|t| fts5_literal(&t.text)).collect::<Vec<_>>().join(" AND ");
    if internal {
        expr
    } else {
        format!("public_text : ({expr})")
    }
}

pub(super) fn positive_terms(terms: &[TextTerm]) -> Vec<&TextTerm> {
    terms.iter().filter(|t| !t.negated && !t.text.trim().is_empty()).collect()
}

/// SQL conditions for the full-text terms of a filter. With `skip_positive` the caller drives
/// the query from the search index itself and matches the positive terms there.
pub(super) fn text_conditions(
    sql: &mut Sql,
    backend: Backend,
    terms: &[TextTerm],
    internal: bool,
    skip_positive: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let positives: Vec<&TextTerm> = if skip_positive { Vec::new() } else { positive_terms(terms) };
    let negatives: Vec<&TextTerm> = terms.iter().filter(|t| t.negated && !t.text.trim().is_empty()).collect();
    let matching = |sql: &mut Sql, group: &[&TextTerm]| -> String {
        match backend {
            Backend::Sqlite => {
                let m = sql.arg(Arg::T(fts5_expression(group, internal)));
                format!("SELECT rowid FROM ticket_search WHERE ticket_search MATCH {m}")
            }
            Backend::Postgres => {
                let q = group
                    .iter()
                    .map(|t| {
                        let a = sql.arg(Arg::T(t.text.clone()));
                        if t.phrase {
                            format!("phraseto_tsquery('english', {a})")
                        } else {
                            format!("plainto_tsquery('english', {a})")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" && ");
                let doc = if internal { "(public_text || internal_text)" } else { "public_text" };
                format!("SELECT ticket_id FROM ticket_search WHERE {doc} @@ ({q})")
            }
        }
    };
    if !positives.is_empty() {
        let sub = matching(sql, &positives);
        out.push(format!("t.id IN ({sub})"));
    }
    for n in negatives {
        let sub = matching(sql, &[n]);
        out.push(format!("t.id NOT IN ({sub})"));
    }
    out
}
