//! Signed email links: the link's token names one approver of one stage. Opening it (GET)
//! only shows what would be decided; deciding (POST) uses it once. A forged, expired, used or
//! foreign link, or one whose stage is over, changes nothing and says why.

use super::decide::{decide_in, Decider};
use super::to_domain;
use crate::secrets::token_hash;
use crate::{App, AppError, Result};
use opsdesk_domain::approval::{parse_comment, Decision};
use opsdesk_store::approvals::ApprovalLink;
use opsdesk_store::Ts;

/// Why a link cannot be used, or that it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCheck {
    Usable,
    /// No such link (mistyped, forged, or from another installation).
    Unknown,
    Expired,
    Used,
    /// The approver has already decided in this stage (through the API, the page or another
    /// link).
    Decided,
    /// The stage is over (met by others, rejected, or the approval was withdrawn).
    Finished,
    /// The browser is signed in as someone who is neither the link's approver nor their
    /// delegate.
    Foreign,
}

impl LinkCheck {
    /// A sentence for the page.
    pub fn message(self) -> &'static str {
        match self {
            LinkCheck::Usable => "",
            LinkCheck::Unknown => "This approval link is not valid. Check that the whole link was copied, or use the Approvals page.",
            LinkCheck::Expired => "This approval link has expired. Decide on the Approvals page instead, or ask for a new request.",
            LinkCheck::Used => "This approval link has already been used. A link works once.",
            LinkCheck::Decided => "A decision for this approver has already been recorded in this stage.",
            LinkCheck::Finished => "This approval step is already over; no decision is needed from this link any more.",
            LinkCheck::Foreign => "This approval link was sent to another approver. Sign out, or open the Approvals page to see what waits on you.",
        }
    }
}

/// What the confirmation page shows.
#[derive(Debug, Clone)]
pub struct LinkPage {
    pub check: LinkCheck,
    pub ticket_number: String,
    pub ticket_title: String,
    pub approver_name: String,
    pub stage: usize,
    pub stages: usize,
    /// After a POST: what was decided.
    pub decided: Option<Decision>,
    /// The change being decided, while the link is usable (the CAB decides from the page).
    pub change: Option<crate::changes::ChangeView>,
}

impl LinkPage {
    fn refused(check: LinkCheck) -> LinkPage {
        LinkPage {
            check,
            ticket_number: String::new(),
            ticket_title: String::new(),
            approver_name: String::new(),
            stage: 0,
            stages: 0,
            decided: None,
            change: None,
        }
    }
}

impl App {
    /// What a link would decide, for the confirmation page. `viewer` is the signed-in user of
    /// the browser, if any. Changes nothing.
    pub async fn approval_link_page(&self, token: &str, viewer: Option<i64>) -> Result<LinkPage> {
        let Some(link) = self.db.approval_link(&token_hash(token.trim())).await? else {
            return Ok(LinkPage::refused(LinkCheck::Unknown));
        };
        self.link_page(&link, viewer, Ts::now(), None).await
    }

    async fn link_page(
        &self,
        link: &ApprovalLink,
        viewer: Option<i64>,
        now: Ts,
        decided: Option<Decision>,
    ) -> Result<LinkPage> {
        let rec = self.db.approval_record(link.approval_id).await?;
        let ticket = self.db.ticket(rec.approval.subject_id).await?;
        let approver = self.db.user(link.approver_id).await?;
        let position = rec.stages.iter().position(|s| s.id == link.stage_id).unwrap_or(0);
        let check =
            if decided.is_some() { LinkCheck::Usable } else { self.check_link(link, &rec, viewer, now).await? };
        // Only the link's approver, before deciding, needs the change; a refused link shows no more
        // than its ticket's number and title.
        // It lists the linked tickets the approver may see, as their own sign-in would.
        let change = if check == LinkCheck::Usable && decided.is_none() {
            let (reader, _) = self.actor_for(link.approver_id).await?;
            self.subject_change(&reader, &rec).await?
        } else {
            None
        };
        Ok(LinkPage {
            check,
            ticket_number: ticket.number,
            ticket_title: ticket.title,
            approver_name: approver.name,
            stage: position + 1,
            stages: rec.stages.len(),
            decided,
            change,
        })
    }

    async fn check_link(
        &self,
        link: &ApprovalLink,
        rec: &opsdesk_store::approvals::ApprovalRecord,
        viewer: Option<i64>,
        now: Ts,
    ) -> Result<LinkCheck> {
        if link.used_at.is_some() {
            return Ok(LinkCheck::Used);
        }
        if link.expires_at <= now {
            return Ok(LinkCheck::Expired);
        }
        if let Some(v) = viewer.filter(|v| *v != link.approver_id) {
            let delegate = self.db.delegate_of(link.approver_id).await?;
            let acts_for =
                delegate.is_some_and(|d| d.delegate_id == v && d.starts_at <= now && d.ends_at.is_none_or(|e| now < e));
            if !acts_for {
                return Ok(LinkCheck::Foreign);
            }
        }
        let approval = to_domain(rec)?;
        let current = approval.current().map(|i| rec.stages[i].id);
        if current != Some(link.stage_id) {
            return Ok(LinkCheck::Finished);
        }
        if !approval.waits_on(link.approver_id) {
            return Ok(LinkCheck::Decided);
        }
        Ok(LinkCheck::Usable)
    }

    /// Decides through a link: checks it again inside the transaction, marks it used, and
    /// records the decision as its approver's (by the delegate when the signed-in viewer is
    /// one). A refused link changes nothing.
    #[tracing::instrument(skip(self, token, comment))]
    pub async fn decide_by_link(
        &self,
        token: &str,
        decision: &str,
        comment: Option<&str>,
        viewer: Option<i64>,
    ) -> Result<LinkPage> {
        let decision = Decision::parse(decision)?;
        let comment = parse_comment(comment)?;
        let hash = token_hash(token.trim());
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let Some(link) = tx.approval_link(&hash).await? else {
            return Ok(LinkPage::refused(LinkCheck::Unknown));
        };
        let rec = tx.approval_for_update(link.approval_id).await?;
        let check = self.check_link(&link, &rec, viewer, now).await?;
        if check != LinkCheck::Usable {
            drop(tx);
            return self.link_page(&link, viewer, now, None).await.map(|mut p| {
                p.check = check;
                p.change = None;
                p
            });
        }
        if !tx.use_approval_link(&hash, now).await? {
            drop(tx);
            let page = self.link_page(&link, viewer, now, None).await?;
            return Ok(LinkPage { check: LinkCheck::Used, change: None, ..page });
        }
        let user_id = viewer.unwrap_or(link.approver_id);
        let (actor, _) = self.actor_for(user_id).await.map_err(|_| AppError::Forbidden)?;
        let who = Decider { actor: &actor, user_id, via: "link" };
        let fixed = Some((link.stage_id, link.approver_id));
        decide_in(&mut tx, &who, link.approval_id, decision, &comment, None, fixed, now).await?;
        tx.commit().await?;
        self.link_page(&link, viewer, now, Some(decision)).await
    }
}
