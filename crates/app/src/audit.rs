//! Reading the security audit log (writing happens inside each command's transaction).

use crate::{App, AppError, Result};
use opsdesk_domain::{Actor, Permission};
use opsdesk_store::audit::{AuditEntry, AuditFilter};

impl App {
    pub async fn audit_log(&self, actor: &Actor, filter: AuditFilter) -> Result<Vec<AuditEntry>> {
        if !actor.can(Permission::ReadAuditLog) {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.audit_entries(&filter).await?)
    }
}
