//! Export of a chosen period to JSON or Markdown, for a therapist or for one's own keeping.

use serde::Serialize;

use crate::views::{JournalEntry, View};

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
    fn contains(&self, date: &str) -> bool {
        self.from.as_deref().is_none_or(|f| date >= f)
            && self.to.as_deref().is_none_or(|t| date <= t)
    }
}

#[derive(Serialize)]
struct JsonExport<'a> {
    format: &'static str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    my_name: &'a str,
    partner_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    journal: Option<Vec<&'a JournalEntry>>,
    agreement: &'a [crate::views::Section],
    daily_checkins: Vec<&'a crate::views::DailyCheckIn>,
    weekly_checkins: &'a [crate::views::WeeklyCheckIn],
    commitments: &'a [crate::views::Commitment],
    shared_entries: Vec<&'a crate::views::SharedEntry>,
    disclosures: &'a [crate::views::Disclosure],
    triggers: &'a [crate::views::Trigger],
    wins: &'a [crate::views::Win],
    therapy_topics: &'a [crate::views::TherapyTopic],
}

/// Renders the view; the caller writes the string wherever the person chose.
pub fn export(view: &View, scope: &ExportScope, format: ExportFormat) -> String {
    let date_of = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    match format {
        ExportFormat::Json => {
            let j = JsonExport {
                format: "kintsugi-export/1",
                from: scope.from.as_deref(),
                to: scope.to.as_deref(),
                my_name: &view.my_name,
                partner_name: &view.partner_name,
                journal: scope.own_private.then(|| {
                    view.journal
                        .iter()
                        .filter(|e| scope.contains(&e.date))
                        .collect()
                }),
                agreement: &view.agreement,
                daily_checkins: view
                    .daily_checkins
                    .iter()
                    .filter(|c| scope.contains(&c.date))
                    .collect(),
                weekly_checkins: &view.weekly_checkins,
                commitments: &view.commitments,
                shared_entries: view
                    .shared_entries
                    .iter()
                    .filter(|e| scope.contains(&e.date))
                    .collect(),
                disclosures: &view.disclosures,
                triggers: &view.triggers,
                wins: &view.wins,
                therapy_topics: &view.therapy_topics,
            };
            serde_json::to_string_pretty(&j).expect("plain data serialises")
        }
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
            md.push_str("## Our agreement\n\n");
            for s in &view.agreement {
                md.push_str(&format!("### {}\n\n", s.title));
                if s.body.trim().is_empty() {
                    md.push_str("_(not written yet)_\n\n");
                } else {
                    md.push_str(s.body.trim_end());
                    md.push_str("\n\n");
                }
            }
            md.push_str("## Daily check-ins\n\n");
            let checkins: Vec<_> = view
                .daily_checkins
                .iter()
                .filter(|c| scope.contains(&c.date))
                .collect();
            if checkins.is_empty() {
                md.push_str("_none in this period_\n\n");
            }
            for c in checkins {
                md.push_str(&format!(
                    "- **{}**, {}: mood {}/5, connection {}/5, safety {}/5. High: {}. Low: {}. Needs: {}.\n",
                    c.date,
                    view.name_of(&c.by),
                    c.mood,
                    c.connection,
                    c.safety,
                    dash(&c.high),
                    dash(&c.low),
                    dash(&c.need)
                ));
            }
            md.push('\n');
            if !view.commitments.is_empty() {
                md.push_str("## Commitments\n\n");
                for c in &view.commitments {
                    let in_period: Vec<_> =
                        c.log.iter().filter(|l| scope.contains(&l.date)).collect();
                    let kept = in_period
                        .iter()
                        .filter(|l| l.status == crate::views::LogStatus::Kept)
                        .count();
                    md.push_str(&format!(
                        "- {} ({}): kept {kept} of {} logged days\n",
                        c.text,
                        view.name_of(&c.by),
                        in_period.len()
                    ));
                }
                md.push('\n');
            }
            let shared: Vec<_> = view
                .shared_entries
                .iter()
                .filter(|e| scope.contains(&e.date))
                .collect();
            if !shared.is_empty() {
                md.push_str("## Shared journal entries\n\n");
                for e in shared {
                    md.push_str(&format!(
                        "### {} — {}\n\n{}\n\n",
                        e.date,
                        view.name_of(&e.by),
                        e.text.trim_end()
                    ));
                }
            }
            if scope.own_private {
                md.push_str("## My private journal\n\n");
                for e in view.journal.iter().filter(|e| scope.contains(&e.date)) {
                    md.push_str(&format!("### {}", e.date));
                    if let Some(m) = e.mood {
                        md.push_str(&format!(" (mood {m}/5)"));
                    }
                    if !e.tags.is_empty() {
                        md.push_str(&format!(" #{}", e.tags.join(" #")));
                    }
                    md.push_str("\n\n");
                    if let Some(p) = &e.prompt {
                        md.push_str(&format!("> {p}\n\n"));
                    }
                    md.push_str(e.text.trim_end());
                    md.push_str("\n\n");
                }
            }
            let topics: Vec<_> = view
                .therapy_topics
                .iter()
                .filter(|t| !t.discussed)
                .collect();
            if !topics.is_empty() {
                md.push_str("## For the next session\n\n");
                for t in topics {
                    md.push_str(&format!("- {} ({})\n", t.text, view.name_of(&t.by)));
                }
                md.push('\n');
            }
            let triggers: Vec<_> = view
                .triggers
                .iter()
                .filter(|t| scope.contains(&date_of(t.at)))
                .collect();
            if !triggers.is_empty() {
                md.push_str(&format!(
                    "## Triggers\n\n{} in this period.\n\n",
                    triggers.len()
                ));
            }
            md
        }
    }
}

fn dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}
