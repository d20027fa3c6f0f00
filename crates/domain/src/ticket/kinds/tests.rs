//! The declarations hold together: every status a transition names is declared, finals are
//! final, a status means the same in every kind.

use crate::ticket::guard::{ApprovalFact, GuardFacts};
use crate::ticket::{HoldReason, Kind, Status, StatusClass, TransitionError};

#[test]
fn every_declaration_is_consistent() {
    for k in Kind::ALL {
        let d = k.def();
        assert!(k.has_status(d.initial), "{k}: initial");
        assert!(k.has_status(d.resolved), "{k}: resolved");
        for (from, tos) in d.transitions {
            assert!(k.has_status(*from), "{k}: {from}");
            for to in *tos {
                assert!(k.has_status(*to), "{k}: {from} -> {to}");
            }
            assert!(d.transitions.iter().filter(|(s, _)| s == from).count() == 1, "{k}: {from} listed twice");
        }
        if let Some(r) = d.reopen {
            assert!(k.can_move(d.resolved, r), "{k} can reopen");
        }
        for g in d.guards {
            for to in g.to {
                assert!(k.has_status(*to), "{k}: guard on {to}");
            }
        }
        if let Some((hold, _)) = d.hold {
            assert!(k.has_status(hold));
        }
        for other in Kind::ALL {
            assert!(k == other || k.prefix() != other.prefix(), "prefixes are unique");
        }
    }
}

#[test]
fn a_status_means_the_same_in_every_kind() {
    for s in Status::ALL {
        let cats: Vec<_> = Kind::ALL.iter().filter_map(|k| k.def().category_of(s)).collect();
        assert!(!cats.is_empty(), "{s} belongs to some kind");
        assert!(cats.windows(2).all(|w| w[0] == w[1]), "{s}: {cats:?}");
    }
}

#[test]
fn incident_lifecycle() {
    let k = Kind::Incident;
    assert!(k.check_transition(Status::New, Status::InProgress, None).is_ok());
    assert_eq!(k.check_transition(Status::New, Status::OnHold, None), Err(TransitionError::ReasonRequired));
    assert!(k.check_transition(Status::New, Status::OnHold, Some(HoldReason::AwaitingVendor)).is_ok());
    let e = k.check_transition(Status::Closed, Status::InProgress, None).unwrap_err();
    assert!(matches!(e, TransitionError::NotAllowed { .. }));
    assert!(e.allowed().is_empty(), "closed is final");
    let e = k.check_transition(Status::New, Status::Closed, None).unwrap_err();
    assert_eq!(
        e.allowed(),
        &[Status::Assigned, Status::InProgress, Status::OnHold, Status::Resolved, Status::Cancelled]
    );
    let e = k.check_transition(Status::New, Status::Fulfilled, None).unwrap_err();
    assert!(matches!(e, TransitionError::UnknownStatus { .. }));
}

#[test]
fn request_problem_and_task_lifecycles() {
    let r = Kind::ServiceRequest;
    assert!(r.check_transition(Status::Submitted, Status::AwaitingApproval, None).is_ok());
    assert!(r.check_transition(Status::AwaitingApproval, Status::Fulfilled, None).is_err());
    assert!(r.check_transition(Status::Fulfilled, Status::Closed, None).is_ok());
    let p = Kind::Problem;
    assert!(p.check_transition(Status::RootCauseAnalysis, Status::KnownError, None).is_ok());
    assert!(p.check_transition(Status::KnownError, Status::Resolved, None).is_ok());
    assert!(p.check_transition(Status::New, Status::KnownError, None).is_err());
    let t = Kind::Task;
    assert!(t.check_transition(Status::Open, Status::Done, None).is_ok());
    assert!(t.check_transition(Status::Done, Status::InProgress, None).is_err(), "done is final");
    assert_eq!(Status::Done.class(), StatusClass::Closed);
    assert_eq!(Status::Open.class(), StatusClass::Open);
}

#[test]
fn guards_of_each_kind() {
    let mut f = GuardFacts::new(Status::AwaitingApproval, Status::Fulfilling);
    let names = |r: Result<(), TransitionError>| match r {
        Err(TransitionError::GuardsFailed(g)) => g.iter().map(|x| x.name).collect::<Vec<_>>(),
        _ => vec![],
    };
    assert_eq!(names(Kind::ServiceRequest.check_guards(&f)), ["approval_granted"]);
    f.approval = Some(ApprovalFact::Approved);
    assert!(Kind::ServiceRequest.check_guards(&f).is_ok());
    let mut f = GuardFacts::new(Status::Fulfilling, Status::Fulfilled);
    f.open_tasks = vec!["TSK-1".into()];
    assert_eq!(names(Kind::ServiceRequest.check_guards(&f)), ["tasks_done"]);
    f.to = Status::Resolved;
    assert_eq!(names(Kind::Incident.check_guards(&f)), ["tasks_done"]);
    let f = GuardFacts::new(Status::RootCauseAnalysis, Status::KnownError);
    assert_eq!(names(Kind::Problem.check_guards(&f)), ["workaround_recorded"]);
    let mut f = GuardFacts::new(Status::Open, Status::Done);
    f.waiting_on = vec!["TSK-1".into()];
    assert_eq!(names(Kind::Task.check_guards(&f)), ["predecessors_done"]);
}

#[test]
fn names_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()).unwrap(), s);
    }
    assert_eq!(Status::parse("In Progress").unwrap(), Status::InProgress);
    assert_eq!(Kind::parse("request").unwrap(), Kind::ServiceRequest);
    assert_eq!(Kind::parse("task").unwrap(), Kind::Task);
    assert_eq!(Kind::from_prefix("inc"), Some(Kind::Incident));
    assert_eq!(Kind::from_prefix("TSK"), Some(Kind::Task));
    assert_eq!(Kind::parse("RFC").unwrap(), Kind::Change);
    assert!(Kind::parse("release").is_err());
    assert_eq!(Status::Fulfilled.class(), StatusClass::Resolved);
    assert!(!Status::Rejected.is_open());
    assert!(Status::OnHold.is_open());
    assert_eq!(Status::RootCauseAnalysis.label(), "Root cause analysis");
}

#[test]
fn flags_set_on_entering_a_status_are_detail_flags() {
    use crate::ticket::DetailType;
    for k in Kind::ALL {
        for (s, flag) in k.def().flags_on_enter {
            assert!(k.has_status(*s));
            let f = k.def().detail.fields.iter().find(|f| f.name == *flag);
            assert!(f.is_some_and(|f| f.field_type == DetailType::Flag), "{k}: {flag}");
        }
    }
}
