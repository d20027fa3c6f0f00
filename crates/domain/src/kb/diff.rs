//! Comparing two versions of an article side by side: the changed one-line fields, and the
//! body line by line (a Myers diff from the `similar` crate), paired into rows so that a
//! replaced line sits next to its replacement.

use super::article::ArticleDraft;
use serde::Serialize;
use similar::{DiffTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Same,
    Removed,
    Added,
    Changed,
}

impl LineChange {
    pub fn as_str(self) -> &'static str {
        match self {
            LineChange::Same => "same",
            LineChange::Removed => "removed",
            LineChange::Added => "added",
            LineChange::Changed => "changed",
        }
    }
}

/// One side of a row: the line number (from 1) in that version, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DiffSide)]
pub struct Side {
    pub line: usize,
    pub text: String,
}

/// One row of the side-by-side view of the bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    pub change: LineChange,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

/// A field other than the body whose value differs between the versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    #[schema(value_type = String)]
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// Changed fields and the bodies line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffLine>,
    pub lines_added: usize,
    pub lines_removed: usize,
}

impl VersionDiff {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.lines_added == 0 && self.lines_removed == 0
    }
}

/// The differences from `old` to `new`.
pub fn compare(old: &ArticleDraft, new: &ArticleDraft) -> VersionDiff {
    let mut fields = Vec::new();
    let mut field = |name: &'static str, a: String, b: String| {
        if a != b {
            fields.push(FieldChange { field: name, old: a, new: b });
        }
    };
    field("title", old.title.clone(), new.title.clone());
    field("summary", old.summary.clone(), new.summary.clone());
    field("visibility", old.visibility.as_str().into(), new.visibility.as_str().into());
    let tags = |d: &ArticleDraft| d.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
    field("tags", tags(old), tags(new));

    let diff = TextDiff::from_lines(old.body.as_str(), new.body.as_str());
    let before: Vec<&str> = old.body.lines().collect();
    let after: Vec<&str> = new.body.lines().collect();
    let side = |lines: &[&str], i: usize| lines.get(i).map(|t| Side { line: i + 1, text: (*t).to_string() });
    let (mut body, mut added, mut removed) = (Vec::new(), 0, 0);
    for op in diff.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (i, j) in o.zip(n) {
                    body.push(DiffLine { change: LineChange::Same, old: side(&before, i), new: side(&after, j) });
                }
            }
            DiffTag::Delete => {
                for i in o {
                    removed += 1;
                    body.push(DiffLine { change: LineChange::Removed, old: side(&before, i), new: None });
                }
            }
            DiffTag::Insert => {
                for j in n {
                    added += 1;
                    body.push(DiffLine { change: LineChange::Added, old: None, new: side(&after, j) });
                }
            }
            DiffTag::Replace => {
                let (o, n): (Vec<usize>, Vec<usize>) = (o.collect(), n.collect());
                removed += o.len();
                added += n.len();
                for k in 0..o.len().max(n.len()) {
                    let l = o.get(k).and_then(|&i| side(&before, i));
                    let r = n.get(k).and_then(|&j| side(&after, j));
                    let change = match (&l, &r) {
                        (Some(_), Some(_)) => LineChange::Changed,
                        (Some(_), None) => LineChange::Removed,
                        _ => LineChange::Added,
                    };
                    body.push(DiffLine { change, old: l, new: r });
                }
            }
        }
    }
    VersionDiff { fields, body, lines_added: added, lines_removed: removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str, body: &str, tags: &[&str]) -> ArticleDraft {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        ArticleDraft::parse(title, "", body, "public", &tags, "").unwrap()
    }

    #[test]
    fn identical_versions_have_no_differences() {
        let a = draft("VPN", "one\ntwo\n", &["vpn"]);
        let d = compare(&a, &a.clone());
        assert!(d.is_empty());
        assert_eq!(d.body.len(), 2);
        assert!(d.body.iter().all(|l| l.change == LineChange::Same));
    }

    #[test]
    fn changed_lines_sit_beside_their_replacements() {
        let a = draft("Reset VPN", "Open the client.\nClick Reset.\nDone.\n", &["vpn"]);
        let b =
            draft("Reset the VPN", "Open the client.\nClick Reconnect.\nWait a minute.\nDone.\n", &["vpn", "remote"]);
        let d = compare(&a, &b);
        let names: Vec<_> = d.fields.iter().map(|f| f.field).collect();
        assert_eq!(names, ["title", "tags"]);
        assert_eq!(d.fields[1].new, "remote, vpn");
        let changes: Vec<_> = d.body.iter().map(|l| l.change).collect();
        assert_eq!(changes, [LineChange::Same, LineChange::Changed, LineChange::Added, LineChange::Same]);
        let changed = &d.body[1];
        assert_eq!(changed.old.as_ref().map(|s| (s.line, s.text.as_str())), Some((2, "Click Reset.")));
        assert_eq!(changed.new.as_ref().map(|s| (s.line, s.text.as_str())), Some((2, "Click Reconnect.")));
        assert_eq!(d.body[3].new.as_ref().map(|s| s.line), Some(4), "line numbers follow each version");
        assert_eq!((d.lines_added, d.lines_removed), (2, 1));
    }

    #[test]
    fn removed_lines_have_no_new_side() {
        let a = draft("T", "a\nb\nc\n", &[]);
        let b = draft("T", "a\nc\n", &[]);
        let d = compare(&a, &b);
        assert_eq!(d.body[1].change, LineChange::Removed);
        assert!(d.body[1].new.is_none());
        assert_eq!((d.lines_added, d.lines_removed), (0, 1));
    }
}
