//! Configuration items: the current row, its identifiers, and every version of it.

use super::{id_list, IN_CHUNK};
use crate::{Db, Result, StoreError, Ts, Tx};

/// A CI as it is now, with its class.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CiRow {
    pub id: i64,
    pub class_id: i64,
    pub class_key: String,
    pub class_name: String,
    pub name: String,
    pub status: String,
    /// JSON object.
    pub attributes: String,
    /// JSON object of normalised identifiers.
    pub identifiers: String,
    pub version: i64,
    pub last_source: Option<String>,
    pub last_seen_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub deleted_at: Option<Ts>,
}

/// A CI as it was from `at` until its next version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CiVersionRow {
    pub ci_id: i64,
    pub version: i64,
    pub at: Ts,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub source: String,
    pub class_id: i64,
    pub class_key: String,
    pub class_name: String,
    pub name: String,
    pub status: String,
    pub attributes: String,
    pub identifiers: String,
    pub deleted: bool,
}

/// What a version records.
#[derive(Debug, Clone)]
pub struct NewCiVersion<'a> {
    pub ci_id: i64,
    pub version: i64,
    pub at: Ts,
    pub actor_user_id: Option<i64>,
    /// `api`, `web`, `cli` or `inventory:<source>`.
    pub source: &'a str,
    pub class_id: i64,
    pub name: &'a str,
    pub status: &'a str,
    pub attributes: &'a str,
    pub identifiers: &'a str,
    pub deleted: bool,
}

/// A business service, for pickers and impact answers.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub name: String,
}

pub(super) const CI_SELECT: &str =
    "SELECT c.id, c.class_id, k.key AS class_key, k.name AS class_name, c.name, c.status, \
     c.attributes, c.identifiers, c.version, c.last_source, c.last_seen_at, c.created_at, c.updated_at, c.deleted_at \
     FROM cis c JOIN ci_classes k ON k.id = c.class_id";

const VERSION_SELECT: &str = "SELECT v.ci_id, v.version, v.at, v.actor_user_id, u.name AS actor_name, v.source, \
     v.class_id, k.key AS class_key, k.name AS class_name, v.name, v.status, v.attributes, v.identifiers, v.deleted \
     FROM ci_versions v JOIN ci_classes k ON k.id = v.class_id LEFT JOIN users u ON u.id = v.actor_user_id";

/// Filters of a CI list.
#[derive(Debug, Clone, Default)]
pub struct CiFilter<'a> {
    /// Part of the name (case-insensitive) or an exact identifier.
    pub text: Option<&'a str>,
    pub class_key: Option<&'a str>,
    /// Only business services offered to this organisation (or to everyone); `Some(None)` is a
    /// requester without an organisation: services offered to everyone.
    pub offered_to: Option<Option<i64>>,
    /// Only items not reported by any source since this instant.
    pub seen_before: Option<Ts>,
}

impl Db {
    pub async fn ci(&self, id: i64) -> Result<CiRow> {
        let sql = format!("{CI_SELECT} WHERE c.id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// A page of live CIs by id.
    pub async fn cis(&self, filter: &CiFilter<'_>, after: i64, limit: i64) -> Result<Vec<CiRow>> {
        enum Arg {
            Int(i64),
            Text(String),
        }
        let mut args = vec![Arg::Int(after), Arg::Int(limit)];
        let next = |args: &mut Vec<Arg>, a: Arg| {
            args.push(a);
            format!("${}", args.len())
        };
        let mut sql = format!("{CI_SELECT} WHERE c.deleted_at IS NULL AND c.id > $1");
        if let Some(text) = filter.text {
            let like = format!("%{}%", text.trim().to_lowercase().replace(['\\', '%', '_'], ""));
            let like = next(&mut args, Arg::Text(like));
            let exact = next(&mut args, Arg::Text(text.trim().to_string()));
            let upper = next(&mut args, Arg::Text(text.trim().to_uppercase()));
            let lower = next(&mut args, Arg::Text(text.trim().to_lowercase()));
            sql.push_str(&format!(
                " AND (LOWER(c.name) LIKE {like} OR c.id IN (SELECT ci_id FROM ci_identifiers \
                 WHERE value IN ({exact}, {upper}, {lower})))"
            ));
        }
        if let Some(key) = filter.class_key {
            let key = next(&mut args, Arg::Text(key.to_string()));
            sql.push_str(&format!(" AND k.key = {key}"));
        }
        if let Some(org) = filter.offered_to {
            let org = next(&mut args, Arg::Int(org.unwrap_or(0)));
            sql.push_str(&format!(
                " AND k.key = 'business_service' AND c.id IN (SELECT ci_id FROM ci_service_offers \
                 WHERE organization_id IS NULL OR organization_id = {org})"
            ));
        }
        if let Some(before) = filter.seen_before {
            let before = next(&mut args, Arg::Int(before.micros()));
            sql.push_str(&format!(" AND c.last_seen_at IS NOT NULL AND c.last_seen_at < {before}"));
        }
        sql.push_str(" ORDER BY c.id LIMIT $2");
        Ok(on_read!(self, |p| {
            let mut q = sqlx::query_as(&sql);
            for a in &args {
                q = match a {
                    Arg::Int(v) => q.bind(*v),
                    Arg::Text(s) => q.bind(s.clone()),
                };
            }
            q.fetch_all(p).await?
        }))
    }

    /// The CI as it was at `at`: its newest version from then or before; `None` when it did not
    /// exist yet.
    pub async fn ci_at(&self, id: i64, at: Ts) -> Result<Option<CiVersionRow>> {
        let sql = format!("{VERSION_SELECT} WHERE v.ci_id = $1 AND v.at <= $2 ORDER BY v.version DESC LIMIT 1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).bind(at).fetch_optional(p).await?))
    }

    /// Every version of a CI, oldest first.
    pub async fn ci_versions(&self, id: i64) -> Result<Vec<CiVersionRow>> {
        let sql = format!("{VERSION_SELECT} WHERE v.ci_id = $1 ORDER BY v.version");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_all(p).await?))
    }

    /// The business services offered to an organisation (or, with `None`, to everyone).
    pub async fn services_offered_to(&self, organization: Option<i64>) -> Result<Vec<ServiceRow>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT DISTINCT c.id, c.name FROM cis c JOIN ci_classes k ON k.id = c.class_id \
             JOIN ci_service_offers o ON o.ci_id = c.id \
             WHERE k.key = 'business_service' AND c.deleted_at IS NULL AND c.status <> 'retired' \
               AND (o.organization_id IS NULL OR o.organization_id = $1) ORDER BY c.name, c.id"
        )
        .bind(organization.unwrap_or(0))
        .fetch_all(p)
        .await?))
    }

    /// Who a service is offered to: organisation ids, `None` for everyone.
    pub async fn service_offers(&self, ci: i64) -> Result<Vec<Option<i64>>> {
        let rows: Vec<(Option<i64>,)> = on_read!(self, |p| sqlx::query_as(
            "SELECT organization_id FROM ci_service_offers WHERE ci_id = $1 ORDER BY organization_id"
        )
        .bind(ci)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// How many active people the services are offered to.
    pub async fn service_users(&self, services: &[i64]) -> Result<i64> {
        if services.is_empty() {
            return Ok(0);
        }
        let list = id_list(services);
        let sql = format!(
            "SELECT COUNT(*) FROM users u WHERE u.active = TRUE AND ( \
               EXISTS (SELECT 1 FROM ci_service_offers o WHERE o.ci_id IN ({list}) AND o.organization_id IS NULL) \
               OR u.organization_id IN (SELECT o.organization_id FROM ci_service_offers o WHERE o.ci_id IN ({list})))"
        );
        let (n,): (i64,) = on_read!(self, |p| sqlx::query_as(&sql).persistent(false).fetch_one(p).await?);
        Ok(n)
    }

    /// The CIs carrying an identifier value.
    pub async fn cis_with_identifier(&self, kind: &str, values: &[String]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for v in values {
            let rows: Vec<(i64,)> =
                on_read!(self, |p| sqlx::query_as("SELECT ci_id FROM ci_identifiers WHERE kind = $1 AND value = $2")
                    .bind(kind)
                    .bind(v)
                    .fetch_all(p)
                    .await?);
            out.extend(rows.into_iter().map(|r| r.0).filter(|id| !out.contains(id)).collect::<Vec<_>>());
        }
        Ok(out)
    }

    /// Live CIs named `name` (any case), of one class when given: for `ci:` and `service:` in
    /// the ticket query language.
    pub async fn ci_ids_named(&self, name: &str, class_key: Option<&str>) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_read!(self, |p| sqlx::query_as(
            "SELECT c.id FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE LOWER(c.name) = $1 \
             AND c.deleted_at IS NULL AND ($2 = '' OR k.key = $2) ORDER BY c.id LIMIT 100"
        )
        .bind(name.trim().to_lowercase())
        .bind(class_key.unwrap_or(""))
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Live CIs by id (those that exist), for names and classes in views.
    pub async fn cis_by_ids(&self, ids: &[i64]) -> Result<Vec<CiRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!("{CI_SELECT} WHERE c.id IN ({})", id_list(chunk));
            let rows: Vec<CiRow> = on_read!(self, |p| sqlx::query_as(&sql).persistent(false).fetch_all(p).await?);
            out.extend(rows);
        }
        Ok(out)
    }
}

impl Tx {
    /// The CI, locked for this transaction's change on PostgreSQL.
    pub async fn ci_for_update(&mut self, id: i64) -> Result<CiRow> {
        let lock = match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE OF c",
            crate::Backend::Sqlite => "",
        };
        let sql = format!("{CI_SELECT} WHERE c.id = $1{lock}");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_one(c).await?))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_ci(
        &mut self,
        class_id: i64,
        name: &str,
        status: &str,
        attributes: &str,
        identifiers: &str,
        seen: Option<(&str, Ts)>,
        now: Ts,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, |c| {
            sqlx::query_as(
            "INSERT INTO cis (class_id, name, status, attributes, identifiers, version, last_source, last_seen_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8) RETURNING id"
        )
        .bind(class_id)
        .bind(name)
        .bind(status)
        .bind(attributes)
        .bind(identifiers)
        .bind(seen.map(|s| s.0))
        .bind(seen.map(|s| s.1))
        .bind(now)
        .fetch_one(c)
        .await?
        });
        Ok(row.0)
    }

    /// Writes a new state of a CI at `version` (the caller checked the previous one).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_ci(
        &mut self,
        id: i64,
        version: i64,
        name: &str,
        status: &str,
        attributes: &str,
        identifiers: &str,
        now: Ts,
    ) -> Result<()> {
        let n = on_tx!(self, |c| {
            sqlx::query(
            "UPDATE cis SET name = $2, status = $3, attributes = $4, identifiers = $5, version = $6, updated_at = $7 \
             WHERE id = $1 AND version = $6 - 1"
        )
        .bind(id)
        .bind(name)
        .bind(status)
        .bind(attributes)
        .bind(identifiers)
        .bind(version)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Marks the CI deleted at `version` and frees its identifiers for other items.
    pub async fn delete_ci(&mut self, id: i64, version: i64, now: Ts) -> Result<()> {
        on_tx!(self, |c| sqlx::query("UPDATE cis SET deleted_at = $2, version = $3, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(version)
            .execute(c)
            .await?
            .rows_affected());
        on_tx!(self, |c| sqlx::query("DELETE FROM ci_identifiers WHERE ci_id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records that `source` reported the CI at `now`.
    pub async fn mark_ci_seen(&mut self, id: i64, source: &str, now: Ts) -> Result<()> {
        on_tx!(self, |c| sqlx::query("UPDATE cis SET last_source = $2, last_seen_at = $3 WHERE id = $1")
            .bind(id)
            .bind(source)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Replaces the CI's identifier rows; an identifier another item carries is a conflict on
    /// `ci_identifiers`.
    pub async fn set_ci_identifiers(&mut self, id: i64, identifiers: &[(&str, &str)]) -> Result<()> {
        on_tx!(self, |c| sqlx::query("DELETE FROM ci_identifiers WHERE ci_id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        for (kind, value) in identifiers {
            on_tx!(self, |c| sqlx::query("INSERT INTO ci_identifiers (kind, value, ci_id) VALUES ($1, $2, $3)")
                .bind(kind)
                .bind(value)
                .bind(id)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// The CIs carrying an identifier value, read inside the transaction.
    pub async fn cis_with_identifier(&mut self, kind: &str, values: &[String]) -> Result<Vec<i64>> {
        let mut out: Vec<i64> = Vec::new();
        for v in values {
            let rows: Vec<(i64,)> =
                on_tx!(self, |c| sqlx::query_as("SELECT ci_id FROM ci_identifiers WHERE kind = $1 AND value = $2")
                    .bind(kind)
                    .bind(v)
                    .fetch_all(c)
                    .await?);
            for (id,) in rows {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// Live CIs of a class with exactly this name (the match for reports without identifiers).
    pub async fn cis_named(&mut self, class_id: i64, name: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT id FROM cis WHERE class_id = $1 AND name = $2 AND deleted_at IS NULL ORDER BY id"
        )
        .bind(class_id)
        .bind(name)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn insert_ci_version(&mut self, v: &NewCiVersion<'_>) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO ci_versions (ci_id, version, at, actor_user_id, source, class_id, name, status, attributes, \
             identifiers, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )
        .bind(v.ci_id)
        .bind(v.version)
        .bind(v.at)
        .bind(v.actor_user_id)
        .bind(v.source)
        .bind(v.class_id)
        .bind(v.name)
        .bind(v.status)
        .bind(v.attributes)
        .bind(v.identifiers)
        .bind(v.deleted)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Replaces who a service is offered to (`None` is everyone).
    pub async fn set_service_offers(&mut self, ci: i64, offers: &[Option<i64>]) -> Result<()> {
        on_tx!(self, |c| sqlx::query("DELETE FROM ci_service_offers WHERE ci_id = $1")
            .bind(ci)
            .execute(c)
            .await?
            .rows_affected());
        for org in offers {
            on_tx!(self, |c| sqlx::query(
                "INSERT INTO ci_service_offers (ci_id, organization_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(ci)
            .bind(org)
            .execute(c)
            .await?
            .rows_affected());
        }
        Ok(())
    }
}
