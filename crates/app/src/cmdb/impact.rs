//! Impact analysis: the domain's walk fed one level at a time from storage, now or at a past
//! instant, then the business services reached and how many people they serve.

use super::{require_agent, ImpactEdgeView, ImpactNodeView, ImpactView, ServiceView};
use crate::{App, AppError, Result};
use opsdesk_domain::cmdb::{Direction, Edge, RelType, Walk, BUSINESS_SERVICE};
use opsdesk_domain::Actor;
use opsdesk_store::Ts;

/// What to walk.
#[derive(Debug, Clone)]
pub struct ImpactQuery {
    pub direction: Direction,
    pub depth: u32,
    pub at: Option<Ts>,
    /// Only these relationship types; empty for all.
    pub types: Vec<RelType>,
}

impl Default for ImpactQuery {
    fn default() -> Self {
        ImpactQuery { direction: Direction::Downstream, depth: 5, at: None, types: vec![] }
    }
}

impl App {
    pub async fn ci_impact(&self, actor: &Actor, id: i64, q: &ImpactQuery) -> Result<ImpactView> {
        require_agent(actor)?;
        match q.at {
            None => {
                self.db.ci(id).await?;
            }
            Some(at) => {
                self.db.ci_at(id, at).await?.ok_or(AppError::NotFound)?;
            }
        }
        let mut walk = Walk::new(id, q.direction, q.depth, q.types.clone());
        while !walk.frontier().is_empty() {
            let into = q.direction == Direction::Downstream;
            let rows = self.db.edges_touching(walk.frontier(), into, q.at).await?;
            let edges = rows.into_iter().filter_map(|r| {
                Some(Edge { id: r.id, source: r.source_id, rel: RelType::parse(&r.rel).ok()?, target: r.target_id })
            });
            walk.advance(edges.collect::<Vec<_>>());
        }
        let reached = walk.nodes();
        let ids: Vec<i64> = reached.iter().map(|(id, _)| *id).collect();
        let rows = self.db.nodes(&ids, q.at).await?;
        let by_id: std::collections::HashMap<i64, &opsdesk_store::cmdb::NodeRow> =
            rows.iter().map(|r| (r.id, r)).collect();
        let mut nodes = Vec::with_capacity(reached.len());
        let mut services = Vec::new();
        for (id, depth) in reached {
            let Some(r) = by_id.get(&id) else { continue };
            if r.class_key == BUSINESS_SERVICE {
                services.push(ServiceView { id, name: r.name.clone() });
            }
            nodes.push(ImpactNodeView {
                id,
                name: r.name.clone(),
                class: r.class_key.clone(),
                status: r.status.clone(),
                depth,
            });
        }
        let service_ids: Vec<i64> = services.iter().map(|s| s.id).collect();
        let users = self.db.service_users(&service_ids).await?;
        Ok(ImpactView {
            direction: q.direction,
            depth: walk.max_depth,
            at: q.at,
            nodes,
            edges: walk
                .edges()
                .iter()
                .map(|e| ImpactEdgeView { id: e.id, source: e.source, rel: e.rel.as_str().into(), target: e.target })
                .collect(),
            services,
            users,
        })
    }
}
