//! The CMDB's settings: how long an item no source reports stays fresh before it is flagged
//! stale. Stored in the `settings` table; the default applies until an admin names one.

use super::{require_admin, require_agent};
use crate::{emit, App, Result};
use opsdesk_domain::cmdb::StaleAfter;
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

const STALE_AFTER_KEY: &str = "cmdb.stale_after_days";

/// The settings as admins change them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CmdbSettingsInput)]
pub struct CmdbSettingsInput {
    /// Days without a report after which an item is stale: 1 to 3650.
    #[schema(minimum = 1, maximum = 3650)]
    pub stale_after_days: i64,
}

/// The CMDB's settings.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CmdbSettings)]
pub struct CmdbSettingsView {
    /// Days without a report after which an item a source once reported is flagged stale.
    pub stale_after_days: u32,
}

impl App {
    /// The stale threshold in force.
    pub(crate) async fn stale_after(&self) -> Result<StaleAfter> {
        Ok(StaleAfter::from_stored(self.db.setting(STALE_AFTER_KEY).await?.as_deref()))
    }

    pub async fn cmdb_settings(&self, actor: &Actor) -> Result<CmdbSettingsView> {
        require_agent(actor)?;
        Ok(CmdbSettingsView { stale_after_days: self.stale_after().await?.as_days() })
    }

    pub async fn update_cmdb_settings(&self, actor: &Actor, input: CmdbSettingsInput) -> Result<CmdbSettingsView> {
        require_admin(actor)?;
        let stale = StaleAfter::days(input.stale_after_days)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.put_setting(STALE_AFTER_KEY, &stale.as_days().to_string()).await?;
        emit(
            &mut tx,
            "cmdb.settings.updated",
            "cmdb:settings".into(),
            actor,
            json!({"stale_after_days": stale.as_days()}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(CmdbSettingsView { stale_after_days: stale.as_days() })
    }
}
