//! Search input and output that do not depend on the database: the words of a query, the
//! correction of a mistyped word against the words the index knows, and snippets with their
//! highlighted terms as parts (so that highlighting never means writing HTML).

use serde::Serialize;

/// A query uses at most this many words; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 12;
const MAX_WORD_CHARS: usize = 60;

/// The words of a query: runs of letters and digits, lower-cased. Everything else (quotes,
/// operators, SQL or FTS syntax) only separates words, so no input is read as query syntax.
pub fn query_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect::<String>().to_lowercase())
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// How many edits a word of `chars` characters may be away from its correction: none for
/// words under four characters (too many short words are one edit apart), one up to seven,
/// two from eight.
pub fn edit_limit(chars: usize) -> usize {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The known word closest to `word` within its edit limit (optimal string alignment distance,
/// so a swap of two neighbouring letters is one edit), preferring the fewest edits, then the
/// word found in most articles. `None` when `word` is itself known or nothing is close.
pub fn correct_word<'a>(word: &str, known: impl IntoIterator<Item = (&'a str, i64)>) -> Option<String> {
    let limit = edit_limit(word.chars().count());
    if limit == 0 {
        return None;
    }
    let mut best: Option<(usize, i64, &str)> = None;
    for (term, docs) in known {
        if term == word {
            return None;
        }
        let d = strsim::osa_distance(word, term);
        if d == 0 || d > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((bd, bdocs, bterm)) => (d, -docs, term) < (bd, -bdocs, bterm),
        };
        if better {
            best = Some((d, docs, term));
        }
    }
    best.map(|(_, _, t)| t.to_string())
}

/// Marks the store puts around matched terms in snippets (control characters that article
/// text does not use).
pub const HIT_START: char = '\u{2}';
pub const HIT_END: char = '\u{3}';

/// A piece of a snippet: plain text, or a matched term to highlight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// An excerpt of an article around the terms of a query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Snippet(pub Vec<SnippetPart>);

impl Snippet {
    /// Splits text marked with [`HIT_START`] / [`HIT_END`] into parts.
    pub fn from_marked(marked: &str) -> Snippet {
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut hit = false;
        for c in marked.chars() {
            if c == HIT_START || c == HIT_END {
                if !cur.is_empty() {
                    parts.push(SnippetPart { text: std::mem::take(&mut cur), hit });
                }
                hit = c == HIT_START;
            } else if c == '\n' || c == '\r' {
                cur.push(' ');
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            parts.push(SnippetPart { text: cur, hit });
        }
        Snippet(parts)
    }

    /// The snippet as plain text.
    pub fn text(&self) -> String {
        self.0.iter().map(|p| p.text.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_only_separates_words() {
        assert_eq!(query_words("VPN \"drops\" OR x' ; DROP TABLE--"), ["vpn", "drops", "or", "x", "drop", "table"]);
        assert_eq!(query_words("Wi-Fi 5GHz"), ["wi", "fi", "5ghz"]);
        assert!(query_words(" *:-() ").is_empty());
        assert_eq!(query_words(&"a ".repeat(40)).len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn a_typo_is_corrected_to_the_nearest_known_word() {
        let known = [("password", 40), ("passport", 3), ("printer", 12), ("print", 30), ("vpn", 9)];
        assert_eq!(correct_word("pasword", known).as_deref(), Some("password"));
        assert_eq!(correct_word("passwrod", known).as_deref(), Some("password"), "a swap is one edit");
        assert_eq!(correct_word("prnter", known).as_deref(), Some("printer"));
        assert_eq!(correct_word("password", known), None, "a known word is left alone");
        assert_eq!(correct_word("vpm", known), None, "short words are not corrected");
        assert_eq!(correct_word("xylophone", known), None, "nothing close");
    }

    #[test]
    fn ties_go_to_the_word_in_more_articles() {
        let known = [("mail", 5), ("nail", 50)];
        assert_eq!(correct_word("hail", known).as_deref(), Some("nail"));
    }

    #[test]
    fn snippets_split_into_highlighted_parts() {
        let s = Snippet::from_marked("…reconnect the \u{2}VPN\u{3} client\nafter \u{2}sleep\u{3}");
        let parts: Vec<_> = s.0.iter().map(|p| (p.text.as_str(), p.hit)).collect();
        assert_eq!(parts, [("…reconnect the ", false), ("VPN", true), (" client after ", false), ("sleep", true)]);
        assert_eq!(s.text(), "…reconnect the VPN client after sleep");
    }
}
