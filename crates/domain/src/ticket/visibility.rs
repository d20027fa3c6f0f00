//! Who may see and work a ticket. One rule, used for a single ticket here and translated into
//! SQL by the store for lists, search and counts, so the two can never disagree.

use super::Kind;
use crate::access::Actor;
use crate::identity::Role;

/// The facts about a ticket that decide who sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketAccess {
    /// Requesters never see kinds that are not requester-facing (tasks), even their own.
    pub kind: Kind,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub shared_with_organization: bool,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
}

/// The set of tickets an actor sees, in a form a query can filter on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Admins, agents granted all groups, and the system.
    All,
    /// Agents: tickets without a group (the triage queue: no ticket is lost from sight when
    /// a desk has no default group), their groups' tickets, tickets assigned to them, and
    /// tickets they requested.
    Agent { user_id: i64, group_ids: Vec<i64> },
    /// Requesters: their own tickets, and those shared with their organisation.
    Requester { user_id: i64, organization_id: Option<i64> },
}

impl Actor {
    pub fn ticket_visibility(&self) -> Visibility {
        match (self.role, self.user_id) {
            (_, None) | (Role::Admin, _) => Visibility::All,
            (Role::Agent, Some(_)) if self.sees_all_groups => Visibility::All,
            (Role::Agent, Some(user_id)) => Visibility::Agent { user_id, group_ids: self.group_ids.clone() },
            (Role::Requester, Some(user_id)) => {
                Visibility::Requester { user_id, organization_id: self.organization_id }
            }
        }
    }

    pub fn can_see_ticket(&self, t: &TicketAccess) -> bool {
        match self.ticket_visibility() {
            Visibility::All => true,
            Visibility::Agent { user_id, group_ids } => {
                t.group_id.is_none_or(|g| group_ids.contains(&g))
                    || t.assignee_id == Some(user_id)
                    || t.requester_id == user_id
            }
            Visibility::Requester { user_id, organization_id } => {
                t.kind.def().requester_facing
                    && (t.requester_id == user_id
                        || (t.shared_with_organization
                            && organization_id.is_some()
                            && t.organization_id == organization_id))
            }
        }
    }

    /// Working a ticket (changing fields, internal notes, transitions) is for agents who see
    /// it. Requesters reply, confirm and reopen through their own commands.
    pub fn can_work_ticket(&self, t: &TicketAccess) -> bool {
        self.role != Role::Requester && self.can_see_ticket(t)
    }

    /// Whether internal notes are visible at all to this actor.
    pub fn sees_internal_notes(&self) -> bool {
        self.role != Role::Requester
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, id: i64, org: Option<i64>, groups: Vec<i64>) -> Actor {
        Actor { user_id: Some(id), role, organization_id: org, group_ids: groups, sees_all_groups: false }
    }

    const T: TicketAccess = TicketAccess {
        kind: Kind::Incident,
        requester_id: 10,
        organization_id: Some(5),
        shared_with_organization: false,
        group_id: Some(1),
        assignee_id: None,
    };

    #[test]
    fn requesters_see_their_own_and_shared_organisation_tickets() {
        assert!(actor(Role::Requester, 10, Some(5), vec![]).can_see_ticket(&T));
        let colleague = actor(Role::Requester, 11, Some(5), vec![]);
        assert!(!colleague.can_see_ticket(&T));
        assert!(colleague.can_see_ticket(&TicketAccess { shared_with_organization: true, ..T }));
        assert!(!actor(Role::Requester, 12, Some(6), vec![])
            .can_see_ticket(&TicketAccess { shared_with_organization: true, ..T }));
        assert!(!actor(Role::Requester, 12, None, vec![]).can_see_ticket(&TicketAccess {
            shared_with_organization: true,
            organization_id: None,
            ..T
        }));
        assert!(!actor(Role::Requester, 10, Some(5), vec![]).can_work_ticket(&T));
        assert!(
            !actor(Role::Requester, 10, Some(5), vec![]).can_see_ticket(&TicketAccess { kind: Kind::Task, ..T }),
            "tasks are internal work"
        );
    }

    #[test]
    fn agents_see_their_groups_unless_granted_more() {
        assert!(actor(Role::Agent, 20, None, vec![1]).can_work_ticket(&T));
        let other = actor(Role::Agent, 21, None, vec![2]);
        assert!(!other.can_see_ticket(&T));
        assert!(other.can_see_ticket(&TicketAccess { assignee_id: Some(21), ..T }));
        assert!(Actor { sees_all_groups: true, ..other }.can_see_ticket(&T));
        assert!(actor(Role::Admin, 1, None, vec![]).can_work_ticket(&T));
    }

    #[test]
    fn every_agent_sees_and_works_tickets_without_a_group() {
        let ungrouped = TicketAccess { group_id: None, ..T };
        assert!(actor(Role::Agent, 21, None, vec![2]).can_work_ticket(&ungrouped));
        assert!(actor(Role::Agent, 22, None, vec![]).can_work_ticket(&ungrouped), "in no group at all");
        assert!(!actor(Role::Requester, 11, Some(5), vec![]).can_see_ticket(&ungrouped), "requesters: their own only");
    }
}
