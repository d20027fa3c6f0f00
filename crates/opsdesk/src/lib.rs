//! The `opsdesk` binary's library: configuration, the command line, and starting the server
//! and worker. Tests start the real server in-process through `server::start`.
#![forbid(unsafe_code)]

pub mod cli;
pub mod cmdb_io;
pub mod import;
pub mod logging;
pub mod mail_in;
pub mod server;
pub mod smtp_in;
