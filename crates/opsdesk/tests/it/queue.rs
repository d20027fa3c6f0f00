//! The job queue, outbox and scheduler, driven by in-process workers.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_app::{App, AppConfig};
use opsdesk_store::jobs::NewJob;
use opsdesk_store::Ts;
use opsdesk_worker::{Registry, Schedule, Subscriber, Worker, WorkerConfig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fast_worker(id: &str) -> WorkerConfig {
    WorkerConfig {
        id: id.into(),
        idle_poll: Duration::from_millis(20),
        lease: Duration::from_secs(5),
        ..WorkerConfig::default()
    }
}

async fn job_state(app: &App, id: i64) -> opsdesk_store::jobs::Job {
    app.db.job(id).await.expect("job")
}

both_backends! {
    async fn failing_jobs_back_off_then_die_and_can_be_retried(db: TestDb) {
        let server = db.start().await;
        let app = server.app().clone();
        let job = NewJob { kind: opsdesk_worker::builtin::PROBE, payload: json!({"fail": true}), run_at: Ts::now(), max_attempts: 2, unique_key: None };
        let id = app.db.enqueue_job(&job).await.expect("enqueue").expect("id");

        let after_first = eventually(Duration::from_secs(10), "the first failure", || {
            let app = app.clone();
            async move { Some(job_state(&app, id).await).filter(|j| j.attempts == 1 && j.state == "queued") }
        }).await;
        assert_eq!(after_first.last_error.as_deref(), Some("the probe was asked to fail"));
        let wait = after_first.run_at.micros() - after_first.updated_at.micros();
        assert!((1_500_000..=2_500_000).contains(&wait), "retried after about 2 s, not {wait} µs");

        let dead = eventually(Duration::from_secs(15), "the job to die", || {
            let app = app.clone();
            async move { Some(job_state(&app, id).await).filter(|j| j.state == "dead") }
        }).await;
        assert_eq!(dead.attempts, 2);

        let (_, admin) = server.user("admin").await;
        let listed = admin.get("/api/v1/jobs?state=dead").await;
        assert_eq!(listed.body["items"][0]["id"], id);
        let retried = admin.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
        assert_eq!(retried.status, 200, "{:?}", retried.body);
        assert_eq!(retried.body["state"], "queued");
        assert_eq!(retried.body["attempts"], 0);
        admin.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await.assert_problem(409, "job_not_dead");
        eventually(Duration::from_secs(10), "the retried job to run again", || {
            let app = app.clone();
            async move { Some(job_state(&app, id).await).filter(|j| j.attempts >= 1) }
        }).await;
        server.stop().await;
    }

    async fn jobs_without_a_handler_go_to_the_dead_letters(db: TestDb) {
        let server = db.start().await;
        let app = server.app().clone();
        let job = NewJob { kind: "no.such.kind", payload: json!({}), run_at: Ts::now(), max_attempts: 5, unique_key: None };
        let id = app.db.enqueue_job(&job).await.expect("enqueue").expect("id");
        let dead = eventually(Duration::from_secs(10), "the job to die", || {
            let app = app.clone();
            async move { Some(job_state(&app, id).await).filter(|j| j.state == "dead") }
        }).await;
        assert_eq!(dead.attempts, 1, "no retries for a permanent failure");
        assert!(dead.last_error.unwrap_or_default().contains("no handler"));
        server.stop().await;
    }

    async fn outbox_events_reach_their_subscribers_once(db: TestDb) {
        let handle = db.connect().await;
        let app = App::new(handle, AppConfig::default());
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let mut registry = Registry::new();
        let sink = seen.clone();
        registry.subscribe(Subscriber { name: "test".into(), event_prefix: "user.".into(), job_kind: "test.seen".into() });
        registry.handle("test.seen", move |_ctx, payload| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push(payload["kind"].as_str().unwrap_or("").to_string());
                Ok(())
            }
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let a = tokio::spawn(Worker::new(app.clone(), fast_worker("a"), registry.clone()).run(stopped.clone()));
        let b = tokio::spawn(Worker::new(app.clone(), fast_worker("b"), registry).run(stopped));
        let input = opsdesk_app::users::CreateUser { email: "o@example.test".into(), name: "O".into(), role: "agent".into(), ..Default::default() };
        let user = app.create_user(&opsdesk_domain::Actor::system(), input).await.expect("user");
        let org = opsdesk_app::groups::CreateOrganization { name: "Not for this subscriber".into() };
        app.create_organization(&opsdesk_domain::Actor::system(), org).await.expect("org");
        let got = eventually(Duration::from_secs(10), "the subscriber to run", || {
            let seen = seen.clone();
            async move { let v = seen.lock().expect("lock").clone(); (!v.is_empty()).then_some(v) }
        }).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(got, ["user.created"]);
        assert_eq!(seen.lock().expect("lock").len(), 1, "delivered once although two workers run");
        let events = app.db.events_of(&format!("user:{}", user.id)).await.expect("events");
        assert_eq!(events.len(), 1);
        let _ = stop.send(true);
        let _ = tokio::join!(a, b);
    }

    async fn each_scheduled_occurrence_is_enqueued_once(db: TestDb) {
        let handle = db.connect().await;
        let app = App::new(handle, AppConfig::default());
        let runs: Arc<Mutex<u32>> = Arc::default();
        let mut registry = Registry::new();
        let counter = runs.clone();
        registry.schedule(Schedule { name: "hourly-test".into(), every: Duration::from_secs(3600), job_kind: "test.tick".into(), payload: json!({}) });
        registry.handle("test.tick", move |_ctx, _| {
            let counter = counter.clone();
            async move { *counter.lock().expect("lock") += 1; Ok(()) }
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers: Vec<_> = ["a", "b", "c"].iter().map(|id| tokio::spawn(Worker::new(app.clone(), fast_worker(id), registry.clone()).run(stopped.clone()))).collect();
        eventually(Duration::from_secs(10), "the scheduled job to run", || {
            let runs = runs.clone();
            async move { (*runs.lock().expect("lock") > 0).then_some(()) }
        }).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(*runs.lock().expect("lock"), 1, "three workers, one occurrence, one run");
        let _ = stop.send(true);
        for w in workers { let _ = w.await; }
    }
}
