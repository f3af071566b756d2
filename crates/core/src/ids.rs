//! Identifiers, timestamps and calendar helpers shared by every document.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One partner: stable across that partner's devices, random, never a role label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartnerId(pub String);

impl PartnerId {
    pub fn random() -> Self {
        PartnerId(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A journal entry, commitment, question… Random, so two devices never create the same key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub String);

impl ItemId {
    pub fn random() -> Self {
        ItemId(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ItemId {
    fn from(s: &str) -> Self {
        ItemId(s.to_owned())
    }
}

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// Parses a calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The ISO week a date falls in, written `2026-W48`: the key of a weekly check-in.
pub fn week_of(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}
