//! Priority from impact and urgency through a configurable matrix (ITIL's usual 3 x 3 by
//! default).

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Impact or urgency: 1 high, 2 medium, 3 low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Level(u8);

impl Level {
    pub const HIGH: Level = Level(1);
    pub const MEDIUM: Level = Level(2);
    pub const LOW: Level = Level(3);

    pub fn parse(v: i64, field: &str) -> Result<Level, FieldError> {
        match v {
            1..=3 => Ok(Level(v as u8)),
            _ => Err(FieldError::new(field, "out_of_range", format!("{field} is 1 (high), 2 (medium) or 3 (low)"))),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// P1 (most urgent) to P5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    pub fn new(n: u8) -> Option<Priority> {
        (1..=5).contains(&n).then_some(Priority(n))
    }

    /// `P1`..`P5`, case-insensitive.
    pub fn parse(raw: &str) -> Result<Priority, FieldError> {
        let s = raw.trim();
        s.strip_prefix(['P', 'p'])
            .and_then(|d| d.parse::<u8>().ok())
            .and_then(Priority::new)
            .ok_or_else(|| FieldError::new("priority", "invalid_priority", "priority is one of P1, P2, P3, P4, P5"))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.0)
    }
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Priority::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// `cells[impact - 1][urgency - 1]` is the priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    pub cells: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        let p = |n| Priority(n);
        PriorityMatrix { cells: [[p(1), p(2), p(3)], [p(2), p(3), p(4)], [p(3), p(4), p(5)]] }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        self.cells[(impact.0 - 1) as usize][(urgency.0 - 1) as usize]
    }

    /// A matrix must not rank a more severe cell below a less severe one: raising impact or
    /// urgency never lowers priority.
    pub fn validate(&self) -> Result<(), FieldError> {
        for i in 0..3 {
            for u in 0..3 {
                let here = self.cells[i][u];
                let worse_ok = (i == 0 || self.cells[i - 1][u] <= here) && (u == 0 || self.cells[i][u - 1] <= here);
                if !worse_ok {
                    return Err(FieldError::new(
                        format!("cells.{i}.{u}"),
                        "not_monotonic",
                        "higher impact or urgency must never give a lower priority",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_is_itil() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(Level::HIGH, Level::HIGH).to_string(), "P1");
        assert_eq!(m.priority(Level::HIGH, Level::LOW).to_string(), "P3");
        assert_eq!(m.priority(Level::MEDIUM, Level::MEDIUM).to_string(), "P3");
        assert_eq!(m.priority(Level::LOW, Level::LOW).to_string(), "P5");
        assert!(m.validate().is_ok());
    }

    #[test]
    fn levels_and_priorities_are_bounded() {
        assert!(Level::parse(7, "impact").is_err());
        assert!(Level::parse(0, "urgency").is_err());
        assert_eq!(Priority::parse("p2").unwrap().get(), 2);
        assert!(Priority::parse("P6").is_err());
        assert!(Priority::parse("2").is_err());
    }

    #[test]
    fn inverted_matrices_are_refused() {
        let mut m = PriorityMatrix::default();
        m.cells[0][0] = Priority(5);
        assert_eq!(m.validate().unwrap_err().code, "not_monotonic");
        let json = serde_json::to_string(&PriorityMatrix::default()).unwrap();
        assert_eq!(json, r#"{"cells":[["P1","P2","P3"],["P2","P3","P4"],["P3","P4","P5"]]}"#);
    }
}
