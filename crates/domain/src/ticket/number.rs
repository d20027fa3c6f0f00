//! Ticket numbers: a kind prefix and a sequence, `INC-1042`.

use super::Kind;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketNumber {
    pub kind: Kind,
    pub seq: i64,
}

impl TicketNumber {
    /// `INC-1042` (case-insensitive prefix); `None` for anything else.
    pub fn parse(raw: &str) -> Option<TicketNumber> {
        let (prefix, seq) = raw.trim().split_once('-')?;
        let kind = Kind::from_prefix(prefix)?;
        if seq.is_empty() || seq.len() > 18 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seq: i64 = seq.parse().ok()?;
        (seq > 0).then_some(TicketNumber { kind, seq })
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_and_print() {
        let n = TicketNumber::parse("inc-1042").unwrap();
        assert_eq!(n, TicketNumber { kind: Kind::Incident, seq: 1042 });
        assert_eq!(n.to_string(), "INC-1042");
        assert_eq!(TicketNumber::parse("REQ-7").unwrap().kind, Kind::ServiceRequest);
        for bad in ["", "1042", "INC-", "INC-0", "INC-12a", "RLS-1", "INC--1", "INC-99999999999999999999"] {
            assert_eq!(TicketNumber::parse(bad), None, "{bad}");
        }
    }
}
