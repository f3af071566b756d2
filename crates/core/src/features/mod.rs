//! One module per capability, and the [`View`] they fill together.
//!
//! A capability module owns its top-level document maps, the `apply` of its commands, the
//! reading of its part of the `View` and its part of the export. This file is the register:
//! the `View` fields and the order in which the parts are read and exported.

pub(crate) mod agreement;
pub(crate) mod apologies;
pub(crate) mod breaks;
pub(crate) mod checkins;
pub(crate) mod commitments;
pub(crate) mod disclosures;
pub(crate) mod journal;
pub(crate) mod profile;
pub(crate) mod questions;
pub(crate) mod reminders;
pub(crate) mod rituals;
pub(crate) mod self_care;
pub(crate) mod therapy;
pub(crate) mod triggers;
pub(crate) mod wins;

use serde::{Deserialize, Serialize};

use crate::export::{ExportCtx, Report};
use crate::ids::PartnerId;
use crate::read::{ItemError, ReadDocs};

pub use agreement::{Affirmation, ReviewOutcome, Section, SectionReview};
pub use apologies::{Apology, ExcuseFlag, check_apology};
pub use breaks::{Break, BreakExtension};
pub use checkins::{CheckInNote, DailyCheckIn, Seal, WeeklyCheckIn, week_days};
pub use commitments::{
    CalendarWeek, Commitment, CommitmentLog, CommitmentState, DayMark, LogStatus, Record, Rhythm,
    weekday_name,
};
pub use disclosures::Disclosure;
pub use journal::{JournalEntry, SharedEntry};
pub use profile::{Member, OUTSIDER_NAME, UNVERIFIED_NAME};
pub use questions::{Answer, Question};
pub use reminders::{
    Reminder, ReminderKind, ReminderSettings, due_reminders, parse_time, parse_weekly,
};
pub use rituals::{Ritual, RitualDone, RitualKind};
pub use self_care::{SelfCareItem, self_care_suggestions};
pub use therapy::{SinceLastSession, TherapyTopic};
pub use triggers::{ReassurancePlan, Trigger};
pub use wins::{Moment, MomentKind, Win, WinKind};

/// Everything the local partner can see, read from both documents at one moment.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct View {
    pub me: Option<PartnerId>,
    pub my_name: String,
    /// The name the local partner uses for the other partner.
    pub partner_name: String,
    /// The other partner's id once their device has written to the couple document.
    pub partner: Option<PartnerId>,
    pub members: Vec<Member>,
    pub journal: Vec<JournalEntry>,
    pub agreement: Vec<Section>,
    pub affirmations: Vec<Affirmation>,
    /// Digest of the agreement text as it stands now; an affirmation of another digest is outdated.
    pub agreement_digest: String,
    pub daily_checkins: Vec<DailyCheckIn>,
    pub weekly_checkins: Vec<WeeklyCheckIn>,
    /// Who has answered which day or week, without the answers (which wait, sealed, until both
    /// partners have answered).
    pub checkin_seals: Vec<Seal>,
    /// Later thoughts on answers both partners could already see, oldest first.
    #[serde(default)]
    pub checkin_notes: Vec<CheckInNote>,
    pub commitments: Vec<Commitment>,
    pub disclosures: Vec<Disclosure>,
    pub triggers: Vec<Trigger>,
    pub questions: Vec<Question>,
    pub wins: Vec<Win>,
    pub rituals: Vec<Ritual>,
    pub apologies: Vec<Apology>,
    pub apology_drafts: Vec<Apology>,
    pub therapy_topics: Vec<TherapyTopic>,
    pub shared_entries: Vec<SharedEntry>,
    pub self_care: Vec<SelfCareItem>,
    /// The old per-partner plans (before both wrote one together).
    pub reassurance_plans: Vec<ReassurancePlan>,
    /// The one reassurance plan both partners write.
    pub reassurance_plan: String,
    /// Newest first.
    pub breaks: Vec<Break>,
    /// My own reminder times (private document).
    pub reminders: ReminderSettings,
    /// Items that could not be read (wrong type, too large, newer version). Shown, never fatal.
    pub errors: Vec<ItemError>,
    /// Who verifiably wrote what: authors of histories, and the devices each partner added.
    #[serde(default)]
    pub authorship: crate::authorship::Authorship,
}

/// Fills every capability's part of the view. The calls are in the order `View::errors` has
/// always listed problems in, which is why shared entries and reassurance plans come late.
pub(crate) fn read_view(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    profile::read(r, v, errors);
    journal::read(r, v, errors);
    agreement::read(r, v, errors);
    checkins::read(r, v, errors);
    commitments::read(r, v, errors);
    disclosures::read(r, v, errors);
    triggers::read(r, v, errors);
    questions::read(r, v, errors);
    wins::read(r, v, errors);
    rituals::read(r, v, errors);
    apologies::read(r, v, errors);
    therapy::read(r, v, errors);
    journal::read_shared(r, v, errors);
    self_care::read(r, v, errors);
    triggers::read_reassurance(r, v, errors);
    reminders::read(r, v, errors);
    breaks::read(r, v, errors);
}

/// One section of the export: its name (for progress), its JSON entries and its blocks for
/// Markdown and HTML, both already limited to the period.
pub(crate) struct ExportPart {
    pub name: &'static str,
    /// Only with `ExportScope::own_private`: what is the exporting partner's alone (the private
    /// journal and the self-care list, both in the private document).
    pub private: bool,
    pub json: fn(&ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)>,
    pub report: fn(&ExportCtx<'_>, &mut Report),
}

/// The export's sections, in the order of the JSON keys and of the Markdown/HTML headings; the
/// name is each section's heading.
#[rustfmt::skip] // A table: one line per section.
pub(crate) const EXPORT_PARTS: &[ExportPart] = &[
    ExportPart { name: "Our agreement", private: false, json: agreement::export_json, report: agreement::export_report },
    ExportPart { name: "Check-ins", private: false, json: checkins::export_json, report: checkins::export_report },
    ExportPart { name: "Commitments", private: false, json: commitments::export_json, report: commitments::export_report },
    ExportPart { name: "Shared journal entries", private: false, json: journal::export_shared_json, report: journal::export_shared_report },
    ExportPart { name: "Disclosures", private: false, json: disclosures::export_json, report: disclosures::export_report },
    ExportPart { name: "Triggers", private: false, json: triggers::export_json, report: triggers::export_report },
    ExportPart { name: "Reassurance plan", private: false, json: triggers::export_plan_json, report: triggers::export_plan_report },
    ExportPart { name: "Breaks", private: false, json: breaks::export_json, report: breaks::export_report },
    ExportPart { name: "Questions and answers", private: false, json: questions::export_json, report: questions::export_report },
    ExportPart { name: "Wins and appreciation", private: false, json: wins::export_json, report: wins::export_report },
    ExportPart { name: "Time together", private: false, json: rituals::export_json, report: rituals::export_report },
    ExportPart { name: "Apologies", private: false, json: apologies::export_json, report: apologies::export_report },
    ExportPart { name: "Therapy topics", private: false, json: therapy::export_json, report: therapy::export_report },
    ExportPart { name: "Self-care", private: true, json: self_care::export_json, report: self_care::export_report },
    ExportPart { name: "My private journal", private: true, json: journal::export_private_json, report: journal::export_private_report },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COUPLE_MAPS, PRIVATE_MAPS};

    const OWNED: &[&[&str]] = &[
        crate::authorship::MAPS,
        profile::MAPS,
        journal::MAPS,
        agreement::MAPS,
        checkins::MAPS,
        commitments::MAPS,
        disclosures::MAPS,
        triggers::MAPS,
        questions::MAPS,
        wins::MAPS,
        rituals::MAPS,
        apologies::MAPS,
        therapy::MAPS,
        self_care::MAPS,
        reminders::MAPS,
        breaks::MAPS,
    ];

    /// The root maps every device creates alike: genesis, then the released migrations.
    fn format_maps(kind: crate::DocKind) -> Vec<String> {
        use automerge::{ObjType, ROOT, ReadDoc, Value};
        let mut doc = match kind {
            crate::DocKind::Couple => crate::schema::couple_genesis(),
            crate::DocKind::Private => crate::schema::private_genesis(),
        };
        crate::migrate::upgrade(&mut doc, kind, crate::migrate::MIGRATIONS).expect("upgrade");
        doc.keys(ROOT)
            .filter(|k| {
                matches!(
                    doc.get(ROOT, k.as_str()),
                    Ok(Some((Value::Object(ObjType::Map), _)))
                )
            })
            .collect()
    }

    /// A capability's keys must be maps every device created at genesis or by a migration; a
    /// map two devices created on their own would hide one device's items after the merge.
    #[test]
    fn every_map_is_from_the_format_and_has_one_owner() {
        let owned: Vec<&str> = OWNED.iter().flat_map(|m| m.iter().copied()).collect();
        let format: Vec<String> = format_maps(crate::DocKind::Couple)
            .into_iter()
            .chain(format_maps(crate::DocKind::Private))
            .collect();
        for key in &owned {
            assert!(
                format.iter().any(|f| f == key),
                "{key} is not created at genesis or by a migration"
            );
            assert_eq!(owned.iter().filter(|k| *k == key).count(), 1, "{key}");
        }
        for key in COUPLE_MAPS.iter().chain(PRIVATE_MAPS) {
            assert!(format.iter().any(|f| f == key), "{key} lost by a migration");
        }
        // `devices` is a relic kept only so the genesis change stays the same.
        for key in &format {
            assert!(
                key == "devices" || owned.contains(&key.as_str()),
                "no capability owns {key}"
            );
        }
    }
}
