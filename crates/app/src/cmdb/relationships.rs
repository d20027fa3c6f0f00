//! Making and removing relationships. A relationship is checked against the configured rules;
//! removing one ends it, so it still shows at past instants.

use super::items::Source;
use super::{require_agent, RelationshipView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::cmdb::{check_relationship, RelRule, RelType};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::json;

/// A new relationship: `source` depends on `target` in the way `type` says.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiRelationshipInput)]
pub struct RelationshipInput {
    #[schema(minimum = 1)]
    pub source: i64,
    #[serde(rename = "type")]
    #[schema(value_type = RelType)]
    pub rel: String,
    #[schema(minimum = 1)]
    pub target: i64,
}

impl App {
    pub(crate) async fn relationship_rule_set(&self) -> Result<Vec<RelRule>> {
        Ok(self
            .db
            .relationship_rules()
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(RelRule {
                    source_class: r.source_class,
                    rel: RelType::parse(&r.rel).ok()?,
                    target_class: r.target_class,
                })
            })
            .collect())
    }

    /// A relationship made through the API.
    pub async fn create_relationship(&self, actor: &Actor, input: RelationshipInput) -> Result<RelationshipView> {
        self.create_relationship_from(actor, input, "api").await
    }

    /// A relationship made through `source` (`api`, `web`, `cli`), which its history names.
    pub async fn create_relationship_from(
        &self,
        actor: &Actor,
        input: RelationshipInput,
        source: Source<'_>,
    ) -> Result<RelationshipView> {
        require_agent(actor)?;
        let rel = RelType::parse(&input.rel)?;
        let live = |field: &'static str, r: Option<opsdesk_store::cmdb::CiRow>| match r {
            Some(r) if r.deleted_at.is_none() => Ok(r),
            _ => Err(AppError::from(FieldError::new(field, "unknown_ci", "no such configuration item"))),
        };
        let via = source;
        let source = live("source", crate::error::found(self.db.ci(input.source).await)?)?;
        let target = live("target", crate::error::found(self.db.ci(input.target).await)?)?;
        let rules = self.relationship_rule_set().await?;
        check_relationship(&rules, (source.id, &source.class_key), rel, (target.id, &target.class_key))?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let id =
            tx.insert_relationship(source.id, rel.as_str(), target.id, actor.user_id, via, now).await.map_err(|e| {
                if e.is_conflict_on("ci_relationships") {
                    AppError::Conflict {
                        code: "relationship_exists",
                        message: "these items are already related this way".into(),
                    }
                } else {
                    e.into()
                }
            })?;
        emit(
            &mut tx,
            "cmdb.relationship.created",
            format!("ci_relationship:{id}"),
            actor,
            json!({"source": source.id, "type": rel.as_str(), "target": target.id, "via": via}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(RelationshipView::from(&self.db.relationship(id).await?))
    }

    /// Removes a relationship through the API.
    pub async fn delete_relationship(&self, actor: &Actor, id: i64) -> Result<()> {
        self.delete_relationship_from(actor, id, "api").await
    }

    /// Removes a relationship through `source`, which its history names.
    pub async fn delete_relationship_from(&self, actor: &Actor, id: i64, source: Source<'_>) -> Result<()> {
        require_agent(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if !tx.end_relationship(id, actor.user_id, source, now).await? {
            return Err(AppError::NotFound);
        }
        emit(&mut tx, "cmdb.relationship.deleted", format!("ci_relationship:{id}"), actor, json!({"via": source}), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live relationships of an item, both ways.
    pub async fn ci_relationships(&self, actor: &Actor, id: i64) -> Result<Vec<RelationshipView>> {
        require_agent(actor)?;
        self.db.ci(id).await?;
        Ok(self
            .db
            .relationships_of(id)
            .await?
            .iter()
            .filter(|r| r.deleted_at.is_none())
            .map(RelationshipView::from)
            .collect())
    }
}
