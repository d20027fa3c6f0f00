//! OpenAPI schemas of what approvals take as free JSON and check with the domain's parsers
//! (`ApprovalSpec::parse`, `Rule::parse`): the stages of an approval or a template and their
//! rules. The handlers read these bodies as JSON values so that every error carries its path
//! (`stages[1].approvers.users[0]`); these types only describe them.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A stage's rule: `"any"`, `"all"`, `{"n": N}` or `{"percent": P}` (`Rule::parse`).
pub struct RuleSchema;

impl PartialSchema for RuleSchema {
    fn schema() -> RefOr<Schema> {
        let closed = |name: &str, min: i64, max: Option<i64>| {
            let mut prop = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min));
            if let Some(m) = max {
                prop = prop.maximum(Some(m));
            }
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(name, prop)
                .required(name)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .description(Some(
                "`any` (one approval), `all`, `{\"n\": N}` (N of the stage's approvers, who must be at least N) or \
                 `{\"percent\": P}` (rounded up).",
            ))
            .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["any", "all"])))
            .item(closed("n", 1, None))
            .item(closed("percent", 1, Some(100)))
            .into()
    }
}

impl ToSchema for RuleSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "ApprovalRule".into()
    }
}

/// Who approves in a stage (`ApproverSpec`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalApprovers)]
#[allow(dead_code)] // documents the JSON `ApprovalSpec::parse` reads
pub struct ApproversSchema {
    /// Named users, by id or email; up to 200.
    #[schema(max_items = 200)]
    users: Option<Vec<crate::tickets::Ref>>,
    /// Groups, by id or name, whose active members approve; up to 200.
    #[schema(max_items = 200)]
    groups: Option<Vec<crate::tickets::Ref>>,
    /// The requester's manager.
    manager: Option<bool>,
}

/// One stage: who approves and the rule. Stages run in order; each needs an active approver,
/// and N of M needs N approvers or more (422 naming `stages[i].rule`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalStageInput)]
#[allow(dead_code)] // documents the JSON `ApprovalSpec::parse` reads
pub struct StageInputSchema {
    /// At least one of users, groups or the manager.
    approvers: ApproversSchema,
    #[schema(value_type = RuleSchema)]
    rule: String,
}

/// An approval's stages, 1 to 20.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateApproval)]
#[allow(dead_code)] // documents the JSON `ApprovalSpec::parse` reads
pub struct CreateApprovalSchema {
    #[schema(min_items = 1, max_items = 20)]
    stages: Vec<StageInputSchema>,
}

#[cfg(test)]
mod tests {
    use opsdesk_domain::approval::{Rule, MAX_STAGES};
    use serde_json::json;

    #[test]
    fn documented_rules_parse_and_the_stage_limit_is_the_domains() {
        for r in [json!("any"), json!("all"), json!({ "n": 1 }), json!({ "percent": 100 })] {
            assert!(Rule::parse(&r, "rule").is_ok(), "{r}");
        }
        for r in [json!({ "n": 0 }), json!({ "percent": 101 }), json!("some")] {
            assert!(Rule::parse(&r, "rule").is_err(), "{r}");
        }
        assert_eq!(MAX_STAGES, 20);
    }
}
