//! What the API shows of identities and operations records (organisations, groups, tokens,
//! the audit log, jobs, sessions): view types owned here, built from the store's rows, so a
//! column added to a table reaches no client unless it is added here too.

use crate::users::UserView;
use opsdesk_store::audit::AuditEntry;
use opsdesk_store::groups::{Group, GroupMember};
use opsdesk_store::jobs::Job;
use opsdesk_store::organizations::Organization;
use opsdesk_store::tokens::ApiToken;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organisation of requesters.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Organization)]
pub struct OrganizationView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Organization> for OrganizationView {
    fn from(o: &Organization) -> Self {
        OrganizationView { id: o.id, name: o.name.clone(), created_at: o.created_at }
    }
}

/// A group of agents, where tickets are worked.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Group)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Told first by SLA escalations that notify the group's lead.
    pub lead_user_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        GroupView {
            id: g.id,
            name: g.name.clone(),
            description: g.description.clone(),
            lead_user_id: g.lead_user_id,
            created_at: g.created_at,
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = GroupMember)]
pub struct GroupMemberView {
    pub user_id: i64,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub added_at: Ts,
}

impl From<&GroupMember> for GroupMemberView {
    fn from(m: &GroupMember) -> Self {
        GroupMemberView { user_id: m.user_id, email: m.email.clone(), name: m.name.clone(), added_at: m.added_at }
    }
}

/// A group and its members.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = GroupWithMembers)]
pub struct GroupWithMembersView {
    pub group: GroupView,
    pub members: Vec<GroupMemberView>,
}

/// An API token; its secret is never shown again after issue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ApiToken)]
pub struct ApiTokenView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Ts>,
}

impl From<&ApiToken> for ApiTokenView {
    fn from(t: &ApiToken) -> Self {
        ApiTokenView {
            id: t.id,
            user_id: t.user_id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token and its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IssuedToken)]
pub struct IssuedTokenView {
    pub token: ApiTokenView,
    /// `odk_` and 64 hex characters; send as `Authorization: Bearer <secret>`.
    #[schema(pattern = "^odk_[0-9a-f]{64}$")]
    pub secret: String,
}

/// A token's name, when issuing it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueToken {
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
}

/// One entry of the security audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Ts,
    /// `login.succeeded`, `login.failed`, `token.issued`, `user.role_changed`, ...
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub email: Option<String>,
    pub ip: Option<String>,
    /// What the action concerned, by action.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(e: &AuditEntry) -> Self {
        AuditEntryView {
            id: e.id,
            at: e.at,
            action: e.action.clone(),
            actor_user_id: e.actor_user_id,
            subject_user_id: e.subject_user_id,
            email: e.email.clone(),
            ip: e.ip.clone(),
            // An audit entry is shown even when its detail is damaged (logged, shown as null).
            detail: opsdesk_store::stored_json(&format!("detail of audit entry {}", e.id), &e.detail)
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The state of a background job.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents `opsdesk_store::jobs::state::ALL`
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Failed `max_attempts` times (or could not run at all); retried only by hand.
    Dead,
}

/// A background job (its payload is not shown).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = JobState)]
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it may run next: when due, or when its lease expires.
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Ts,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Ts>,
}

impl From<&Job> for JobView {
    fn from(j: &Job) -> Self {
        JobView {
            id: j.id,
            kind: j.kind.clone(),
            state: j.state.clone(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            leased_by: j.leased_by.clone(),
            last_error: j.last_error.clone(),
            unique_key: j.unique_key.clone(),
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// A new browser session: the user and the CSRF token to echo on writes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    pub user: UserView,
    /// Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the cookie.
    pub csrf_token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Ts,
}

impl From<&crate::auth::NewSession> for SessionView {
    fn from(s: &crate::auth::NewSession) -> Self {
        SessionView { user: UserView::from(&s.user), csrf_token: s.csrf_token.clone(), expires_at: s.expires_at }
    }
}
