//! Collapsing what a reply repeats: the quoted history under "On ... wrote:" (Gmail, Apple
//! Mail), Outlook's "-----Original Message-----" or "From: / Sent:" block, a trailing run of
//! `>` lines, and the signature after "-- ". The timeline shows the new text; the collapsed
//! rest is kept beside it and the original message stays downloadable.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collapsed {
    /// What the sender wrote now.
    pub visible: String,
    /// Quoted history and signature, if any was found.
    pub collapsed: Option<String>,
}

/// Splits a plain-text body into the new text and the collapsed rest.
pub fn collapse(text: &str) -> Collapsed {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len()).find(|&i| starts_history(&lines, i));
    let cut = match cut {
        Some(c) => Some(c),
        None => trailing_quote_start(&lines),
    };
    let Some(mut cut) = cut else {
        return Collapsed { visible: text.trim_end().to_string(), collapsed: None };
    };
    // Outlook puts a rule of underscores above its header block; it belongs to the quote.
    let mut j = cut;
    while j > 0 && lines[j - 1].trim().is_empty() {
        j -= 1;
    }
    if j > 0 {
        let rule = lines[j - 1].trim();
        if rule.len() >= 5 && (rule.chars().all(|c| c == '_') || rule.chars().all(|c| c == '-')) {
            cut = j - 1;
        }
    }
    let visible = lines[..cut].join("\n").trim_end().to_string();
    if visible.trim().is_empty() {
        // Nothing new above the quote (a bare forward, or top-quoting clients): show it all.
        return Collapsed { visible: text.trim_end().to_string(), collapsed: None };
    }
    let rest = lines[cut..].join("\n");
    Collapsed { visible, collapsed: Some(rest) }
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let l = lines[i].trim();
    if l == "--" || lines[i] == "-- " {
        return true;
    }
    let lower = l.to_lowercase();
    if lower.starts_with("-----original message-----")
        || lower.starts_with("-------- original message --------")
        || lower == "sent from my iphone"
        || lower == "sent from my ipad"
        || lower.starts_with("sent from outlook for")
        || lower.starts_with("get outlook for")
    {
        return true;
    }
    // "On <date>, <name> wrote:" possibly wrapped over up to three lines; also de/fr.
    let attribution_start = lower.starts_with("on ") || lower.starts_with("am ") || lower.starts_with("le ");
    if attribution_start {
        let joined: String = lines[i..lines.len().min(i + 3)].join(" ").to_lowercase();
        if let Some(end) = ["wrote:", "schrieb:", "a écrit :", "a écrit:"].iter().filter_map(|w| joined.find(w)).min()
        {
            // The attribution must end within those lines and be followed by quoted text or
            // nothing, so that a sentence starting with "On" is not taken for one.
            return end < 400;
        }
    }
    // Outlook: a "From:" line followed closely by "Sent:" or "Date:" and "Subject:".
    if lower.starts_with("from:") {
        let next: Vec<String> = lines[i + 1..lines.len().min(i + 6)].iter().map(|s| s.trim().to_lowercase()).collect();
        let dated = next.iter().any(|n| n.starts_with("sent:") || n.starts_with("date:"));
        let subject = next.iter().any(|n| n.starts_with("subject:"));
        let forwarded =
            i > 0 && lines[..i].iter().rev().take(3).any(|p| p.to_lowercase().contains("forwarded message"));
        return dated && subject && !forwarded;
    }
    false
}

/// The first line of a final run of `>` lines (blank lines allowed inside), if the message
/// ends with one.
fn trailing_quote_start(lines: &[&str]) -> Option<usize> {
    let mut start = None;
    for i in (0..lines.len()).rev() {
        let l = lines[i].trim_start();
        if l.starts_with('>') {
            start = Some(i);
        } else if !l.is_empty() {
            break;
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_and_apple_attributions_collapse() {
        let c = collapse(
            "Thanks, it works now.\n\nOn Mon, 1 Dec 2026 at 10:00, Help Desk <help@desk.test> wrote:\n> Try again\n",
        );
        assert_eq!(c.visible, "Thanks, it works now.");
        assert!(c.collapsed.as_deref().is_some_and(|r| r.contains("> Try again")));
        let c = collapse("Yes.\n\nOn 1 Dec 2026, at 10:00, Help Desk\n<help@desk.test> wrote:\n\n> Try again");
        assert_eq!(c.visible, "Yes.");
    }

    #[test]
    fn outlook_blocks_collapse() {
        let c = collapse("Done.\r\n\r\n-----Original Message-----\r\nFrom: Help\r\nSent: Monday\r\nSubject: x\r\n");
        assert_eq!(c.visible, "Done.");
        let c = collapse("Done.\n\n________________________________\nFrom: Help Desk <help@desk.test>\nSent: Monday, 1 December 2026 10:00\nTo: Kim\nSubject: RE: [INC-1] x\n\nold");
        assert_eq!(c.visible, "Done.", "{c:?}");
        assert!(!c.visible.contains("old"));
    }

    #[test]
    fn signatures_and_trailing_quotes_collapse() {
        let c = collapse("See attached.\n-- \nKim Lee\nACME");
        assert_eq!(c.visible, "See attached.");
        assert_eq!(c.collapsed.as_deref(), Some("-- \nKim Lee\nACME"));
        let c = collapse("fine\n\n> earlier\n>\n> more\n");
        assert_eq!(c.visible, "fine");
    }

    #[test]
    fn inline_replies_forwards_and_plain_text_stay_visible() {
        let inline = "> question one\nanswer one\n> question two\nanswer two";
        assert_eq!(collapse(inline).visible, inline);
        let fwd = "FYI\n\n---------- Forwarded message ---------\nFrom: Vendor <v@vendor.test>\nDate: Mon\nSubject: outage\n\nbody";
        assert_eq!(collapse(fwd).visible, fwd);
        assert_eq!(collapse("On call tonight is Kim.").collapsed, None);
        let only_quote = "> all quoted";
        assert_eq!(collapse(only_quote).visible, only_quote);
    }
}
