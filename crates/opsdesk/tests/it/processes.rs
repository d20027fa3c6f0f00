//! The binary as operators run it: several worker processes on one database, and processes
//! killed with SIGKILL at awkward moments.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Starts `opsdesk serve` with extra arguments; output is discarded.
fn spawn_serve(db: &TestDb, args: &[&str]) -> Child {
    opsdesk(db)
        .arg("serve")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn opsdesk serve")
}

/// Kills a child when the test ends, however it ends.
struct Reaper(Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn migrate(db: &TestDb) {
    let out = opsdesk(db).arg("migrate").output().expect("migrate");
    assert!(out.status.success(), "migrate: {}", String::from_utf8_lossy(&out.stderr));
}

both_backends! {
    async fn two_worker_processes_run_each_of_10000_jobs_once(db: TestDb) {
        migrate(&db);
        let workers = Reaper(vec![
            spawn_serve(&db, &["--role", "worker", "--worker-concurrency", "8"]),
            spawn_serve(&db, &["--role", "worker", "--worker-concurrency", "8"]),
        ]);
        let out = tokio::task::spawn_blocking({
            let mut cmd = opsdesk(&db);
            cmd.args(["queue", "probe", "--jobs", "10000", "--timeout-secs", "240"]);
            move || cmd.output().expect("probe")
        }).await.expect("join");
        drop(workers);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("probe report: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(report["runs"], 10000, "{report}");
        assert_eq!(report["finished"], 10000, "{report}");
        assert_eq!(report["ran_more_than_once"], 0, "{report}");
        assert_eq!(report["lost"], 0, "{report}");
        let per_worker = report["workers"].as_array().expect("workers");
        assert_eq!(per_worker.len(), 2, "both processes took jobs: {report}");
        assert!(out.status.success());
        eprintln!("two workers drained 10,000 probe jobs on {}: {report}", db.backend.name());
    }

    async fn a_job_of_a_killed_worker_runs_again_after_its_lease(db: TestDb) {
        migrate(&db);
        let out = opsdesk(&db).args(["queue", "probe", "--jobs", "1", "--sleep-ms", "3000", "--no-wait"]).output().expect("enqueue");
        let ids: Value = serde_json::from_slice(&out.stdout).expect("ids");
        let job_id = ids["first_job"].as_i64().expect("job id");
        let handle = db.connect().await;

        let mut first = Reaper(vec![spawn_serve(&db, &["--role", "worker", "--job-lease-secs", "2"])]);
        eventually(Duration::from_secs(30), "the first worker to start the job", || {
            let h = handle.clone();
            async move { let s = h.probe_summary(job_id, job_id).await.ok()?; (s.runs == 1).then_some(()) }
        }).await;
        first.0[0].kill().expect("SIGKILL");
        let _ = first.0[0].wait();
        let killed_at = Instant::now();
        let job = handle.job(job_id).await.expect("job");
        assert_eq!(job.state, "running", "the dead worker still holds the lease");
        let dead_worker = job.leased_by.clone().expect("lease holder");

        let _second = Reaper(vec![spawn_serve(&db, &["--role", "worker", "--job-lease-secs", "2"])]);
        let done = eventually(Duration::from_secs(30), "the job to be finished by the second worker", || {
            let h = handle.clone();
            async move { h.job(job_id).await.ok().filter(|j| j.state == "done") }
        }).await;
        let s = handle.probe_summary(job_id, job_id).await.expect("summary");
        assert_eq!((s.runs, s.finished), (2, 1), "started twice, finished once: {s:?}");
        assert_eq!(done.attempts, 2);
        assert_ne!(done.leased_by.as_deref(), Some(dead_worker.as_str()), "another worker finished it");
        assert!(killed_at.elapsed() >= Duration::from_secs(1), "not taken over before the lease ran out");
    }

    async fn readme_quick_start_serves_demo_logins(db: TestDb) {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = opsdesk(&db).args(["serve", "--demo", "--listen", &listen]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let _reaper = Reaper(vec![child]);
        let base = format!("http://{listen}");
        wait_healthy(&base, Duration::from_secs(60)).await;
        let banner = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            std::io::BufReader::new(stdout).lines().take(5).map_while(Result::ok).collect::<Vec<_>>().join("\n")
        }).await.expect("banner");
        assert!(banner.contains("admin@opsdesk.test") && banner.contains("requester@acme.test"), "{banner}");
        for l in opsdesk_app::demo::DEMO_LOGINS {
            let (_, r) = Client::browser(&base, l.email, l.password).await;
            assert_eq!(r.status, 200, "{} signs in: {:?}", l.role, r.body);
            assert_eq!(r.body["user"]["role"], l.role);
        }
    }
}

/// SQLite is the backend whose file lives with the process; a SIGKILL mid-write must leave it
/// consistent, with every acknowledged write in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_sigkill_while_writing() {
    let db = TestDb::new(opsdesk_store::Backend::Sqlite).await;
    migrate(&db);
    let token = {
        let out = opsdesk(&db)
            .args(["user", "create", "--email", "ops@example.test", "--name", "Ops", "--role", "admin"])
            .output()
            .expect("create");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = opsdesk(&db).args(["user", "token", "--email", "ops@example.test"]).output().expect("token");
        String::from_utf8(out.stdout).expect("utf8").trim().to_string()
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    // The default durability (synchronous=FULL), as a user runs it.
    let mut server = opsdesk(&db)
        .env("OPSDESK_SQLITE_SYNC", "full")
        .args(["serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_healthy(&base, Duration::from_secs(30)).await;

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (base, token, acked) = (base.clone(), token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0.. {
                let name = format!("org-{w}-{i}");
                let r = http
                    .post(format!("{base}/api/v1/organizations"))
                    .bearer_auth(&token)
                    .json(&json!({"name": name}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => acked.lock().expect("lock").push(name),
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Killed once writes are under way, however slowly the machine makes them (a fixed sleep
    // left too few acknowledged under load).
    let acked_so_far = acknowledged.clone();
    eventually(Duration::from_secs(60), "writes under way", || {
        let n = acked_so_far.lock().expect("lock").len();
        async move { (n > 50).then_some(()) }
    })
    .await;
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    for w in writers {
        let _ = w.await;
    }
    let acked = acknowledged.lock().expect("lock").clone();
    assert!(acked.len() > 50, "writes were under way when the server died ({} acknowledged)", acked.len());

    let mut again = Reaper(vec![opsdesk(&db)
        .args(["serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart")]);
    wait_healthy(&base, Duration::from_secs(30)).await;
    let handle = db.connect().await;
    let stored: std::collections::HashSet<String> =
        handle.organizations(0, 1_000_000).await.expect("orgs").into_iter().map(|o| o.name).collect();
    let missing: Vec<&String> = acked.iter().filter(|n| !stored.contains(*n)).collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut conn).await.expect("check");
    assert_eq!(check, "ok");
    again.0[0].kill().ok();
}
