//! Change management's settings: how deep the conflict check looks into the dependency
//! graph. Stored in the `settings` table; the default applies until an admin names one.

use super::scan::{conflict_depth, CONFLICT_DEPTH_KEY};
use crate::cmdb::{require_admin, require_agent};
use crate::{emit, App, Result};
use opsdesk_domain::change::ConflictDepth;
use opsdesk_domain::Actor;
use opsdesk_store::changes::Reader;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The settings as admins change them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeSettingsInput)]
pub struct ChangeSettingsInput {
    /// Levels of the dependency graph, either way, the conflict check reaches: 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub conflict_depth: i64,
}

/// Change management's settings.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ChangeSettings)]
pub struct ChangeSettingsView {
    /// Levels of the dependency graph, either way, the conflict check reaches (default 2).
    pub conflict_depth: u32,
}

impl App {
    pub async fn change_settings(&self, actor: &Actor) -> Result<ChangeSettingsView> {
        require_agent(actor)?;
        let depth = conflict_depth(&mut Reader::Db(&self.db)).await?;
        Ok(ChangeSettingsView { conflict_depth: depth.levels() })
    }

    pub async fn update_change_settings(
        &self,
        actor: &Actor,
        input: ChangeSettingsInput,
    ) -> Result<ChangeSettingsView> {
        require_admin(actor)?;
        let depth = ConflictDepth::new(input.conflict_depth, "conflict_depth")?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.put_setting(CONFLICT_DEPTH_KEY, &depth.levels().to_string()).await?;
        emit(
            &mut tx,
            "change.settings.updated",
            "change:settings".into(),
            actor,
            json!({"conflict_depth": depth.levels()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ChangeSettingsView { conflict_depth: depth.levels() })
    }
}
