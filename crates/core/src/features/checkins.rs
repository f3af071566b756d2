//! Daily and weekly check-ins: one answer sheet per partner and day (or ISO week).

use std::collections::HashSet;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue, Value};
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::authorship::Writers;
use crate::command::Command;
use crate::export::{ExportCtx, ExportScope, Report, dash, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp, parse_date};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect, collect_cached};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, date_text, invalid, long_text, misrouted, new_item, nonempty, top};

/// Couple: `<YYYY-MM-DD>/<partner>`, so both partners answering one day never collide.
/// Holds only answers already revealed: both partners had answered that day.
const DAILY: &str = "daily_checkins";
/// Couple: `<YYYY-Www>/<partner>`, revealed likewise.
const WEEKLY: &str = "weekly_checkins";
/// Couple: `daily/<date>/<partner>` or `weekly/<week>/<partner>`: that partner answered, and
/// nothing of what they answered.
const SEALS: &str = "checkin_seals";
/// Private: `daily/<date>` or `weekly/<week>`: my own answers, kept here while sealed and after.
const SEALED: &str = "sealed_checkins";
/// Couple: `<note id>`: a later thought on one day's or week's answers, added once both
/// partners' answers were shown (the answers themselves can then no longer be replaced).
const NOTES: &str = "checkin_notes";
/// How far back a revealed answer is compared with my latest edit of it after each merge.
const RECHECK_DAYS: i64 = 14;

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[DAILY, WEEKLY, SEALS, SEALED, NOTES];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DailyCheckIn {
    pub date: String,
    pub by: PartnerId,
    pub mood: u8,
    pub connection: u8,
    pub safety: u8,
    pub high: String,
    pub low: String,
    pub need: String,
    pub at: Timestamp,
    /// My own answers that the partner cannot see yet (they have not answered that day).
    pub sealed: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WeeklyCheckIn {
    pub week: String,
    pub by: PartnerId,
    pub how_it_went: String,
    pub agreements: String,
    pub commitments: String,
    pub wins: String,
    pub for_therapy: String,
    pub at: Timestamp,
    pub sealed: bool,
}

/// A later thought on a day's or week's answers, written after both were shown: both devices
/// show it as added after seeing the other's answers, beside answers that stay as they were.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CheckInNote {
    pub id: ItemId,
    /// The date (daily) or ISO week (weekly).
    pub period: String,
    pub weekly: bool,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
}

/// One partner answered one day's or week's check-in; what they answered stays with them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Seal {
    /// The date (daily) or ISO week (weekly).
    pub period: String,
    pub weekly: bool,
    pub by: PartnerId,
    pub at: Timestamp,
}

impl View {
    /// Both answers of one day: mine and the partner's, the partner's only once revealed.
    pub fn daily_pair(&self, date: &str) -> (Option<&DailyCheckIn>, Option<&DailyCheckIn>) {
        let mine = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) == self.me.as_ref());
        let theirs = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) != self.me.as_ref());
        (mine, theirs)
    }

    /// Both answers of one ISO week, like [`View::daily_pair`].
    pub fn weekly_pair(&self, week: &str) -> (Option<&WeeklyCheckIn>, Option<&WeeklyCheckIn>) {
        let mine = self
            .weekly_checkins
            .iter()
            .find(|c| c.week == week && Some(&c.by) == self.me.as_ref());
        let theirs = self
            .weekly_checkins
            .iter()
            .find(|c| c.week == week && Some(&c.by) != self.me.as_ref());
        (mine, theirs)
    }

    /// Whether both answers of the day (or week) are shown, or will be at the next reveal:
    /// mine can then no longer be changed, only followed by a note.
    pub fn answers_final(&self, period: &str, weekly: bool) -> bool {
        let mine = if weekly {
            self.weekly_pair(period).0.is_some_and(|m| !m.sealed)
        } else {
            self.daily_pair(period).0.is_some_and(|m| !m.sealed)
        };
        let answered = if weekly {
            self.weekly_pair(period).0.is_some()
        } else {
            self.daily_pair(period).0.is_some()
        };
        mine || (answered && self.partner_answered(period, weekly))
    }

    /// The later notes on one day's or week's answers, oldest first.
    pub fn notes_for(&self, period: &str, weekly: bool) -> Vec<&CheckInNote> {
        self.checkin_notes
            .iter()
            .filter(|n| n.period == period && n.weekly == weekly)
            .collect()
    }

    /// "Added by Sam after seeing Alex's answers": the same words on both devices.
    pub fn note_caption(&self, n: &CheckInNote) -> String {
        let other = if Some(&n.by) == self.me.as_ref() {
            self.name_of(self.partner.as_ref().unwrap_or(&PartnerId(String::new())))
        } else {
            self.my_name.clone()
        };
        format!(
            "Added by {} after seeing {}'s answers",
            self.name_of(&n.by),
            other
        )
    }

    /// Whether the partner has answered that day (or week), revealed or still sealed.
    pub fn partner_answered(&self, period: &str, weekly: bool) -> bool {
        let theirs = |by: &PartnerId| Some(by) != self.me.as_ref();
        self.checkin_seals
            .iter()
            .any(|s| s.period == period && s.weekly == weekly && theirs(&s.by))
            || if weekly {
                self.weekly_pair(period).1.is_some()
            } else {
                self.daily_pair(period).1.is_some()
            }
    }
}

/// The two kinds of check-in, as their keys are written.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Daily,
    Weekly,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
        }
    }
    /// How a person names the period: "2026-12-07" or "week 2026-W49".
    fn label(self, period: &str) -> String {
        match self {
            Kind::Daily => period.to_owned(),
            Kind::Weekly => format!("week {period}"),
        }
    }
    /// The couple map that holds revealed answers.
    fn revealed(self) -> &'static str {
        match self {
            Kind::Daily => DAILY,
            Kind::Weekly => WEEKLY,
        }
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.clone();
    let (kind, period, fields) = match cmd {
        Command::SaveDailyCheckIn { date, answers } => {
            let date = date_text(&date)?;
            for (v, what) in [
                (answers.mood, "Mood"),
                (answers.connection, "Connection"),
                (answers.safety, "Safety"),
            ] {
                if !(1..=5).contains(&v) {
                    return Err(invalid(format!("{what} must be between 1 and 5")));
                }
            }
            for t in [&answers.high, &answers.low, &answers.need] {
                long_text(t, "An answer")?;
            }
            let fields = vec![
                ("date", ScalarValue::from(date.as_str())),
                ("mood", (answers.mood as i64).into()),
                ("connection", (answers.connection as i64).into()),
                ("safety", (answers.safety as i64).into()),
                ("high", answers.high.trim().into()),
                ("low", answers.low.trim().into()),
                ("need", answers.need.trim().into()),
            ];
            (Kind::Daily, date, fields)
        }
        Command::SaveWeeklyCheckIn { week, answers } => {
            if week_days(&week).is_none() {
                return Err(invalid(format!("'{week}' is not a week like 2026-W48")));
            }
            for t in [
                &answers.how_it_went,
                &answers.agreements,
                &answers.commitments,
                &answers.wins,
                &answers.for_therapy,
            ] {
                long_text(t, "An answer")?;
            }
            let fields = vec![
                ("week", ScalarValue::from(week.as_str())),
                ("how_it_went", answers.how_it_went.trim().into()),
                ("agreements", answers.agreements.trim().into()),
                ("commitments", answers.commitments.trim().into()),
                ("wins", answers.wins.trim().into()),
                ("for_therapy", answers.for_therapy.trim().into()),
            ];
            (Kind::Weekly, week, fields)
        }
        Command::AddCheckInNote {
            id,
            weekly,
            period,
            text,
        } => return add_note(d, id, weekly, period, text, now),
        other => return Err(misrouted(&other, "check-ins")),
    };
    if !has_come(kind, &period, now) {
        return Err(invalid(format!(
            "{} has not come yet: a check-in can only be answered for today or an earlier {}",
            kind.label(&period),
            if kind == Kind::Weekly { "week" } else { "day" }
        )));
    }
    if both_answered(d, kind, &period, &me)? {
        return Err(invalid(format!(
            "Both answers for {} are already shown side by side, so yours can no longer be changed; add a later thought as a note instead",
            kind.label(&period)
        )));
    }
    // A salt per save: without it, a seal over answers as small as three numbers could be
    // reversed by trying every combination.
    let salt = seal_salt(d, kind, &period, now);
    let digest = answer_digest(kind, &me, &salt, &fields);
    // My answers go to my own document only; the couple document learns that I answered, and
    // a digest that binds me to these answers without telling what they are.
    let sealed = top(d.private, SEALED)?;
    let sheet = d
        .private
        .put_object(&sealed, format!("{}/{period}", kind.name()), ObjType::Map)?;
    d.private.put(&sheet, "v", ITEM_VERSION)?;
    d.private.put(&sheet, "by", me.as_str())?;
    for (key, value) in fields {
        d.private.put(&sheet, key, value)?;
    }
    d.private.put(&sheet, "salt", salt.as_str())?;
    d.private.put(&sheet, "at", now)?;
    let seals = top(d.couple, SEALS)?;
    let seal_key = format!("{}/{period}/{me}", kind.name());
    let seal = match d.couple.get(&seals, seal_key.as_str())? {
        Some((Value::Object(ObjType::Map), seal)) => seal,
        _ => {
            let seal = d.couple.put_object(&seals, seal_key, ObjType::Map)?;
            d.couple.put(&seal, "v", ITEM_VERSION)?;
            d.couple.put(&seal, "kind", kind.name())?;
            d.couple.put(&seal, "period", period.as_str())?;
            d.couple.put(&seal, "by", me.as_str())?;
            d.couple.put(&seal, "at", now)?;
            seal
        }
    };
    d.couple.put(&seal, "digest", digest.as_str())?;
    reveal(d, now)?;
    Ok(())
}

/// A later thought on answers both partners can already see. Before that, the answers
/// themselves can still be changed, and a note would tell the partner early what they say.
fn add_note(
    d: &mut WriteDocs<'_>,
    id: ItemId,
    weekly: bool,
    period: String,
    text: String,
    now: Timestamp,
) -> Result<(), CoreError> {
    let kind = if weekly { Kind::Weekly } else { Kind::Daily };
    let period = match kind {
        Kind::Daily => date_text(&period)?,
        Kind::Weekly if week_days(&period).is_some() => period,
        Kind::Weekly => {
            return Err(invalid(format!("'{period}' is not a week like 2026-W48")));
        }
    };
    nonempty(&text, "A note")?;
    long_text(&text, "A note")?;
    let me = d.me.0.clone();
    if !both_answered(d, kind, &period, &me)? {
        return Err(invalid(format!(
            "A note can be added once both of you have answered {}; until then you can still change your own answers",
            kind.label(&period)
        )));
    }
    let notes = top(d.couple, NOTES)?;
    let note = new_item(d.couple, &notes, &id)?;
    d.couple.put(&note, "kind", kind.name())?;
    d.couple.put(&note, "period", period.as_str())?;
    d.couple.put(&note, "by", me.as_str())?;
    d.couple.put(&note, "text", text.trim())?;
    d.couple.put(&note, "at", now)?;
    Ok(())
}

/// Whether my answers for the period are shown to the partner, or will be at the next reveal:
/// I answered, and the partner has a seal that counts (or my copy is already out).
fn both_answered(d: &WriteDocs<'_>, kind: Kind, period: &str, me: &str) -> Result<bool, CoreError> {
    let revealed = Rd::root_map(d.couple, kind.revealed())?;
    if revealed.map(&format!("{period}/{me}")).is_ok() {
        return Ok(true);
    }
    let sealed = Rd::root_map(d.private, SEALED)?;
    if sealed.map(&format!("{}/{period}", kind.name())).is_err() {
        return Ok(false);
    }
    let Some(partner) = the_partner(d.couple, me) else {
        return Ok(false);
    };
    let seals = Rd::root_map(d.couple, SEALS)?;
    Ok(seals
        .map(&format!("{}/{period}/{partner}", kind.name()))
        .ok()
        .and_then(|s| read_seal_rec(&s, kind, period, &partner).ok())
        .is_some_and(|s| !s.digests.is_empty()))
}

/// A salt the partner cannot guess: this device's signature over what is being sealed
/// (unknowable without its key, and the same for the same key, so generated data sets stay
/// reproducible). A model handed no key (tools, tests of other things) hashes the private
/// document's heads and this device's actor instead, which only this partner's devices hold.
fn seal_salt(d: &mut WriteDocs<'_>, kind: Kind, period: &str, now: Timestamp) -> String {
    use sha2::{Digest, Sha256};
    let what = format!(
        "kintsugi-seal-salt-1/{}/{period}/{}/{now}",
        kind.name(),
        d.me
    );
    let mut h = Sha256::new();
    match d.signer {
        Some(signer) => h.update(signer.sign(what.as_bytes())),
        None => {
            h.update(what.as_bytes());
            for head in d.private.get_heads() {
                h.update(head.0);
            }
            h.update(d.private.get_actor().to_bytes());
        }
    }
    hex::encode(&h.finalize()[..16])
}

/// The one partner whose seals count: the only member who is not me. A third member (which no
/// honest device writes) makes it ambiguous, and then no seal counts at all.
fn the_partner(couple: &automerge::AutoCommit, me: &str) -> Option<String> {
    let members = Rd::root_map(couple, crate::features::profile::MEMBERS).ok()?;
    let mut others = members.keys().into_iter().filter(|k| k != me);
    match (others.next(), others.next()) {
        (Some(partner), None) => Some(partner),
        _ => None,
    }
}

/// The first day of a period: the date, or the Monday of the week.
fn period_start(kind: Kind, period: &str) -> Option<NaiveDate> {
    match kind {
        Kind::Daily => parse_date(period),
        Kind::Weekly => week_days(period).map(|(monday, _)| monday),
    }
}

/// Whether the period has begun by `now`, with a day's grace for a device whose local date is
/// ahead of UTC. A check-in for a later day would seal (and so reveal) a day that has not come.
fn has_come(kind: Kind, period: &str, now: Timestamp) -> bool {
    let Some(start) = period_start(kind, period) else {
        return false;
    };
    chrono::DateTime::from_timestamp_millis(now)
        .is_some_and(|t| start <= t.date_naive() + chrono::Duration::days(1))
}

/// Binds one partner to one set of answers without telling them: SHA-256 over the kind, the
/// partner, a random salt and the answers in their stored order. A revealed copy that does not
/// hash to its seal's digest is not the answer that was sealed.
fn answer_digest(kind: Kind, by: &str, salt: &str, fields: &[(&str, ScalarValue)]) -> String {
    use sha2::{Digest, Sha256};
    let values: Vec<serde_json::Value> = fields
        .iter()
        .map(|(key, v)| {
            let v = match v {
                ScalarValue::Str(s) => serde_json::Value::from(s.as_str()),
                ScalarValue::Int(i) => serde_json::Value::from(*i),
                ScalarValue::Uint(u) => serde_json::Value::from(*u),
                other => serde_json::Value::from(other.to_string()),
            };
            serde_json::json!([key, v])
        })
        .collect();
    let canonical = serde_json::json!(["kintsugi-seal-1", kind.name(), by, salt, values]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The fields of a daily answer as the seal's digest covers them.
fn daily_fields(c: &DailyCheckIn) -> Vec<(&'static str, ScalarValue)> {
    vec![
        ("date", c.date.as_str().into()),
        ("mood", (c.mood as i64).into()),
        ("connection", (c.connection as i64).into()),
        ("safety", (c.safety as i64).into()),
        ("high", c.high.as_str().into()),
        ("low", c.low.as_str().into()),
        ("need", c.need.as_str().into()),
    ]
}

fn weekly_fields(c: &WeeklyCheckIn) -> Vec<(&'static str, ScalarValue)> {
    vec![
        ("week", c.week.as_str().into()),
        ("how_it_went", c.how_it_went.as_str().into()),
        ("agreements", c.agreements.as_str().into()),
        ("commitments", c.commitments.as_str().into()),
        ("wins", c.wins.as_str().into()),
        ("for_therapy", c.for_therapy.as_str().into()),
    ]
}

/// Copies my answers into the couple document for every day and week both partners have
/// answered, and turns a revealed weekly "for therapy" answer into a therapy topic. Writes only
/// what is missing or out of date, so calling it after every merge costs no change when nothing
/// is due. Returns whether anything was written.
/// Whether changes in `d` can have made a reveal due: only seals, answers, my sealed sheets and
/// the members (a seal counts only once its partner is a member, which may arrive later from
/// the partner's other device) matter (after years, a reveal pass costs tens of milliseconds;
/// most merges touch none).
pub(crate) fn reveal_may_be_due(d: &crate::refresh::Dirty) -> bool {
    d.touches(
        DocKind::Couple,
        &[DAILY, WEEKLY, SEALS, crate::features::profile::MEMBERS],
    ) || d.touches(DocKind::Private, &[SEALED])
}

pub(crate) fn reveal(d: &mut WriteDocs<'_>, now: Timestamp) -> Result<bool, CoreError> {
    let before = d.couple.pending_ops();
    let me = d.me.0.clone();
    let sealed = Rd::root_map(d.private, SEALED)?;
    let mut due = Vec::new();
    // This runs after every merge and must stay cheap over years of daily check-ins: one
    // pass over the keys, then per-item reads only where something may be due. A period whose
    // copy exists is re-checked for a later edit only when recent (edits are to recent days;
    // an edit made when both had answered is revealed by the saving command itself).
    let recent = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| {
            (t.date_naive() - chrono::Duration::days(RECHECK_DAYS))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    let mut copied = std::collections::BTreeSet::new();
    for kind in [Kind::Daily, Kind::Weekly] {
        for key in Rd::root_map(d.couple, kind.revealed())?.keys() {
            if let Some((period, by)) = key.split_once('/')
                && by == me
            {
                copied.insert((kind, period.to_owned()));
            }
        }
    }
    for ((kind, period), digest) in partner_periods(d.couple, &me, now)? {
        let is_recent = match kind {
            Kind::Daily => period.as_str() >= recent.as_str(),
            Kind::Weekly => week_days(&period)
                .is_some_and(|(_, sunday)| sunday.format("%Y-%m-%d").to_string() >= recent),
        };
        if copied.contains(&(kind, period.clone())) && !is_recent {
            continue;
        }
        let Ok(sheet) = sealed.map(&format!("{}/{period}", kind.name())) else {
            continue;
        };
        // An unreadable sheet (listed in the view's errors) is skipped, never half copied.
        if sheet.check_version().is_err() {
            continue;
        }
        let Ok(at) = sheet.i64("at") else { continue };
        let revealed = Rd::root_map(d.couple, kind.revealed())?;
        let current = revealed
            .map(&format!("{period}/{me}"))
            .ok()
            .and_then(|c| c.opt_i64("at").ok().flatten());
        if current != Some(at) {
            due.push((kind, period, sheet.obj.clone(), digest));
        }
    }
    for (kind, period, sheet, against) in due {
        let map = top(d.couple, kind.revealed())?;
        let key = format!("{period}/{me}");
        // A later copy (my other device changed the answers before it saw the partner's) goes
        // into the same object: its creation is the moment the partner could first read mine,
        // which their device compares their seal against.
        let (copy, fresh) = match d.couple.get(&map, key.as_str())? {
            Some((Value::Object(ObjType::Map), copy)) => (copy, false),
            _ => (d.couple.put_object(&map, key, ObjType::Map)?, true),
        };
        let mut for_therapy = None;
        for key in d.private.keys(&sheet).collect::<Vec<_>>() {
            if let Some((Value::Scalar(v), _)) = d.private.get(&sheet, key.as_str())? {
                if key == "for_therapy" {
                    for_therapy = v.as_str().map(str::to_owned);
                }
                d.couple.put(&copy, key.as_str(), v.into_owned())?;
            }
        }
        // The seal my answers were shown against: the partner's answers must be the ones it
        // bound them to, whatever their seal says later (so a later copy keeps the first).
        if fresh || d.couple.get(&copy, "against")?.is_none() {
            d.couple.put(&copy, "against", against.as_str())?;
        }
        if kind == Kind::Weekly
            && let Some(text) = for_therapy.filter(|t| !t.trim().is_empty())
        {
            crate::features::therapy::put_weekly_topic(d, &period, &text, now)?;
        }
    }
    Ok(d.couple.pending_ops() != before)
}

fn kind_named(name: &str) -> Option<Kind> {
    match name {
        "daily" => Some(Kind::Daily),
        "weekly" => Some(Kind::Weekly),
        _ => None,
    }
}

/// Every day and week whose partner seal counts: by the one partner, for a period that has
/// come, committing to answers by a digest. Nothing else reveals my answers: not a seal under
/// another id, not a seal for a later day, not a seal that commits to nothing, not a copy of
/// answers written straight into the couple document.
fn partner_periods(
    couple: &automerge::AutoCommit,
    me: &str,
    now: Timestamp,
) -> Result<std::collections::BTreeMap<(Kind, String), String>, CoreError> {
    let mut out = std::collections::BTreeMap::new();
    let Some(partner) = the_partner(couple, me) else {
        return Ok(out);
    };
    let seals = Rd::root_map(couple, SEALS)?;
    for key in seals.keys() {
        // `daily/<period>/<partner>`; a period never contains '/'.
        let mut parts = key.splitn(3, '/');
        if let (Some(kind), Some(period), Some(by)) = (parts.next(), parts.next(), parts.next())
            && let Some(kind) = kind_named(kind)
            && by == partner
            && has_come(kind, period, now)
            && let Ok(seal) = seals.map(&key)
            && let Ok(rec) = read_seal_rec(&seal, kind, period, by)
            && let Some((digest, _)) = rec.digests.into_iter().next()
        {
            out.insert((kind, period.to_owned()), digest);
        }
    }
    Ok(out)
}

/// A seal as stored, with where its digest came from (for the check that it was not written
/// after its author saw my answers). Two of the partner's own devices answering the same day
/// apart leave two digests, both kept by automerge as a conflict: either binds.
#[derive(Clone)]
struct SealRec {
    kind: Kind,
    period: String,
    by: PartnerId,
    at: Timestamp,
    digests: Vec<(String, automerge::ObjId)>,
}

/// Reads one seal and checks that its fields say what its key says.
fn read_seal_rec(s: &Rd<'_>, kind: Kind, period: &str, by: &str) -> Result<SealRec, ItemError> {
    let stated = s.str("kind")?;
    if kind_named(&stated) != Some(kind) || s.str("period")? != period || s.str("by")? != by {
        return Err(ItemError::new(
            s.place(),
            "says another day, week or partner than its place; it reveals nothing",
        ));
    }
    let not_one = || {
        ItemError::new(
            s.place(),
            "has a digest that is not one; it reveals nothing",
        )
    };
    // Every digest any of the partner's devices wrote: two of their devices answering the same
    // day apart each make a seal object (automerge keeps both as a conflict), and the answers
    // revealed are those of one of them.
    let seals = Rd::root_map(s.doc, SEALS)?;
    let key = format!("{}/{period}/{by}", kind.name());
    let objects = s
        .doc
        .get_all(&seals.obj, key.as_str())
        .map_err(|_| not_one())?;
    let mut digests = Vec::new();
    for (object, obj) in objects {
        if !matches!(object, Value::Object(ObjType::Map)) {
            continue;
        }
        for (value, op) in s.doc.get_all(&obj, "digest").map_err(|_| not_one())? {
            match value.as_str() {
                Some(d) if d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    digests.push((d.to_owned(), op));
                }
                _ => return Err(not_one()),
            }
        }
    }
    Ok(SealRec {
        kind,
        period: period.to_owned(),
        by: PartnerId(by.to_owned()),
        at: s.i64("at")?,
        digests,
    })
}

/// Who wrote an answer: the verified writer of its `by` in the couple document (`w`), or the
/// field itself in my private document, which only my own devices write.
fn author(c: &Rd<'_>, w: Option<&Writers>) -> Result<PartnerId, ItemError> {
    match w {
        Some(w) => c.author("by", w),
        None => Ok(PartnerId(c.str("by")?)),
    }
}

/// One of my own answers waiting in the private document.
#[derive(Clone)]
enum Sealed {
    Daily(DailyCheckIn),
    Weekly(WeeklyCheckIn),
}

/// `w` verifies the author in the couple document; my own sealed answers (private
/// document, which only my devices write) need none.
fn read_daily(c: &Rd<'_>, sealed: bool, w: Option<&Writers>) -> Result<DailyCheckIn, ItemError> {
    Ok(DailyCheckIn {
        date: c.str("date")?,
        by: author(c, w)?,
        mood: c.scale("mood", 5)?,
        connection: c.scale("connection", 5)?,
        safety: c.scale("safety", 5)?,
        high: c.str_or_empty("high")?,
        low: c.str_or_empty("low")?,
        need: c.str_or_empty("need")?,
        at: c.i64("at")?,
        sealed,
    })
}

fn read_weekly(c: &Rd<'_>, sealed: bool, w: Option<&Writers>) -> Result<WeeklyCheckIn, ItemError> {
    Ok(WeeklyCheckIn {
        week: c.str("week")?,
        by: author(c, w)?,
        how_it_went: c.str_or_empty("how_it_went")?,
        agreements: c.str_or_empty("agreements")?,
        commitments: c.str_or_empty("commitments")?,
        wins: c.str_or_empty("wins")?,
        for_therapy: c.str_or_empty("for_therapy")?,
        at: c.i64("at")?,
        sealed,
    })
}

/// A revealed copy as stored: the answers, the salt its digest was made with, and the object
/// (whose creation is when the other partner could first read it).
#[derive(Clone)]
struct Copy<T> {
    answer: T,
    salt: Option<String>,
    /// The partner's seal digest my device revealed against (only on my own copies).
    against: Option<String>,
    obj: automerge::ObjId,
}

/// Reads a revealed copy under `<period>/<partner>`, checking the key says what the fields do.
fn read_copy<T>(
    key: &str,
    c: &Rd<'_>,
    read: impl Fn(&Rd<'_>) -> Result<T, ItemError>,
    says: fn(&T) -> (&str, &PartnerId),
) -> Result<Copy<T>, ItemError> {
    let answer = read(c)?;
    let (period, by) = says(&answer);
    if key != format!("{period}/{by}") {
        return Err(ItemError::new(
            c.place(),
            "says another day, week or partner than its place, and is not shown",
        ));
    }
    Ok(Copy {
        answer,
        salt: c.opt_str("salt")?,
        against: c.opt_str("against")?,
        obj: c.obj.clone(),
    })
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    let daily = collect_cached(r, DocKind::Couple, DAILY, errors, |key, c| {
        read_copy(
            key,
            c,
            |c| read_daily(c, false, Some(r.writers)),
            |a| (&a.date, &a.by),
        )
    });
    let weekly = collect_cached(r, DocKind::Couple, WEEKLY, errors, |key, c| {
        read_copy(
            key,
            c,
            |c| read_weekly(c, false, Some(r.writers)),
            |a| (&a.week, &a.by),
        )
    });
    let seals = collect_cached(r, DocKind::Couple, SEALS, errors, |key, s| {
        let mut parts = key.splitn(3, '/');
        let (Some(kind), Some(period), Some(by)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ItemError::new(s.place(), "is not a check-in seal"));
        };
        let Some(kind) = kind_named(kind) else {
            return Err(ItemError::new(
                s.place(),
                format!("has an unknown kind '{kind}'"),
            ));
        };
        let rec = read_seal_rec(s, kind, period, by)?;
        // A seal under my id or the partner's must be written by that person's devices.
        if s.author("by", r.writers)?.0 != by {
            return Err(ItemError::new(
                s.place(),
                "was not written by a device of the one it names; it reveals nothing",
            ));
        }
        Ok(rec)
    });
    let checked = Checked::new(r, &seals, errors);
    v.daily_checkins = checked.copies(Kind::Daily, daily, errors, daily_fields);
    v.weekly_checkins = checked.copies(Kind::Weekly, weekly, errors, weekly_fields);
    v.checkin_seals = seals
        .iter()
        .filter(|s| checked.seal_counts(s, errors))
        .map(|s| Seal {
            weekly: s.kind == Kind::Weekly,
            period: s.period.clone(),
            by: s.by.clone(),
            at: s.at,
        })
        .collect();
    v.checkin_notes = collect(r.couple, NOTES, errors, |id, n| {
        let kind = n.str("kind")?;
        let weekly = match kind_named(&kind) {
            Some(k) => k == Kind::Weekly,
            None => {
                return Err(ItemError::new(
                    n.place(),
                    format!("has an unknown kind '{kind}'"),
                ));
            }
        };
        let by = n.author("by", r.writers)?;
        if !checked.is_member(&by) {
            return Err(ItemError::new(
                n.place(),
                "is by someone who is neither of you, and is not shown",
            ));
        }
        Ok(CheckInNote {
            id: ItemId(id.to_owned()),
            period: n.str("period")?,
            weekly,
            by,
            text: n.str("text")?,
            at: n.i64("at")?,
        })
    });
    v.checkin_notes
        .sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    // My own answers still sealed: shown to me, marked so, unless the revealed copy is there.
    let mine = collect_cached(r, DocKind::Private, SEALED, errors, |key, c| {
        match key.split_once('/').map(|(k, _)| kind_named(k)) {
            Some(Some(Kind::Daily)) => read_daily(c, true, None).map(Sealed::Daily),
            Some(Some(Kind::Weekly)) => read_weekly(c, true, None).map(Sealed::Weekly),
            _ => Err(ItemError::new(
                c.place(),
                "is not a check-in this version knows",
            )),
        }
    });
    let mut shown: HashSet<(String, PartnerId)> = v
        .daily_checkins
        .iter()
        .map(|y| (y.date.clone(), y.by.clone()))
        .collect();
    let mut shown_weeks: HashSet<(String, PartnerId)> = v
        .weekly_checkins
        .iter()
        .map(|y| (y.week.clone(), y.by.clone()))
        .collect();
    for sealed in mine {
        match sealed {
            Sealed::Daily(x) => {
                if shown.insert((x.date.clone(), x.by.clone())) {
                    v.daily_checkins.push(x);
                }
            }
            Sealed::Weekly(x) => {
                if shown_weeks.insert((x.week.clone(), x.by.clone())) {
                    v.weekly_checkins.push(x);
                }
            }
        }
    }
    v.daily_checkins
        .sort_by(|a, b| (&b.date, b.at).cmp(&(&a.date, a.at)));
    v.weekly_checkins
        .sort_by(|a, b| (&b.week, b.at).cmp(&(&a.week, a.at)));
}

/// What the partner's side of the check-ins must satisfy before it is shown: the rules that
/// make sealing mean something against a partner's device that does not play by them.
struct Checked<'a> {
    r: &'a ReadDocs<'a>,
    me: &'a PartnerId,
    partner: Option<PartnerId>,
    /// The partner's seals with a digest, by (kind, period).
    digests: std::collections::HashMap<(Kind, &'a str), &'a [(String, automerge::ObjId)]>,
}

impl<'a> Checked<'a> {
    fn new(r: &'a ReadDocs<'a>, seals: &'a [SealRec], errors: &mut Vec<ItemError>) -> Self {
        let partner = the_partner(r.couple, &r.me.0).map(PartnerId);
        if partner.is_none()
            && Rd::root_map(r.couple, crate::features::profile::MEMBERS)
                .is_ok_and(|m| m.keys().len() > 2)
        {
            errors.push(ItemError::new(
                crate::features::profile::MEMBERS,
                "lists more than two people; check-ins reveal nothing until this is mended",
            ));
        }
        let digests = seals
            .iter()
            .filter(|s| Some(&s.by) == partner.as_ref())
            .filter(|s| !s.digests.is_empty())
            .map(|s| ((s.kind, s.period.as_str()), s.digests.as_slice()))
            .collect();
        Checked {
            r,
            me: r.me,
            partner,
            digests,
        }
    }

    fn is_member(&self, by: &PartnerId) -> bool {
        by == self.me || Some(by) == self.partner.as_ref()
    }

    /// Whether the period has come, as far as this device's clock was last told.
    fn has_come(&self, kind: Kind, period: &str) -> bool {
        self.r.now.is_none_or(|now| has_come(kind, period, now))
    }

    /// A seal is listed (as "answered") only when it is mine, or the partner's for a period
    /// that has come; anything else is an item error.
    fn seal_counts(&self, s: &SealRec, errors: &mut Vec<ItemError>) -> bool {
        let place = format!("{SEALS}/{}/{}/{}", s.kind.name(), s.period, s.by);
        if &s.by == self.me {
            return true;
        }
        if !self.is_member(&s.by) {
            errors.push(ItemError::new(
                place,
                "is by someone who is not your partner; it reveals nothing",
            ));
            return false;
        }
        if !self.has_come(s.kind, &s.period) {
            errors.push(ItemError::new(
                place,
                "is for a day that has not come yet; it reveals nothing",
            ));
            return false;
        }
        true
    }

    /// The revealed copies that may be shown: mine, and the partner's when they are the answers
    /// the partner sealed before seeing mine.
    fn copies<T: Clone + HasPeriod>(
        &self,
        kind: Kind,
        copies: Vec<Copy<T>>,
        errors: &mut Vec<ItemError>,
        fields: fn(&T) -> Vec<(&'static str, ScalarValue)>,
    ) -> Vec<T> {
        let mine: std::collections::HashMap<String, (Option<String>, automerge::ObjId)> = copies
            .iter()
            .filter(|c| c.answer.by() == self.me)
            .map(|c| {
                (
                    c.answer.period().to_owned(),
                    (c.against.clone(), c.obj.clone()),
                )
            })
            .collect();
        let mut out = Vec::with_capacity(copies.len());
        for c in copies {
            let (period, by) = (c.answer.period(), c.answer.by());
            if by == self.me {
                out.push(c.answer);
                continue;
            }
            let place = format!("{}/{period}/{by}", kind.revealed());
            let problem = if !self.is_member(by) {
                Some("is by someone who is not your partner, and is not shown".to_owned())
            } else if !self.has_come(kind, period) {
                Some("is for a day that has not come yet, and is not shown".to_owned())
            } else {
                self.sealed_answer_problem(kind, &c, mine.get(period), fields)
            };
            match problem {
                None => out.push(c.answer),
                Some(problem) => errors.push(ItemError::new(place, problem)),
            }
        }
        out
    }

    /// Why the partner's revealed answers are not the ones they sealed, if they are not.
    fn sealed_answer_problem<T: HasPeriod>(
        &self,
        kind: Kind,
        c: &Copy<T>,
        my_copy: Option<&(Option<String>, automerge::ObjId)>,
        fields: fn(&T) -> Vec<(&'static str, ScalarValue)>,
    ) -> Option<String> {
        let period = c.answer.period();
        let against = my_copy.and_then(|(against, _)| against.as_deref());
        let seal = self.digests.get(&(kind, period)).copied();
        if against.is_none() && seal.is_none() {
            // Both sides written before answers were bound to their seals.
            return None;
        }
        let digest = c
            .salt
            .as_deref()
            .map(|salt| answer_digest(kind, &c.answer.by().0, salt, &fields(&c.answer)));
        let not_sealed =
            || Some("does not match the answers that were sealed, and is not shown".to_owned());
        let Some(digest) = digest else {
            return not_sealed();
        };
        if against == Some(digest.as_str()) {
            return None;
        }
        let Some(op) = seal
            .unwrap_or_default()
            .iter()
            .find(|(sealed, _)| *sealed == digest)
            .map(|(_, op)| op)
        else {
            return not_sealed();
        };
        // The answers match the seal as it stands, but not the seal mine were revealed
        // against (or mine predate that record): the seal must not have been rewritten after
        // its author could read my answers.
        match my_copy {
            Some((_, mine)) if self.written_after(op, kind, period, mine) => Some(
                "was changed after your answers were shown, and is not shown; the answers sealed before stay hidden"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// Whether the op `later` was written by a device that already had my copy `seen` of the
    /// period's answers: is that copy in the document as it stood when `later` was written?
    fn written_after(
        &self,
        later: &automerge::ObjId,
        kind: Kind,
        period: &str,
        seen: &automerge::ObjId,
    ) -> bool {
        use automerge::ObjId;
        // Lamport counters: an op that depends on another has a larger counter, so a smaller
        // one settles it without walking the history.
        if let (ObjId::Id(l, ..), ObjId::Id(s, ..)) = (later, seen)
            && l < s
        {
            return false;
        }
        let Some(hash) = self.r.couple.hash_for_opid(later) else {
            return false;
        };
        let Ok(map) = Rd::root_map(self.r.couple, kind.revealed()) else {
            return false;
        };
        matches!(
            self.r
                .couple
                .get_at(&map.obj, format!("{period}/{}", self.me).as_str(), &[hash]),
            Ok(Some(_))
        )
    }
}

/// What the partner-side checks need of a daily or weekly answer.
trait HasPeriod {
    fn period(&self) -> &str;
    fn by(&self) -> &PartnerId;
}

impl HasPeriod for DailyCheckIn {
    fn period(&self) -> &str {
        &self.date
    }
    fn by(&self) -> &PartnerId {
        &self.by
    }
}

impl HasPeriod for WeeklyCheckIn {
    fn period(&self) -> &str {
        &self.week
    }
    fn by(&self) -> &PartnerId {
        &self.by
    }
}

/// The Monday and Sunday of an ISO week written `2026-W48`; `None` if it is not one.
pub fn week_days(week: &str) -> Option<(NaiveDate, NaiveDate)> {
    if !is_week(week) {
        return None;
    }
    let (y, w) = week.split_once("-W")?;
    let monday = NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)?;
    Some((monday, monday + chrono::Duration::days(6)))
}

fn is_week(s: &str) -> bool {
    let Some((y, w)) = s.split_once("-W") else {
        return false;
    };
    y.len() == 4
        && y.chars().all(|c| c.is_ascii_digit())
        && w.len() == 2
        && matches!(w.parse::<u8>(), Ok(1..=53))
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    let (v, scope) = (c.v, c.scope);
    let daily: Vec<&DailyCheckIn> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .collect();
    let weekly: Vec<&WeeklyCheckIn> = v
        .weekly_checkins
        .iter()
        .filter(|c| week_in(scope, &c.week))
        .collect();
    // Who answered which day or week (without the answers), so sealed days show as answered.
    let seals: Vec<&Seal> = v
        .checkin_seals
        .iter()
        .filter(|s| {
            if s.weekly {
                week_in(scope, &s.period)
            } else {
                scope.contains(&s.period)
            }
        })
        .collect();
    let notes: Vec<&CheckInNote> = v
        .checkin_notes
        .iter()
        .filter(|n| {
            if n.weekly {
                week_in(scope, &n.period)
            } else {
                scope.contains(&n.period)
            }
        })
        .collect();
    vec![
        entry("daily_checkins", &daily),
        entry("weekly_checkins", &weekly),
        entry("checkin_seals", &seals),
        entry("checkin_notes", &notes),
    ]
}

/// The notes on one period as export lines: who, and that it came after both answers.
fn note_lines(v: &View, scope: &ExportScope, weekly: bool) -> Vec<(String, String)> {
    v.checkin_notes
        .iter()
        .filter(|n| n.weekly == weekly)
        .filter(|n| {
            if weekly {
                week_in(scope, &n.period)
            } else {
                scope.contains(&n.period)
            }
        })
        .map(|n| {
            (
                format!("{}, {}", n.period, v.name_of(&n.by)),
                format!("{}: {}", v.note_caption(n), n.text.trim()),
            )
        })
        .collect()
}

/// Only what the view holds: my own answers still sealed are mine to export (marked); the
/// partner's sealed answers are not on this device, so they show as "answered" only.
pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let (v, scope) = (c.v, c.scope);
    let sealed = |s: bool| if s { " (sealed: not shared yet)" } else { "" };
    r.heading("Daily");
    let mut daily: Vec<(String, String)> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .map(|c| {
            (
                format!("{}, {}", c.date, v.name_of(&c.by)),
                format!(
                    "mood {}/5, connection {}/5, safety {}/5. High: {}. Low: {}. Needs: {}.{}",
                    c.mood,
                    c.connection,
                    c.safety,
                    dash(&c.high),
                    dash(&c.low),
                    dash(&c.need),
                    sealed(c.sealed),
                ),
            )
        })
        .collect();
    daily.extend(answered_only(v, scope, false));
    daily.extend(note_lines(v, scope, false));
    daily.sort();
    if daily.is_empty() {
        r.nothing();
    }
    r.list(daily);
    r.heading("Weekly");
    let mut weekly: Vec<(String, String)> = v
        .weekly_checkins
        .iter()
        .filter(|c| week_in(scope, &c.week))
        .map(|c| {
            (
                format!("{}, {}", c.week, v.name_of(&c.by)),
                format!(
                    "How it went: {}. Agreement: {}. Commitments: {}. Wins: {}. For therapy: {}.{}",
                    dash(&c.how_it_went),
                    dash(&c.agreements),
                    dash(&c.commitments),
                    dash(&c.wins),
                    dash(&c.for_therapy),
                    sealed(c.sealed),
                ),
            )
        })
        .collect();
    weekly.extend(answered_only(v, scope, true));
    weekly.extend(note_lines(v, scope, true));
    weekly.sort();
    if weekly.is_empty() {
        r.nothing();
    }
    r.list(weekly);
}

/// Days or weeks someone answered whose answers this device does not hold (still sealed).
fn answered_only(v: &View, scope: &ExportScope, weekly: bool) -> Vec<(String, String)> {
    v.checkin_seals
        .iter()
        .filter(|s| s.weekly == weekly)
        .filter(|s| {
            if weekly {
                week_in(scope, &s.period)
            } else {
                scope.contains(&s.period)
            }
        })
        .filter(|s| {
            if weekly {
                !v.weekly_checkins
                    .iter()
                    .any(|c| c.week == s.period && c.by == s.by)
            } else {
                !v.daily_checkins
                    .iter()
                    .any(|c| c.date == s.period && c.by == s.by)
            }
        })
        .map(|s| {
            (
                format!("{}, {}", s.period, v.name_of(&s.by)),
                "answered (the answers stay sealed until both have answered)".to_owned(),
            )
        })
        .collect()
}

/// A week belongs to the period when any of its days does.
fn week_in(scope: &ExportScope, week: &str) -> bool {
    week_days(week).is_some_and(|(monday, _)| {
        (0..7).any(|i| {
            let day = monday + chrono::Duration::days(i);
            scope.contains(&day.format("%Y-%m-%d").to_string())
        })
    })
}
