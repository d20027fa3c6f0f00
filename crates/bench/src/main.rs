//! `opsdesk-bench`: parses the command line and calls the library.

use clap::{Parser, Subcommand};
use opsdesk_bench::generate::{self, GenerateConfig};
use opsdesk_bench::report;
use opsdesk_bench::run::{self, RunConfig};
use opsdesk_bench::sla_scan::{self, SlaScanConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "opsdesk-bench", version, about = "Opsdesk load and data set generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fill a database with a synthetic desk: people, groups, and N tickets.
    Generate {
        /// sqlite://FILE (created if absent) or postgres://USER:PASS@HOST/DB; best a fresh one.
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        tickets: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Tickets per transaction.
        #[arg(long, default_value_t = 5000)]
        batch: u64,
        /// Also save the token and group for the runner as JSON here (mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load N generated knowledge articles (unless the database has some) and time searches.
    KbSearch {
        /// sqlite://FILE (created if absent) or postgres://...; best a fresh one.
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        articles: u64,
        #[arg(long, default_value_t = 5_000)]
        queries: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Articles per transaction.
        #[arg(long, default_value_t = 2000)]
        batch: u64,
    },
    /// Load a CMDB of N items and R relationships (unless it has items), time impact analysis
    /// from random items in both directions, then an inventory push; prints JSON.
    Cmdb {
        /// sqlite://FILE (created if absent) or postgres://...; best a fresh one.
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        cis: u64,
        #[arg(long, default_value_t = 3_000_000)]
        relationships: u64,
        #[arg(long, default_value_t = 1000)]
        queries: u64,
        #[arg(long, default_value_t = 5)]
        depth: u32,
        #[arg(long, default_value_t = 100_000)]
        inventory: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Load a CMDB graph, the synthetic desk's people and M scheduled changes into a fresh
    /// database, then time the conflict check of random changes and the calendar's month; prints
    /// JSON (the `--out` file also holds the API token and sign-in for `run`).
    Changes {
        /// A fresh database: sqlite://FILE (created if absent) or postgres://...
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        cis: u64,
        #[arg(long, default_value_t = 300_000)]
        relationships: u64,
        #[arg(long, default_value_t = 100_000)]
        changes: u64,
        /// How many changes fall in one calendar month.
        #[arg(long, default_value_t = 5_000)]
        per_month: u64,
        #[arg(long, default_value_t = 1000)]
        checks: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Measure the ticket API of a running server: create, get, list, search.
    Run {
        /// The server, on a loopback address only.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
        /// An API token of an agent who sees every group (printed by `generate`).
        #[arg(long, env = "OPSDESK_BENCH_TOKEN", hide_env_values = true)]
        token: String,
        /// The group whose open queue the list scenario shows.
        #[arg(long)]
        group: String,
        #[arg(long, default_value_t = 10)]
        duration_secs: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Report this process's resident memory after each scenario.
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The scenarios to run, in order.
        #[arg(long, default_value = "create,get,list,search")]
        scenarios: String,
        /// Threads of the load generator itself (it shares the machine with the server).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// An agent's sign-in for the page scenarios (they use a session cookie, as a browser does).
        #[arg(long)]
        email: Option<String>,
        #[arg(long, env = "OPSDESK_BENCH_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Time the SLA breach scan: build a database of open tickets with running clocks, some
    /// due within the minute, then time the query for due clocks and the whole scan.
    SlaScan {
        /// A fresh database: sqlite://FILE (created if absent) or postgres://...
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// Clocks whose first warning falls within the minute.
        #[arg(long, default_value_t = 1_000)]
        due: u64,
        /// Tickets per transaction while building.
        #[arg(long, default_value_t = 10_000)]
        batch: u64,
        /// SQLite `synchronous` for the timed part (the server's default is full).
        #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
        sqlite_sync: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Time email ingestion of a mixed corpus (new requests, replies, HTML, attachments,
    /// auto-replies, bounces, duplicates) through the pipeline `opsdesk mail-in` uses.
    MailIn {
        /// sqlite://FILE (created if absent) or postgres://...; a fresh one is best.
        #[arg(long, env = "OPSDESK_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 5000)]
        messages: usize,
        /// Messages in flight at once (1: one after the other).
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Spawn this `opsdesk` binary's `mail-in` once per message (as an MTA pipe does)
        /// instead of calling the pipeline in this process.
        #[arg(long)]
        process: Option<PathBuf>,
        /// SQLite `synchronous` (the server's and `mail-in`'s default is full).
        #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
        sqlite_sync: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match real_main(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opsdesk-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Cmdb { database_url, cis, relationships, queries, depth, inventory, seed } => {
            let cfg =
                opsdesk_bench::cmdb::CmdbConfig { database_url, cis, relationships, queries, depth, inventory, seed };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = rt.block_on(opsdesk_bench::cmdb::cmdb(&cfg))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Changes { database_url, cis, relationships, changes, per_month, checks, seed, out } => {
            let cfg = opsdesk_bench::changes::ChangesConfig {
                database_url,
                cis,
                relationships,
                changes,
                per_month,
                checks,
                seed,
                out,
            };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = rt.block_on(opsdesk_bench::changes::changes(&cfg))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::KbSearch { database_url, articles, queries, seed, batch } => {
            let cfg = opsdesk_bench::kb::KbConfig { database_url, articles, queries, seed, batch };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (loaded, timings) = rt.block_on(opsdesk_bench::kb::bench(&cfg))?;
            if let Some(s) = loaded {
                println!("loaded {articles} articles in {s:.1} s");
            }
            let mut all: Vec<u32> = timings.iter().flat_map(|t| t.micros.iter().copied()).collect();
            all.sort_unstable();
            for t in &timings {
                println!("{}", t.line());
            }
            let all = opsdesk_bench::kb::Timing { name: "all queries", micros: all, empty: 0 };
            println!("{}", all.line());
            Ok(())
        }
        Command::Generate { database_url, tickets, seed, batch, out } => {
            let cfg = GenerateConfig { database_url, tickets, seed, batch, out };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let g = rt.block_on(generate::generate(&cfg))?;
            println!(
                "generated {} tickets ({} comments, newest incident INC-{}) in {:.1} s ({:.1} s of it people and groups)",
                g.tickets, g.comments, g.incidents, g.seconds, g.people_seconds
            );
            println!("token: {}", g.token);
            println!("group: {}", g.group);
            Ok(())
        }
        Command::Run {
            base_url,
            token,
            group,
            duration_secs,
            concurrency,
            server_pid,
            seed,
            scenarios,
            threads,
            email,
            password,
            json,
        } => {
            let cfg = RunConfig {
                base_url: base_url.parse().map_err(|e| anyhow::anyhow!("--base-url {base_url:?}: {e}"))?,
                token,
                group,
                duration: Duration::from_secs(duration_secs),
                concurrency,
                server_pid,
                seed,
                scenarios: run::Scenario::parse_list(&scenarios)?,
                sign_in: email.zip(password),
            };
            cfg.check()?;
            anyhow::ensure!((1..=16).contains(&threads), "--threads is between 1 and 16");
            let rt = match threads {
                1 => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
                n => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?,
            };
            let (baseline, reports) = rt.block_on(run::run(&cfg))?;
            if json {
                let out = serde_json::json!({
                    "base_url": cfg.base_url.as_str(),
                    "duration_secs": duration_secs,
                    "concurrency": concurrency,
                    "client_threads": threads,
                    "server_rss_kb_before": baseline.map(|m| m.rss_kb),
                    "scenarios": reports.iter().map(report::ScenarioReport::to_json).collect::<Vec<_>>(),
                });
                println!("{out:#}");
            } else {
                if let Some(m) = baseline {
                    println!("server RSS before: {:.1} MB", m.rss_kb as f64 / 1024.0);
                }
                print!("{}", report::table(&reports));
                for r in reports.iter().filter(|r| !r.error_samples.is_empty()) {
                    println!("{} errors, e.g.: {}", r.name, r.error_samples.join(" | "));
                }
            }
            Ok(())
        }
        Command::MailIn { database_url, messages, concurrency, process, sqlite_sync, seed, json } => {
            let via = match process {
                Some(bin) => opsdesk_bench::mail_in::Via::Process(bin),
                None => opsdesk_bench::mail_in::Via::InProcess,
            };
            let cfg = opsdesk_bench::mail_in::MailInConfig {
                database_url,
                messages,
                concurrency,
                via,
                sqlite_synchronous_full: sqlite_sync == "full",
                seed,
            };
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let r = rt.block_on(opsdesk_bench::mail_in::bench(&cfg))?;
            if json {
                println!("{:#}", r.to_json());
            } else {
                print!("{}", r.text());
            }
            Ok(())
        }
        Command::SlaScan { database_url, tickets, due, batch, sqlite_sync, seed, json } => {
            let cfg = SlaScanConfig {
                database_url,
                tickets,
                due,
                batch,
                sqlite_synchronous_full: sqlite_sync == "full",
                seed,
            };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let r = rt.block_on(sla_scan::sla_scan(&cfg))?;
            if json {
                println!("{:#}", r.to_json());
            } else {
                print!("{}", r.text());
            }
            Ok(())
        }
    }
}
