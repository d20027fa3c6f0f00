//! Classes and relationship rules: read by anyone who works the CMDB, changed by admins.

use super::{require_admin, require_agent, ClassView, RuleView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::cmdb::{ClassKey, ClassSchema, RelType};
use opsdesk_domain::{Actor, FieldError, Invalid};
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::{json, Value};

/// A new class, or a change to one (`key` only when creating).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiClassInput)]
pub struct ClassInput {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Lowercase letters, digits and underscores; derived from the name when absent.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub key: Option<String>,
    /// `[{"key","type":"text|number|date|bool|select|ip|reference","required","options","authoritative_source"}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub attributes: Option<Value>,
}

/// An allowed relationship; a class of null (or `*`) means any class.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiRelationshipRuleInput)]
pub struct RuleInput {
    pub source_class: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = RelType)]
    pub rel: String,
    pub target_class: Option<String>,
}

fn class_name(raw: Option<&str>) -> Result<String, FieldError> {
    let s = raw.unwrap_or("").trim();
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(FieldError::new("name", "invalid_name", "a class name is 1 to 100 characters"));
    }
    Ok(s.to_string())
}

impl App {
    pub async fn ci_classes(&self, actor: &Actor) -> Result<Vec<ClassView>> {
        require_agent(actor)?;
        Ok(self.db.ci_classes().await?.iter().map(ClassView::from).collect())
    }

    pub async fn create_ci_class(&self, actor: &Actor, input: ClassInput) -> Result<ClassView> {
        require_admin(actor)?;
        let mut errors = vec![];
        let name = class_name(input.name.as_deref()).map_err(|e| errors.push(e)).ok();
        let key = match (&input.key, &name) {
            (Some(k), _) => ClassKey::parse(k).map_err(|e| errors.push(e)).ok(),
            (None, Some(n)) => ClassKey::from_name(n).map_err(|e| errors.push(e)).ok(),
            (None, None) => None,
        };
        let schema = match ClassSchema::parse(input.attributes.as_ref().unwrap_or(&json!([]))) {
            Ok(s) => Some(s),
            Err(Invalid(e)) => {
                errors.extend(e);
                None
            }
        };
        let (Some(name), Some(key), Some(schema)) = (name, key, schema) else {
            return Err(Invalid(errors).into());
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let row = tx
            .insert_ci_class(key.as_str(), &name, &schema.to_stored(), now)
            .await
            .map_err(|e| AppError::taken(e, "key", "key", "this class key"))?;
        emit(&mut tx, "cmdb.class.created", format!("ci_class:{}", row.id), actor, json!({"key": row.key}), now)
            .await?;
        tx.commit().await?;
        Ok(ClassView::from(&row))
    }

    /// Renames a class or replaces its attribute schema. Items keep their stored values; the
    /// new schema applies to their next write.
    pub async fn update_ci_class(&self, actor: &Actor, key: &str, input: ClassInput) -> Result<ClassView> {
        require_admin(actor)?;
        if input.key.as_deref().is_some_and(|k| k != key) {
            return Err(FieldError::new("key", "immutable", "a class key cannot change").into());
        }
        let mut tx = self.db.begin().await?;
        let current = tx.ci_class_by_key(key).await?.ok_or(AppError::NotFound)?;
        let name = match input.name.as_deref() {
            Some(n) => class_name(Some(n))?,
            None => current.name.clone(),
        };
        let schema = match &input.attributes {
            Some(v) => ClassSchema::parse(v)?.to_stored(),
            None => current.schema.clone(),
        };
        let now = Ts::now();
        let row = tx.update_ci_class(current.id, &name, &schema, now).await?;
        emit(&mut tx, "cmdb.class.updated", format!("ci_class:{}", row.id), actor, json!({"key": row.key}), now)
            .await?;
        tx.commit().await?;
        Ok(ClassView::from(&row))
    }

    pub async fn relationship_rules(&self, actor: &Actor) -> Result<Vec<RuleView>> {
        require_agent(actor)?;
        Ok(self.db.relationship_rules().await?.iter().map(RuleView::from).collect())
    }

    pub async fn create_relationship_rule(&self, actor: &Actor, input: RuleInput) -> Result<RuleView> {
        require_admin(actor)?;
        let rel = RelType::parse(&input.rel)?;
        let classes = self.db.ci_classes().await?;
        let class = |field: &str, v: &Option<String>| -> Result<Option<String>, FieldError> {
            match v.as_deref().map(str::trim) {
                None | Some("*") | Some("") => Ok(None),
                Some(k) if classes.iter().any(|c| c.key == k) => Ok(Some(k.to_string())),
                Some(_) => Err(FieldError::new(field, "unknown_class", "no such class")),
            }
        };
        let source = class("source_class", &input.source_class)?;
        let target = class("target_class", &input.target_class)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_relationship_rule(source.as_deref(), rel.as_str(), target.as_deref(), now)
            .await
            .map_err(|e| AppError::taken(e, "ci_relationship_rules", "type", "this rule"))?;
        emit(&mut tx, "cmdb.rule.created", format!("ci_rule:{id}"), actor, json!({"type": rel.as_str()}), now).await?;
        tx.commit().await?;
        Ok(RuleView { id, source_class: source, rel: rel.as_str().to_string(), target_class: target })
    }

    /// Existing relationships stay; only new ones are checked against the remaining rules.
    pub async fn delete_relationship_rule(&self, actor: &Actor, id: i64) -> Result<()> {
        require_admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_relationship_rule(id).await?;
        emit(&mut tx, "cmdb.rule.deleted", format!("ci_rule:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
