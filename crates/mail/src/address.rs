//! Email addresses as Opsdesk compares them: trimmed and lower-cased, with a minimal shape
//! check (one `@`, something either side, no spaces or control characters).

use serde::Serialize;

/// A sender or recipient: a normalised address and the display name it came with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

/// The comparable form of an address, or `None` when it is not one.
pub fn normalize(raw: &str) -> Option<String> {
    let a = raw.trim().trim_start_matches('<').trim_end_matches('>').trim().to_lowercase();
    let (local, domain) = a.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || a.len() > 254 || !domain.contains('.') && domain != "localhost" {
        return None;
    }
    if a.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')) {
        return None;
    }
    Some(a)
}

/// The domain part of a normalised address.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

/// Whether an address belongs to a mail system rather than a person (bounces and
/// notifications of mail servers come from these).
pub fn is_mail_system(address: &str) -> bool {
    let local = address.rsplit_once('@').map(|(l, _)| l).unwrap_or(address);
    let local = local.split('+').next().unwrap_or(local);
    matches!(
        local,
        "mailer-daemon"
            | "postmaster"
            | "mail-daemon"
            | "mailerdaemon"
            | "noreply"
            | "no-reply"
            | "do-not-reply"
            | "donotreply"
            | "bounce"
            | "bounces"
    ) || local.starts_with("bounce-")
        || local.starts_with("bounces-")
}

/// A display name fit for a header or a user's name: one line, no control characters, bounded.
pub fn clean_name(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.trim_matches(|c| c == '"' || c == '\'').trim().to_string();
    if s.is_empty() {
        None
    } else {
        Some(s.chars().take(120).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_or_refused() {
        assert_eq!(normalize(" <Kim@Example.TEST> ").as_deref(), Some("kim@example.test"));
        assert_eq!(normalize("kim@localhost").as_deref(), Some("kim@localhost"));
        for bad in ["", "kim", "@example.test", "kim@", "k im@example.test", "a,b@example.test", "kim@nodot"] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mail_systems_are_recognised() {
        assert!(is_mail_system("mailer-daemon@example.test"));
        assert!(is_mail_system("postmaster@example.test"));
        assert!(is_mail_system("bounces+123@lists.example.test"));
        assert!(!is_mail_system("kim@example.test"));
    }

    #[test]
    fn names_become_one_line() {
        assert_eq!(clean_name("\"Kim\r\nBcc: x\"").as_deref(), Some("Kim Bcc: x"));
        assert_eq!(clean_name("  "), None);
        assert_eq!(clean_name("a\u{202e}b").as_deref(), Some("ab"));
    }
}
