//! Who is asking, and what they may do. Permissions are domain rules: every application command
//! asks the actor before it touches anything, whatever edge the request came through.

use crate::identity::Role;
use serde::Serialize;

/// Something an actor may be allowed to do. Ticket-level rules (own tickets, organisation
/// tickets, group tickets) are added by the ticket model; these are the platform's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Manage users, roles, organisations, groups and memberships.
    ManageIdentities,
    /// Read the security audit log.
    ReadAuditLog,
    /// See and retry background jobs, including dead ones.
    OperateJobs,
    /// Issue and revoke API tokens for any user (everyone may manage their own).
    ManageAnyToken,
}

/// The authenticated party behind a command: a person with a role and group memberships, or the
/// system itself (the CLI run by an operator on the server, the worker, demo seeding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `None` for the system actor.
    pub user_id: Option<i64>,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub group_ids: Vec<i64>,
    /// Granted by an admin: an agent who sees every group's tickets.
    pub sees_all_groups: bool,
}

impl Actor {
    /// The operator at the server's console; trusted like an admin but attributed to nobody.
    pub fn system() -> Self {
        Actor { user_id: None, role: Role::Admin, organization_id: None, group_ids: vec![], sees_all_groups: true }
    }

    pub fn is_system(&self) -> bool {
        self.user_id.is_none()
    }

    pub fn can(&self, p: Permission) -> bool {
        match p {
            Permission::ManageIdentities
            | Permission::ReadAuditLog
            | Permission::OperateJobs
            | Permission::ManageAnyToken => self.role == Role::Admin,
        }
    }

    /// Whether this actor may act on behalf of `user_id` for self-service things (own tokens,
    /// own profile).
    pub fn is_self_or_admin(&self, user_id: i64) -> bool {
        self.user_id == Some(user_id) || self.role == Role::Admin
    }

    /// Agents work tickets of their groups; admins and agents granted all groups see every group.
    pub fn works_in_group(&self, group_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Agent => self.sees_all_groups || self.group_ids.contains(&group_id),
            Role::Requester => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, groups: Vec<i64>) -> Actor {
        Actor { user_id: Some(7), role, organization_id: None, group_ids: groups, sees_all_groups: false }
    }

    #[test]
    fn only_admins_manage_identities() {
        assert!(person(Role::Admin, vec![]).can(Permission::ManageIdentities));
        assert!(!person(Role::Agent, vec![1]).can(Permission::ManageIdentities));
        assert!(!person(Role::Requester, vec![]).can(Permission::ReadAuditLog));
        assert!(Actor::system().can(Permission::OperateJobs));
    }

    #[test]
    fn agents_are_scoped_to_their_groups() {
        let a = person(Role::Agent, vec![1, 2]);
        assert!(a.works_in_group(2));
        assert!(!a.works_in_group(3));
        let granted = Actor { sees_all_groups: true, ..a };
        assert!(granted.works_in_group(3));
        assert!(!person(Role::Requester, vec![3]).works_in_group(3));
    }

    #[test]
    fn self_service_is_limited_to_oneself() {
        let r = person(Role::Requester, vec![]);
        assert!(r.is_self_or_admin(7));
        assert!(!r.is_self_or_admin(8));
        assert!(person(Role::Admin, vec![]).is_self_or_admin(8));
    }
}
