//! Opsdesk's load and data set generator: `generate` fills a database with a realistic
//! synthetic desk, `run` measures the ticket API of a running server against it.
#![forbid(unsafe_code)]

pub mod desk;
pub mod generate;
pub mod kb;
pub mod report;
pub mod run;
pub mod words;
