//! Change management's rules: the three types of change, how risky a change is, and when
//! its window conflicts with other work (another change on the same or a dependent CI, a
//! blackout, a CI's maintenance window), with the next window that would be free.
//!
//! The change's lifecycle and guards are declared with the other kinds, in
//! [`crate::ticket::kinds::change`]; this module is what those guards and the calendar
//! compute with.

pub mod conflict;
pub mod marks;
pub mod review;
pub mod risk;
pub mod schedule;

#[cfg(test)]
mod tests;

pub use conflict::{
    Blackout, BlackoutScope, Conflict, ConflictDepth, ConflictKind, ConflictScan, Neighbour, OtherChange,
};
pub use marks::{calendar_marks, Booked};
pub use risk::{AnswerOption, HistoryFacts, ImpactFacts, Question, Questionnaire, Risk, RiskFactor};
pub use schedule::{next_free_window, Window};

use crate::validation::FieldError;
use serde::Serialize;

/// The type of a change, which decides its path to implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    /// Pre-approved, from a template: no CAB, still scheduled and recorded.
    Standard,
    /// Assessed and approved by the change advisory board.
    Normal,
    /// Urgent: the emergency CAB may approve after implementation; always reviewed.
    Emergency,
}

impl ChangeType {
    pub const ALL: [ChangeType; 3] = [ChangeType::Standard, ChangeType::Normal, ChangeType::Emergency];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Standard => "standard",
            ChangeType::Normal => "normal",
            ChangeType::Emergency => "emergency",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChangeType::Standard => "Standard",
            ChangeType::Normal => "Normal",
            ChangeType::Emergency => "Emergency",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<ChangeType, FieldError> {
        let norm = raw.trim().to_ascii_lowercase();
        ChangeType::ALL.into_iter().find(|t| t.as_str() == norm).ok_or_else(|| {
            FieldError::new(field, "invalid_change_type", "the change type is one of standard, normal, emergency")
        })
    }
}

/// How risky a change is, from its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskClass {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl RiskClass {
    pub const ALL: [RiskClass; 4] = [RiskClass::Low, RiskClass::Medium, RiskClass::High, RiskClass::VeryHigh];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskClass::Low => "low",
            RiskClass::Medium => "medium",
            RiskClass::High => "high",
            RiskClass::VeryHigh => "very_high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskClass::Low => "Low",
            RiskClass::Medium => "Medium",
            RiskClass::High => "High",
            RiskClass::VeryHigh => "Very high",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<RiskClass, FieldError> {
        let norm = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        RiskClass::ALL.into_iter().find(|c| c.as_str() == norm).ok_or_else(|| {
            FieldError::new(field, "invalid_risk_class", "the risk class is one of low, medium, high, very_high")
        })
    }

    /// The class of a score from 0 to 100: under 25 low, under 50 medium, under 75 high.
    pub fn of_score(score: u32) -> RiskClass {
        match score {
            0..=24 => RiskClass::Low,
            25..=49 => RiskClass::Medium,
            50..=74 => RiskClass::High,
            _ => RiskClass::VeryHigh,
        }
    }

    /// Whether a change of this class needs a backout plan and a test plan before it is
    /// submitted.
    pub fn needs_plans(self) -> bool {
        self >= RiskClass::High
    }
}

/// What the change's guards judge besides its detail record and approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeFacts {
    pub change_type: ChangeType,
    pub risk_class: RiskClass,
    /// Both planned start and planned end are set.
    pub scheduled: bool,
    /// The conflicts the window has now, unless they were overridden with a reason
    /// (one line each).
    pub open_conflicts: Vec<String>,
    /// The numbers of the incidents linked as caused by this change.
    pub caused_incidents: Vec<String>,
}
