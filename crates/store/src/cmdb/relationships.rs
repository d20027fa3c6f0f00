//! Relationships between CIs, and the edges and nodes an impact walk reads a level at a time,
//! now or at a past instant.

use super::{id_list, IN_CHUNK};
use crate::{Db, Result, Ts, Tx};

/// A relationship with both ends' names and classes.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RelationshipRow {
    pub id: i64,
    pub source_id: i64,
    pub source_name: String,
    pub source_class: String,
    pub rel: String,
    pub target_id: i64,
    pub target_name: String,
    pub target_class: String,
    pub created_at: Ts,
    pub created_by_name: Option<String>,
    /// `api`, `web`, `cli` or `inventory:<source>`.
    pub created_source: String,
    pub deleted_at: Option<Ts>,
    pub deleted_by_name: Option<String>,
    pub deleted_source: Option<String>,
}

/// One edge of the graph.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EdgeRow {
    pub id: i64,
    pub source_id: i64,
    pub rel: String,
    pub target_id: i64,
}

/// A node of an impact answer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NodeRow {
    pub id: i64,
    pub name: String,
    pub class_key: String,
    pub status: String,
}

const REL_SELECT: &str = "SELECT r.id, r.source_id, s.name AS source_name, sk.key AS source_class, r.rel, \
     r.target_id, t.name AS target_name, tk.key AS target_class, r.created_at, cu.name AS created_by_name, \
     r.created_source, r.deleted_at, du.name AS deleted_by_name, r.deleted_source \
     FROM ci_relationships r JOIN cis s ON s.id = r.source_id JOIN ci_classes sk ON sk.id = s.class_id \
     JOIN cis t ON t.id = r.target_id JOIN ci_classes tk ON tk.id = t.class_id \
     LEFT JOIN users cu ON cu.id = r.created_by LEFT JOIN users du ON du.id = r.deleted_by";

impl Db {
    pub async fn relationship(&self, id: i64) -> Result<RelationshipRow> {
        let sql = format!("{REL_SELECT} WHERE r.id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// Every relationship the CI is an end of, ended ones included, oldest first.
    pub async fn relationships_of(&self, ci: i64) -> Result<Vec<RelationshipRow>> {
        let sql = format!("{REL_SELECT} WHERE r.source_id = $1 OR r.target_id = $1 ORDER BY r.id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ci).fetch_all(p).await?))
    }

    /// The edges whose target (`into`) or source is one of `ids`, live now or at `at`.
    pub async fn edges_touching(&self, ids: &[i64], into: bool, at: Option<Ts>) -> Result<Vec<EdgeRow>> {
        let end = if into { "target_id" } else { "source_id" };
        let when = match at {
            None => "deleted_at IS NULL".to_string(),
            Some(t) => format!("created_at <= {0} AND (deleted_at IS NULL OR deleted_at > {0})", t.micros()),
        };
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, source_id, rel, target_id FROM ci_relationships WHERE {end} IN ({}) AND {when}",
                id_list(chunk)
            );
            let rows: Vec<EdgeRow> = on_read!(self, |p| sqlx::query_as(&sql).persistent(false).fetch_all(p).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Names, classes and statuses of CIs, now or as they were at `at`.
    pub async fn nodes(&self, ids: &[i64], at: Option<Ts>) -> Result<Vec<NodeRow>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let list = id_list(chunk);
            let sql = match at {
                None => format!(
                    "SELECT c.id, c.name, k.key AS class_key, c.status FROM cis c \
                     JOIN ci_classes k ON k.id = c.class_id WHERE c.id IN ({list})"
                ),
                Some(t) => format!(
                    "SELECT v.ci_id AS id, v.name, k.key AS class_key, v.status FROM ci_versions v \
                     JOIN ci_classes k ON k.id = v.class_id WHERE v.ci_id IN ({list}) AND v.version = \
                     (SELECT MAX(w.version) FROM ci_versions w WHERE w.ci_id = v.ci_id AND w.at <= {})",
                    t.micros()
                ),
            };
            let rows: Vec<NodeRow> = on_read!(self, |p| sqlx::query_as(&sql).persistent(false).fetch_all(p).await?);
            out.extend(rows);
        }
        Ok(out)
    }
}

impl Tx {
    pub async fn insert_relationship(
        &mut self,
        source: i64,
        rel: &str,
        target: i64,
        by: Option<i64>,
        via: &str,
        now: Ts,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO ci_relationships (source_id, rel, target_id, created_at, created_by, created_source) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        )
        .bind(source)
        .bind(rel)
        .bind(target)
        .bind(now)
        .bind(by)
        .bind(via)
        .fetch_one(c)
        .await?);
        Ok(row.0)
    }

    /// Ends a live relationship; `false` when it is unknown or already ended.
    pub async fn end_relationship(&mut self, id: i64, by: Option<i64>, via: &str, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "UPDATE ci_relationships SET deleted_at = $2, deleted_by = $3, deleted_source = $4 \
             WHERE id = $1 AND deleted_at IS NULL"
        )
        .bind(id)
        .bind(now)
        .bind(by)
        .bind(via)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Ends every live relationship of a CI (when it is deleted); returns their ids.
    pub async fn end_relationships_of(&mut self, ci: i64, by: Option<i64>, via: &str, now: Ts) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(
            "UPDATE ci_relationships SET deleted_at = $2, deleted_by = $3, deleted_source = $4 \
             WHERE (source_id = $1 OR target_id = $1) AND deleted_at IS NULL RETURNING id"
        )
        .bind(ci)
        .bind(now)
        .bind(by)
        .bind(via)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
