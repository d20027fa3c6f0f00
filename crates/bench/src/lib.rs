//! Opsdesk's load and data set generator: `generate` fills a database with a realistic
//! synthetic desk, `run` measures the ticket API of a running server against it, `sla_scan` times the
//! worker's SLA breach scan over a large set of running clocks, `mail_in` times email
//! ingestion of a mixed corpus, `cmdb` and `changes` time impact analysis and the change
//! conflict check on a large graph.
#![forbid(unsafe_code)]

pub mod changes;
pub mod cmdb;
pub mod desk;
pub mod generate;
pub mod kb;
pub mod mail_in;
pub mod report;
pub mod run;
pub mod sla_scan;
pub mod words;
