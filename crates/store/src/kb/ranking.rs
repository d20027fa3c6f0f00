//! From a search's words to a tantivy query, and from a found version's text to a snippet.
//! Ranking is BM25 per field, weighted (title 10, summary and tags 4, body 1), summed over the
//! query's words.

use super::index::{analyzer, terms_of, Fields};
use super::search::{KbSearch, Matching};
use opsdesk_domain::kb::{HIT_END, HIT_START};
use std::collections::BTreeMap;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, Term};

/// A word still being typed stands for at most this many indexed words that begin with it
/// (the most frequent ones).
const MAX_PREFIX_TERMS: usize = 24;
/// The length of a snippet, in bytes of text.
const SNIPPET_CHARS: usize = 160;

/// The query for the words of a search and the indexed terms it looks for (for snippets), or
/// `None` when it cannot match anything.
pub(super) fn text_query(searcher: &Searcher, f: &Fields, s: &KbSearch<'_>) -> Option<(Box<dyn Query>, Vec<String>)> {
    let mut analyzer = analyzer();
    let last = s.words.len().saturating_sub(1);
    let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut all_terms = Vec::new();
    for (i, w) in s.words.iter().enumerate() {
        let mut terms = terms_of(&mut analyzer, w);
        if s.matching == Matching::Any && i == last && w.chars().count() >= 3 {
            // The last word may be half typed: it also stands for the words it begins.
            if let Some(stem) = terms.first().cloned() {
                terms.extend(words_beginning(searcher, f, &stem));
                terms.sort();
                terms.dedup();
            }
        }
        if terms.is_empty() {
            match s.matching {
                Matching::All => return None,
                Matching::Any => continue,
            }
        }
        let occur = match s.matching {
            Matching::All => Occur::Must,
            Matching::Any => Occur::Should,
        };
        words.push((occur, word_query(f, &terms)));
        all_terms.extend(terms);
    }
    if words.is_empty() {
        return None;
    }
    Some((Box::new(BooleanQuery::new(words)), all_terms))
}

/// Any of `terms` in any text field, weighted by field.
fn word_query(f: &Fields, terms: &[String]) -> Box<dyn Query> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for t in terms {
        for (field, weight) in f.weighted() {
            let q = TermQuery::new(Term::from_field_text(field, t), IndexRecordOption::WithFreqs);
            any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), weight))));
        }
    }
    Box::new(BooleanQuery::new(any))
}

/// The indexed words that begin with `prefix`, most frequent first.
fn words_beginning(searcher: &Searcher, f: &Fields, prefix: &str) -> Vec<String> {
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        for (field, _) in f.weighted() {
            let Ok(inverted) = segment.inverted_index(field) else { continue };
            let Ok(mut stream) = inverted.terms().range().ge(prefix.as_bytes()).into_stream() else { continue };
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else { continue };
                if !term.starts_with(prefix) {
                    break;
                }
                *found.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    let mut by_freq: Vec<(String, u64)> = found.into_iter().collect();
    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_freq.into_iter().take(MAX_PREFIX_TERMS).map(|(t, _)| t).collect()
}

/// Cuts snippets out of body texts around the searched terms.
pub(super) fn snippets(terms: &[String], body: tantivy::schema::Field) -> SnippetGenerator {
    let scored: BTreeMap<String, f32> = terms.iter().map(|t| (t.clone(), 1.0)).collect();
    SnippetGenerator::new(scored, analyzer(), body, SNIPPET_CHARS)
}

/// The best passage of `text` with its matched words between `HIT_START` and `HIT_END`, or
/// the beginning of the text when no word of the query is in it.
pub(super) fn marked_snippet(generator: &SnippetGenerator, text: &str) -> String {
    let snippet = generator.snippet(text);
    let fragment = snippet.fragment();
    if fragment.is_empty() {
        return beginning(text);
    }
    let range = snippet.fragment_range();
    let mut out = String::with_capacity(fragment.len() + 8);
    if range.start > 0 {
        out.push('…');
    }
    let mut highlighted: Vec<_> = snippet.highlighted().to_vec();
    highlighted.sort_by_key(|r| r.start);
    let mut at = 0;
    for h in highlighted {
        let (Some(before), Some(word)) = (fragment.get(at..h.start), fragment.get(h.clone())) else { continue };
        out.push_str(before);
        out.push(HIT_START);
        out.push_str(word);
        out.push(HIT_END);
        at = h.end;
    }
    out.push_str(fragment.get(at..).unwrap_or(""));
    if range.end < text.len() {
        out.push('…');
    }
    out
}

fn beginning(text: &str) -> String {
    if text.len() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let mut end = SNIPPET_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // End on a word boundary where there is one.
    let cut = text[..end].rfind(char::is_whitespace).filter(|&i| i > SNIPPET_CHARS / 2).unwrap_or(end);
    format!("{}…", text[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdesk_domain::kb::Snippet;

    #[test]
    fn snippets_mark_stemmed_matches_and_cut_long_text() {
        let body = tantivy::schema::Schema::builder().add_text_field("body", tantivy::schema::TEXT);
        let g = snippets(&["jam".to_string()], body);
        let marked = marked_snippet(&g, "Open tray B, remove the jammed paper and close the tray.");
        let parts = Snippet::from_marked(&marked);
        assert!(parts.0.iter().any(|p| p.hit && p.text == "jammed"), "{parts:?}");
        let long = "word ".repeat(100);
        let lead = marked_snippet(&g, &long);
        assert!(lead.ends_with('…') && lead.len() <= SNIPPET_CHARS + '…'.len_utf8(), "{lead}");
        assert_eq!(marked_snippet(&g, "short"), "short");
    }
}
