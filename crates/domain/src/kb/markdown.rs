//! Article bodies are Markdown (CommonMark with tables, strikethrough and task lists, by
//! pulldown-cmark), rendered to HTML and then sanitised by ammonia's allow-list, so script,
//! event handlers, `javascript:` links, forms and styles never reach a page. The plain text of
//! a body is what the search index holds.

use pulldown_cmark::{Event, Options, Parser, TagEnd};
use std::collections::HashSet;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Safe HTML for a Markdown body: raw HTML in the Markdown passes through the same sanitiser
/// as the Markdown's own output.
pub fn render_html(markdown: &str) -> String {
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, Parser::new_ext(markdown, options()));
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .clean(&raw)
        .to_string()
}

/// The words of a Markdown body without its markup: text, inline code and code blocks, with a
/// line break after every block so that words of two paragraphs never run together.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_to_html() {
        let html =
            render_html("# Reset\n\n1. Open **Settings**\n2. Click `Reset`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Reset</h1>"), "{html}");
        assert!(html.contains("<strong>Settings</strong>"), "{html}");
        assert!(html.contains("<code>Reset</code>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn script_and_dangerous_links_are_removed() {
        let html = render_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> \
             <a href=\"https://example.org\" onclick=\"steal()\">ok</a> <form action=/x><input name=q></form>",
        );
        for bad in ["<script", "javascript:", "onerror", "onclick", "<form"] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");
    }

    #[test]
    fn relative_image_links_of_attachments_are_kept() {
        let html = render_html("![diagram](/kb/articles/3/files/9)");
        assert!(html.contains("src=\"/kb/articles/3/files/9\""), "{html}");
    }

    #[test]
    fn plain_text_drops_markup_and_keeps_words_apart() {
        let text =
            plain_text("# VPN\nReconnect the **client**.\n\n- step `one`\n- step two\n\n```\nipconfig /renew\n```");
        assert_eq!(text, "VPN\nReconnect the client.\nstep one\nstep two\nipconfig /renew");
    }
}
