//! The command-line contract: flags, output, exit codes and one-line errors.

use crate::both_backends;
use crate::helpers::*;
use std::process::Stdio;
use std::time::Duration;

both_backends! {
    async fn user_create_and_token_then_me(db: TestDb) {
        let out = opsdesk(&db).args(["user", "create", "--email", "Kim@Example.test", "--name", "Kim Lee", "--role", "agent", "--password", "a long enough password"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(created["email"], "kim@example.test");

        let out = opsdesk(&db).args(["user", "token", "--email", "kim@example.test"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).expect("utf8");
        assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout:?}");
        let token = stdout.trim();
        assert!(token.starts_with("odk_"));

        let server = db.start_with(opsdesk::server::Role::Web, false).await;
        let mut client = server.anonymous();
        client.token = Some(token.to_string());
        let me = client.get("/api/v1/me").await;
        assert_eq!(me.status, 200, "{:?}", me.body);
        assert_eq!(me.body["user"]["id"], created["id"]);
        server.stop().await;
    }

    async fn cli_errors_are_one_line_and_nonzero(db: TestDb) {
        let dup = || opsdesk(&db).args(["user", "create", "--email", "a@example.test", "--name", "A", "--role", "admin"]).output().expect("run");
        assert!(dup().status.success());
        let again = dup();
        assert!(!again.status.success());
        let err = String::from_utf8_lossy(&again.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("already taken"), "{err}");
        let missing = opsdesk(&db).args(["user", "token", "--email", "ghost@example.test"]).output().expect("run");
        assert!(!missing.status.success());
        assert!(String::from_utf8_lossy(&missing.stderr).contains("no user has the email"));
        let bad = opsdesk(&db).args(["user", "create", "--email", "nope", "--name", "N", "--role", "agent", "--password", "short"]).output().expect("run");
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(!bad.status.success() && err.contains("--email") && err.contains("--password"), "{err}");
    }
}

fn serve_fails(args: &[&str], env_url: &str) -> String {
    let mut cmd = std::process::Command::new(opsdesk_bin());
    cmd.env("OPSDESK_DATABASE_URL", env_url).env("RUST_LOG", "off").arg("serve").args(args).stdout(Stdio::null());
    let mut child = cmd.stderr(Stdio::piped()).spawn().expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(!status.success(), "exit status must be non-zero");
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
            assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
            return err;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("opsdesk serve {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_configuration_ends_the_process_with_a_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let err = serve_fails(&["--listen", &addr], &url);
    assert!(err.contains("cannot listen on") && err.contains(&addr), "{err}");

    let err = serve_fails(&["--listen", "127.0.0.1:0"], "mysql://localhost/x");
    assert!(err.contains("unsupported database URL"), "{err}");

    let port = free_port();
    let err = serve_fails(&["--listen", "127.0.0.1:0"], &format!("postgres://opsdesk:secret@127.0.0.1:{port}/x"));
    assert!(err.contains("cannot open the database") && !err.contains("secret"), "{err}");

    let err = serve_fails(&["--listen", "not-an-address"], &url);
    assert!(err.contains("cannot listen on"), "{err}");

    let missing = dir.path().join("no-such-ca.pem");
    let err = serve_fails(&["--listen", "127.0.0.1:0", "--tls-ca-file", &missing.display().to_string()], &url);
    assert!(err.contains("cannot read certificates from") && err.contains("no-such-ca.pem"), "{err}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let err = serve_fails(&["--listen", "127.0.0.1:0", "--tls-ca-file", &empty.display().to_string()], &url);
    assert!(err.contains("holds no PEM certificate"), "{err}");
}

both_backends! {
    async fn import_tickets_is_idempotent_and_reports_lines(db: TestDb) {
        let out = opsdesk(&db).args(["user", "create", "--email", "rita@example.test", "--name", "Rita", "--role", "requester"]).output().expect("run");
        assert!(out.status.success());
        let dir = tempfile::tempdir().expect("dir");
        let csv = dir.path().join("legacy.csv");
        std::fs::write(&csv, "external_id,kind,title,description,impact,urgency,requester\n\
            OLD-1,incident,Printer jams,\"Paper jam, tray 2\",2,2,rita@example.test\n\
            OLD-2,service_request,Need a headset,,3,3,rita@example.test\n\
            OLD-3,incident,,no title here,2,2,rita@example.test\n\
            ,incident,No external id,,2,2,rita@example.test\n\
            OLD-5,incident,Bad impact,,9,2,rita@example.test\n").expect("write");
        let first = opsdesk(&db).args(["import", "tickets"]).arg(&csv).output().expect("run");
        let text = String::from_utf8_lossy(&first.stdout).to_string();
        assert_eq!(first.status.code(), Some(2), "rejected rows make a non-zero exit: {text}");
        assert!(text.starts_with("created 2, skipped 0 already imported, rejected 3"), "{text}");
        assert!(text.contains("line 4: title:"), "{text}");
        assert!(text.contains("line 5: external_id"), "{text}");
        assert!(text.contains("line 6: impact:"), "{text}");
        let again = opsdesk(&db).args(["import", "tickets"]).arg(&csv).output().expect("run");
        assert!(String::from_utf8_lossy(&again.stdout).starts_with("created 0, skipped 2 already imported"), "idempotent");

        let jsonl = dir.path().join("more.jsonl");
        std::fs::write(&jsonl, "{\"external_id\": \"J-1\", \"kind\": \"problem\", \"title\": \"Printers jam weekly\", \"requester\": \"rita@example.test\"}\n\nnot json\n").expect("write");
        let out = opsdesk(&db).args(["import", "tickets"]).arg(&jsonl).output().expect("run");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.starts_with("created 1, skipped 0 already imported, rejected 1"), "{text}");
        assert!(text.contains("line 3: not a ticket object"), "{text}");

        let handle = db.connect().await;
        let t = handle.ticket_by_number("INC-1").await.expect("imported");
        assert_eq!(t.title, "Printer jams");
        assert_eq!(t.description, "Paper jam, tray 2");
        assert_eq!(t.external_id.as_deref(), Some("OLD-1"));
        assert!(handle.ticket_by_number("PRB-1").await.is_ok());
    }

    async fn cmdb_items_import_and_export_without_duplicates(db: TestDb) {
        let dir = tempfile::tempdir().expect("dir");
        let csv = dir.path().join("servers.csv");
        std::fs::write(&csv, "class,name,serial,hostname,mac,cpu_count,os\n\
            server,web01,SN-1,web01.example.com,aa-bb-cc-00-00-01,8,Debian 12\n\
            server,web02,SN-2,web02.example.com,,four,Debian 12\n\
            virtual_machine,vm01,,vm01.example.com,,2,\n\
            spaceship,enterprise,NCC-1701,,,,\n").expect("write");
        let first = opsdesk(&db).args(["cmdb", "import"]).arg(&csv).output().expect("run");
        let text = String::from_utf8_lossy(&first.stdout).to_string();
        assert_eq!(first.status.code(), Some(2), "rejected items make a non-zero exit: {text}");
        assert!(text.starts_with("created 2, updated 0, unchanged 0, conflicts 0, rejected 2"), "{text}");
        assert!(text.contains("item 2: rejected: items[1].attributes.cpu_count"), "{text}");
        assert!(text.contains("item 4: rejected: items[3].class"), "{text}");
        let dry = opsdesk(&db).args(["cmdb", "import", "--dry-run"]).arg(&csv).output().expect("run");
        assert!(String::from_utf8_lossy(&dry.stdout).starts_with("dry run: created 0, updated 0, unchanged 2"));

        // What is exported imports back onto the same items.
        let out = opsdesk(&db).args(["cmdb", "export", "--format", "csv"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let exported = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(exported.starts_with("class,name,status,serial,asset_tag,hostname,mac,uuid,"), "{exported}");
        assert!(exported.contains("server,web01,live,SN-1,,web01.example.com,AA:BB:CC:00:00:01,"), "{exported}");
        let back = dir.path().join("export.csv");
        std::fs::write(&back, &exported).expect("write");
        let again = opsdesk(&db).args(["cmdb", "import", "--source", "roundtrip"]).arg(&back).output().expect("run");
        let text = String::from_utf8_lossy(&again.stdout).to_string();
        assert!(text.starts_with("created 0, updated 0, unchanged 2"), "{text}");
        let json = opsdesk(&db).args(["cmdb", "export", "--format", "json", "--class", "virtual_machine"]).output().expect("run");
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
        assert_eq!(v["items"][0]["name"], "vm01");
        assert_eq!(v["items"][0]["attributes"]["cpu_count"], 2);
    }

    async fn demo_desk_has_a_thousand_tickets_and_is_idempotent(db: TestDb) {
        for expected in ["demo data created", "demo data was already there"] {
            let out = opsdesk(&db).arg("demo").output().expect("run");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected);
        }
        let server = db.start().await;
        assert_eq!(server.app().db.users(0, 1000).await.expect("users").len(), 9);
        let app = server.app();
        let (admin, _) = app.actor_for(1).await.expect("admin");
        let all = app.count_tickets(&admin, "").await.expect("count");
        assert_eq!(all, opsdesk_app::demo::DEMO_TICKET_COUNT as i64);
        for q in ["kind:incident status:open", "kind:service_request status:closed", "kind:problem status:known_error", "status:on_hold"] {
            assert!(app.count_tickets(&admin, q).await.expect("count") > 0, "the demo has {q}");
        }
        let (agent, _) = app.actor_for(2).await.expect("agent");
        let mine = app.count_tickets(&agent, "").await.expect("count");
        assert!(mine > 0 && mine < all, "the demo agent sees their groups' tickets only ({mine} of {all})");
        server.stop().await;
    }
}
