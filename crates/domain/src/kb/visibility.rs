//! Who may read which articles. Agents and admins read every article of every desk in every
//! state (they write and review them); requesters read only the live (published) version of
//! public articles, and an article they may not read answers like a missing one. One rule,
//! used for single articles here and translated into SQL by the store for search, suggestions
//! and lists, so that they cannot disagree.

use super::article::Visibility;
use crate::access::Actor;
use crate::identity::Role;

/// What an actor may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// Every article in every state, at its newest version.
    Everything,
    /// Only live versions that are public.
    PublishedPublic,
}

impl ReadAccess {
    pub fn of(actor: &Actor) -> ReadAccess {
        if actor.role == Role::Requester {
            ReadAccess::PublishedPublic
        } else {
            ReadAccess::Everything
        }
    }

    /// Whether a reader with this access may read a version that is (or is not) live and has
    /// `visibility`.
    pub fn may_read(self, live: bool, visibility: Visibility) -> bool {
        match self {
            ReadAccess::Everything => true,
            ReadAccess::PublishedPublic => live && visibility == Visibility::Public,
        }
    }
}

/// Whether an actor may write articles (create, save, move through the lifecycle).
pub fn may_write(actor: &Actor) -> bool {
    actor.role != Role::Requester
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { user_id: Some(1), role, organization_id: None, group_ids: vec![], sees_all_groups: false }
    }

    #[test]
    fn requesters_read_only_live_public_versions() {
        let r = ReadAccess::of(&actor(Role::Requester));
        assert!(r.may_read(true, Visibility::Public));
        assert!(!r.may_read(true, Visibility::Internal));
        assert!(!r.may_read(false, Visibility::Public), "drafts and retired articles are not live");
        assert!(!may_write(&actor(Role::Requester)));
    }

    #[test]
    fn agents_read_everything_and_write() {
        let a = ReadAccess::of(&actor(Role::Agent));
        assert!(a.may_read(false, Visibility::Internal));
        assert!(may_write(&actor(Role::Agent)) && may_write(&Actor::system()));
    }
}
