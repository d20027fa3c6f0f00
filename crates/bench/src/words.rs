//! The vocabulary of the synthetic desk: what breaks, where, and how people describe it. Titles
//! and descriptions are drawn from these lists so that full-text search has realistic matches:
//! a few very common words (password, vpn, outlook) and a long tail of rarer ones.

use rand::Rng;

/// Resolver groups of the synthetic desk, with a line about what each one does.
pub const GROUPS: [(&str, &str); 8] = [
    ("Service Desk", "First line: triage, how-to questions, badges and licences"),
    ("Network", "LAN, Wi-Fi, VPN, firewalls, DNS"),
    ("Applications", "Email, collaboration and business applications"),
    ("Workplace", "Laptops, phones, printers, monitors and peripherals"),
    ("Identity and Access", "Accounts, passwords, MFA, access requests"),
    ("Infrastructure", "Servers, storage, backup, virtual desktops"),
    ("Security", "Phishing, malware, certificates, security reviews"),
    ("Databases", "Database servers, reporting and data requests"),
];

/// Something a ticket is about: the word a search finds it by, how a title names it, the
/// group that works it, and how often it comes up (relative weight).
#[derive(Debug, Clone, Copy)]
pub struct Topic {
    pub word: &'static str,
    pub name: &'static str,
    pub group: usize,
    pub weight: u32,
}

const fn t(word: &'static str, name: &'static str, group: usize, weight: u32) -> Topic {
    Topic { word, name, group, weight }
}

pub const TOPICS: [Topic; 36] = [
    t("password", "password", 4, 14),
    t("vpn", "VPN", 1, 10),
    t("outlook", "Outlook", 2, 10),
    t("printer", "printer", 3, 9),
    t("laptop", "laptop", 3, 9),
    t("wifi", "WiFi", 1, 7),
    t("teams", "Teams", 2, 6),
    t("monitor", "monitor", 3, 5),
    t("mfa", "MFA", 4, 5),
    t("sharepoint", "SharePoint", 2, 4),
    t("excel", "Excel", 2, 4),
    t("phone", "phone", 3, 4),
    t("sap", "SAP", 2, 3),
    t("badge", "badge", 0, 3),
    t("server", "server", 5, 3),
    t("onedrive", "OneDrive", 2, 3),
    t("mailbox", "mailbox", 2, 3),
    t("headset", "headset", 3, 2),
    t("docking", "docking station", 3, 2),
    t("certificate", "certificate", 6, 2),
    t("firewall", "firewall", 1, 2),
    t("dns", "DNS", 1, 2),
    t("backup", "backup", 5, 2),
    t("database", "database", 7, 2),
    t("citrix", "Citrix", 5, 2),
    t("browser", "browser", 0, 2),
    t("antivirus", "antivirus", 6, 2),
    t("phishing", "phishing", 6, 2),
    t("salesforce", "Salesforce", 2, 2),
    t("jira", "Jira", 2, 2),
    t("license", "license", 0, 2),
    t("calendar", "calendar", 2, 2),
    t("keyboard", "keyboard", 3, 1),
    t("scanner", "scanner", 3, 1),
    t("zoom", "Zoom", 2, 1),
    t("storage", "storage", 5, 1),
];

/// The words a search scenario looks for: every topic's word.
pub fn search_words() -> impl Iterator<Item = &'static str> {
    TOPICS.iter().map(|t| t.word)
}

/// A topic, common ones more often.
pub fn topic(rng: &mut impl Rng) -> Topic {
    let total: u32 = TOPICS.iter().map(|t| t.weight).sum();
    let mut n = rng.gen_range(0..total);
    for t in TOPICS {
        if n < t.weight {
            return t;
        }
        n -= t.weight;
    }
    TOPICS[0]
}

fn pick<'a>(rng: &mut impl Rng, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

/// The first letter in upper case (titles start with a capital).
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const INCIDENT_TITLES: [&str; 10] = [
    "{} not working",
    "Cannot connect to {}",
    "{} keeps crashing",
    "{} very slow since this morning",
    "Error message when opening {}",
    "{} stopped working after the update",
    "No access to {}",
    "{} down for the whole team",
    "Intermittent {} problems",
    "{} asks for credentials again and again",
];
const REQUEST_TITLES: [&str; 7] = [
    "New {} for a new starter",
    "Request access to {}",
    "Replace broken {}",
    "Please set up {} for a colleague",
    "Order a second {}",
    "Move {} to a new desk",
    "Increase {} quota",
];
const PROBLEM_TITLES: [&str; 4] =
    ["Recurring {} outages", "Root cause of {} failures", "{} incidents after patch day", "Repeated {} errors"];

/// A ticket title about `topic` for a kind (`incident`, `service_request`, `problem`).
pub fn title(rng: &mut impl Rng, kind: &str, topic: Topic) -> String {
    let template = match kind {
        "service_request" => pick(rng, &REQUEST_TITLES),
        "problem" => pick(rng, &PROBLEM_TITLES),
        _ => pick(rng, &INCIDENT_TITLES),
    };
    capitalised(&template.replacen("{}", topic.name, 1))
}

const WHEN: [&str; 7] = [
    "this morning",
    "yesterday afternoon",
    "the last update",
    "Monday",
    "the office move",
    "the password change last week",
    "the power cut",
];
const SYMPTOMS: [&str; 8] = [
    "does not respond",
    "shows a blank screen",
    "disconnects every few minutes",
    "asks for my credentials again and again",
    "is extremely slow",
    "fails with a timeout",
    "crashes on start",
    "cannot be found",
];
const SCOPES: [&str; 5] = [
    "only me",
    "my whole team",
    "about twenty people on the third floor",
    "everyone in our office",
    "the night shift in the warehouse",
];
const ATTEMPTS: [&str; 6] = [
    "restarting the laptop",
    "logging out and in again",
    "a different browser",
    "clearing the cache",
    "another network cable",
    "reinstalling the client",
];
const SITES: [&str; 9] =
    ["Berlin", "London", "Madrid", "Warsaw", "Chicago", "Singapore", "Dubai", "the warehouse", "head office"];
const URGENCY: [&str; 5] = [
    "I have a customer meeting at 3 pm",
    "this blocks the month-end closing",
    "no rush",
    "our deadline is tomorrow",
    "we cannot take orders",
];
const CODES: [&str; 8] =
    ["0x80070005", "0x800CCC0E", "ERR_CONNECTION_RESET", "809", "691", "E-1042", "403 Forbidden", "HTTP 500"];

/// A description of a few sentences, mostly about `topic`, sometimes mentioning another.
pub fn description(rng: &mut impl Rng, topic: Topic) -> String {
    let mut d = format!("Hi, since {} my {} {}.", pick(rng, &WHEN), topic.name, pick(rng, &SYMPTOMS));
    d.push_str(&format!(" This affects {}.", pick(rng, &SCOPES)));
    if rng.gen_bool(0.6) {
        d.push_str(&format!(" I already tried {}.", pick(rng, &ATTEMPTS)));
    }
    if rng.gen_bool(0.4) {
        d.push_str(&format!(" The error code is {}.", pick(rng, &CODES)));
    }
    if rng.gen_bool(0.2) {
        d.push_str(&format!(" Could this be related to the {} issue?", self::topic(rng).name));
    }
    d.push_str(&format!(" Location: {}. Please help, {}.", pick(rng, &SITES), pick(rng, &URGENCY)));
    d
}

const REPLIES: [&str; 6] = [
    "Thanks for reporting, we are looking into the {}.",
    "Could you send a screenshot of the {} error?",
    "We restarted the {} service; please try again.",
    "A technician will come by tomorrow morning about the {}.",
    "The {} has been replaced; please confirm it works.",
    "This is a known issue with the {}; a fix is planned for the weekend.",
];
const NOTES: [&str; 5] = [
    "Checked the {} logs, nothing obvious.",
    "Escalating: the {} needs second-line analysis.",
    "Vendor case opened for the {}.",
    "Same {} symptom as last week, probably the known error.",
    "Waiting for the change window to patch the {}.",
];

/// A public reply (`public`) or an internal note about `topic`.
pub fn comment(rng: &mut impl Rng, topic: Topic, public: bool) -> String {
    let template = if public { pick(rng, &REPLIES) } else { pick(rng, &NOTES) };
    template.replacen("{}", topic.name, 1)
}

pub const ORGANIZATIONS: [&str; 20] = [
    "Acme Corporation",
    "Globex",
    "Initech",
    "Umbrella Logistics",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Soylent",
    "Vandelay Industries",
    "Cyberdyne Systems",
    "Tyrell Corporation",
    "Wonka Foods",
    "Aperture Science",
    "Oscorp",
    "Dunder Mifflin",
    "Monsters Incorporated",
    "Gringotts Bank",
    "Nakatomi Trading",
    "Massive Dynamic",
    "Blue Sun",
];

const FIRST_NAMES: [&str; 24] = [
    "Ada", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars", "Maria",
    "Noor", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yusuf",
];
const LAST_NAMES: [&str; 20] = [
    "Novak", "Schmidt", "Garcia", "Kowalski", "Okafor", "Tanaka", "Haddad", "Rossi", "Dubois", "Jensen", "Silva",
    "Müller", "Chen", "Nair", "Petrov", "Andersen", "Moreau", "Costa", "Ivanova", "Brown",
];

/// A person's name, different for each `n` below 480.
pub fn person(n: usize) -> (String, String) {
    let first = FIRST_NAMES[n % FIRST_NAMES.len()];
    let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let ascii_last: String = last.chars().map(|c| if c == 'ü' { 'u' } else { c.to_ascii_lowercase() }).collect();
    (format!("{first} {last}"), format!("{}.{}{}", first.to_ascii_lowercase(), ascii_last, n))
}

/// The mail domain of an organisation: `Acme Corporation` is `acme-corporation.test`.
pub fn domain_of(organization: &str) -> String {
    format!("{}.test", organization.to_ascii_lowercase().replace(' ', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn text_mentions_its_topic_word() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let topic = topic(&mut rng);
            let text = format!("{} {}", title(&mut rng, "incident", topic), description(&mut rng, topic));
            assert!(text.to_lowercase().contains(topic.word), "{text}");
        }
    }

    #[test]
    fn common_topics_come_up_more_often() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let n = 20_000;
        let passwords = (0..n).filter(|_| topic(&mut rng).word == "password").count();
        let zooms = (0..n).filter(|_| topic(&mut rng).word == "zoom").count();
        assert!(passwords > 5 * zooms, "{passwords} vs {zooms}");
    }

    #[test]
    fn people_have_distinct_addresses() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..480 {
            assert!(seen.insert(person(n).1));
        }
        assert_eq!(domain_of("Acme Corporation"), "acme-corporation.test");
    }
}
