//! The CIs a ticket names (affected, or the cause) and the tickets that name a CI.

use super::{require_agent, CiTicketView, ImpactQuery, ServiceView, TicketCiView, TicketImpactView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCiInput {
    /// The CI's id.
    #[schema(minimum = 1)]
    pub ci: i64,
    /// `affected` (the default) or `cause`.
    #[schema(pattern = "^(affected|cause)$")]
    pub role: Option<String>,
}

impl App {
    /// Names a CI on a ticket the actor works; a requester may name a service offered to them
    /// on their own ticket (the portal's "affected service").
    pub async fn add_ticket_ci(&self, actor: &Actor, ticket: &str, input: TicketCiInput) -> Result<Vec<TicketCiView>> {
        let t = if actor.role == Role::Requester {
            let t = self.find_ticket(actor, ticket).await?;
            if Some(t.requester_id) != actor.user_id {
                return Err(AppError::Forbidden);
            }
            t
        } else {
            self.workable_ticket(actor, ticket).await?
        };
        let role = match input.role.as_deref().unwrap_or("affected") {
            r @ ("affected" | "cause") => r,
            _ => return Err(FieldError::new("role", "invalid_role", "role is affected or cause").into()),
        };
        if role == "cause" && actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let ci = match self.visible_ci(actor, input.ci).await {
            Ok(ci) if ci.deleted_at.is_none() => ci,
            Ok(_) | Err(AppError::NotFound) => {
                return Err(FieldError::new("ci", "unknown_ci", "no such configuration item").into())
            }
            Err(e) => return Err(e),
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if tx.link_ticket_ci(t.id, ci.id, role, actor.user_id, now).await? {
            emit(
                &mut tx,
                "ticket.ci_added",
                format!("ticket:{}", t.id),
                actor,
                json!({"ci": ci.id, "role": role}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        // A change's risk counts what its CIs reach.
        self.rescore_change(t.id).await?;
        self.ticket_cis_of(t.id).await
    }

    pub async fn remove_ticket_ci(&self, actor: &Actor, ticket: &str, ci: i64) -> Result<()> {
        let t = self.workable_ticket(actor, ticket).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if !tx.unlink_ticket_ci(t.id, ci).await? {
            return Err(AppError::NotFound);
        }
        emit(&mut tx, "ticket.ci_removed", format!("ticket:{}", t.id), actor, json!({"ci": ci}), now).await?;
        tx.commit().await?;
        self.rescore_change(t.id).await?;
        Ok(())
    }

    pub async fn ticket_cis(&self, actor: &Actor, ticket: &str) -> Result<Vec<TicketCiView>> {
        let t = self.find_ticket(actor, ticket).await?;
        self.ticket_cis_of(t.id).await
    }

    pub(crate) async fn ticket_cis_of(&self, ticket: i64) -> Result<Vec<TicketCiView>> {
        Ok(self
            .db
            .ticket_cis(ticket)
            .await?
            .into_iter()
            .map(|r| TicketCiView { ci: r.ci_id, name: r.name, class: r.class_key, status: r.status, role: r.role })
            .collect())
    }

    /// The tickets naming a CI that the actor may see, newest first (at most 200).
    pub async fn ci_tickets(&self, actor: &Actor, ci: i64) -> Result<Vec<CiTicketView>> {
        require_agent(actor)?;
        self.db.ci(ci).await?;
        let mut out = Vec::new();
        for link in self.db.ci_tickets(ci, 200).await? {
            let Some(t) = crate::error::found(self.db.ticket(link.ticket_id).await)? else { continue };
            if !actor.can_see_ticket(&t.access()) {
                continue;
            }
            out.push(CiTicketView {
                id: t.id,
                number: t.number.clone(),
                title: t.title.clone(),
                kind: t.kind.as_str().to_string(),
                status: t.status.as_str().to_string(),
                open: t.is_open,
                role: link.role,
            });
        }
        Ok(out)
    }

    /// The business services the ticket's items affect, and the people they serve.
    pub async fn ticket_impact(&self, actor: &Actor, ticket: &str) -> Result<TicketImpactView> {
        require_agent(actor)?;
        let cis = self.ticket_cis(actor, ticket).await?;
        let mut reached = std::collections::BTreeSet::new();
        let mut services = std::collections::BTreeMap::new();
        for c in cis {
            let impact = self.ci_impact(actor, c.ci, &ImpactQuery::default()).await?;
            reached.extend(impact.nodes.iter().map(|n| n.id));
            services.extend(impact.services.into_iter().map(|s| (s.id, s.name)));
        }
        let ids: Vec<i64> = services.keys().copied().collect();
        let users = self.db.service_users(&ids).await?;
        Ok(TicketImpactView {
            services: services.into_iter().map(|(id, name)| ServiceView { id, name }).collect(),
            users,
            reached: reached.len(),
        })
    }
}
