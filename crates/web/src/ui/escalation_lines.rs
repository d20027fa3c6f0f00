//! The policy form's escalations box: one escalation per line, so an admin never writes JSON.
//!
//! ```text
//! 90% notify_group_lead Network
//! 75% resolution notify_user lead@example.com
//! breach reassign_to_group Service Desk
//! breach raise_priority
//! ```
//! A line is `WHEN [TARGET] ACTION [WHO]`: `WHEN` is a warning of the policy (`75%`) or
//! `breach`; `TARGET` (optional, all targets when absent) is `first_response`,
//! `next_response` or `resolution`; `ACTION` is `notify_group`, `notify_group_lead`,
//! `notify_user`, `reassign_to_group` or `raise_priority`; `WHO` is a group's name (or `#id`)
//! for the group actions (the ticket's own group when a notify action names none), a user's
//! email (or `#id`) for `notify_user`. Blank lines and lines starting with `#` are ignored.

use opsdesk_domain::sla::EscalationSpec;

const TARGETS: [&str; 3] = ["first_response", "next_response", "resolution"];
const ACTIONS: [&str; 5] = ["notify_group", "notify_group_lead", "notify_user", "reassign_to_group", "raise_priority"];

/// A parsed line whose `WHO` is still a name.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1-based, as the admin sees it.
    pub number: usize,
    pub when: String,
    pub target: Option<String>,
    pub action: String,
    pub who: Option<String>,
}

/// Splits the box into lines; a line that cannot be read is reported as `line N: why`.
pub fn parse(text: &str) -> Result<Vec<Line>, Vec<String>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut words = l.split_whitespace();
        let when = words.next().unwrap_or_default().to_string();
        let mut next = words.next();
        let target = match next {
            Some(t) if TARGETS.contains(&t) => {
                next = words.next();
                Some(t.to_string())
            }
            _ => None,
        };
        let Some(action) = next.filter(|a| ACTIONS.contains(a)) else {
            errors.push(format!(
                "line {number}: write WHEN [TARGET] ACTION [WHO], with ACTION one of {}",
                ACTIONS.join(", ")
            ));
            continue;
        };
        let who = words.collect::<Vec<_>>().join(" ");
        lines.push(Line { number, when, target, action: action.to_string(), who: (!who.is_empty()).then_some(who) });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// What a line's `WHO` names.
pub enum Who {
    Group,
    User,
    Nobody,
}

pub fn who_of(action: &str) -> Who {
    match action {
        "notify_group" | "notify_group_lead" | "reassign_to_group" => Who::Group,
        "notify_user" => Who::User,
        _ => Who::Nobody,
    }
}

/// `#12` as an id.
pub fn hash_id(who: &str) -> Option<i64> {
    who.strip_prefix('#').and_then(|n| n.trim().parse().ok())
}

/// The group `who` names among `groups` (id, name): `#id` or the name, case-insensitively.
pub fn group_named(who: &str, groups: &[(i64, String)]) -> Option<i64> {
    if let Some(id) = hash_id(who) {
        return Some(id);
    }
    groups.iter().find(|(_, n)| n.trim().eq_ignore_ascii_case(who.trim())).map(|(id, _)| *id)
}

/// A stored escalation as a line; `group` and `user` name ids (a name, else `#id`).
pub fn to_line(e: &EscalationSpec, group: impl Fn(i64) -> String, user: impl Fn(i64) -> String) -> String {
    let mut parts = vec![e.when.clone()];
    parts.extend(e.target.clone());
    parts.push(e.action.clone());
    match who_of(&e.action) {
        Who::Group => parts.extend(e.group_id.map(group)),
        Who::User => parts.extend(e.user_id.map(user)),
        Who::Nobody => {}
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_when_target_action_and_who() {
        let text = "# escalations\n90% notify_group_lead Network\n\n75% resolution notify_user a@b.test\nbreach reassign_to_group Service Desk\nbreach raise_priority\n";
        let lines = parse(text).expect("parsed");
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            Line {
                number: 2,
                when: "90%".into(),
                target: None,
                action: "notify_group_lead".into(),
                who: Some("Network".into())
            }
        );
        assert_eq!(lines[1].target.as_deref(), Some("resolution"));
        assert_eq!(lines[1].who.as_deref(), Some("a@b.test"));
        assert_eq!(lines[2].number, 5);
        assert_eq!(lines[2].who.as_deref(), Some("Service Desk"));
        assert_eq!(lines[3].who, None);
    }

    #[test]
    fn unreadable_lines_are_named() {
        let errors = parse("90% notify_group_lead\nbreach shout_loudly\n75%").expect_err("refused");
        assert_eq!(errors.len(), 2);
        assert!(errors[0].starts_with("line 2:"), "{errors:?}");
        assert!(errors[1].starts_with("line 3:"), "{errors:?}");
    }

    #[test]
    fn groups_are_found_by_name_or_id() {
        let groups = vec![(3, "Service Desk".to_string()), (7, "Network".to_string())];
        assert_eq!(group_named("service desk", &groups), Some(3));
        assert_eq!(group_named("#9", &groups), Some(9));
        assert_eq!(group_named("Nobody", &groups), None);
    }

    #[test]
    fn stored_escalations_read_back_as_lines() {
        let e = EscalationSpec {
            when: "breach".into(),
            target: Some("resolution".into()),
            action: "reassign_to_group".into(),
            group_id: Some(7),
            user_id: None,
        };
        assert_eq!(
            to_line(&e, |_| "Network".into(), |id| format!("#{id}")),
            "breach resolution reassign_to_group Network"
        );
        let raise = EscalationSpec { action: "raise_priority".into(), target: None, ..e };
        assert_eq!(to_line(&raise, |_| "x".into(), |_| "y".into()), "breach raise_priority");
    }
}
