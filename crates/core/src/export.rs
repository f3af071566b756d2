//! Export of a chosen period to JSON or Markdown, for a therapist or for one's own keeping.
//!
//! This file is the frame (format tag, period, names); each capability writes its own part
//! (`features::export_json`, `features::export_markdown`).

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::features::{self, View};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Markdown,
}

/// What goes in. `own_private` includes the exporting partner's private journal (never the
/// other partner's: this device does not have it). For a therapist, leave it off.
#[derive(Clone, Debug, Default)]
pub struct ExportScope {
    /// Inclusive `YYYY-MM-DD` bounds; None = unbounded.
    pub from: Option<String>,
    pub to: Option<String>,
    pub own_private: bool,
}

impl ExportScope {
    pub(crate) fn contains(&self, date: &str) -> bool {
        self.from.as_deref().is_none_or(|f| date >= f)
            && self.to.as_deref().is_none_or(|t| date <= t)
    }
}

/// Written as a map, entry by entry, so each capability can add its keys in a fixed order
/// without one struct naming every capability's types.
struct JsonExport<'a> {
    view: &'a View,
    scope: &'a ExportScope,
}

impl Serialize for JsonExport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (view, scope) = (self.view, self.scope);
        let mut out = s.serialize_map(None)?;
        out.serialize_entry("format", "kintsugi-export/1")?;
        out.serialize_entry("from", &scope.from.as_deref())?;
        out.serialize_entry("to", &scope.to.as_deref())?;
        out.serialize_entry("my_name", &view.my_name)?;
        out.serialize_entry("partner_name", &view.partner_name)?;
        features::export_json(view, scope, &mut out)?;
        out.end()
    }
}

/// Renders the view; the caller writes the string wherever the person chose.
pub fn export(view: &View, scope: &ExportScope, format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(&JsonExport { view, scope })
            .expect("plain data serialises"),
        ExportFormat::Markdown => {
            let mut md = String::new();
            let period = match (&scope.from, &scope.to) {
                (None, None) => "all time".to_owned(),
                (f, t) => format!(
                    "{} to {}",
                    f.as_deref().unwrap_or("the beginning"),
                    t.as_deref().unwrap_or("today")
                ),
            };
            md.push_str(&format!(
                "# Kintsugi — {} and {}\n\nPeriod: {period}\n\n",
                view.my_name, view.partner_name
            ));
            features::export_markdown(view, scope, &mut md);
            md
        }
    }
}
