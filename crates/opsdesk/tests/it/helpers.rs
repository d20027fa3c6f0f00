//! Test harness: a fresh database per test on either backend, the real server started
//! in-process on port 0, and the real binary for process-level tests.

use opsdesk::server::{self, Role, Running, ServerConfig};
use opsdesk_store::{Backend, Db, DbOptions};
use opsdesk_web::WebConfig;
use opsdesk_worker::WorkerConfig;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Generates one test per backend from one body: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($db:ident : TestDb) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn body($db: $crate::helpers::TestDb) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { body($crate::helpers::TestDb::new(opsdesk_store::Backend::Sqlite).await).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { body($crate::helpers::TestDb::new(opsdesk_store::Backend::Postgres).await).await }
            }
        )*
    };
}

/// A fresh, empty database of one backend, private to one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A PostgreSQL test database is dropped when its test ends, passed or failed: a suite that
/// kept them would fill a small CI disk with a few hundred databases.
impl Drop for TestDb {
    fn drop(&mut self) {
        if self.backend != Backend::Postgres {
            return;
        }
        let (Ok(admin), Some(name)) = (std::env::var("OPSDESK_TEST_POSTGRES_URL"), self.url.rsplit('/').next()) else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop cannot await and may run inside the test's runtime: a thread of its own with a
        // one-shot runtime does the work, and the test waits for it.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.ok()?;
                sqlx::Executor::execute(&mut conn, statement.as_str()).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("opsdesk.db").display());
                TestDb { backend, url, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin = std::env::var("OPSDESK_TEST_POSTGRES_URL").expect(
                    "PostgreSQL tests need OPSDESK_TEST_POSTGRES_URL; run ./scripts/test, which starts a throwaway cluster",
                );
                let name = format!("opsdesk_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("cannot reach the test PostgreSQL server");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDb { backend, url: format!("{base}/{name}"), _dir: None }
            }
        }
    }

    pub fn options(&self) -> DbOptions {
        let mut o = DbOptions::new(self.url.clone());
        // Durability to power loss is not what these tests check; keep them fast.
        o.sqlite_synchronous_full = false;
        o
    }

    /// A direct handle for assertions on stored state.
    pub async fn connect(&self) -> Db {
        let db = Db::connect(&self.options()).await.expect("connect");
        db.migrate().await.expect("migrate");
        db
    }

    /// Starts the real server (HTTP and worker) in-process on a free port.
    pub async fn start(&self) -> TestServer {
        self.start_with(Role::All, false).await
    }

    pub async fn start_with(&self, role: Role, demo: bool) -> TestServer {
        self.start_with_mail(role, demo, opsdesk_app::mail::MailConfig::default()).await
    }

    /// Starts the server with the email channel configured (an SMTP sink, limits).
    pub async fn start_with_mail(&self, role: Role, demo: bool, mail: opsdesk_app::mail::MailConfig) -> TestServer {
        self.start_custom(|c| {
            c.role = role;
            c.demo = demo;
            c.mail = mail;
        })
        .await
    }

    /// Starts the server with the test defaults changed by `change` (worker timings, the SMTP
    /// listener, ...).
    pub async fn start_custom(&self, change: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let mut worker = WorkerConfig { idle_poll: Duration::from_millis(50), ..WorkerConfig::default() };
        // Mailboxes configured during a test are picked up at once.
        worker.mailbox.scan = Duration::from_millis(200);
        let mut config = ServerConfig {
            database: self.options(),
            listen: "127.0.0.1:0".into(),
            role: Role::All,
            demo: false,
            web: WebConfig::default(),
            worker,
            mail: opsdesk_app::mail::MailConfig::default(),
            smtp_listen: None,
        };
        change(&mut config);
        let running = server::start(config).await.expect("server starts");
        let base = running.addr.map(|a| format!("http://{a}")).unwrap_or_default();
        TestServer { base, running: Some(running) }
    }
}

pub struct TestServer {
    pub base: String,
    pub running: Option<Running>,
}

impl TestServer {
    pub fn app(&self) -> &opsdesk_app::App {
        &self.running.as_ref().expect("running").app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client { base: self.base.clone(), http: reqwest::Client::new(), token: None, csrf: None }
    }

    /// Creates a user with `role` through the application and returns a client holding an API
    /// token of theirs.
    pub async fn user(&self, role: &str) -> (opsdesk_store::users::User, Client) {
        let app = self.app();
        let email = format!("{role}-{}@example.test", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let input = opsdesk_app::users::CreateUser {
            email,
            name: format!("Test {role}"),
            role: role.into(),
            password: Some("a long enough password".into()),
            ..Default::default()
        };
        let user = app.create_user(&opsdesk_domain::Actor::system(), input).await.expect("create user");
        let issued = app.issue_api_token(&opsdesk_domain::Actor::system(), user.id, "test").await.expect("token");
        let client =
            Client { base: self.base.clone(), http: reqwest::Client::new(), token: Some(issued.secret), csrf: None };
        (user, client)
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

/// An HTTP client bound to one server and one identity.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    /// Echoed as X-CSRF-Token on writes when the identity is a session cookie.
    pub csrf: Option<String>,
}

/// A response's status and body, read once.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts an RFC 9457 problem with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {:?}", self.body);
        assert_eq!(self.content_type(), "application/problem+json", "content type of {:?}", self.body);
        assert_eq!(self.body["status"], status, "{:?}", self.body);
        assert_eq!(self.body["code"], code, "{:?}", self.body);
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "a human detail: {:?}", self.body);
    }
}

impl Client {
    /// A cookie-session client (a browser): signs in with email and password.
    pub async fn browser(base: &str, email: &str, password: &str) -> (Client, Reply) {
        let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let mut c = Client { base: base.to_string(), http, token: None, csrf: None };
        let r = c
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        c.csrf = r.body["csrf_token"].as_str().map(str::to_string);
        (c, r)
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.csrf {
            req = req.header("x-csrf-token", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        read(res).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
}

pub async fn read(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply { status, headers, body }
}

/// The `opsdesk` binary built with these tests.
pub fn opsdesk_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_opsdesk"))
}

/// A command running the binary against `db`, with logs quiet.
pub fn opsdesk(db: &TestDb) -> std::process::Command {
    let mut c = std::process::Command::new(opsdesk_bin());
    c.env("OPSDESK_DATABASE_URL", &db.url).env("OPSDESK_SQLITE_SYNC", "normal").env("RUST_LOG", "warn");
    c
}

/// Polls `check` until it returns `Some`, or fails the test after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A free loopback port (bound and released; good enough for a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Waits until `GET {base}/healthz` answers 200.
pub async fn wait_healthy(base: &str, limit: Duration) {
    let http = reqwest::Client::new();
    eventually(limit, "the server to answer /healthz", || {
        let http = http.clone();
        let url = format!("{base}/healthz");
        async move { http.get(url).send().await.ok().filter(|r| r.status() == 200).map(|_| ()) }
    })
    .await
}

/// A signed-in browser-like client (cookie session and CSRF token) for a user whose password
/// is `password`.
pub async fn session_with(server: &TestServer, email: &str, password: &str) -> Client {
    let (c, r) = Client::browser(&server.base, email, password).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    c
}

/// GETs a page with the client's session: its status and body.
pub async fn page(c: &Client, path: &str) -> (u16, String) {
    let res = c.http.get(format!("{}{path}", c.base)).send().await.expect("get");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

/// The text of the field error element `id` in a rendered form, or "" when the page has none.
pub fn field_error<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("<p class=\"field-error\" id=\"{id}\">");
    match html.find(&marker) {
        Some(i) => {
            let rest = &html[i + marker.len()..];
            &rest[..rest.find("</p>").unwrap_or(rest.len())]
        }
        None => "",
    }
}

/// Posts a form with the session's CSRF token (unless `csrf` is false) and follows the
/// redirect: the final status, path and body.
pub async fn post_form(c: &Client, path: &str, fields: &[(&str, &str)], csrf: bool) -> (u16, String, String) {
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    let token = c.csrf.clone().unwrap_or_default();
    if csrf {
        pairs.push(("csrf", &token));
    }
    let res = c.http.post(format!("{}{path}", c.base)).form(&pairs).send().await.expect("post");
    let status = res.status().as_u16();
    let url = res.url().path().to_string();
    (status, url, res.text().await.expect("body"))
}

/// Text as the templates escape it.
pub fn esc(raw: &str) -> String {
    raw.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// The body of a `201 Created` answer (the assertion names the body otherwise).
pub fn created(r: Reply) -> serde_json::Value {
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

/// The body of a `200 OK` answer (the assertion names the body otherwise).
pub fn ok(r: Reply) -> serde_json::Value {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// A configuration item created by the system, with no attributes or identifiers: its id.
pub async fn system_ci(app: &opsdesk_app::App, class: &str, name: &str) -> i64 {
    let input = opsdesk_app::cmdb::CiInput {
        class: class.into(),
        name: name.into(),
        status: None,
        attributes: Default::default(),
        identifiers: serde_json::json!({}),
        offered_to: None,
    };
    app.create_ci(&opsdesk_domain::Actor::system(), input, "test").await.expect("ci").id
}
