//! The approval as a state machine over its stages: who may decide now, and what a decision
//! does (record it, meet the stage and start the next, approve, or reject).

use super::delegation::Delegation;
use super::rule::{Rule, StageOutcome};
use super::{ApprovalState, Decision, StageState};
use jiff::Timestamp;

/// One stage: its rule, its approvers (user ids, in a stable order) and the decisions so far
/// (approver id and what they decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub rule: Rule,
    pub approvers: Vec<i64>,
    pub decisions: Vec<(i64, Decision)>,
    pub state: StageState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub state: ApprovalState,
    pub stages: Vec<Stage>,
}

/// Why someone may not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The approval is over (approved, rejected or cancelled).
    Finished,
    /// This approver already decided in the current stage.
    AlreadyDecided,
    /// Neither an approver of the current stage nor the active delegate of one.
    NotAnApprover,
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Recorded; the stage needs more approvals.
    Recorded,
    /// The stage was met and the stage at this index started.
    NextStage(usize),
    /// The last stage was met: the approval is approved.
    Approved,
    /// A rejection ended the approval.
    Rejected,
}

impl Approval {
    /// A new approval: the first stage pending, the others waiting. Stages must have
    /// approvers (the caller resolves and checks them).
    pub fn start(stages: Vec<(Rule, Vec<i64>)>) -> Approval {
        let stages = stages
            .into_iter()
            .enumerate()
            .map(|(i, (rule, approvers))| Stage {
                rule,
                approvers,
                decisions: vec![],
                state: if i == 0 { StageState::Pending } else { StageState::Waiting },
            })
            .collect();
        Approval { state: ApprovalState::Pending, stages }
    }

    /// The index of the stage that is deciding now.
    pub fn current(&self) -> Option<usize> {
        if self.state != ApprovalState::Pending {
            return None;
        }
        self.stages.iter().position(|s| s.state == StageState::Pending)
    }

    /// Who `user` decides for now: themselves when they are an approver of the current stage,
    /// else the approver (`on_behalf_of`, or the first undecided one) whose delegation to
    /// them is active at `now`.
    pub fn authority(
        &self,
        user: i64,
        on_behalf_of: Option<i64>,
        delegations: &[Delegation],
        now: Timestamp,
    ) -> Result<i64, Refusal> {
        let Some(i) = self.current() else { return Err(Refusal::Finished) };
        let stage = &self.stages[i];
        let decided = |a: i64| stage.decisions.iter().any(|(d, _)| *d == a);
        let delegates_to_user =
            |a: i64| delegations.iter().any(|d| d.user_id == a && d.delegate_id == user && d.active_at(now));
        match on_behalf_of.filter(|a| *a != user) {
            Some(a) => {
                if !stage.approvers.contains(&a) || !delegates_to_user(a) {
                    return Err(Refusal::NotAnApprover);
                }
                if decided(a) {
                    return Err(Refusal::AlreadyDecided);
                }
                Ok(a)
            }
            None if stage.approvers.contains(&user) => {
                if decided(user) {
                    Err(Refusal::AlreadyDecided)
                } else {
                    Ok(user)
                }
            }
            None => {
                let mine: Vec<i64> = stage.approvers.iter().copied().filter(|a| delegates_to_user(*a)).collect();
                match mine.iter().find(|a| !decided(**a)) {
                    Some(a) => Ok(*a),
                    None if mine.is_empty() => Err(Refusal::NotAnApprover),
                    None => Err(Refusal::AlreadyDecided),
                }
            }
        }
    }

    /// Whether `approver` is waited on: an approver of the current stage who has not decided.
    pub fn waits_on(&self, approver: i64) -> bool {
        self.current().is_some_and(|i| {
            let s = &self.stages[i];
            s.approvers.contains(&approver) && !s.decisions.iter().any(|(a, _)| *a == approver)
        })
    }

    /// Records `approver`'s decision in the current stage and moves the approval on.
    pub fn decide(&mut self, approver: i64, decision: Decision) -> Result<Progress, Refusal> {
        let Some(i) = self.current() else { return Err(Refusal::Finished) };
        let stage = &mut self.stages[i];
        if !stage.approvers.contains(&approver) {
            return Err(Refusal::NotAnApprover);
        }
        if stage.decisions.iter().any(|(a, _)| *a == approver) {
            return Err(Refusal::AlreadyDecided);
        }
        stage.decisions.push((approver, decision));
        let approvals = stage.decisions.iter().filter(|(_, d)| *d == Decision::Approve).count();
        let rejections = stage.decisions.len() - approvals;
        match stage.rule.outcome(stage.approvers.len(), approvals, rejections) {
            StageOutcome::Open => Ok(Progress::Recorded),
            StageOutcome::Rejected => {
                stage.state = StageState::Rejected;
                for later in &mut self.stages[i + 1..] {
                    later.state = StageState::Skipped;
                }
                self.state = ApprovalState::Rejected;
                Ok(Progress::Rejected)
            }
            StageOutcome::Met => {
                stage.state = StageState::Approved;
                match self.stages.get_mut(i + 1) {
                    Some(next) => {
                        next.state = StageState::Pending;
                        Ok(Progress::NextStage(i + 1))
                    }
                    None => {
                        self.state = ApprovalState::Approved;
                        Ok(Progress::Approved)
                    }
                }
            }
        }
    }

    /// Withdraws a pending approval: open stages are skipped.
    pub fn cancel(&mut self) -> Result<(), Refusal> {
        if self.state != ApprovalState::Pending {
            return Err(Refusal::Finished);
        }
        for s in &mut self.stages {
            if matches!(s.state, StageState::Pending | StageState::Waiting) {
                s.state = StageState::Skipped;
            }
        }
        self.state = ApprovalState::Cancelled;
        Ok(())
    }
}
