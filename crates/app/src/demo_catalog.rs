//! Demo service catalog: categories and a few realistic items of the IT desk (a laptop with a
//! conditional field and a manager's approval above a price, software access approved by the
//! application team, and a new starter offered to one organisation), seeded once.

use crate::catalog::{AudienceInput, CatalogCategoryInput, CatalogItemInput};
use crate::tickets::Ref;
use crate::{App, Result};
use opsdesk_domain::Actor;
use serde_json::{json, Value};

fn item(category: &str, title: &str, description: &str, form: Value) -> CatalogItemInput {
    CatalogItemInput {
        desk: Some(Ref::Name("IT".into())),
        category: Some(Ref::Name(category.into())),
        title: title.into(),
        description: description.into(),
        picture: None,
        form,
        approval: None,
        approval_skip_below: None,
        fulfilment: json!([]),
        price: None,
        delivery_days: None,
        sla_policy: None,
        audience: None,
        published: true,
        position: 0,
    }
}

impl App {
    /// Seeds the demo catalog unless the desk has one already.
    pub(crate) async fn seed_demo_catalog(&self) -> Result<()> {
        if !self.db.catalog_items().await?.is_empty() {
            return Ok(());
        }
        let system = Actor::system();
        for (position, (name, description)) in [
            ("Hardware", "Laptops, screens, phones and accessories."),
            ("Access and software", "Applications, licences and permissions."),
            ("People", "Joiners, movers and leavers."),
        ]
        .into_iter()
        .enumerate()
        {
            let input = CatalogCategoryInput {
                desk: Some(Ref::Name("IT".into())),
                name: name.into(),
                description: description.into(),
                position: position as i64,
            };
            self.put_catalog_category(&system, None, input).await?;
        }

        let mut laptop = item(
            "Hardware",
            "Laptop",
            "A company laptop with the standard image, delivered to your desk.",
            json!([
                {"key": "model", "label": "Model", "type": "select", "required": true,
                 "options": ["Standard 14\"", "Developer 16\""]},
                {"key": "ram", "label": "Memory (GB)", "type": "select", "required": true, "options": ["32", "64"],
                 "show_if": {"field": "model", "equals": "Developer 16\""},
                 "help": "Developers choose the memory of their machine."},
                {"key": "reason", "label": "What will you use it for?", "type": "textarea", "max_length": 1000},
                {"key": "accept", "label": "I accept the equipment policy", "type": "checkbox", "required": true},
            ]),
        );
        laptop.price = Some(1400.0);
        laptop.delivery_days = Some(5);
        // The requester's manager, or the workplace team for people without one.
        laptop.approval =
            Some(json!({"stages": [{"approvers": {"manager": true, "groups": ["Workplace"]}, "rule": "any"}]}));
        laptop.approval_skip_below = Some(500.0);
        laptop.fulfilment = json!([
            {"title": "Take a laptop from stock", "group": "Workplace"},
            {"title": "Image the laptop and hand it over", "group": "Workplace", "after": [0]},
        ]);
        self.put_catalog_item(&system, None, None, laptop).await?;

        let mut access = item(
            "Access and software",
            "Access to a business application",
            "Read or write access to one of the business applications.",
            json!([
                {"key": "application", "label": "Application", "type": "select", "required": true,
                 "options": ["CRM", "ERP", "Wiki"]},
                {"key": "level", "label": "Access", "type": "select", "required": true, "options": ["read", "write"]},
                {"key": "justification", "label": "Why do you need to write?", "type": "textarea", "required": true,
                 "min_length": 10, "show_if": {"field": "level", "equals": "write"}},
            ]),
        );
        access.delivery_days = Some(1);
        access.approval = Some(json!({"stages": [{"approvers": {"groups": ["Applications"]}, "rule": "any"}]}));
        access.fulfilment = json!([{"title": "Grant the access", "group": "Applications"}]);
        self.put_catalog_item(&system, None, None, access).await?;

        let mut starter = item(
            "People",
            "New starter",
            "Everything a new colleague needs on their first day: accounts, a desk and a badge.",
            json!([
                {"key": "name", "label": "Full name", "type": "text", "required": true, "max_length": 200},
                {"key": "start", "label": "First day", "type": "date", "required": true},
                {"key": "manager", "label": "Their manager", "type": "user"},
                {"key": "laptop", "label": "Needs a laptop", "type": "checkbox"},
            ]),
        );
        starter.delivery_days = Some(10);
        starter.audience =
            Some(AudienceInput { organizations: vec![Ref::Name("Acme Corporation".into())], groups: vec![] });
        starter.fulfilment = json!([
            {"title": "Create the accounts", "group": "Service Desk"},
            {"title": "Prepare the desk and the badge", "group": "Workplace"},
            {"title": "Welcome call", "group": "Service Desk", "after": [0, 1]},
        ]);
        self.put_catalog_item(&system, None, None, starter).await?;
        Ok(())
    }
}
