//! The reads a change's conflict check and guards need, written once for both places they
//! run: on the read pool (the API's conflict answer, the calendar) and inside the write
//! transaction that moves the change (its guards), so that a guard judges exactly what the
//! transaction sees.

use super::{naming_cis, BlackoutRow, ChangeRow, LinkedTicket, ScheduledChange, CHANGE_COLUMNS};
use crate::cmdb::relationships::{EdgeRow, NodeRow};
use crate::cmdb::{id_list, IN_CHUNK};
use crate::{Db, Result, Ts, Tx};

/// Where reads run.
pub enum Reader<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

macro_rules! on_reader {
    ($r:expr, |$c:ident| $body:expr) => {
        match $r {
            Reader::Db(db) => on_read!(db, |$c| $body),
            Reader::Tx(tx) => on_tx!(&mut **tx, |$c| $body),
        }
    };
}

const SCHEDULED_SELECT: &str = "SELECT c.ticket_id, t.number, t.title, t.status, t.desk_id, t.requester_id, \
     t.organization_id, t.shared_with_organization, t.group_id, t.assignee_id, c.change_type, c.risk_class, c.planned_start, c.planned_end FROM changes c \
     JOIN tickets t ON t.id = c.ticket_id";

impl Reader<'_> {
    pub async fn change(&mut self, ticket: i64) -> Result<Option<ChangeRow>> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE ticket_id = $1");
        Ok(on_reader!(self, |c| sqlx::query_as(&sql).bind(ticket).fetch_optional(c).await?))
    }

    /// The affected CIs of a ticket with their names, in the order they were named.
    pub async fn affected_cis(&mut self, ticket: i64) -> Result<Vec<(i64, String)>> {
        Ok(on_reader!(self, |c| sqlx::query_as(
            "SELECT c.id, c.name FROM ticket_cis l JOIN cis c ON c.id = l.ci_id \
             WHERE l.ticket_id = $1 AND l.role = 'affected' ORDER BY l.created_at, c.id"
        )
        .bind(ticket)
        .fetch_all(c)
        .await?))
    }

    /// Live edges whose target (`into`) or source is one of `ids`.
    pub async fn edges_touching(&mut self, ids: &[i64], into: bool) -> Result<Vec<EdgeRow>> {
        let end = if into { "target_id" } else { "source_id" };
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, source_id, rel, target_id FROM ci_relationships WHERE {end} IN ({}) AND deleted_at IS NULL",
                id_list(chunk)
            );
            let rows: Vec<EdgeRow> = on_reader!(self, |c| sqlx::query_as(&sql).persistent(false).fetch_all(c).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Names, classes and statuses of live CIs.
    pub async fn nodes(&mut self, ids: &[i64]) -> Result<Vec<NodeRow>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT c.id, c.name, k.key AS class_key, c.status FROM cis c \
                 JOIN ci_classes k ON k.id = c.class_id WHERE c.id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<NodeRow> = on_reader!(self, |c| sqlx::query_as(&sql).persistent(false).fetch_all(c).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Changes holding a window that overlaps `[from, to)` (touching is not overlapping),
    /// earliest first, at most `limit`. `statuses` is an SQL list of quoted statuses.
    pub async fn changes_overlapping(
        &mut self,
        from: Ts,
        to: Ts,
        statuses: &str,
        limit: i64,
    ) -> Result<Vec<ScheduledChange>> {
        let (sql, lower) = self.overlapping_select(from, statuses).await?;
        Ok(on_reader!(self, |c| sqlx::query_as(&sql).bind(lower).bind(to).bind(from).bind(limit).fetch_all(c).await?))
    }

    /// [`Reader::changes_overlapping`] for thousands of rows (a calendar month). SQLite's
    /// driver hands each row from its worker thread to the caller's, a thread switch a row that
    /// costs more than the query itself; there the rows come back as one JSON array instead.
    pub async fn changes_overlapping_many(
        &mut self,
        from: Ts,
        to: Ts,
        statuses: &str,
        limit: i64,
    ) -> Result<Vec<ScheduledChange>> {
        let backend = match self {
            Reader::Db(db) => db.backend(),
            Reader::Tx(tx) => tx.backend(),
        };
        if backend != crate::Backend::Sqlite {
            return self.changes_overlapping(from, to, statuses, limit).await;
        }
        let (sql, lower) = self.overlapping_select(from, statuses).await?;
        let sql = format!(
            "SELECT json_group_array(json_array(ticket_id, number, title, status, desk_id, requester_id, \
             organization_id, shared_with_organization, group_id, assignee_id, change_type, risk_class, \
             planned_start, planned_end)) FROM ({sql}) s"
        );
        let json: String = on_reader!(self, |c| sqlx::query_scalar(&sql)
            .bind(lower)
            .bind(to)
            .bind(from)
            .bind(limit)
            .fetch_one(c)
            .await?);
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            i64,
            Option<i64>,
            i64,
            Option<i64>,
            Option<i64>,
            String,
            String,
            i64,
            i64,
        );
        let mut rows: Vec<Row> = crate::stored_json("changes of a range", &json)?;
        // The aggregate keeps the subquery's order in practice; sorting again makes it certain.
        rows.sort_unstable_by_key(|r| (r.12, r.0));
        Ok(rows
            .into_iter()
            .map(|r| ScheduledChange {
                ticket_id: r.0,
                number: r.1,
                title: r.2,
                status: r.3,
                desk_id: r.4,
                requester_id: r.5,
                organization_id: r.6,
                shared_with_organization: r.7 != 0,
                group_id: r.8,
                assignee_id: r.9,
                change_type: r.10,
                risk_class: r.11,
                planned_start: Ts::from_micros(r.12),
                planned_end: Ts::from_micros(r.13),
            })
            .collect())
    }

    /// The select of changes overlapping a range from `from` (binds: lower bound, to, from, limit),
    /// and its lower bound: the index on planned_start is searched from `from` less the
    /// longest window, so that only changes that can reach into the range are read.
    async fn overlapping_select(&mut self, from: Ts, statuses: &str) -> Result<(String, Ts)> {
        let longest: Option<i64> =
            on_reader!(self, |c| sqlx::query_scalar("SELECT MAX(window_len) FROM changes").fetch_one(c).await?);
        let lower = Ts::from_micros(from.micros().saturating_sub(longest.unwrap_or(0)));
        let sql = format!(
            "{SCHEDULED_SELECT} WHERE c.planned_start >= $1 AND c.planned_start < $2 AND c.planned_end > $3 \
             AND t.status IN ({statuses}) ORDER BY c.planned_start, c.ticket_id LIMIT $4"
        );
        Ok((sql, lower))
    }

    /// Changes holding a window that ends after `from` and starts before `to`, and that name
    /// one of `cis` as affected or are assigned to `assignee`: what can block a change moving
    /// within that range. Two indexed selects (by CI, by assignee) rather than one condition
    /// with OR, which would read every change that ends after `from`.
    pub async fn changes_blocking(
        &mut self,
        cis: &[i64],
        assignee: Option<i64>,
        (from, to): (Ts, Ts),
        statuses: &str,
        limit: i64,
    ) -> Result<Vec<ScheduledChange>> {
        let range = format!("c.planned_end > $1 AND c.planned_start < $2 AND t.status IN ({statuses})");
        let mut sql = format!("{SCHEDULED_SELECT} WHERE {} AND {range}", naming_cis(cis));
        if let Some(a) = assignee {
            sql.push_str(&format!(
                " UNION {SCHEDULED_SELECT} WHERE t.assignee_id = {a} AND t.is_open = TRUE AND {range}"
            ));
        }
        sql.push_str(" ORDER BY planned_start, ticket_id LIMIT $3");
        Ok(on_reader!(self, |c| sqlx::query_as(&sql)
            .persistent(false)
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(c)
            .await?))
    }

    /// The affected CIs of each of `tickets`: (ticket, CI).
    pub async fn change_cis(&mut self, tickets: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in tickets.chunks(IN_CHUNK) {
            let rest = format!("FROM ticket_cis WHERE ticket_id IN ({}) AND role = 'affected'", id_list(chunk));
            out.extend(self.pairs(("ticket_id", "ci_id"), &rest).await?);
        }
        Ok(out)
    }

    /// The relationships whose both ends are among `cis` (either direction), as pairs.
    pub async fn links_among(&mut self, cis: &[i64]) -> Result<Vec<(i64, i64)>> {
        if cis.is_empty() {
            return Ok(Vec::new());
        }
        let all = id_list(cis);
        let mut out = Vec::new();
        for chunk in cis.chunks(IN_CHUNK) {
            let rest = format!(
                "FROM ci_relationships WHERE source_id IN ({}) AND target_id IN ({all}) AND deleted_at IS NULL",
                id_list(chunk)
            );
            out.extend(self.pairs(("source_id", "target_id"), &rest).await?);
        }
        Ok(out)
    }

    /// The relationships with either end among `cis`, as (source, target) pairs.
    pub async fn links_touching(&mut self, cis: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in cis.chunks(IN_CHUNK) {
            for end in ["source_id", "target_id"] {
                let rest = format!("FROM ci_relationships WHERE {end} IN ({}) AND deleted_at IS NULL", id_list(chunk));
                out.extend(self.pairs(("source_id", "target_id"), &rest).await?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Which of `tickets` affect which of `cis`: (ticket, CI).
    pub async fn tickets_on_cis(&mut self, cis: &[i64], tickets: &[i64]) -> Result<Vec<(i64, i64)>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let among = id_list(tickets);
        let mut out = Vec::new();
        for chunk in cis.chunks(IN_CHUNK) {
            // The unary `+` keeps SQLite on the (ci_id, ticket_id) index, testing the tickets
            // there, rather than seeking every pair of the two lists.
            let rest = format!(
                "FROM ticket_cis WHERE ci_id IN ({}) AND +ticket_id IN ({among}) AND role = 'affected'",
                id_list(chunk)
            );
            out.extend(self.pairs(("ticket_id", "ci_id"), &rest).await?);
        }
        Ok(out)
    }

    /// `SELECT a, b {rest}` of two integer columns. On SQLite the rows come back as one JSON
    /// row: its driver hands each row from its worker thread to the caller, which costs more
    /// than the query when a calendar reads thousands.
    async fn pairs(&mut self, (a, b): (&str, &str), rest: &str) -> Result<Vec<(i64, i64)>> {
        let backend = match self {
            Reader::Db(db) => db.backend(),
            Reader::Tx(tx) => tx.backend(),
        };
        if backend != crate::Backend::Sqlite {
            let sql = format!("SELECT {a}, {b} {rest}");
            return Ok(on_reader!(self, |c| sqlx::query_as(&sql).persistent(false).fetch_all(c).await?));
        }
        let sql = format!("SELECT json_group_array(json_array({a}, {b})) {rest}");
        let json: String = on_reader!(self, |c| sqlx::query_scalar(&sql).persistent(false).fetch_one(c).await?);
        crate::stored_json("pairs of ids", &json)
    }

    /// Blackouts whose window ends after `from` and starts before `to`.
    pub async fn blackouts_overlapping(&mut self, from: Ts, to: Ts) -> Result<Vec<BlackoutRow>> {
        Ok(on_reader!(self, |c| sqlx::query_as(
            "SELECT id, name, starts_at, ends_at, ci_ids, created_by, created_at FROM change_blackouts \
             WHERE starts_at < $1 AND ends_at > $2 ORDER BY starts_at, id"
        )
        .bind(to)
        .bind(from)
        .fetch_all(c)
        .await?))
    }

    /// The maintenance windows (calendar specs as JSON) of the CIs that have one.
    pub async fn maintenance_windows(&mut self, cis: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for chunk in cis.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT ci_id, spec FROM ci_maintenance_windows WHERE ci_id IN ({}) ORDER BY ci_id",
                id_list(chunk)
            );
            let rows: Vec<(i64, String)> =
                on_reader!(self, |c| sqlx::query_as(&sql).persistent(false).fetch_all(c).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// A value from the `settings` table, read where the check runs.
    pub async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_reader!(self, |c| sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(c)
            .await?);
        Ok(row.map(|r| r.0))
    }

    /// The tickets linked to `ticket` by `link_type`: those it points at (`outbound`, e.g. the
    /// problems a change fixes) or those pointing at it (e.g. the incidents a change caused).
    pub async fn linked_tickets(&mut self, ticket: i64, link_type: &str, outbound: bool) -> Result<Vec<LinkedTicket>> {
        // Both directions are indexed: (source_id, target_id, link_type) by the unique key,
        // (target_id, link_type) by its own index.
        let (here, there) = if outbound { ("source_id", "target_id") } else { ("target_id", "source_id") };
        let sql = format!(
            "SELECT t.id, t.number, t.title, t.kind, t.status, t.requester_id, t.organization_id, \
             t.shared_with_organization, t.group_id, t.assignee_id FROM ticket_links l JOIN tickets t ON t.id = l.{there} \
             WHERE l.{here} = $1 AND l.link_type = $2 ORDER BY t.id"
        );
        Ok(on_reader!(self, |c| sqlx::query_as(&sql).bind(ticket).bind(link_type).fetch_all(c).await?))
    }

    /// A user's display name.
    pub async fn user_name(&mut self, id: i64) -> Result<Option<String>> {
        Ok(on_reader!(self, |c| sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?))
    }
}
