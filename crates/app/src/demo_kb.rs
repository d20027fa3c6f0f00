//! Demo knowledge articles: a handful of realistic how-tos and known errors, published (one
//! internal, one with a revision in review), seeded once with the demo desk.

use crate::kb::{ArticleInput, TransitionArticle, UpdateArticle};
use crate::{App, Result};
use opsdesk_domain::Actor;

struct Demo {
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    visibility: &'static str,
    tags: &'static [&'static str],
}

const ARTICLES: [Demo; 6] = [
    Demo {
        title: "Reset a forgotten password",
        summary: "Self-service password reset for your company account.",
        body: "## Steps\n\n1. Open the sign-in page and choose **Forgot password**.\n2. Enter your work email address.\n3. Follow the link in the email (it is valid for 30 minutes).\n4. Choose a password of at least 12 characters.\n\nThe new password works on the laptop, email and the VPN within five minutes.\n",
        visibility: "public",
        tags: &["password", "account"],
    },
    Demo {
        title: "VPN drops every hour",
        summary: "Known error: the VPN client disconnects after 60 minutes on older versions.",
        body: "## Symptom\n\nThe tunnel drops about every hour and reconnects only after a restart of the client.\n\n## Workaround\n\n1. Quit the VPN client.\n2. Install version 5.2 or later from the software center.\n3. Sign in again.\n",
        visibility: "public",
        tags: &["vpn", "remote", "known-error"],
    },
    Demo {
        title: "Printer shows paper jam but the tray is empty",
        summary: "Clearing a phantom jam on the floor printers.",
        body: "1. Open tray B and the rear door.\n2. Remove any torn paper from the rollers.\n3. Close both and switch the printer off and on.\n\nIf the message stays, log a ticket with the printer's asset tag.\n",
        visibility: "public",
        tags: &["printer"],
    },
    Demo {
        title: "Set up work email on a phone",
        summary: "Mail, calendar and contacts on iOS and Android.",
        body: "Install the company portal app, sign in with your work account and enrol the phone. Then add an **Exchange** account with your email address; the server is found automatically.\n",
        visibility: "public",
        tags: &["email", "mobile"],
    },
    Demo {
        title: "Unlock an account in the directory",
        summary: "For the service desk: unlocking after too many wrong passwords.",
        body: "Accounts lock for 15 minutes after 10 wrong passwords.\n\n1. Verify the caller's identity with the callback number.\n2. In the directory console, open the user and choose **Unlock**.\n3. Note the ticket number in the user's description field.\n",
        visibility: "internal",
        tags: &["account", "password", "service-desk"],
    },
    Demo {
        title: "Wi-Fi keeps disconnecting",
        summary: "Troubleshooting the office wireless network.",
        body: "1. Forget the network *Corp-WiFi* and join it again.\n2. Update the wireless driver from the software center.\n3. Move away from the lift shaft on floor three: coverage there is weak.\n",
        visibility: "public",
        tags: &["wifi", "network"],
    },
];

impl App {
    /// Seeds the demo articles unless there are articles already.
    pub(crate) async fn seed_demo_articles(&self, owner: Option<i64>) -> Result<()> {
        if !self.db.articles(&opsdesk_store::kb::ArticleFilter { limit: 1, ..Default::default() }).await?.is_empty() {
            return Ok(());
        }
        let system = Actor::system();
        for (i, d) in ARTICLES.iter().enumerate() {
            let input = ArticleInput {
                title: d.title.into(),
                summary: d.summary.into(),
                body: d.body.into(),
                visibility: Some(d.visibility.into()),
                tags: d.tags.iter().map(|t| t.to_string()).collect(),
                owner: owner.map(crate::tickets::Ref::Id),
                review_by: Some("2027-06-30".into()),
                ..Default::default()
            };
            let a = self.create_article(&system, input).await?;
            for to in ["in_review", "published"] {
                self.transition_article(&system, a.id, None, TransitionArticle { to: to.into(), note: None }).await?;
            }
            if i == 1 {
                // A revision in review while version 1 stays live.
                let rev = UpdateArticle {
                    body: Some(format!("{}4. If it still drops, send the client log to the Network group.\n", d.body)),
                    note: Some("escalation step".into()),
                    ..Default::default()
                };
                self.save_article(&system, a.id, None, rev).await?;
                self.transition_article(&system, a.id, None, TransitionArticle { to: "in_review".into(), note: None })
                    .await?;
            }
        }
        Ok(())
    }
}
