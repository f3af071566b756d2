//! Therapy: topics either partner wants to bring to the next session, ticked off once discussed.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, ReadDocs, collect_cached};
use crate::write::{WriteDocs, item, misrouted, new_item, short_text, top};

/// Couple: topics under random ids.
const TOPICS: &str = "therapy_topics";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[TOPICS];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TherapyTopic {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    pub discussed: bool,
    /// When it was marked discussed (the session it was brought to).
    pub discussed_at: Option<Timestamp>,
    /// Where it came from, in words ("weekly check-in 2026-W47", "question", "trigger …").
    pub from: Option<String>,
}

/// What happened since the last session (the latest time a topic was marked discussed), for
/// the couple to look over before the next one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SinceLastSession {
    /// None: no session recorded yet, so everything counts.
    pub since: Option<Timestamp>,
    pub open_topics: Vec<TherapyTopic>,
    /// Days on which both partners' check-ins are shared.
    pub checkin_days: usize,
    pub triggers: usize,
    pub disclosures: usize,
    pub disclosures_before_asked: usize,
    pub commitment_days_kept: usize,
    pub commitment_days_missed: usize,
    pub questions_asked: usize,
    pub wins: usize,
    pub times_together: usize,
    /// Titles of agreement sections changed since.
    pub sections_changed: Vec<String>,
}

impl View {
    /// The latest moment a topic was marked discussed.
    pub fn last_session_at(&self) -> Option<Timestamp> {
        self.therapy_topics
            .iter()
            .filter_map(|t| t.discussed_at)
            .max()
    }

    pub fn since_last_session(&self) -> SinceLastSession {
        let since = self.last_session_at();
        let after = |at: Timestamp| since.is_none_or(|s| at > s);
        let mut days: Vec<&str> = self
            .daily_checkins
            .iter()
            .filter(|c| !c.sealed && after(c.at))
            .map(|c| c.date.as_str())
            .collect();
        days.sort_unstable();
        let checkin_days = days.windows(2).filter(|w| w[0] == w[1]).count();
        let logs = || {
            self.commitments
                .iter()
                .flat_map(|c| &c.log)
                .filter(|l| after(l.at))
        };
        SinceLastSession {
            since,
            open_topics: self
                .therapy_topics
                .iter()
                .filter(|t| !t.discussed)
                .cloned()
                .collect(),
            checkin_days,
            triggers: self.triggers.iter().filter(|t| after(t.at)).count(),
            disclosures: self.disclosures.iter().filter(|d| after(d.at)).count(),
            disclosures_before_asked: self
                .disclosures
                .iter()
                .filter(|d| after(d.at) && d.before_asked)
                .count(),
            commitment_days_kept: logs()
                .filter(|l| l.status == crate::features::LogStatus::Kept)
                .count(),
            commitment_days_missed: logs()
                .filter(|l| l.status != crate::features::LogStatus::Kept)
                .count(),
            questions_asked: self.questions.iter().filter(|q| after(q.at)).count(),
            wins: self.wins.iter().filter(|w| after(w.at)).count(),
            times_together: self
                .rituals
                .iter()
                .flat_map(|r| &r.done)
                .filter(|d| after(d.at))
                .count(),
            sections_changed: self
                .agreement
                .iter()
                .filter(|s| s.edited_at.is_some_and(after))
                .map(|s| s.title.clone())
                .collect(),
        }
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddTherapyTopic { id, text, from } => {
            let text = short_text(&text, "The topic")?;
            let from = from
                .as_deref()
                .map(|f| short_text(f, "Where the topic came from"))
                .transpose()?;
            let map = top(d.couple, TOPICS)?;
            let t = new_item(d.couple, &map, &id)?;
            d.couple.put(&t, "by", d.me.0.as_str())?;
            d.couple.put(&t, "text", text.as_str())?;
            d.couple.put(&t, "at", now)?;
            d.couple.put(&t, "discussed", false)?;
            if let Some(from) = from {
                d.couple.put(&t, "from", from.as_str())?;
            }
        }
        Command::SetTherapyTopicDiscussed { id, discussed } => {
            let t = item(d.couple, TOPICS, &id, "therapy topic")?;
            d.couple.put(&t, "discussed", discussed)?;
            if discussed {
                d.couple.put(&t, "discussed_at", now)?;
            } else {
                d.couple
                    .put(&t, "discussed_at", automerge::ScalarValue::Null)?;
            }
        }
        other => return Err(misrouted(&other, "therapy topics")),
    }
    Ok(())
}

/// The topic a revealed weekly check-in brings to therapy. Its id comes from the week and the
/// partner, so my two devices revealing the same answer write one topic, not two.
pub(crate) fn put_weekly_topic(
    d: &mut WriteDocs<'_>,
    week: &str,
    text: &str,
    now: Timestamp,
) -> Result<(), CoreError> {
    // Longer answers stay whole in the check-in; the topic is a pointer to it.
    let text: String = text.trim().chars().take(500).collect();
    let id = ItemId(format!("weekly-{week}-{}", d.me));
    let map = top(d.couple, TOPICS)?;
    match d.couple.get(&map, id.0.as_str())? {
        Some((Value::Object(ObjType::Map), t)) => {
            let current = d
                .couple
                .get(&t, "text")?
                .and_then(|(v, _)| v.as_str().map(str::to_owned));
            if current.as_deref() != Some(text.as_str()) {
                d.couple.put(&t, "text", text.as_str())?;
            }
        }
        _ => {
            let t = new_item(d.couple, &map, &id)?;
            d.couple.put(&t, "by", d.me.0.as_str())?;
            d.couple.put(&t, "text", text.as_str())?;
            d.couple.put(&t, "at", now)?;
            d.couple.put(&t, "discussed", false)?;
            d.couple
                .put(&t, "from", format!("weekly check-in {week}"))?;
        }
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.therapy_topics = collect_cached(r, DocKind::Couple, TOPICS, errors, |id, t| {
        Ok(TherapyTopic {
            id: ItemId(id.to_owned()),
            by: t.author("by", r.writers)?,
            text: t.str("text")?,
            at: t.i64("at")?,
            discussed: t.bool_or("discussed", false)?,
            discussed_at: t.opt_i64("discussed_at")?,
            from: t.opt_str("from")?,
        })
    });
    v.therapy_topics.sort_by_key(|t| t.at);
}

/// Topics raised or discussed within the period.
fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a TherapyTopic> {
    c.v.therapy_topics
        .iter()
        .filter(|t| {
            c.scope.contains_at(t.at) || t.discussed_at.is_some_and(|at| c.scope.contains_at(at))
        })
        .collect()
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("therapy_topics", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let topics = in_period(c);
    if topics.is_empty() {
        r.nothing();
        return;
    }
    let item = |t: &&TherapyTopic| {
        let mut text = t.text.trim().to_owned();
        if let Some(from) = t.from.as_deref().filter(|f| !f.trim().is_empty()) {
            text.push_str(&format!(" (from {})", from.trim()));
        }
        if let Some(at) = t.discussed_at {
            text.push_str(&format!(". Discussed {}", date_of(at)));
        }
        (format!("{}, {}", date_of(t.at), v.name_of(&t.by)), text)
    };
    let open: Vec<_> = topics.iter().filter(|t| !t.discussed).map(item).collect();
    let done: Vec<_> = topics.iter().filter(|t| t.discussed).map(item).collect();
    r.heading("For the next session");
    if open.is_empty() {
        r.note("Nothing open.");
    }
    r.list(open);
    if !done.is_empty() {
        r.heading("Discussed");
        r.list(done);
    }
}
