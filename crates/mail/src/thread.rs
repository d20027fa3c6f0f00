//! Where an inbound message belongs. The pipeline gathers the facts (which ticket its
//! references point at, whether the sender takes part in it, the desk's policy); this pure
//! function decides.

use serde::Serialize;

/// What to do with a reply from someone who is not a participant of the ticket it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrangerPolicy {
    /// Keep it for an agent to release into the ticket or discard.
    Hold,
    /// Open a new ticket with the stranger as requester.
    NewTicket,
}

impl StrangerPolicy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hold" => Some(StrangerPolicy::Hold),
            "new_ticket" => Some(StrangerPolicy::NewTicket),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StrangerPolicy::Hold => "hold",
            StrangerPolicy::NewTicket => "new_ticket",
        }
    }
}

/// Why a message is held rather than posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// The sender is not a participant of the ticket the message answers.
    NotParticipant,
    /// The sender sent more messages than the per-sender limit allows.
    RateLimited,
    /// The message has no usable sender address.
    NoSender,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::NotParticipant => "not_participant",
            HoldReason::RateLimited => "rate_limited",
            HoldReason::NoSender => "no_sender",
        }
    }
}

/// What the pipeline knows about a message when it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadFacts {
    /// Our own mail coming back.
    pub ours: bool,
    /// A delivery status notification; the ticket of the mail it bounces, if known.
    pub bounce: Option<Option<i64>>,
    /// The ticket the message answers: found through In-Reply-To/References to a message we
    /// sent or stored, or else through a ticket number in the subject.
    pub ticket: Option<i64>,
    /// Whether the sender takes part in that ticket (requester, watcher, assignee, an agent
    /// who may work it).
    pub sender_participates: bool,
    pub has_sender: bool,
    pub rate_limited: bool,
    pub strangers: StrangerPolicy,
}

/// Where the message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    NewTicket,
    Comment { ticket_id: i64 },
    Hold { ticket_id: Option<i64>, reason: HoldReason },
    Bounce { ticket_id: Option<i64> },
    Drop,
}

/// Decides where a message goes. Order matters: our own mail is dropped before anything
/// else looks at it; bounces are recorded and never open tickets; a sender over the limit is
/// held whatever they wrote; a reply posts only for a participant.
pub fn decide(f: &ThreadFacts) -> Decision {
    if f.ours {
        return Decision::Drop;
    }
    if let Some(ticket_id) = f.bounce {
        return Decision::Bounce { ticket_id };
    }
    if !f.has_sender {
        return Decision::Hold { ticket_id: f.ticket, reason: HoldReason::NoSender };
    }
    if f.rate_limited {
        return Decision::Hold { ticket_id: f.ticket, reason: HoldReason::RateLimited };
    }
    match f.ticket {
        Some(ticket_id) if f.sender_participates => Decision::Comment { ticket_id },
        Some(ticket_id) => match f.strangers {
            StrangerPolicy::Hold => Decision::Hold { ticket_id: Some(ticket_id), reason: HoldReason::NotParticipant },
            StrangerPolicy::NewTicket => Decision::NewTicket,
        },
        None => Decision::NewTicket,
    }
}

/// A ticket number (`INC-1042`, `REQ-7`, `PRB-3`) in a subject, usually in brackets.
pub fn number_in_subject(subject: &str) -> Option<String> {
    let bytes = subject.as_bytes();
    for prefix in ["INC-", "REQ-", "PRB-", "CHG-"] {
        let mut from = 0;
        while let Some(pos) = subject[from..].find(prefix) {
            let start = from + pos;
            let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let digits: String =
                subject[start + prefix.len()..].chars().take_while(char::is_ascii_digit).take(18).collect();
            let after = start + prefix.len() + digits.len();
            let after_ok = after >= bytes.len() || !bytes[after].is_ascii_alphanumeric();
            if before_ok && after_ok && !digits.is_empty() {
                return Some(format!("{prefix}{digits}"));
            }
            from = start + prefix.len();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ThreadFacts {
        ThreadFacts {
            ours: false,
            bounce: None,
            ticket: None,
            sender_participates: false,
            has_sender: true,
            rate_limited: false,
            strangers: StrangerPolicy::Hold,
        }
    }

    #[test]
    fn new_mail_opens_a_ticket_and_a_participant_reply_comments() {
        assert_eq!(decide(&facts()), Decision::NewTicket);
        let f = ThreadFacts { ticket: Some(7), sender_participates: true, ..facts() };
        assert_eq!(decide(&f), Decision::Comment { ticket_id: 7 });
    }

    #[test]
    fn a_stranger_is_held_or_starts_a_new_ticket_as_configured() {
        let f = ThreadFacts { ticket: Some(7), ..facts() };
        assert_eq!(decide(&f), Decision::Hold { ticket_id: Some(7), reason: HoldReason::NotParticipant });
        let f = ThreadFacts { strangers: StrangerPolicy::NewTicket, ..f };
        assert_eq!(decide(&f), Decision::NewTicket);
    }

    #[test]
    fn own_mail_bounces_limits_and_missing_senders_come_first() {
        let base = ThreadFacts { ticket: Some(7), sender_participates: true, ..facts() };
        assert_eq!(decide(&ThreadFacts { ours: true, bounce: Some(Some(7)), ..base.clone() }), Decision::Drop);
        assert_eq!(decide(&ThreadFacts { bounce: Some(None), ..base.clone() }), Decision::Bounce { ticket_id: None });
        assert_eq!(
            decide(&ThreadFacts { rate_limited: true, ..base.clone() }),
            Decision::Hold { ticket_id: Some(7), reason: HoldReason::RateLimited }
        );
        assert_eq!(
            decide(&ThreadFacts { has_sender: false, ..base }),
            Decision::Hold { ticket_id: Some(7), reason: HoldReason::NoSender }
        );
    }

    #[test]
    fn ticket_numbers_are_found_in_subjects() {
        assert_eq!(number_in_subject("Re: [INC-1042] VPN drops").as_deref(), Some("INC-1042"));
        assert_eq!(number_in_subject("AW: REQ-7 laptop").as_deref(), Some("REQ-7"));
        assert_eq!(number_in_subject("XINC-12 and INC-"), None);
        assert_eq!(number_in_subject("INC-12a"), None);
        assert_eq!(number_in_subject("see INC-12a then PRB-3.").as_deref(), Some("PRB-3"));
        assert_eq!(number_in_subject("no number"), None);
    }
}
