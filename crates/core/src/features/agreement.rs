//! The agreement: its sections (automerge Text, changed only by splices) and each partner's
//! affirmation of the wording as it stood.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authorship::Writers;
use crate::command::Command;
use crate::export::{ExportCtx, Report, changes_report, date_of, entry, text_changes};
use crate::features::View;
use crate::history::{TextTarget, heads_at, text_at_heads};
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::text::word_splices;
use crate::write::{
    WriteDocs, date_text, invalid, item, misrouted, new_item, put_opt_str, short_text,
    splice_checked, text_obj, top,
};

/// Couple: sections under their template kind (from genesis) or a random id (custom ones).
pub(crate) const AGREEMENT: &str = "agreement";
/// Couple: one affirmation per partner, under the partner id.
const AFFIRMATIONS: &str = "affirmations";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[AGREEMENT, AFFIRMATIONS];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Section {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub order: i64,
    pub edited_by: Option<PartnerId>,
    pub edited_at: Option<Timestamp>,
    /// When a temporary measure is to be looked at again (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// Set when a review ended the measure.
    pub ended_at: Option<Timestamp>,
    /// Oldest first.
    pub reviews: Vec<SectionReview>,
}

/// A review of a section: who, when, and what the couple decided.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SectionReview {
    pub id: ItemId,
    pub by: PartnerId,
    pub at: Timestamp,
    pub outcome: ReviewOutcome,
    pub note: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    Kept,
    Changed,
    Ended,
}

impl ReviewOutcome {
    pub const ALL: [ReviewOutcome; 3] = [
        ReviewOutcome::Kept,
        ReviewOutcome::Changed,
        ReviewOutcome::Ended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Kept => "kept",
            ReviewOutcome::Changed => "changed",
            ReviewOutcome::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
    /// In words: "kept as is", "changed", "ended".
    pub fn label(self) -> &'static str {
        match self {
            ReviewOutcome::Kept => "kept as is",
            ReviewOutcome::Changed => "changed",
            ReviewOutcome::Ended => "ended",
        }
    }
}

impl Section {
    /// A review date has come and the measure has not been ended.
    pub fn review_due(&self, today: &str) -> bool {
        self.ended_at.is_none() && self.review_on.as_deref().is_some_and(|d| d <= today)
    }
}

impl View {
    /// Sections whose review date has come, in agreement order.
    pub fn reviews_due(&self, today: &str) -> Vec<&Section> {
        self.agreement
            .iter()
            .filter(|s| s.review_due(today))
            .collect()
    }
}

/// Reviews are keys of the section itself (`review/<id>`), never a nested map both partners
/// could create at once (one of two concurrent maps would lose).
const REVIEW_PREFIX: &str = "review/";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Affirmation {
    pub by: PartnerId,
    pub at: Timestamp,
    pub digest: String,
    /// False once the agreement text changed after this affirmation.
    pub current: bool,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.as_str();
    match cmd {
        Command::AddSection { id, title } => {
            let title = short_text(&title, "The section title")?;
            let agreement = top(d.couple, AGREEMENT)?;
            let order = Rd::root_map(d.couple, AGREEMENT)?
                .items()
                .filter_map(|(_, s)| s.ok()?.opt_i64("order").ok().flatten())
                .max()
                .unwrap_or(0)
                + 1;
            let s = new_item(d.couple, &agreement, &id)?;
            d.couple.put(&s, "kind", "custom")?;
            d.couple.put(&s, "title", title.as_str())?;
            d.couple.put(&s, "order", order)?;
            d.couple.put_object(&s, "body", ObjType::Text)?;
            mark_edited(d.couple, &s, me, now)?;
        }
        Command::RenameSection { section, title } => {
            let title = short_text(&title, "The section title")?;
            let s = section_obj(d.couple, &section)?;
            d.couple.put(&s, "title", title.as_str())?;
            mark_edited(d.couple, &s, me, now)?;
        }
        Command::SpliceSection {
            section,
            pos,
            delete,
            insert,
        } => {
            let s = section_obj(d.couple, &section)?;
            let t = text_obj(d.couple, &s, "body")?;
            splice_checked(d.couple, &t, pos, delete, &insert)?;
            mark_edited(d.couple, &s, me, now)?;
        }
        Command::DeleteSection { section } => {
            section_obj(d.couple, &section)?;
            let agreement = top(d.couple, AGREEMENT)?;
            d.couple.delete(&agreement, section.as_str())?;
        }
        Command::RestoreText { target, at } => {
            let text = target.obj(&*d.couple)?;
            let heads = heads_at(&d.couple.get_changes_meta(&[]), at);
            let then = text_at_heads(&*d.couple, &text, &heads);
            if d.couple.text(&text)? == then {
                return Err(invalid(
                    "the wording then was the same as it is now; there is nothing to restore",
                ));
            }
            // Only the words that differ are deleted and typed again, so the partner's
            // concurrent typing in an unchanged passage survives the merge.
            for s in word_splices(&d.couple.text(&text)?, &then) {
                d.couple
                    .splice_text(&text, s.pos, s.delete as isize, &s.insert)?;
            }
            if let TextTarget::Section(section) = &target {
                let s = section_obj(d.couple, section)?;
                mark_edited(d.couple, &s, me, now)?;
            }
        }
        Command::SetSectionReviewDate { section, date } => {
            let date = date.as_deref().map(date_text).transpose()?;
            let s = section_obj(d.couple, &section)?;
            put_opt_str(d.couple, &s, "review_on", date.as_deref())?;
        }
        Command::RecordSectionReview {
            id,
            section,
            outcome,
            note,
            next,
        } => {
            let next = next.as_deref().map(date_text).transpose()?;
            if outcome == ReviewOutcome::Ended && next.is_some() {
                return Err(invalid("an ended measure has no next review date"));
            }
            let note = note.trim();
            if note.chars().count() > 2000 {
                return Err(invalid("the note is longer than 2000 characters"));
            }
            let s = section_obj(d.couple, &section)?;
            let r = new_item(d.couple, &s, &ItemId(format!("{REVIEW_PREFIX}{id}")))?;
            d.couple.put(&r, "by", me)?;
            d.couple.put(&r, "at", now)?;
            d.couple.put(&r, "outcome", outcome.as_str())?;
            d.couple.put(&r, "note", note)?;
            put_opt_str(d.couple, &s, "review_on", next.as_deref())?;
            if outcome == ReviewOutcome::Ended {
                d.couple.put(&s, "ended_at", now)?;
            }
        }
        Command::AffirmAgreement => {
            let digest = agreement_digest(&read_sections(
                d.couple,
                &Writers::unchecked(),
                &mut Vec::new(),
            ));
            let affirmations = top(d.couple, AFFIRMATIONS)?;
            let a = d.couple.put_object(&affirmations, me, ObjType::Map)?;
            d.couple.put(&a, "v", ITEM_VERSION)?;
            d.couple.put(&a, "at", now)?;
            d.couple.put(&a, "digest", digest.as_str())?;
        }
        other => return Err(misrouted(&other, "the agreement")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.agreement = read_sections(r.couple, r.writers, errors);
    v.agreement_digest = agreement_digest(&v.agreement);
    let digest = v.agreement_digest.clone();
    v.affirmations = collect(r.couple, AFFIRMATIONS, errors, |id, a| {
        let d = a.str("digest")?;
        Ok(Affirmation {
            by: a.author_of_field("digest", id, r.writers)?,
            at: a.i64("at")?,
            current: d == digest,
            digest: d,
        })
    });
}

fn read_sections(doc: &AutoCommit, w: &Writers, errors: &mut Vec<ItemError>) -> Vec<Section> {
    // A malformed review is reported on its own: it must not hide the section it belongs to.
    let review_errors = std::cell::RefCell::new(Vec::new());
    let mut sections = collect(doc, AGREEMENT, errors, |id, s| {
        Ok(Section {
            id: id.to_owned(),
            kind: s.str_or_empty("kind")?,
            title: s.str("title")?,
            body: s.str_or_empty("body")?,
            order: s.opt_i64("order")?.unwrap_or(i64::MAX),
            edited_by: edited_by(s, w)?,
            edited_at: s.opt_i64("edited_at")?,
            review_on: s.opt_str("review_on")?,
            ended_at: s.opt_i64("ended_at")?,
            reviews: read_reviews(s, w, &mut review_errors.borrow_mut()),
        })
    });
    errors.append(&mut review_errors.borrow_mut());
    sections.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    sections
}

/// Who last edited the section: `edited_by`, if the same member verifiably wrote both it and
/// `edited_at`. (A device that writes only the time keeps the name standing, which automerge
/// does not even record as a write when it is the same value.)
fn edited_by(s: &Rd<'_>, w: &Writers) -> Result<Option<PartnerId>, ItemError> {
    Ok(
        match (s.opt_author("edited_by", w)?, s.opt_i64("edited_at")?) {
            (Some(by), Some(_)) => Some(s.author_of_field("edited_at", &by.0, w)?),
            (by, _) => by,
        },
    )
}

fn read_reviews(s: &Rd<'_>, w: &Writers, errors: &mut Vec<ItemError>) -> Vec<SectionReview> {
    let mut reviews = Vec::new();
    for key in s.keys() {
        let Some(id) = key.strip_prefix(REVIEW_PREFIX) else {
            continue;
        };
        let review = s.map(&key).and_then(|r| {
            r.check_version()?;
            let outcome = r.str("outcome")?;
            Ok(SectionReview {
                id: ItemId(id.to_owned()),
                by: r.author("by", w)?,
                at: r.i64("at")?,
                outcome: ReviewOutcome::parse(&outcome).ok_or_else(|| {
                    ItemError::new(r.place(), format!("has an unknown outcome '{outcome}'"))
                })?,
                note: r.str_or_empty("note")?,
            })
        });
        match review {
            Ok(r) => reviews.push(r),
            Err(e) => errors.push(e),
        }
    }
    reviews.sort_by_key(|r| r.at);
    reviews
}

/// What an affirmation is bound to: the titles and wording of every section, in order.
fn agreement_digest(sections: &[Section]) -> String {
    let mut h = Sha256::new();
    for s in sections {
        for part in [s.id.as_str(), s.title.as_str(), s.body.as_str()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
    }
    hex::encode(&h.finalize()[..16])
}

/// An existing agreement section.
fn section_obj(doc: &AutoCommit, section: &str) -> Result<ObjId, CoreError> {
    item(
        doc,
        AGREEMENT,
        &ItemId(section.to_owned()),
        "agreement section",
    )
}

/// "Last edited by/when" of an agreement section, written with every change to it.
fn mark_edited(doc: &mut AutoCommit, s: &ObjId, me: &str, now: i64) -> Result<(), CoreError> {
    doc.put(s, "edited_by", me)?;
    doc.put(s, "edited_at", now)?;
    Ok(())
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    let sections: Vec<serde_json::Value> =
        c.v.agreement
            .iter()
            .map(|s| {
                let mut value = serde_json::to_value(s).expect("plain data serialises");
                if let Some(obj) = value.as_object_mut() {
                    let reviews: Vec<_> = s
                        .reviews
                        .iter()
                        .filter(|r| c.scope.contains_at(r.at))
                        .collect();
                    obj.insert(
                        "reviews".into(),
                        serde_json::to_value(reviews).unwrap_or_default(),
                    );
                    if let Some(changes) = text_changes(c, &TextTarget::Section(s.id.clone())) {
                        obj.insert(
                            "changes_in_period".into(),
                            serde_json::to_value(changes).unwrap_or_default(),
                        );
                    }
                }
                value
            })
            .collect();
    let affirmations: Vec<&Affirmation> =
        c.v.affirmations
            .iter()
            .filter(|a| c.scope.contains_at(a.at))
            .collect();
    vec![
        entry("agreement", &sections),
        entry("affirmations", &affirmations),
    ]
}

/// Each section's wording now, its review date, and what changed within the period.
pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    for s in &v.agreement {
        r.heading(&s.title);
        if s.body.trim().is_empty() {
            r.note("Not written yet.");
        } else {
            r.paragraph(&s.body);
        }
        let mut facts = Vec::new();
        if let (Some(by), Some(at)) = (&s.edited_by, s.edited_at) {
            facts.push((
                "Last edited".to_owned(),
                format!("{} by {}", date_of(at), v.name_of(by)),
            ));
        }
        if let Some(d) = &s.review_on {
            facts.push(("Review on".to_owned(), d.clone()));
        }
        if let Some(at) = s.ended_at {
            facts.push(("Ended on".to_owned(), date_of(at)));
        }
        r.table(facts);
        let reviews: Vec<(String, String)> = s
            .reviews
            .iter()
            .filter(|rv| c.scope.contains_at(rv.at))
            .map(|rv| {
                let note = if rv.note.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", rv.note.trim())
                };
                (
                    format!("Reviewed {} by {}", date_of(rv.at), v.name_of(&rv.by)),
                    format!("{}{note}", rv.outcome.label()),
                )
            })
            .collect();
        r.list(reviews);
        changes_report(text_changes(c, &TextTarget::Section(s.id.clone())), r);
    }
    let affirmed: Vec<(String, String)> = v
        .affirmations
        .iter()
        .filter(|a| c.scope.contains_at(a.at))
        .map(|a| {
            (
                format!("{}, {}", date_of(a.at), v.name_of(&a.by)),
                if a.current {
                    "affirmed the agreement as it stands now".to_owned()
                } else {
                    "affirmed an earlier wording".to_owned()
                },
            )
        })
        .collect();
    if !affirmed.is_empty() {
        r.heading("Affirmations in this period");
        r.list(affirmed);
    }
}
