//! Opsdesk's email edge: what an inbound message says (parsing every shape real clients send,
//! never failing), what it is (an auto-reply, a list mail, a bounce, our own mail coming back),
//! where it belongs (threading decisions), what of it is shown (sanitised HTML, collapsed
//! quotes and signatures), and how an outbound notification is rendered. Everything here is
//! pure: no database, no network, so every rule is tested on its own.
#![forbid(unsafe_code)]

pub mod address;
pub mod classify;
pub mod inbound;
pub mod outbound;
pub mod quote;
pub mod sanitize;
pub mod template;
pub mod thread;

pub use address::Mailbox;
pub use classify::{Classification, Signals};
pub use inbound::{Bounce, InboundAttachment, InboundMail};
pub use thread::{Decision, ThreadFacts};

/// The header our outgoing mail carries, so that it is recognised if it ever comes back.
pub const LOOP_HEADER: &str = "X-Opsdesk-Loop";
