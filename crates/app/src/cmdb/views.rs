//! What the API answers about the CMDB: app-layer views built from stored rows.

use opsdesk_domain::cmdb::{AttrType, CiStatus, ClassSchema, Direction, RelType, StaleAfter};
use opsdesk_store::cmdb::{CiRow, CiVersionRow, ClassRow, RelationshipRow, RuleRow};
use opsdesk_store::Ts;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One attribute of a class.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiAttribute)]
pub struct AttributeView {
    pub key: String,
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    pub required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The inventory source whose reports alone may set this attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authoritative_source: Option<String>,
}

/// A class of configuration items.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiClass)]
pub struct ClassView {
    pub id: i64,
    /// `business_service`, `application`, `database`, `server`, `virtual_machine`,
    /// `network_device`, `storage`, `workstation`, or one an admin added.
    pub key: String,
    pub name: String,
    pub builtin: bool,
    pub attributes: Vec<AttributeView>,
}

impl From<&ClassRow> for ClassView {
    fn from(r: &ClassRow) -> Self {
        let schema = ClassSchema::from_stored(&r.schema);
        ClassView {
            id: r.id,
            key: r.key.clone(),
            name: r.name.clone(),
            builtin: r.builtin,
            attributes: schema
                .attributes
                .into_iter()
                .map(|a| AttributeView {
                    key: a.key,
                    attr_type: a.attr_type,
                    required: a.required,
                    options: a.options,
                    authoritative_source: a.authoritative_source,
                })
                .collect(),
        }
    }
}

/// An allowed relationship: from items of `source_class` (null: any) to items of
/// `target_class` (null: any).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiRelationshipRule)]
pub struct RuleView {
    pub id: i64,
    pub source_class: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = RelType)]
    pub rel: String,
    pub target_class: Option<String>,
}

impl From<&RuleRow> for RuleView {
    fn from(r: &RuleRow) -> Self {
        RuleView {
            id: r.id,
            source_class: r.source_class.clone(),
            rel: r.rel.clone(),
            target_class: r.target_class.clone(),
        }
    }
}

/// A configuration item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Ci)]
pub struct CiView {
    pub id: i64,
    /// The class key.
    pub class: String,
    pub class_name: String,
    pub name: String,
    #[schema(value_type = CiStatus)]
    pub status: String,
    /// Values by attribute key, typed as the class says.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Normalised: `serial`, `asset_tag` (upper case), `hostname` (lower case, with its domain),
    /// `mac` (`AA:BB:CC:DD:EE:FF`), `uuid`.
    #[schema(value_type = Object)]
    pub identifiers: Map<String, Value>,
    /// Pass as `If-Match` to change the item.
    pub version: i64,
    /// The inventory source that last reported the item.
    pub last_source: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Ts>,
    /// Reported by a source once, but not within the stale threshold (`GET
    /// /api/v1/cmdb/settings`; 30 days unless an admin changed it).
    pub stale: bool,
    /// Business services only: who may see and pick the service. `everyone`, or organisation
    /// ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<OfferView>,
    pub deleted: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

/// Who a business service is offered to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OfferView {
    pub everyone: bool,
    pub organizations: Vec<i64>,
}

impl OfferView {
    pub(crate) fn from_rows(rows: &[Option<i64>]) -> OfferView {
        OfferView {
            everyone: rows.iter().any(Option::is_none),
            organizations: rows.iter().flatten().copied().collect(),
        }
    }
}

pub(crate) fn object(raw: &str) -> Map<String, Value> {
    serde_json::from_str(raw).unwrap_or_default()
}

impl CiView {
    pub(crate) fn from_row(r: &CiRow, offers: Option<&[Option<i64>]>, now: Ts, stale_after: StaleAfter) -> CiView {
        let stale = r.last_seen_at.is_some_and(|seen| seen.plus(stale_after.duration()) < now);
        CiView {
            id: r.id,
            class: r.class_key.clone(),
            class_name: r.class_name.clone(),
            name: r.name.clone(),
            status: r.status.clone(),
            attributes: object(&r.attributes),
            identifiers: object(&r.identifiers),
            version: r.version,
            last_source: r.last_source.clone(),
            last_seen_at: r.last_seen_at,
            stale,
            offered_to: offers.map(OfferView::from_rows),
            deleted: r.deleted_at.is_some(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A CI as it was at an instant: the version in force then.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiAtInstant)]
pub struct CiVersionView {
    pub id: i64,
    pub class: String,
    pub class_name: String,
    pub name: String,
    #[schema(value_type = CiStatus)]
    pub status: String,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    #[schema(value_type = Object)]
    pub identifiers: Map<String, Value>,
    pub version: i64,
    /// Deleted by then.
    pub deleted: bool,
    /// When this version began.
    #[schema(value_type = String, format = DateTime)]
    pub since: Ts,
}

impl From<&CiVersionRow> for CiVersionView {
    fn from(v: &CiVersionRow) -> Self {
        CiVersionView {
            id: v.ci_id,
            class: v.class_key.clone(),
            class_name: v.class_name.clone(),
            name: v.name.clone(),
            status: v.status.clone(),
            attributes: object(&v.attributes),
            identifiers: object(&v.identifiers),
            version: v.version,
            deleted: v.deleted,
            since: v.at,
        }
    }
}

/// A relationship, with both ends named.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiRelationship)]
pub struct RelationshipView {
    pub id: i64,
    pub source: i64,
    pub source_name: String,
    pub source_class: String,
    #[serde(rename = "type")]
    #[schema(value_type = RelType)]
    pub rel: String,
    pub target: i64,
    pub target_name: String,
    pub target_class: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    pub created_by: Option<String>,
    /// Set once the relationship was removed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deleted_at: Option<Ts>,
    pub deleted_by: Option<String>,
}

impl From<&RelationshipRow> for RelationshipView {
    fn from(r: &RelationshipRow) -> Self {
        RelationshipView {
            id: r.id,
            source: r.source_id,
            source_name: r.source_name.clone(),
            source_class: r.source_class.clone(),
            rel: r.rel.clone(),
            target: r.target_id,
            target_name: r.target_name.clone(),
            target_class: r.target_class.clone(),
            created_at: r.created_at,
            created_by: r.created_by_name.clone(),
            deleted_at: r.deleted_at,
            deleted_by: r.deleted_by_name.clone(),
        }
    }
}

impl RelationshipView {
    /// How the relationship reads from `ci`'s side: "runs on" or "runs".
    pub fn reads_from(&self, ci: i64) -> &'static str {
        match RelType::parse(&self.rel) {
            Ok(t) if self.source == ci => t.label(),
            Ok(t) => t.reverse_label(),
            Err(_) => "relates to",
        }
    }
}

/// A CI reached by an impact walk.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ImpactNode)]
pub struct ImpactNodeView {
    pub id: i64,
    pub name: String,
    pub class: String,
    #[schema(value_type = CiStatus)]
    pub status: String,
    /// Relationships between it and the start (0 for the start).
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ImpactEdge)]
pub struct ImpactEdgeView {
    pub id: i64,
    pub source: i64,
    #[serde(rename = "type")]
    #[schema(value_type = RelType)]
    pub rel: String,
    pub target: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ImpactService)]
pub struct ServiceView {
    pub id: i64,
    pub name: String,
}

/// What depends on a CI (downstream) or what it depends on (upstream).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Impact)]
pub struct ImpactView {
    pub direction: Direction,
    pub depth: u32,
    /// The instant the graph was read at; null for now.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Ts>,
    pub nodes: Vec<ImpactNodeView>,
    pub edges: Vec<ImpactEdgeView>,
    /// The business services among the nodes.
    pub services: Vec<ServiceView>,
    /// How many active people those services are offered to.
    pub users: i64,
}

/// One entry of a CI's history: a version, or a relationship made or removed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiHistoryEntry)]
pub struct HistoryEntryView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Ts,
    /// Who, when a person did it.
    pub by: Option<String>,
    /// `api`, `web`, `cli`, `inventory:<source>`.
    pub source: String,
    /// `created`, `updated`, `deleted`, `relationship_added`, `relationship_removed`.
    pub event: String,
    /// What changed: field → `{from, to}` for versions; the relationship for the others.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub version: Option<i64>,
}

/// A ticket naming a CI.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CiTicket)]
pub struct CiTicketView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub open: bool,
    /// `affected` or `cause`.
    pub role: String,
}

/// A CI named on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = TicketCi)]
pub struct TicketCiView {
    pub ci: i64,
    pub name: String,
    pub class: String,
    #[schema(value_type = CiStatus)]
    pub status: String,
    /// `affected` or `cause`.
    pub role: String,
}

/// What one inventory item became.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = InventoryDecision)]
pub struct DecisionView {
    /// The item's index in the pushed list.
    pub item: usize,
    /// `created`, `updated`, `unchanged`, `conflict` or `rejected`.
    pub action: String,
    pub ci: Option<i64>,
    /// Which identifier matched (`serial`, `asset_tag`, `hostname`, `mac`, `uuid`), or `name`
    /// for an item without identifiers matched by class and name.
    pub matched_by: Option<String>,
    /// Why: the rule that decided, in words.
    pub explanation: String,
    /// Attribute or field → `{from, to}`.
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
    /// Attributes left alone because another source is authoritative for them.
    pub protected: Vec<String>,
}

/// Two or more CIs an item's identifiers point at; nothing was merged.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = InventoryConflict)]
pub struct ConflictView {
    pub item: usize,
    pub candidates: Vec<i64>,
    pub detail: String,
}

/// An item refused for bad input (the others are still reconciled).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = InventoryRejection)]
pub struct RejectionView {
    pub item: usize,
    pub errors: Vec<ItemError>,
}

/// One thing wrong with one field of an item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = InventoryItemError)]
pub struct ItemError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<&opsdesk_domain::FieldError> for ItemError {
    fn from(e: &opsdesk_domain::FieldError) -> Self {
        ItemError { field: e.field.clone(), code: e.code.to_string(), message: e.message.clone() }
    }
}

/// The outcome of an inventory push (or, for a dry run, what it would be).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = InventoryResult)]
pub struct InventoryView {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflicts: Vec<ConflictView>,
    pub rejected: Vec<RejectionView>,
    /// With `explain: all` (a dry run's default), every item's decision in push order;
    /// otherwise those of conflicts and rejections only.
    pub decisions: Vec<DecisionView>,
}

/// Every status a CI may have, for forms.
pub fn statuses() -> Vec<&'static str> {
    CiStatus::ALL.iter().map(|s| s.as_str()).collect()
}

/// Every relationship type, for forms.
pub fn rel_types() -> Vec<RelType> {
    RelType::ALL.to_vec()
}

/// An item's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CiHistory {
    pub items: Vec<HistoryEntryView>,
}

/// What the items a ticket names reach: the business services affected (downstream, 5
/// levels, the services themselves included) and how many people those serve.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = TicketImpact)]
pub struct TicketImpactView {
    pub services: Vec<ServiceView>,
    pub users: i64,
    /// Items reached, the ticket's own included.
    pub reached: usize,
}
