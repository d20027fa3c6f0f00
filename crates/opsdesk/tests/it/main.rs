//! Integration tests of the whole server through its public interfaces: HTTP, the CLI, and the
//! processes an operator runs. Every test that touches a database runs on SQLite and on
//! PostgreSQL by the same code (see `both_backends!`).

mod helpers;
mod smtp_sink;

mod access;
mod admin_mail_pages;
mod admin_users_groups;
mod approvals;
mod approvals_pages;
mod browser;
mod browser_approvals;
mod browser_catalog;
mod browser_changes;
mod browser_cmdb;
mod catalog;
mod catalog_pages;
mod change_admin_pages;
mod change_calendar;
mod change_pages;
mod changes;
mod changes_links;
mod cli;
mod cmdb;
mod cmdb_pages;
mod errors;
mod identities;
mod kb;
mod kinds;
mod kinds_pages;
mod login;
mod mail;
mod mail_atomic;
mod mail_out;
mod mail_pages;
mod mailbox;
mod openapi;
mod pages_for_browsers;
mod password_reset;
mod processes;
mod queue;
mod search_input;
mod sla;
mod sla_pages;
mod smtp_in;
mod ticket_page_history;
mod tickets;
mod triage;
