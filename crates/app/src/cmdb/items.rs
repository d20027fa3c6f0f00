//! Configuration items: create, read (now or at a past instant), list, change with `If-Match`,
//! delete, and their history. Every write records a version, so any instant can be read back.

use super::views::object;
use super::{require_agent, CiVersionView, CiView, HistoryEntryView, OfferView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::cmdb::{CiName, CiStatus, ClassSchema, IdKind, Identifiers, StaleAfter, BUSINESS_SERVICE};
use opsdesk_domain::{Actor, FieldError, Invalid, Role};
use opsdesk_store::cmdb::{CiFilter, CiRow, NewCiVersion};
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Who a business service is offered to.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiOfferInput)]
pub struct OfferInput {
    #[serde(default)]
    pub everyone: bool,
    #[serde(default)]
    pub organizations: Vec<i64>,
}

/// A new configuration item.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiInput)]
pub struct CiInput {
    /// A class key (`server`, `business_service`, ...).
    pub class: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `live` when absent.
    #[schema(value_type = Option<CiStatus>)]
    pub status: Option<String>,
    /// Values by attribute key, typed as the class says.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// `serial`, `asset_tag`, `hostname`, `mac`, `uuid`; each unique across items.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub identifiers: Value,
    /// Business services only.
    pub offered_to: Option<OfferInput>,
}

/// A change to an item: fields present are changed; in `attributes` and `identifiers` a key
/// set to null is removed and keys absent are kept.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiPatch)]
pub struct CiPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(value_type = Option<CiStatus>)]
    pub status: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub identifiers: Option<Map<String, Value>>,
    pub offered_to: Option<OfferInput>,
}

/// Filters of the CI list.
#[derive(Debug, Clone, Default)]
pub struct ListCis {
    pub q: Option<String>,
    pub class: Option<String>,
    pub stale: bool,
    pub after: i64,
    pub limit: i64,
}

/// A write's source for the history: `api`, `web`, `cli`, `inventory:<source>`.
pub(crate) type Source<'a> = &'a str;

impl App {
    /// A CI the actor may see: agents and admins see all, requesters the business services
    /// offered to them. Deleted items are found (their page says so).
    pub(crate) async fn visible_ci(&self, actor: &Actor, id: i64) -> Result<CiRow> {
        let row = self.db.ci(id).await?;
        if actor.role != Role::Requester {
            return Ok(row);
        }
        let offered = row.class_key == BUSINESS_SERVICE
            && row.deleted_at.is_none()
            && self.db.service_offers(id).await?.iter().any(|o| o.is_none() || *o == actor.organization_id);
        if offered {
            Ok(row)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub(crate) async fn ci_view(&self, row: &CiRow) -> Result<CiView> {
        let stale_after = self.stale_after().await?;
        self.ci_view_with(row, stale_after).await
    }

    async fn ci_view_with(&self, row: &CiRow, stale_after: StaleAfter) -> Result<CiView> {
        let offers = if row.class_key == BUSINESS_SERVICE { Some(self.db.service_offers(row.id).await?) } else { None };
        Ok(CiView::from_row(row, offers.as_deref(), Ts::now(), stale_after))
    }

    pub async fn ci(&self, actor: &Actor, id: i64) -> Result<CiView> {
        let row = self.visible_ci(actor, id).await?;
        self.ci_view(&row).await
    }

    /// The CI as it was at `at`; 404 when it did not exist yet.
    pub async fn ci_at(&self, actor: &Actor, id: i64, at: Ts) -> Result<CiVersionView> {
        require_agent(actor)?;
        let v = self.db.ci_at(id, at).await?.ok_or(AppError::NotFound)?;
        Ok(CiVersionView::from(&v))
    }

    pub async fn cis(&self, actor: &Actor, list: &ListCis) -> Result<Vec<CiView>> {
        let offered_to = (actor.role == Role::Requester).then_some(actor.organization_id);
        let now = Ts::now();
        let stale_after = self.stale_after().await?;
        let filter = CiFilter {
            text: list.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
            class_key: list.class.as_deref().filter(|c| !c.is_empty()),
            offered_to,
            seen_before: list.stale.then(|| Ts::from_micros(now.micros() - stale_after.duration().as_micros() as i64)),
        };
        let rows = self.db.cis(&filter, list.after, list.limit).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.ci_view_with(r, stale_after).await?);
        }
        Ok(out)
    }

    pub async fn create_ci(&self, actor: &Actor, input: CiInput, source: Source<'_>) -> Result<CiView> {
        require_agent(actor)?;
        let mut errors = vec![];
        let class = self.db.ci_class_by_key(input.class.trim()).await?;
        if class.is_none() {
            errors.push(FieldError::new("class", "unknown_class", "no such class"));
        }
        let name = CiName::parse(&input.name).map_err(|e| errors.push(e)).ok();
        let status = CiStatus::parse(input.status.as_deref().unwrap_or("live")).map_err(|e| errors.push(e)).ok();
        let identifiers = Identifiers::parse(&input.identifiers, "identifiers").map_err(|e| errors.extend(e)).ok();
        let attributes = match &class {
            Some(c) => match ClassSchema::from_stored(&c.schema).apply(&Map::new(), &input.attributes) {
                Ok(a) => Some(a),
                Err(Invalid(e)) => {
                    errors.extend(e);
                    None
                }
            },
            None => None,
        };
        if input.offered_to.is_some() && class.as_ref().is_some_and(|c| c.key != BUSINESS_SERVICE) {
            errors.push(FieldError::new("offered_to", "not_a_service", "only business services are offered"));
        }
        let (Some(class), Some(name), Some(status), Some(identifiers), Some(attributes)) =
            (class, name, status, identifiers, attributes)
        else {
            return Err(Invalid(errors).into());
        };
        self.check_references(&attributes.references, None).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        check_identifiers_free(&mut tx, &identifiers, None).await?;
        let attrs = Value::Object(attributes.values).to_string();
        let ids = serde_json::to_string(&identifiers).unwrap_or_else(|_| "{}".into());
        let id = tx.insert_ci(class.id, name.as_str(), status.as_str(), &attrs, &ids, None, now).await?;
        write_identifiers(&mut tx, id, &identifiers).await?;
        let version = NewCiVersion {
            ci_id: id,
            version: 1,
            at: now,
            actor_user_id: actor.user_id,
            source,
            class_id: class.id,
            name: name.as_str(),
            status: status.as_str(),
            attributes: &attrs,
            identifiers: &ids,
            deleted: false,
        };
        tx.insert_ci_version(&version).await?;
        if class.key == BUSINESS_SERVICE {
            let offers = offers(input.offered_to.as_ref(), &self.db).await?;
            tx.set_service_offers(id, &offers).await?;
        }
        emit(
            &mut tx,
            "cmdb.ci.created",
            format!("ci:{id}"),
            actor,
            json!({"class": class.key, "name": name.as_str()}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.ci(&Actor::system(), id).await
    }

    pub async fn update_ci(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: Option<i64>,
        patch: CiPatch,
        source: Source<'_>,
    ) -> Result<CiView> {
        require_agent(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let current = tx.ci_for_update(id).await?;
        if current.deleted_at.is_some() {
            return Err(AppError::Conflict { code: "deleted", message: "this configuration item was deleted".into() });
        }
        if let Some(v) = expected_version {
            if v != current.version {
                return Err(AppError::Precondition(format!(
                    "the item is at version {}, not {v}: it was changed meanwhile; read it again",
                    current.version
                )));
            }
        }
        let mut errors = vec![];
        let name = match patch.name.as_deref() {
            Some(n) => CiName::parse(n).map_err(|e| errors.push(e)).ok().map(CiName::into_string),
            None => Some(current.name.clone()),
        };
        let status = match patch.status.as_deref() {
            Some(s) => CiStatus::parse(s).map_err(|e| errors.push(e)).ok().map(|s| s.as_str().to_string()),
            None => Some(current.status.clone()),
        };
        let schema = ClassSchema::from_stored(
            &self.db.ci_class_by_key(&current.class_key).await?.map(|c| c.schema).unwrap_or_default(),
        );
        let attributes =
            match schema.apply(&object(&current.attributes), patch.attributes.as_ref().unwrap_or(&Map::new())) {
                Ok(a) => Some(a),
                Err(Invalid(e)) => {
                    errors.extend(e);
                    None
                }
            };
        let stored_ids =
            Identifiers::parse(&Value::Object(object(&current.identifiers)), "identifiers").unwrap_or_default();
        let identifiers = match &patch.identifiers {
            None => Some(stored_ids.clone()),
            Some(changes) => match Identifiers::parse(&Value::Object(changes.clone()), "identifiers") {
                Ok(given) => {
                    let mut merged = given.filled_from(&stored_ids);
                    for (k, v) in changes {
                        if v.is_null() {
                            if let Some(kind) = IdKind::parse(k) {
                                merged.set(kind, None);
                            }
                        }
                    }
                    Some(merged)
                }
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
        };
        if patch.offered_to.is_some() && current.class_key != BUSINESS_SERVICE {
            errors.push(FieldError::new("offered_to", "not_a_service", "only business services are offered"));
        }
        let (Some(name), Some(status), Some(attributes), Some(identifiers)) = (name, status, attributes, identifiers)
        else {
            return Err(Invalid(errors).into());
        };
        self.check_references(&attributes.references, Some(id)).await?;
        check_identifiers_free(&mut tx, &identifiers, Some(id)).await?;
        let attrs = Value::Object(attributes.values).to_string();
        let ids = serde_json::to_string(&identifiers).unwrap_or_else(|_| "{}".into());
        let changed = name != current.name
            || status != current.status
            || object(&attrs) != object(&current.attributes)
            || object(&ids) != object(&current.identifiers);
        if changed {
            let version = current.version + 1;
            tx.update_ci(id, version, &name, &status, &attrs, &ids, now).await?;
            write_identifiers(&mut tx, id, &identifiers).await?;
            tx.insert_ci_version(&NewCiVersion {
                ci_id: id,
                version,
                at: now,
                actor_user_id: actor.user_id,
                source,
                class_id: current.class_id,
                name: &name,
                status: &status,
                attributes: &attrs,
                identifiers: &ids,
                deleted: false,
            })
            .await?;
            emit(&mut tx, "cmdb.ci.updated", format!("ci:{id}"), actor, json!({"version": version}), now).await?;
        }
        if let Some(o) = &patch.offered_to {
            let offers = offers(Some(o), &self.db).await?;
            tx.set_service_offers(id, &offers).await?;
        }
        tx.commit().await?;
        self.ci(&Actor::system(), id).await
    }

    /// Deletes an item: it and its relationships end now, and stay readable at past instants.
    pub async fn delete_ci(&self, actor: &Actor, id: i64, source: Source<'_>) -> Result<()> {
        require_agent(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let current = tx.ci_for_update(id).await?;
        if current.deleted_at.is_some() {
            return Err(AppError::NotFound);
        }
        let version = current.version + 1;
        tx.delete_ci(id, version, now).await?;
        tx.end_relationships_of(id, actor.user_id, source, now).await?;
        tx.insert_ci_version(&NewCiVersion {
            ci_id: id,
            version,
            at: now,
            actor_user_id: actor.user_id,
            source,
            class_id: current.class_id,
            name: &current.name,
            status: &current.status,
            attributes: &current.attributes,
            identifiers: &current.identifiers,
            deleted: true,
        })
        .await?;
        emit(&mut tx, "cmdb.ci.deleted", format!("ci:{id}"), actor, json!({"name": current.name}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The item's history, oldest first: its versions (with what changed) and its
    /// relationships made and removed.
    pub async fn ci_history(&self, actor: &Actor, id: i64) -> Result<Vec<HistoryEntryView>> {
        require_agent(actor)?;
        self.db.ci(id).await?;
        let mut out = Vec::new();
        let versions = self.db.ci_versions(id).await?;
        let mut previous: Option<&opsdesk_store::cmdb::CiVersionRow> = None;
        for v in &versions {
            let (event, changes) = match previous {
                None => {
                    ("created", json!({"name": {"from": null, "to": v.name}, "status": {"from": null, "to": v.status}}))
                }
                Some(_) if v.deleted => ("deleted", json!({})),
                Some(p) => ("updated", Value::Object(diff_versions(p, v))),
            };
            out.push(HistoryEntryView {
                at: v.at,
                by: v.actor_name.clone(),
                source: v.source.clone(),
                event: event.into(),
                changes,
                version: Some(v.version),
            });
            previous = Some(v);
        }
        for r in self.db.relationships_of(id).await? {
            let rel = json!({"id": r.id, "source": r.source_id, "source_name": r.source_name, "type": r.rel,
                             "target": r.target_id, "target_name": r.target_name});
            out.push(HistoryEntryView {
                at: r.created_at,
                by: r.created_by_name.clone(),
                source: r.created_source.clone(),
                event: "relationship_added".into(),
                changes: rel.clone(),
                version: None,
            });
            if let Some(at) = r.deleted_at {
                out.push(HistoryEntryView {
                    at,
                    by: r.deleted_by_name.clone(),
                    // Ended before the source was recorded: the API was all there was.
                    source: r.deleted_source.clone().unwrap_or_else(|| "api".into()),
                    event: "relationship_removed".into(),
                    changes: rel,
                    version: None,
                });
            }
        }
        out.sort_by_key(|e| e.at.micros());
        Ok(out)
    }

    /// Each `reference` attribute names a live item (not the item itself).
    async fn check_references(&self, refs: &[(String, i64)], own: Option<i64>) -> Result<()> {
        let mut errors = vec![];
        for (key, ci) in refs {
            let ok =
                Some(*ci) != own && crate::error::found(self.db.ci(*ci).await)?.is_some_and(|r| r.deleted_at.is_none());
            if !ok {
                errors.push(FieldError::new(format!("attributes.{key}"), "unknown_ci", "no such configuration item"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errors).into())
        }
    }
}

/// Field → `{from, to}` between two versions.
fn diff_versions(a: &opsdesk_store::cmdb::CiVersionRow, b: &opsdesk_store::cmdb::CiVersionRow) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |k: String, from: Value, to: Value| {
        if from != to {
            out.insert(k, json!({"from": from, "to": to}));
        }
    };
    put("name".into(), json!(a.name), json!(b.name));
    put("status".into(), json!(a.status), json!(b.status));
    for (prefix, x, y) in
        [("attributes", &a.attributes, &b.attributes), ("identifiers", &a.identifiers, &b.identifiers)]
    {
        let (x, y) = (object(x), object(y));
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            put(
                format!("{prefix}.{k}"),
                x.get(k).cloned().unwrap_or(Value::Null),
                y.get(k).cloned().unwrap_or(Value::Null),
            );
        }
    }
    out
}

/// An identifier belongs to one item: any carried by another is a field error.
pub(crate) async fn check_identifiers_free(tx: &mut Tx, ids: &Identifiers, own: Option<i64>) -> Result<()> {
    let mut errors = vec![];
    for (kind, value) in ids.present() {
        let holders = tx.cis_with_identifier(kind.as_str(), &[value.to_string()]).await?;
        if let Some(other) = holders.into_iter().find(|h| Some(*h) != own) {
            errors.push(FieldError::new(
                format!("identifiers.{}", kind.as_str()),
                "taken",
                format!("configuration item {other} already carries this {}", kind.as_str()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors).into())
    }
}

pub(crate) async fn write_identifiers(tx: &mut Tx, id: i64, ids: &Identifiers) -> Result<()> {
    let rows: Vec<(&str, &str)> = ids.present().into_iter().map(|(k, v)| (k.as_str(), v)).collect();
    tx.set_ci_identifiers(id, &rows).await.map_err(|e| {
        if e.is_conflict_on("ci_identifiers") {
            FieldError::new("identifiers", "taken", "another configuration item carries one of these identifiers")
                .into()
        } else {
            AppError::from(e)
        }
    })
}

/// The offer rows of an input; a new service with no offer is offered to everyone.
async fn offers(input: Option<&OfferInput>, db: &opsdesk_store::Db) -> Result<Vec<Option<i64>>> {
    let Some(o) = input else { return Ok(vec![None]) };
    let mut out: Vec<Option<i64>> = Vec::new();
    if o.everyone {
        out.push(None);
    }
    for (i, org) in o.organizations.iter().enumerate() {
        if crate::error::found(db.organization(*org).await)?.is_none() {
            return Err(
                FieldError::new(format!("offered_to.organizations[{i}]"), "unknown", "no such organisation").into()
            );
        }
        out.push(Some(*org));
    }
    Ok(out)
}

impl OfferView {
    pub fn everyone() -> OfferView {
        OfferView { everyone: true, organizations: vec![] }
    }
}
