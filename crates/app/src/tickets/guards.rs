//! Judging a move: the lifecycle of the ticket's kind, then its guards on the facts they ask
//! for, read inside the transaction that makes the move so they cannot change in between.

use crate::{AppError, Result};
use opsdesk_domain::ticket::{Fact, GuardFacts, HoldReason, Status, TransitionError};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Tx;

/// Checks that `t` may move to `to`: the lifecycle first (with its hold reason), then every
/// guard of the target status.
pub(crate) async fn check_move(tx: &mut Tx, t: &Ticket, to: Status, hold: Option<HoldReason>) -> Result<()> {
    t.kind.check_transition(t.status, to, hold).map_err(transition_error)?;
    let needs: Vec<Fact> = t.kind.guards_for(to).flat_map(|g| g.guard.needs().iter().copied()).collect();
    if needs.is_empty() {
        return Ok(());
    }
    let mut facts = GuardFacts::new(t.status, to);
    if needs.contains(&Fact::Detail) {
        facts.detail = t.kind.def().detail.complete(&tx.ticket_detail(t.id).await?);
    }
    if needs.contains(&Fact::Approval) {
        facts.approval = latest_approval(tx, t.id).await?;
    }
    if needs.contains(&Fact::OpenTasks) {
        facts.open_tasks = tx.open_child_tasks(t.id).await?;
    }
    if needs.contains(&Fact::Predecessors) {
        facts.waiting_on = tx.unfinished_predecessors(t.id).await?;
    }
    if needs.contains(&Fact::Change) {
        let mut reader = opsdesk_store::changes::Reader::Tx(tx);
        facts.change = crate::changes::scan::facts(&mut reader, t).await?;
    }
    t.kind.check_guards(&facts).map_err(transition_error)
}

pub(crate) fn transition_error(e: TransitionError) -> AppError {
    if let TransitionError::GuardsFailed(guards) = e {
        return AppError::GuardFailed(guards);
    }
    let allowed: Vec<&str> = e.allowed().iter().map(|s| s.as_str()).collect();
    let message = match &e {
        TransitionError::ReasonRequired | TransitionError::ReasonNotAllowed { .. } => e.to_string(),
        _ if allowed.is_empty() => format!("{e}; this ticket allows no further status change"),
        _ => format!("{e}; allowed: {}", allowed.join(", ")),
    };
    let field = match e {
        TransitionError::ReasonRequired | TransitionError::ReasonNotAllowed { .. } => "hold_reason",
        _ => "to",
    };
    AppError::Transition { field, message, allowed: allowed.into_iter().map(str::to_string).collect() }
}

/// The state of the ticket's most recent approval.
async fn latest_approval(tx: &mut Tx, ticket_id: i64) -> Result<Option<opsdesk_domain::ticket::ApprovalFact>> {
    use opsdesk_domain::approval::ApprovalState;
    use opsdesk_domain::ticket::ApprovalFact;
    Ok(tx.latest_approval_state(ticket_id).await?.map(|s| match s {
        ApprovalState::Pending => ApprovalFact::Pending,
        ApprovalState::Approved => ApprovalFact::Approved,
        ApprovalState::Rejected => ApprovalFact::Rejected,
        ApprovalState::Cancelled => ApprovalFact::Cancelled,
    }))
}
