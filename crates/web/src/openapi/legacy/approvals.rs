//! The approvals part of the OpenAPI document: approvals of tickets, decisions, the caller's
//! waiting approvals and delegate, approval templates and settings.

use super::*;

fn rule() -> Value {
    json!({
        "description": "`any` (one approval), `all`, `{\"n\": N}` (N of M) or `{\"percent\": P}` (rounded up).",
        "oneOf": [
            { "type": "string", "enum": ["any", "all"] },
            { "type": "object", "required": ["n"], "properties": { "n": { "type": "integer", "minimum": 1 } }, "additionalProperties": false },
            { "type": "object", "required": ["percent"], "properties": { "percent": { "type": "integer", "minimum": 1, "maximum": 100 } }, "additionalProperties": false },
        ],
    })
}

fn reference() -> Value {
    json!({ "oneOf": [{ "type": "integer" }, { "type": "string" }] })
}

pub(super) fn schemas(add: &mut impl FnMut(&str, Value)) {
    let stage_input = input(
        "One stage: who approves and the rule. Stages run in order.",
        &["approvers", "rule"],
        vec![
            (
                "approvers",
                input(
                    "At least one of: named users (id or email), groups (id or name; their members), the requester's \
                     manager.",
                    &[],
                    vec![("users", array(reference())), ("groups", array(reference())), ("manager", boolean())],
                ),
            ),
            ("rule", rule()),
        ],
    );
    add("ApprovalStageInput", stage_input);
    add(
        "CreateApproval",
        input(
            "An approval's stages. Each stage needs an active approver; N of M needs N approvers or more \
             (422 with `stages[i].rule`).",
            &["stages"],
            vec![("stages", array(schema("ApprovalStageInput")))],
        ),
    );
    add(
        "Decision",
        input(
            "Approve or reject in the current stage. One rejection rejects the approval.",
            &["decision"],
            vec![
                ("decision", enumeration(&["approve", "reject"])),
                ("comment", string()),
                ("on_behalf_of", doc(int(), "For a delegate of several approvers of the stage: whom it is for.")),
            ],
        ),
    );
    add(
        "Approval",
        record(
            "An approval of a record (a ticket): its state and its stages in order.",
            vec![
                ("id", int()),
                (
                    "subject",
                    record(
                        "The record approved.",
                        vec![
                            ("type", enumeration(&["ticket"])),
                            ("id", int()),
                            ("number", string_or_null()),
                            ("title", string_or_null()),
                            ("status", string_or_null()),
                        ],
                    ),
                ),
                ("state", enumeration(&["pending", "approved", "rejected", "cancelled"])),
                ("requested_by", int_or_null()),
                ("template_id", int_or_null()),
                ("created_at", time()),
                ("finished_at", time_or_null()),
                ("current_stage", doc(int_or_null(), "The position of the deciding stage; null once finished.")),
                ("stages", array(schema("ApprovalStage"))),
            ],
        ),
    );
    add(
        "ApprovalStage",
        record(
            "A stage: its approvers, the rule, and the decisions made in it.",
            vec![
                ("position", int()),
                ("state", enumeration(&["waiting", "pending", "approved", "rejected", "skipped"])),
                ("rule", rule()),
                ("required", doc(int(), "Approvals the stage needs.")),
                (
                    "approvers",
                    array(record(
                        "An approver.",
                        vec![
                            ("id", int()),
                            ("name", string()),
                            ("email", string()),
                            ("source", doc(string(), "`user`, `group:<id>` or `manager`.")),
                            ("decision", or_null(enumeration(&["approve", "reject"]))),
                        ],
                    )),
                ),
                (
                    "decisions",
                    array(record(
                        "A decision, audited.",
                        vec![
                            ("id", int()),
                            ("approver", int()),
                            ("decided_by", int()),
                            ("decided_by_name", string()),
                            ("on_behalf_of", doc(int_or_null(), "The approver, when their delegate decided.")),
                            ("decision", enumeration(&["approve", "reject"])),
                            ("comment", string()),
                            ("via", enumeration(&["api", "web", "link"])),
                            ("at", time()),
                        ],
                    )),
                ),
                ("started_at", time_or_null()),
                ("finished_at", time_or_null()),
            ],
        ),
    );
    add("ApprovalPage", listing("Approval", false));
    add(
        "DelegateInput",
        input(
            "Who decides approvals for the caller, and when. `user: null` clears it (as DELETE does).",
            &[],
            vec![
                ("user", or_null(reference())),
                ("from", doc(string(), "A date (the caller's time zone) or an instant; default now.")),
                ("until", doc(string_or_null(), "A date (included) or an instant; null: until cleared.")),
            ],
        ),
    );
    add(
        "Delegate",
        record(
            "The caller's delegate.",
            vec![
                (
                    "user",
                    or_null(record("The delegate.", vec![("id", int()), ("name", string()), ("email", string())])),
                ),
                ("from", time_or_null()),
                ("until", time_or_null()),
                ("active", boolean()),
            ],
        ),
    );
    add(
        "ApprovalTemplateInput",
        input(
            "A template for service requests of a desk or of one of its categories (the category's wins).",
            &["name", "desk", "stages"],
            vec![
                ("name", string()),
                ("desk", reference()),
                ("category", reference()),
                ("stages", array(schema("ApprovalStageInput"))),
            ],
        ),
    );
    add(
        "ApprovalTemplate",
        record(
            "An approval template; references are stored as ids.",
            vec![
                ("id", int()),
                ("name", string()),
                ("desk_id", int()),
                ("category_id", int_or_null()),
                ("stages", array(schema("ApprovalStageInput"))),
                ("created_at", time()),
                ("updated_at", time()),
            ],
        ),
    );
    add("ApprovalTemplatePage", listing("ApprovalTemplate", false));
    let secs = |d: &str| doc(int(), d);
    add(
        "ApprovalSettings",
        input(
            "How long approvers get.",
            &["remind_after_secs", "escalate_after_secs", "link_ttl_secs"],
            vec![
                ("remind_after_secs", secs("The undecided approver is reminded once after this long.")),
                ("escalate_after_secs", secs("Their manager is told once after this long.")),
                ("link_ttl_secs", secs("How long a signed email link works (default 7 days).")),
            ],
        ),
    );
}

pub(super) fn paths(p: &mut Map<String, Value>) {
    let ticket = param_ref("TicketId");
    item(
        p,
        "/api/v1/tickets/{id}/approvals",
        std::slice::from_ref(&ticket),
        vec![
            (
                "get",
                op("approvals", "listTicketApprovals", "A ticket's approvals")
                    .about("Newest first, to those who see the ticket.")
                    .json("200", "The approvals.", "ApprovalPage")
                    .fail(&[Fail::NotFound]),
            ),
            (
                "post",
                op("approvals", "createApproval", "Ask for approval")
                    .about(
                        "Agents who work the ticket. The first stage's approvers are mailed a signed link. A service \
                         request still `submitted` moves to `awaiting_approval`; one pending approval at a time.",
                    )
                    .body("CreateApproval")
                    .json("201", "The approval.", "Approval")
                    .fail(&[Fail::Forbidden, Fail::NotFound, Fail::Conflict, Fail::Invalid]),
            ),
        ],
    );
    let id = path_id("id", "The approval's id.");
    item(
        p,
        "/api/v1/approvals/{id}",
        std::slice::from_ref(&id),
        vec![(
            "get",
            op("approvals", "getApproval", "An approval")
                .about("To those who see its ticket, its approvers and their delegates.")
                .json("200", "The approval.", "Approval")
                .fail(&[Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/approvals/{id}/decisions",
        std::slice::from_ref(&id),
        vec![(
            "post",
            op("approvals", "decideApproval", "Approve or reject")
                .about(
                    "An approver of the current stage, or the active delegate of one (recorded as `on_behalf_of`). \
                     403 `not_an_approver`; 409 `already_decided` for a second decision or a finished approval.",
                )
                .body("Decision")
                .json("200", "The approval after the decision.", "Approval")
                .fail(&[Fail::Forbidden, Fail::NotFound, Fail::Conflict, Fail::Invalid]),
        )],
    );
    item(
        p,
        "/api/v1/me/approvals",
        &[],
        vec![(
            "get",
            op("approvals", "listMyApprovals", "Approvals waiting on the caller")
                .about("Pending approvals whose current stage waits on the caller, as approver or active delegate.")
                .json("200", "Oldest first.", "ApprovalPage"),
        )],
    );
    item(
        p,
        "/api/v1/me/delegate",
        &[],
        vec![
            ("get", op("approvals", "getMyDelegate", "The caller's delegate").json("200", "The delegate.", "Delegate")),
            (
                "put",
                op("approvals", "setMyDelegate", "Name a delegate")
                    .about("Replaces any previous delegate; `user: null` clears it.")
                    .body("DelegateInput")
                    .json("200", "The delegate now.", "Delegate")
                    .fail(&[Fail::Invalid]),
            ),
            (
                "delete",
                op("approvals", "clearMyDelegate", "Clear the delegate").json("200", "No delegate.", "Delegate"),
            ),
        ],
    );
    item(
        p,
        "/api/v1/approval-templates",
        &[],
        vec![
            (
                "get",
                op("approvals", "listApprovalTemplates", "Approval templates")
                    .about("Agents and admins.")
                    .json("200", "By desk, the desk's own first.", "ApprovalTemplatePage")
                    .fail(&[Fail::Forbidden]),
            ),
            (
                "post",
                op("approvals", "createApprovalTemplate", "Create an approval template")
                    .about("Admins. One per desk and one per category.")
                    .body("ApprovalTemplateInput")
                    .json("201", "The template.", "ApprovalTemplate")
                    .fail(&[Fail::Forbidden, Fail::Invalid]),
            ),
        ],
    );
    let tid = path_id("id", "The template's id.");
    item(
        p,
        "/api/v1/approval-templates/{id}",
        std::slice::from_ref(&tid),
        vec![
            (
                "get",
                op("approvals", "getApprovalTemplate", "An approval template")
                    .json("200", "The template.", "ApprovalTemplate")
                    .fail(&[Fail::NotFound]),
            ),
            (
                "put",
                op("approvals", "updateApprovalTemplate", "Replace an approval template")
                    .about("Admins. Approvals already started keep their stages.")
                    .body("ApprovalTemplateInput")
                    .json("200", "The template.", "ApprovalTemplate")
                    .fail(&[Fail::Forbidden, Fail::NotFound, Fail::Invalid]),
            ),
            (
                "delete",
                op("approvals", "deleteApprovalTemplate", "Delete an approval template")
                    .about("Admins.")
                    .empty("Deleted.")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/settings/approvals",
        &[],
        vec![
            (
                "get",
                op("approvals", "getApprovalSettings", "Approval waits").json(
                    "200",
                    "The settings.",
                    "ApprovalSettings",
                ),
            ),
            (
                "put",
                op("approvals", "setApprovalSettings", "Change approval waits")
                    .about("Admins: reminder and escalation waits, the email link lifetime.")
                    .body("ApprovalSettings")
                    .json("200", "The settings.", "ApprovalSettings")
                    .fail(&[Fail::Forbidden, Fail::Invalid]),
            ),
        ],
    );
}
