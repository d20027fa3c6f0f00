//! What a ticket is. Each kind is declared once, as data, in its own module under
//! [`super::kinds`]; the lifecycle engine, the API, the UI's buttons, the query language and
//! the OpenAPI document read the declarations. Adding a kind is a module and one line in
//! [`Kind::def`].

use super::detail::DetailSpec;
use super::guard::{check_all, GuardFacts, GuardRule};
use super::kinds;
use super::{HoldReason, Status, StatusCategory, TransitionError};
use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Incident,
    ServiceRequest,
    Problem,
    Task,
    Change,
}

/// The declaration of a kind.
#[derive(Debug)]
pub struct KindDef {
    pub name: &'static str,
    /// Other names the kind is known by in input (`request`).
    pub aliases: &'static [&'static str],
    pub label: &'static str,
    /// The prefix of its numbers (`INC` in `INC-1042`).
    pub prefix: &'static str,
    pub initial: Status,
    /// Every status with its category, in lifecycle order.
    pub statuses: &'static [(Status, StatusCategory)],
    /// Where a ticket may go from each status; a status not listed is final.
    pub transitions: &'static [(Status, &'static [Status])],
    /// The status that means "answered": stamps the resolution, stops the resolution clock,
    /// is what auto-close closes (when its category is resolved).
    pub resolved: Status,
    /// Where a requester's reply or "not fixed" sends a resolved ticket back to.
    pub reopen: Option<Status>,
    /// The status that needs a hold reason, and the reasons this kind accepts.
    pub hold: Option<(Status, &'static [HoldReason])>,
    /// Setting an assignee on a ticket in the first status moves it to the second, clearing
    /// it moves it back (an incident's new and assigned).
    pub assignment: Option<(Status, Status)>,
    pub guards: &'static [GuardRule],
    pub detail: DetailSpec,
    /// Detail flags set on entering a status (a problem entering known_error is a known error
    /// from then on, even once resolved).
    pub flags_on_enter: &'static [(Status, &'static str)],
    /// Entering this status starts the desk's or category's approval template.
    pub approval_status: Option<Status>,
    /// Where a ticket waiting in `approval_status` goes when its approval is granted, and
    /// when it is rejected.
    pub approval_outcome: Option<(Status, Status)>,
    /// Whether requesters see tickets of this kind and hear about them (tasks are internal).
    pub requester_facing: bool,
    /// Whether the kind lives only under a parent ticket (tasks), created through the parent.
    pub child: bool,
}

impl KindDef {
    pub fn category_of(&self, s: Status) -> Option<StatusCategory> {
        self.statuses.iter().find(|(x, _)| *x == s).map(|(_, c)| *c)
    }

    pub fn has_status(&self, s: Status) -> bool {
        self.category_of(s).is_some()
    }
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Incident, Kind::ServiceRequest, Kind::Problem, Kind::Task, Kind::Change];

    /// The one registration of every kind.
    pub fn def(self) -> &'static KindDef {
        match self {
            Kind::Incident => &kinds::incident::DEF,
            Kind::ServiceRequest => &kinds::service_request::DEF,
            Kind::Problem => &kinds::problem::DEF,
            Kind::Task => &kinds::task::DEF,
            Kind::Change => &kinds::change::DEF,
        }
    }

    pub fn parse(raw: &str) -> Result<Kind, FieldError> {
        let norm = raw.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL.into_iter().find(|k| k.def().name == norm || k.def().aliases.contains(&norm.as_str())).ok_or_else(
            || {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                FieldError::new("kind", "invalid_kind", format!("kind is one of {}", names.join(", ")))
            },
        )
    }

    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    /// The prefix of ticket numbers of this kind.
    pub fn prefix(self) -> &'static str {
        self.def().prefix
    }

    pub fn from_prefix(p: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.prefix().eq_ignore_ascii_case(p))
    }

    pub fn initial_status(self) -> Status {
        self.def().initial
    }

    /// Every status a ticket of this kind can be in, in lifecycle order.
    pub fn statuses(self) -> impl Iterator<Item = Status> {
        self.def().statuses.iter().map(|(s, _)| *s)
    }

    pub fn has_status(self, s: Status) -> bool {
        self.def().has_status(s)
    }

    /// Where a ticket of this kind may go from `from`.
    pub fn allowed_from(self, from: Status) -> &'static [Status] {
        self.def().transitions.iter().find(|(s, _)| *s == from).map_or(&[], |(_, to)| to)
    }

    pub fn can_move(self, from: Status, to: Status) -> bool {
        self.allowed_from(from).contains(&to)
    }

    /// Checks that a move is in the lifecycle, with a hold reason where one is needed.
    pub fn check_transition(
        self,
        from: Status,
        to: Status,
        hold_reason: Option<HoldReason>,
    ) -> Result<(), TransitionError> {
        if !self.has_status(to) {
            return Err(TransitionError::UnknownStatus { kind: self, allowed: self.allowed_from(from).to_vec() });
        }
        if !self.can_move(from, to) {
            return Err(TransitionError::NotAllowed { from, to, allowed: self.allowed_from(from).to_vec() });
        }
        if let Some((hold, reasons)) = self.def().hold {
            if to == hold {
                match hold_reason {
                    None => return Err(TransitionError::ReasonRequired),
                    Some(r) if !reasons.contains(&r) => {
                        return Err(TransitionError::ReasonNotAllowed { kind: self, reason: r.as_str() })
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// The guards of a move to `to`, which the caller gathers facts for.
    pub fn guards_for(self, to: Status) -> impl Iterator<Item = &'static GuardRule> {
        self.def().guards.iter().filter(move |g| g.to.contains(&to))
    }

    /// Judges the guards of a move on the gathered facts.
    pub fn check_guards(self, facts: &GuardFacts) -> Result<(), TransitionError> {
        let failed = check_all(self.def().guards, facts);
        if failed.is_empty() {
            Ok(())
        } else {
            Err(TransitionError::GuardsFailed(failed))
        }
    }

    /// The resolved status of this kind (what auto-close closes, what a requester confirms).
    pub fn resolved_status(self) -> Status {
        self.def().resolved
    }

    /// Where a resolved ticket goes back to when it is reopened (a requester's reply).
    pub fn reopen_status(self) -> Option<Status> {
        self.def().reopen
    }

    pub fn category(self, s: Status) -> StatusCategory {
        self.def().category_of(s).unwrap_or_else(|| s.category())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Kind {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Kind::parse(&s)
    }
}
