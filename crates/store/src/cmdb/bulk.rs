//! Bulk loading of a CMDB (the benchmark's data sets): items with explicit ids, their first
//! versions and identifiers, and relationships, many rows per statement.

use crate::multirow::{cached, chunk_rows, values};
use crate::{Backend, Result, Ts, Tx};

/// One item to load: id, class id, name, identifiers (JSON) and the identifier rows.
#[derive(Debug, Clone)]
pub struct BulkCi {
    pub id: i64,
    pub class_id: i64,
    pub name: String,
    pub identifiers: String,
    pub identifier_rows: Vec<(&'static str, String)>,
}

impl Tx {
    pub async fn insert_cis_bulk(&mut self, items: &[BulkCi], now: Ts) -> Result<()> {
        const CI: &str = "(?, ?, ?, 'live', '{}', ?, 1, ?, ?)";
        for chunk in items.chunks(chunk_rows(6)) {
            let sql = format!(
                "INSERT INTO cis (id, class_id, name, status, attributes, identifiers, version, created_at, updated_at) \
                 VALUES {}",
                values(self.backend(), CI, chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for i in chunk {
                    q = q.bind(i.id).bind(i.class_id).bind(&i.name).bind(&i.identifiers).bind(now).bind(now);
                }
                q.execute(c).await?.rows_affected()
            });
            const VERSION: &str = "(?, 1, ?, 'bulk', ?, ?, 'live', '{}', ?, FALSE)";
            let sql = format!(
                "INSERT INTO ci_versions (ci_id, version, at, source, class_id, name, status, attributes, identifiers, \
                 deleted) VALUES {}",
                values(self.backend(), VERSION, chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for i in chunk {
                    q = q.bind(i.id).bind(now).bind(i.class_id).bind(&i.name).bind(&i.identifiers);
                }
                q.execute(c).await?.rows_affected()
            });
            let ids: Vec<(&str, &str, i64)> =
                chunk.iter().flat_map(|i| i.identifier_rows.iter().map(move |(k, v)| (*k, v.as_str(), i.id))).collect();
            for part in ids.chunks(chunk_rows(3)) {
                let sql = format!(
                    "INSERT INTO ci_identifiers (kind, value, ci_id) VALUES {}",
                    values(self.backend(), "(?, ?, ?)", part.len())
                );
                on_tx!(self, |c| {
                    let mut q = sqlx::query(&sql).persistent(cached(part.len()));
                    for (k, v, id) in part {
                        q = q.bind(*k).bind(*v).bind(*id);
                    }
                    q.execute(c).await?.rows_affected()
                });
            }
        }
        Ok(())
    }

    /// Relationships (source, type, target), live since `now`.
    pub async fn insert_relationships_bulk(&mut self, rels: &[(i64, &'static str, i64)], now: Ts) -> Result<()> {
        for chunk in rels.chunks(chunk_rows(4)) {
            let sql = format!(
                "INSERT INTO ci_relationships (source_id, rel, target_id, created_at) VALUES {}",
                values(self.backend(), "(?, ?, ?, ?)", chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for (s, r, t) in chunk {
                    q = q.bind(*s).bind(*r).bind(*t).bind(now);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// After loading explicit ids on PostgreSQL, the id sequence continues past them.
    pub async fn continue_ci_ids(&mut self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            on_tx!(self, |c| sqlx::query(
                "SELECT setval(pg_get_serial_sequence('cis', 'id'), (SELECT COALESCE(MAX(id), 1) FROM cis))"
            )
            .execute(c)
            .await?
            .rows_affected());
        }
        Ok(())
    }
}
