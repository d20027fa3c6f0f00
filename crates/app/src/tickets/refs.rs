//! References to other records in ticket input: an id, or a name (group, desk, organisation,
//! category path) or email (user).

use crate::error::found;
use crate::{App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{FieldError, Role};
use opsdesk_store::users::User;
use serde::Deserialize;

/// A reference by id, or by name: a user by email; a group, desk or organisation by name; a
/// category by name or `Parent/Child` path; a ticket by number (`INC-1042`).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Ref {
    Id(i64),
    Name(String),
}

fn unknown(field: &str, what: &str) -> AppError {
    FieldError::new(field, "unknown", format!("no such {what}")).into()
}

/// The outcome of resolving one reference of some input: its field errors join the others in
/// `c` (`Ok(None)`); any other failure ends the command (`Err`).
pub(crate) fn checked<T>(c: &mut Checks, r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::Invalid(inv)) => {
            inv.0.into_iter().for_each(|e| c.push(e));
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

impl App {
    pub(crate) async fn resolve_group(&self, r: &Ref, field: &str) -> Result<i64> {
        match r {
            Ref::Id(id) => found(self.db.group(*id).await)?.map(|g| g.id).ok_or_else(|| unknown(field, "group")),
            Ref::Name(n) => self.db.group_by_name(n.trim()).await?.map(|g| g.id).ok_or_else(|| unknown(field, "group")),
        }
    }

    /// A service desk by id or name.
    pub(crate) async fn resolve_desk(&self, r: &Ref, field: &str) -> Result<i64> {
        let found = match r {
            Ref::Id(id) => found(self.db.desk(*id).await)?.map(|d| d.id),
            Ref::Name(n) => {
                self.db.desks().await?.into_iter().find(|d| d.name.eq_ignore_ascii_case(n.trim())).map(|d| d.id)
            }
        };
        found.ok_or_else(|| unknown(field, "service desk"))
    }

    pub(crate) async fn resolve_user(&self, r: &Ref, field: &str) -> Result<User> {
        let found = match r {
            Ref::Id(id) => found(self.db.user(*id).await)?,
            Ref::Name(email) => self.db.user_by_email(&email.trim().to_lowercase()).await?,
        };
        found.filter(|u| u.active).ok_or_else(|| unknown(field, "active user"))
    }

    pub(crate) async fn resolve_agent(&self, r: &Ref, field: &str) -> Result<User> {
        let u = self.resolve_user(r, field).await?;
        if u.role == Role::Requester {
            return Err(FieldError::new(field, "not_an_agent", "tickets are assigned to agents").into());
        }
        Ok(u)
    }

    /// A category of `desk_id` by id, by name, or by path `Parent/Child`.
    pub(crate) async fn resolve_category(&self, r: &Ref, desk_id: i64) -> Result<i64> {
        let cats = self.db.categories(Some(desk_id)).await?;
        let found = match r {
            Ref::Id(id) => cats.iter().find(|c| c.id == *id).map(|c| c.id),
            Ref::Name(path) => {
                let mut parent: Option<i64> = None;
                let mut hit = None;
                for part in path.split('/').map(str::trim) {
                    hit =
                        cats.iter().find(|c| c.parent_id == parent && c.name.eq_ignore_ascii_case(part)).map(|c| c.id);
                    parent = hit;
                    if hit.is_none() {
                        break;
                    }
                }
                hit.or_else(|| {
                    // A bare subcategory name is fine when it is unambiguous.
                    let named: Vec<_> = cats.iter().filter(|c| c.name.eq_ignore_ascii_case(path.trim())).collect();
                    (named.len() == 1).then(|| named[0].id)
                })
            }
        };
        found.ok_or_else(|| unknown("category", "category in this desk"))
    }

    /// Checks that `assignee` may be assigned within `group`.
    pub(crate) async fn check_assignment(&self, group_id: Option<i64>, assignee_id: i64) -> Result<()> {
        if let Some(g) = group_id {
            if !self.db.group_ids_of(assignee_id).await?.contains(&g) {
                return Err(FieldError::new(
                    "assignee",
                    "not_in_group",
                    "the assignee is not a member of the ticket's group",
                )
                .into());
            }
        }
        Ok(())
    }
}
