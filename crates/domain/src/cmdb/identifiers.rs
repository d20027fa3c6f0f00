//! The identifiers that say which machine an inventory report is about, normalised for the
//! quirks discovery tools are known for: MAC addresses in any case and separator, UUIDs with
//! the first three fields byte-swapped (SMBIOS before 2.6 and some hypervisors), vendor
//! placeholder serial numbers such as `To be filled by O.E.M.`, all-zero values.

use crate::validation::FieldError;
use serde::Serialize;

/// The kinds of identifier, in the order reconciliation trusts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Serial,
    AssetTag,
    Hostname,
    Mac,
    Uuid,
}

impl IdKind {
    /// Priority order: a serial number outranks an asset tag, which outranks a hostname with
    /// its domain, which outranks a MAC address (network cards move between machines) and the
    /// hardware UUID.
    pub const PRIORITY: [IdKind; 5] = [IdKind::Serial, IdKind::AssetTag, IdKind::Hostname, IdKind::Mac, IdKind::Uuid];

    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Serial => "serial",
            IdKind::AssetTag => "asset_tag",
            IdKind::Hostname => "hostname",
            IdKind::Mac => "mac",
            IdKind::Uuid => "uuid",
        }
    }

    pub fn parse(raw: &str) -> Option<IdKind> {
        IdKind::PRIORITY.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Values vendors put where a serial number or asset tag should be.
const PLACEHOLDERS: &[&str] = &[
    "",
    "0",
    "00000000",
    "NONE",
    "N/A",
    "NA",
    "NULL",
    "UNKNOWN",
    "DEFAULT STRING",
    "TO BE FILLED BY O.E.M.",
    "SYSTEM SERIAL NUMBER",
    "CHASSIS SERIAL NUMBER",
    "NOT SPECIFIED",
    "NOT APPLICABLE",
    "123456789",
    "INVALID",
    "O.E.M.",
];

/// A CI's identifiers, each normalised; absent or placeholder values are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Identifiers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

impl Identifiers {
    /// Reads `{"serial","asset_tag","hostname","mac","uuid"}`; `field` roots the error paths.
    pub fn parse(v: &serde_json::Value, field: &str) -> Result<Identifiers, Vec<FieldError>> {
        let mut out = Identifiers::default();
        let mut errors = vec![];
        let Some(o) = v.as_object() else {
            if v.is_null() {
                return Ok(out);
            }
            return Err(vec![FieldError::new(field, "invalid", "identifiers is an object")]);
        };
        for (k, raw) in o {
            let at = format!("{field}.{k}");
            let Some(kind) = IdKind::parse(k) else {
                errors.push(FieldError::new(
                    at,
                    "unknown_identifier",
                    "identifiers are serial, asset_tag, hostname, mac and uuid",
                ));
                continue;
            };
            if raw.is_null() {
                continue;
            }
            let Some(s) = raw.as_str() else {
                errors.push(FieldError::new(at, "invalid", "an identifier is a string"));
                continue;
            };
            match normalise(kind, s) {
                Ok(v) => out.set(kind, v),
                Err(message) => errors.push(FieldError::new(at, "invalid", message)),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, kind: IdKind) -> Option<&str> {
        match kind {
            IdKind::Serial => self.serial.as_deref(),
            IdKind::AssetTag => self.asset_tag.as_deref(),
            IdKind::Hostname => self.hostname.as_deref(),
            IdKind::Mac => self.mac.as_deref(),
            IdKind::Uuid => self.uuid.as_deref(),
        }
    }

    pub fn set(&mut self, kind: IdKind, value: Option<String>) {
        let slot = match kind {
            IdKind::Serial => &mut self.serial,
            IdKind::AssetTag => &mut self.asset_tag,
            IdKind::Hostname => &mut self.hostname,
            IdKind::Mac => &mut self.mac,
            IdKind::Uuid => &mut self.uuid,
        };
        *slot = value;
    }

    /// The present identifiers in priority order.
    pub fn present(&self) -> Vec<(IdKind, &str)> {
        IdKind::PRIORITY.into_iter().filter_map(|k| self.get(k).map(|v| (k, v))).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.present().is_empty()
    }

    /// These identifiers with `other`'s filled in where these have none (a report that names
    /// only some identifiers never erases the others).
    pub fn filled_from(&self, other: &Identifiers) -> Identifiers {
        let mut out = self.clone();
        for k in IdKind::PRIORITY {
            if out.get(k).is_none() {
                out.set(k, other.get(k).map(str::to_string));
            }
        }
        out
    }

    /// The values to look an identifier up by: the value itself, and for a UUID also its
    /// byte-swapped twin, so the same machine reported both ways is found.
    pub fn lookup_values(kind: IdKind, value: &str) -> Vec<String> {
        let mut out = vec![value.to_string()];
        if kind == IdKind::Uuid {
            if let Some(twin) = swapped_uuid(value) {
                if twin != value {
                    out.push(twin);
                }
            }
        }
        out
    }
}

/// The normalised form of one identifier; `Ok(None)` for a placeholder that identifies nothing.
pub fn normalise(kind: IdKind, raw: &str) -> Result<Option<String>, String> {
    let s = raw.trim();
    if s.chars().count() > 200 {
        return Err("at most 200 characters".into());
    }
    match kind {
        IdKind::Serial | IdKind::AssetTag => {
            let up = s.to_uppercase();
            if PLACEHOLDERS.contains(&up.as_str()) || up.chars().all(|c| c == '0' || c == ' ') {
                Ok(None)
            } else {
                Ok(Some(up))
            }
        }
        IdKind::Hostname => {
            let h = s.trim_end_matches('.').to_ascii_lowercase();
            if h.is_empty() || h == "localhost" || h == "localhost.localdomain" {
                return Ok(None);
            }
            let ok = h.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
            if ok && h.len() <= 253 {
                Ok(Some(h))
            } else {
                Err("a host name such as web01.example.com".into())
            }
        }
        IdKind::Mac => {
            let hex: String = s.chars().filter(|c| !matches!(c, ':' | '-' | '.' | ' ')).collect();
            if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err("a MAC address such as 00:1A:2B:3C:4D:5E".into());
            }
            let hex = hex.to_ascii_uppercase();
            if hex == "000000000000" || hex == "FFFFFFFFFFFF" {
                return Ok(None);
            }
            let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
            Ok(Some(pairs.join(":")))
        }
        IdKind::Uuid => {
            let hex: String = s.trim_matches(|c| c == '{' || c == '}').chars().filter(|c| *c != '-').collect();
            if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err("a UUID such as 4c4c4544-0042-3510-8051-b4c04f4e3432".into());
            }
            let hex = hex.to_ascii_lowercase();
            if hex.chars().all(|c| c == '0') || hex.chars().all(|c| c == 'f') {
                return Ok(None);
            }
            Ok(Some(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])))
        }
    }
}

/// The UUID with its first three fields byte-swapped (little- versus big-endian).
fn swapped_uuid(canonical: &str) -> Option<String> {
    let parts: Vec<&str> = canonical.split('-').collect();
    if parts.len() != 5 {
        return None;
    }
    let swap = |p: &str| -> String {
        let bytes: Vec<&str> = (0..p.len() / 2).map(|i| &p[i * 2..i * 2 + 2]).collect();
        bytes.into_iter().rev().collect()
    };
    Some(format!("{}-{}-{}-{}-{}", swap(parts[0]), swap(parts[1]), swap(parts[2]), parts[3], parts[4]))
}
