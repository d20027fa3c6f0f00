//! Changing groups after they exist: rename, describe, name a lead (one of the members, whom
//! escalations with `notify_group_lead` tell), and delete one that nothing uses any more.

use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::groups::{Group, GroupUsage};
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

/// A partial change of a group; absent fields stay as they are. `lead_user_id: null` leaves
/// the group without a lead.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    /// Unique; one line. Rules that name the group by name (approval templates) keep the old
    /// name: name groups by id in rules that should follow a rename.
    #[schema(max_length = 120)]
    pub name: Option<String>,
    /// At most 2,000 bytes of UTF-8.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// A member of the group; `null` removes the lead.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<i64>)]
    pub lead_user_id: Option<Option<i64>>,
}

/// The reasons, in words, why a group cannot be deleted; empty when nothing uses it.
pub fn usage_reasons(usage: &GroupUsage, documents: &[(String, String)]) -> Vec<String> {
    let count = |n: i64, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let mut reasons: Vec<String> = [
        count(usage.members, "member", "members"),
        count(usage.tickets, "ticket is assigned to it", "tickets are assigned to it"),
        count(usage.saved_views, "group queue", "group queues"),
    ]
    .into_iter()
    .flatten()
    .collect();
    for desk in &usage.default_of_desks {
        reasons.push(format!("it is the default group of the desk {desk}"));
    }
    for (what, name) in documents {
        reasons.push(format!("the {what} \u{201c}{name}\u{201d} names it"));
    }
    reasons
}

/// Whether a stored rule document names the group: any field whose key mentions a group and
/// whose value (or one of its items) is the group's id or name.
pub fn names_group(v: &Value, id: i64, name: &str) -> bool {
    let is_it = |x: &Value| match x {
        Value::Number(n) => n.as_i64() == Some(id),
        Value::String(s) => s.trim().eq_ignore_ascii_case(name) || s.trim().trim_start_matches('#') == id.to_string(),
        _ => false,
    };
    match v {
        Value::Object(map) => map.iter().any(|(k, x)| {
            let about_group = k.contains("group");
            (about_group && (is_it(x) || x.as_array().is_some_and(|a| a.iter().any(is_it)))) || names_group(x, id, name)
        }),
        Value::Array(items) => items.iter().any(|x| names_group(x, id, name)),
        _ => false,
    }
}

impl App {
    /// Renames or describes a group, or names its lead (who must be a member).
    #[tracing::instrument(skip(self, input))]
    pub async fn update_group(&self, actor: &Actor, group_id: i64, input: UpdateGroup) -> Result<Group> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let name = input.name.as_deref().map(|n| crate::groups::title(n, "name")).transpose()?;
        if input.description.as_ref().is_some_and(|d| d.len() > 2000) {
            return Err(FieldError::new("description", "too_long", "a description has at most 2000 bytes").into());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.group_for_update(group_id).await?;
        let mut after = before.clone();
        if let Some(n) = name {
            after.name = n;
        }
        if let Some(d) = input.description {
            after.description = d.trim().to_string();
        }
        if let Some(lead) = input.lead_user_id {
            if let Some(l) = lead {
                if !tx.is_group_member(group_id, l).await? {
                    let msg = "the lead must be a member of the group; add them first";
                    return Err(FieldError::new("lead_user_id", "not_a_member", msg).into());
                }
            }
            after.lead_user_id = lead;
        }
        tx.update_group(&after).await.map_err(|e| AppError::taken(e, "name", "name", "this group name"))?;
        if before.name != after.name {
            record(
                &mut tx,
                actor,
                "group.renamed",
                group_id,
                None,
                json!({ "from": before.name, "to": after.name }),
                now,
            )
            .await?;
        }
        if before.lead_user_id != after.lead_user_id {
            let detail = json!({ "from": before.lead_user_id, "to": after.lead_user_id });
            record(&mut tx, actor, "group.lead_changed", group_id, after.lead_user_id, detail, now).await?;
        }
        emit(&mut tx, "group.updated", format!("group:{group_id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Why a group cannot be deleted, in words; empty when it can be.
    pub async fn group_in_use(&self, actor: &Actor, group_id: i64) -> Result<Vec<String>> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        let reasons = reasons_in(&mut tx, group_id).await?;
        drop(tx);
        Ok(reasons)
    }

    /// Deletes a group nothing uses; otherwise answers 409 `group_in_use` with the reasons.
    #[tracing::instrument(skip(self))]
    pub async fn delete_group(&self, actor: &Actor, group_id: i64) -> Result<()> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let reasons = reasons_in(&mut tx, group_id).await?;
        if !reasons.is_empty() {
            return Err(AppError::Conflict {
                code: "group_in_use",
                message: format!("the group is in use: {}", reasons.join("; ")),
            });
        }
        let group = tx.group_for_update(group_id).await?;
        tx.delete_group(group_id).await?;
        record(&mut tx, actor, "group.deleted", group_id, None, json!({ "name": group.name }), now).await?;
        emit(&mut tx, "group.deleted", format!("group:{group_id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn reasons_in(tx: &mut Tx, group_id: i64) -> Result<Vec<String>> {
    let group = tx.group_for_update(group_id).await?;
    let usage = tx.group_usage(group_id).await?;
    let mut naming = Vec::new();
    for (what, name, raw) in tx.group_naming_documents().await? {
        match serde_json::from_str::<Value>(&raw) {
            Ok(v) if names_group(&v, group_id, &group.name) => naming.push((what, name)),
            Ok(_) => {}
            // A document that cannot be read might name the group: refuse rather than guess.
            Err(e) => {
                tracing::warn!(what, name, error = %e, "stored rule document does not parse");
                naming.push((what, name));
            }
        }
    }
    Ok(usage_reasons(&usage, &naming))
}

async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    group_id: i64,
    subject: Option<i64>,
    mut detail: Value,
    now: Ts,
) -> Result<()> {
    detail["group_id"] = json!(group_id);
    let e =
        NewAuditEntry { action, actor_user_id: actor.user_id, subject_user_id: subject, detail, ..Default::default() };
    tx.append_audit(&e, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_documents_name_a_group_by_id_or_name_under_a_group_key() {
        let sla = json!({"escalations": [{"action": "notify_group_lead", "group_id": 7}]});
        assert!(names_group(&sla, 7, "Network"));
        assert!(!names_group(&sla, 8, "Network"));
        let approval = json!({"stages": [{"approvers": {"groups": ["network"]}, "rule": "any"}]});
        assert!(names_group(&approval, 3, "Network"));
        let unrelated = json!({"name": "Network", "user_id": 7});
        assert!(!names_group(&unrelated, 7, "Network"), "only keys about groups count");
    }

    #[test]
    fn reasons_are_words() {
        let usage = GroupUsage { members: 2, tickets: 1, saved_views: 0, default_of_desks: vec!["IT".into()] };
        let reasons = usage_reasons(&usage, &[("SLA policy".into(), "Gold".into())]);
        assert_eq!(
            reasons,
            [
                "2 members",
                "1 ticket is assigned to it",
                "it is the default group of the desk IT",
                "the SLA policy \u{201c}Gold\u{201d} names it"
            ]
        );
        assert!(usage_reasons(&GroupUsage::default(), &[]).is_empty());
    }
}
