//! HTML of inbound mail, made safe to show: an allow-list of tags and attributes (no script,
//! no event handlers, no forms, `<base>` or `<meta>`), links kept but marked `noopener`, and
//! images only from the message itself (`cid:`), so nothing remote loads without consent.
//! Input over the budget is not parsed at all: the caller shows the plain text instead.

use std::collections::HashSet;

/// Limits that keep sanitising linear and bounded, whatever arrives.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_bytes: usize,
    /// Tags (`<` characters) at most.
    pub max_tags: usize,
    /// Nesting depth at most (estimated from opening and closing tags).
    pub max_depth: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { max_bytes: 2 * 1024 * 1024, max_tags: 20_000, max_depth: 512 }
    }
}

/// The sanitised HTML, or `None` when the input is over the budget (show the text part).
pub fn sanitize(html: &str, budget: Budget) -> Option<String> {
    if html.len() > budget.max_bytes || !within_shape(html, budget) {
        return None;
    }
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"]);
    b.add_tags(["img", "font", "center"]);
    b.add_tag_attributes("img", ["src", "alt", "width", "height"]);
    b.add_tag_attributes("font", ["color"]);
    b.url_schemes(HashSet::from(["http", "https", "mailto", "cid"]));
    b.link_rel(Some("noopener noreferrer nofollow"));
    b.attribute_filter(|element, attribute, value| {
        if element == "img" && attribute == "src" && !value.trim_start().to_ascii_lowercase().starts_with("cid:") {
            // Remote (tracking) images are not loaded; the original stays downloadable.
            None
        } else {
            Some(value.into())
        }
    });
    Some(b.clean(html).to_string())
}

/// A linear pre-scan: the number of tags and an estimate of the nesting depth (void
/// elements such as `<br>` never close, so they do not count).
fn within_shape(html: &str, budget: Budget) -> bool {
    const VOID: [&[u8]; 12] =
        [b"br", b"img", b"hr", b"meta", b"link", b"input", b"wbr", b"col", b"area", b"base", b"source", b"!"];
    let bytes = html.as_bytes();
    let (mut tags, mut depth) = (0usize, 0usize);
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'<' {
            continue;
        }
        tags += 1;
        if tags > budget.max_tags {
            return false;
        }
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name: Vec<u8> = bytes[i + 1..]
                    .iter()
                    .take(8)
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .map(u8::to_ascii_lowercase)
                    .collect();
                let self_closing = bytes[i..]
                    .iter()
                    .take(200)
                    .position(|c| *c == b'>')
                    .is_some_and(|end| end > 0 && bytes[i + end - 1] == b'/');
                if !VOID.contains(&name.as_slice()) && !self_closing {
                    depth += 1;
                    if depth > budget.max_depth {
                        return false;
                    }
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        sanitize(s, Budget::default()).expect("within budget")
    }

    #[test]
    fn scripts_handlers_forms_base_and_meta_are_removed() {
        let out = clean(
            r#"<base href="https://evil.test/"><meta http-equiv="refresh" content="0;url=https://evil.test">
            <p onclick="steal()">Hi<script>alert(1)</script></p><form action="https://evil.test"><input name=x></form>
            <a href="javascript:alert(1)">x</a><style>body{background:url(https://evil.test/t.png)}</style>"#,
        );
        for bad in ["<script", "onclick", "<form", "<input", "<base", "<meta", "javascript:", "<style", "evil.test"] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("<p>Hi</p>"), "{out}");
    }

    #[test]
    fn remote_images_are_not_loaded_but_inline_ones_are_kept() {
        let out = clean(r#"<img src="https://tracker.test/p.gif" alt="t"><img src="cid:logo@x" alt="logo">"#);
        assert!(!out.contains("tracker.test"), "{out}");
        assert!(out.contains(r#"src="cid:logo@x""#), "{out}");
    }

    #[test]
    fn links_are_kept_with_noopener() {
        let out = clean(r#"<a href="https://example.test/kb">KB</a>"#);
        assert!(out.contains("https://example.test/kb") && out.contains("noopener"), "{out}");
    }

    #[test]
    fn oversized_or_deeply_nested_input_falls_back_to_text() {
        let budget = Budget::default();
        assert_eq!(sanitize(&"<a href=x>y</a>".repeat(20_000), budget), None);
        assert_eq!(sanitize(&"<div>".repeat(10_000), budget), None);
        assert_eq!(sanitize(&" ".repeat(3 * 1024 * 1024), budget), None);
        assert!(sanitize(&"<p>ok</p><br>".repeat(1_000), budget).is_some());
    }
}
