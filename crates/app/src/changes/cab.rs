//! What the CAB sees of a change while deciding its approval: the change's record (type,
//! window, risk and its factors, CIs, conflicts and their override), so that an approver can
//! decide without opening the ticket, which they may not be allowed to see.

use super::ChangeView;
use crate::{App, Result};
use opsdesk_domain::Actor;
use opsdesk_store::approvals::{ApprovalRecord, TICKET};

impl App {
    /// The change an approval decides, for those who may see the approval (its approvers and
    /// their delegates too); `None` when the approval is not on a change.
    pub async fn approval_change(&self, actor: &Actor, approval_id: i64) -> Result<Option<ChangeView>> {
        let rec = self.db.approval_record(approval_id).await?;
        self.check_approval_visible(actor, &rec).await?;
        self.subject_change(actor, &rec).await
    }

    /// The change an approval record is about, if it is about one, with the linked tickets
    /// `reader` may see.
    pub(crate) async fn subject_change(&self, reader: &Actor, rec: &ApprovalRecord) -> Result<Option<ChangeView>> {
        if rec.approval.subject_type != TICKET {
            return Ok(None);
        }
        let ticket = self.db.ticket(rec.approval.subject_id).await?;
        self.change_view(reader, &ticket).await
    }
}
