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

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::export::ExportScope;
use crate::ids::PartnerId;
use crate::read::{ItemError, ReadDocs};

pub use agreement::{Affirmation, Section};
pub use apologies::{Apology, ExcuseFlag, check_apology};
pub use breaks::{Break, BreakExtension};
pub use checkins::{DailyCheckIn, Seal, WeeklyCheckIn, week_days};
pub use commitments::{
    CalendarWeek, Commitment, CommitmentLog, CommitmentState, DayMark, LogStatus, Record, Rhythm,
    weekday_name,
};
pub use disclosures::Disclosure;
pub use journal::{JournalEntry, SharedEntry};
pub use profile::Member;
pub use questions::{Answer, Question};
pub use reminders::{
    Reminder, ReminderKind, ReminderSettings, due_reminders, parse_time, parse_weekly,
};
pub use rituals::{Ritual, RitualKind};
pub use self_care::{SelfCareItem, self_care_suggestions};
pub use therapy::TherapyTopic;
pub use triggers::{ReassurancePlan, Trigger};
pub use wins::{Moment, MomentKind, Win, WinKind};

/// Everything the local partner can see, read from both documents at one moment.
#[derive(Clone, Debug, Default, Serialize)]
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

/// The capabilities' parts of the JSON export, in the order of its keys.
pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    journal::export_private_json(v, scope, out)?;
    agreement::export_json(v, scope, out)?;
    checkins::export_json(v, scope, out)?;
    commitments::export_json(v, scope, out)?;
    journal::export_shared_json(v, scope, out)?;
    disclosures::export_json(v, scope, out)?;
    triggers::export_json(v, scope, out)?;
    breaks::export_json(v, scope, out)?;
    wins::export_json(v, scope, out)?;
    therapy::export_json(v, scope, out)
}

/// The capabilities' sections of the Markdown export, in the order they appear.
pub(crate) fn export_markdown(v: &View, scope: &ExportScope, md: &mut String) {
    agreement::export_markdown(v, scope, md);
    checkins::export_markdown(v, scope, md);
    commitments::export_markdown(v, scope, md);
    journal::export_markdown(v, scope, md);
    therapy::export_markdown(v, scope, md);
    triggers::export_markdown(v, scope, md);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COUPLE_MAPS, PRIVATE_MAPS};

    const OWNED: &[&[&str]] = &[
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
