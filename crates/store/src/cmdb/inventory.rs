//! Reads and writes of inventory reconciliation, a chunk of items at a time: one lookup per
//! identifier kind, one read of the candidate items, and multi-row writes of versions,
//! identifiers and item states, so that a push of 100,000 items costs a few statements per
//! chunk instead of a dozen per item.

use super::items::{CiRow, CI_SELECT};
use super::{id_list, IN_CHUNK};
use crate::multirow::{chunk_rows, values};
use crate::{Backend, Result, StoreError, Ts, Tx};

/// A version to record, owned (a chunk collects them before writing them in one statement).
#[derive(Debug, Clone)]
pub struct CiVersionRecord {
    pub ci_id: i64,
    pub version: i64,
    pub at: Ts,
    pub actor_user_id: Option<i64>,
    pub source: String,
    pub class_id: i64,
    pub name: String,
    pub status: String,
    pub attributes: String,
    pub identifiers: String,
}

/// A CI's new attributes and identifiers at `version`, written only if it is still at
/// `expected_version`.
#[derive(Debug, Clone)]
pub struct CiStateUpdate {
    pub id: i64,
    pub expected_version: i64,
    pub version: i64,
    pub attributes: String,
    pub identifiers: String,
}

impl Tx {
    /// Which CI carries each of `values` of one identifier kind: (value, CI id).
    pub async fn identifier_owners(&mut self, kind: &str, values: &[String]) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        // One parameter for the kind, the rest for the values.
        for part in values.chunks(chunk_rows(1) - 1) {
            let marks = vec!["?"; part.len()].join(", ");
            let sql = crate::multirow::numbered(
                self.backend(),
                &format!("SELECT value, ci_id FROM ci_identifiers WHERE kind = ? AND value IN ({marks})"),
            );
            let rows: Vec<(String, i64)> = on_tx!(self, |c| {
                let mut q = sqlx::query_as(&sql).persistent(false).bind(kind);
                for v in part {
                    q = q.bind(v);
                }
                q.fetch_all(c).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Live CIs named any of `names` (exactly): (id, class id, name).
    pub async fn cis_with_names(&mut self, names: &[String]) -> Result<Vec<(i64, i64, String)>> {
        let mut out = Vec::new();
        for part in names.chunks(chunk_rows(1)) {
            let marks = vec!["?"; part.len()].join(", ");
            let sql = crate::multirow::numbered(
                self.backend(),
                &format!(
                    "SELECT id, class_id, name FROM cis WHERE deleted_at IS NULL AND name IN ({marks}) ORDER BY id"
                ),
            );
            let rows: Vec<(i64, i64, String)> = on_tx!(self, |c| {
                let mut q = sqlx::query_as(&sql).persistent(false);
                for n in part {
                    q = q.bind(n);
                }
                q.fetch_all(c).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// The CIs with these ids, locked for this transaction's change on PostgreSQL.
    pub async fn cis_for_update(&mut self, ids: &[i64]) -> Result<Vec<CiRow>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF c",
            Backend::Sqlite => "",
        };
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(IN_CHUNK) {
            let sql = format!("{CI_SELECT} WHERE c.id IN ({}){lock}", id_list(part));
            let rows: Vec<CiRow> = on_tx!(self, |c| sqlx::query_as(&sql).persistent(false).fetch_all(c).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Records versions, many per statement.
    pub async fn insert_ci_versions(&mut self, versions: &[CiVersionRecord]) -> Result<()> {
        const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)";
        for part in versions.chunks(chunk_rows(10)) {
            let sql = format!(
                "INSERT INTO ci_versions (ci_id, version, at, actor_user_id, source, class_id, name, status, \
                 attributes, identifiers, deleted) VALUES {}",
                values(self.backend(), ROW, part.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(false);
                for v in part {
                    q = q
                        .bind(v.ci_id)
                        .bind(v.version)
                        .bind(v.at)
                        .bind(v.actor_user_id)
                        .bind(&v.source)
                        .bind(v.class_id)
                        .bind(&v.name)
                        .bind(&v.status)
                        .bind(&v.attributes)
                        .bind(&v.identifiers);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Drops the identifier rows of `replaced` CIs, then writes `rows` (kind, value, CI id).
    /// An identifier another item carries is a conflict on `ci_identifiers`.
    pub async fn replace_identifier_rows(&mut self, replaced: &[i64], rows: &[(&str, &str, i64)]) -> Result<()> {
        for part in replaced.chunks(IN_CHUNK) {
            let sql = format!("DELETE FROM ci_identifiers WHERE ci_id IN ({})", id_list(part));
            on_tx!(self, |c| sqlx::query(&sql).persistent(false).execute(c).await?.rows_affected());
        }
        for part in rows.chunks(chunk_rows(3)) {
            let sql = format!(
                "INSERT INTO ci_identifiers (kind, value, ci_id) VALUES {}",
                values(self.backend(), "(?, ?, ?)", part.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(false);
                for (k, v, id) in part {
                    q = q.bind(*k).bind(*v).bind(*id);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Writes new states of many CIs in one statement per part; fails with `NotFound` when one
    /// of them is no longer at its expected version.
    pub async fn update_ci_states(&mut self, updates: &[CiStateUpdate], now: Ts) -> Result<()> {
        // The casts let PostgreSQL type the parameters of a `VALUES` list, which has no column
        // to take its types from.
        const ROW: &str = "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), \
                           CAST(? AS TEXT), CAST(? AS BIGINT))";
        for part in updates.chunks(chunk_rows(6)) {
            let sql = format!(
                "WITH v (id, expected, version, attributes, identifiers, at) AS (VALUES {}) \
                 UPDATE cis SET attributes = v.attributes, identifiers = v.identifiers, version = v.version, \
                 updated_at = v.at FROM v WHERE cis.id = v.id AND cis.version = v.expected",
                values(self.backend(), ROW, part.len())
            );
            let n = on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(false);
                for u in part {
                    q = q
                        .bind(u.id)
                        .bind(u.expected_version)
                        .bind(u.version)
                        .bind(&u.attributes)
                        .bind(&u.identifiers)
                        .bind(now);
                }
                q.execute(c).await?.rows_affected()
            });
            if n != part.len() as u64 {
                return Err(StoreError::NotFound);
            }
        }
        Ok(())
    }

    /// Records that `source` reported these CIs at `now`.
    pub async fn mark_cis_seen(&mut self, ids: &[i64], source: &str, now: Ts) -> Result<()> {
        for part in ids.chunks(IN_CHUNK) {
            let sql = crate::multirow::numbered(
                self.backend(),
                &format!("UPDATE cis SET last_source = ?, last_seen_at = ? WHERE id IN ({})", id_list(part)),
            );
            on_tx!(self, |c| sqlx::query(&sql)
                .persistent(false)
                .bind(source)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }
}
