//! The private journal, and the copies of entries a partner chose to share with the other.

use std::collections::{HashMap, HashSet};

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect_cached};
use crate::write::{
    WriteDocs, date_text, invalid, item, long_text, misrouted, new_item, put_opt_str, put_opt_u8,
    splice_checked, text_obj, top,
};

/// Private: the partner's own entries, under random ids.
const JOURNAL: &str = "journal";
/// Couple: copies of shared entries, under the private entry's id.
const SHARED_ENTRIES: &str = "shared_entries";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[JOURNAL, SHARED_ENTRIES];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub id: ItemId,
    pub date: String,
    /// 1 (very low) ..= 5 (very good).
    pub mood: Option<u8>,
    pub tags: Vec<String>,
    pub text: String,
    pub prompt: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// True while a copy of the entry lives in the couple document.
    pub shared: bool,
}

/// A journal entry its author chose to share: a copy living in the couple document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SharedEntry {
    pub id: ItemId,
    pub by: PartnerId,
    pub date: String,
    pub mood: Option<u8>,
    pub tags: Vec<String>,
    pub text: String,
    pub prompt: Option<String>,
    pub shared_at: Timestamp,
}

impl JournalEntry {
    /// Search as the journal offers it: `query`, ignoring case and surrounding space, in the
    /// text, a tag or the prompt. An empty query matches every entry.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim().to_lowercase();
        q.is_empty()
            || self.text.to_lowercase().contains(&q)
            || self.tags.iter().any(|t| t.to_lowercase().contains(&q))
            || self
                .prompt
                .as_deref()
                .is_some_and(|p| p.to_lowercase().contains(&q))
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddJournalEntry {
            id,
            date,
            mood,
            tags,
            text,
            prompt,
        } => {
            let date = date_text(&date)?;
            check_mood(mood)?;
            let tags = clean_tags(tags)?;
            long_text(&text, "The entry")?;
            let journal = top(d.private, JOURNAL)?;
            let e = new_item(d.private, &journal, &id)?;
            d.private.put(&e, "date", date.as_str())?;
            put_opt_u8(d.private, &e, "mood", mood)?;
            put_tags(d.private, &e, &tags)?;
            let t = d.private.put_object(&e, "text", ObjType::Text)?;
            d.private.splice_text(&t, 0, 0, &text)?;
            put_opt_str(d.private, &e, "prompt", prompt.as_deref())?;
            d.private.put(&e, "created_at", now)?;
            d.private.put(&e, "updated_at", now)?;
            d.private.put(&e, "shared", false)?;
        }
        Command::UpdateJournalMeta {
            id,
            date,
            mood,
            tags,
            prompt,
        } => {
            let date = date_text(&date)?;
            check_mood(mood)?;
            let tags = clean_tags(tags)?;
            let e = item(d.private, JOURNAL, &id, "journal entry")?;
            d.private.put(&e, "date", date.as_str())?;
            put_opt_u8(d.private, &e, "mood", mood)?;
            put_tags(d.private, &e, &tags)?;
            put_opt_str(d.private, &e, "prompt", prompt.as_deref())?;
            d.private.put(&e, "updated_at", now)?;
        }
        Command::SpliceJournalText {
            id,
            pos,
            delete,
            insert,
        } => {
            let e = item(d.private, JOURNAL, &id, "journal entry")?;
            let t = text_obj(d.private, &e, "text")?;
            splice_checked(d.private, &t, pos, delete, &insert)?;
            d.private.put(&e, "updated_at", now)?;
        }
        Command::DeleteJournalEntry { id } => {
            item(d.private, JOURNAL, &id, "journal entry")?;
            let journal = top(d.private, JOURNAL)?;
            d.private.delete(&journal, id.0.as_str())?;
            let shared = top(d.couple, SHARED_ENTRIES)?;
            if d.couple.get(&shared, id.0.as_str())?.is_some() {
                d.couple.delete(&shared, id.0.as_str())?;
            }
        }
        Command::ShareJournalEntry { id } => {
            // Only the intent: the copy enters the couple document in `publish_shares`,
            // when a partner's device is connected. Automerge keeps history, so a copy
            // written now and unshared before any sync would still travel, deleted but
            // readable, at the next sync.
            let e = item(d.private, JOURNAL, &id, "journal entry")?;
            d.private.put(&e, "shared", true)?;
        }
        Command::UnshareJournalEntry { id } => {
            let e = item(d.private, JOURNAL, &id, "journal entry")?;
            d.private.put(&e, "shared", false)?;
            let shared = top(d.couple, SHARED_ENTRIES)?;
            if d.couple.get(&shared, id.0.as_str())?.is_some() {
                d.couple.delete(&shared, id.0.as_str())?;
            }
        }
        other => return Err(misrouted(&other, "the journal")),
    }
    Ok(())
}

/// Whether changes in `d` can have made a copy out of date.
pub(crate) fn shares_may_be_due(d: &crate::refresh::Dirty) -> bool {
    d.touches(DocKind::Private, &[JOURNAL]) || d.touches(DocKind::Couple, &[SHARED_ENTRIES])
}

/// See `Model::publish_shares`. `entries` and `copies` are the journal and the shared copies
/// as read now (from the item cache: after years, reading every entry again on each save
/// while the partner is online would take a second); only entries whose copy is missing or
/// differs are written.
pub(crate) fn publish_shares(
    d: &mut WriteDocs<'_>,
    entries: &[JournalEntry],
    copies: &[SharedEntry],
    now: Timestamp,
) -> Result<bool, CoreError> {
    let before = d.couple.pending_ops();
    let shared = top(d.couple, SHARED_ENTRIES)?;
    // Every copy present, readable or not (an unreadable one is still deleted or rewritten).
    let present: HashSet<String> = Rd::root_map(d.couple, SHARED_ENTRIES)?
        .keys()
        .into_iter()
        .collect();
    let copies: HashMap<&str, &SharedEntry> = copies.iter().map(|c| (c.id.0.as_str(), c)).collect();
    for entry in entries {
        let id = entry.id.0.as_str();
        match (entry.shared, present.contains(id)) {
            (false, true) => d.couple.delete(&shared, id)?,
            (false, false) => {}
            (true, true) if copies.get(id).is_some_and(|c| same_as_copy(entry, c)) => {}
            (true, _) => {
                let copy = match d.couple.get(&shared, id)? {
                    Some((Value::Object(ObjType::Map), c)) => c,
                    _ => {
                        let c = new_item(d.couple, &shared, &entry.id)?;
                        d.couple.put(&c, "by", d.me.0.as_str())?;
                        d.couple.put(&c, "shared_at", now)?;
                        c
                    }
                };
                refresh_copy(d, &copy, entry)?;
            }
        }
    }
    Ok(d.couple.pending_ops() != before)
}

fn same_as_copy(e: &JournalEntry, c: &SharedEntry) -> bool {
    e.date == c.date
        && e.mood == c.mood
        && e.tags == c.tags
        && e.text == c.text
        && e.prompt == c.prompt
}

/// Puts only what differs: rewriting equal values would make a change, and a sync, every
/// time shares are published.
fn refresh_copy(
    d: &mut WriteDocs<'_>,
    copy: &ObjId,
    entry: &JournalEntry,
) -> Result<(), CoreError> {
    let current = {
        let rd = Rd {
            doc: d.couple,
            obj: copy.clone(),
            place: format!("{SHARED_ENTRIES}/{}", entry.id),
        };
        (
            rd.opt_str("date").ok().flatten(),
            rd.opt_scale("mood", 5).ok().flatten(),
            rd.strings("tags").ok(),
            rd.opt_str("prompt").ok().flatten(),
        )
    };
    if current.0.as_deref() != Some(entry.date.as_str()) {
        d.couple.put(copy, "date", entry.date.as_str())?;
    }
    if current.1 != entry.mood {
        put_opt_u8(d.couple, copy, "mood", entry.mood)?;
    }
    if current.2.as_ref() != Some(&entry.tags) {
        put_tags(d.couple, copy, &entry.tags)?;
    }
    if current.3 != entry.prompt {
        put_opt_str(d.couple, copy, "prompt", entry.prompt.as_deref())?;
    }
    let t = text_obj(d.couple, copy, "text")?;
    if d.couple.text(&t)? != entry.text {
        d.couple.update_text(&t, &entry.text)?;
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.journal = entries(r, errors);
    v.journal
        .sort_by(|a, b| (&b.date, b.created_at).cmp(&(&a.date, a.created_at)));
}

/// My journal, unsorted.
pub(crate) fn entries(r: &ReadDocs<'_>, errors: &mut Vec<ItemError>) -> Vec<JournalEntry> {
    collect_cached(r, DocKind::Private, JOURNAL, errors, read_entry)
}

/// The shared copies in the couple document, unsorted.
pub(crate) fn copies(r: &ReadDocs<'_>, errors: &mut Vec<ItemError>) -> Vec<SharedEntry> {
    collect_cached(r, DocKind::Couple, SHARED_ENTRIES, errors, |id, e| {
        read_copy(id, e, r.writers)
    })
}

/// Read apart from [`read`] only to keep `View::errors` in the order it always had.
pub(crate) fn read_shared(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.shared_entries = copies(r, errors);
    v.shared_entries.sort_by(|a, b| b.date.cmp(&a.date));
}

fn read_copy(
    id: &str,
    e: &Rd<'_>,
    w: &crate::authorship::Writers,
) -> Result<SharedEntry, ItemError> {
    Ok(SharedEntry {
        id: ItemId(id.to_owned()),
        by: e.author("by", w)?,
        date: e.str("date")?,
        mood: e.opt_scale("mood", 5)?,
        tags: e.strings("tags")?,
        text: e.str_or_empty("text")?,
        prompt: e.opt_str("prompt")?,
        shared_at: e.i64("shared_at")?,
    })
}

fn read_entry(id: &str, e: &Rd<'_>) -> Result<JournalEntry, ItemError> {
    Ok(JournalEntry {
        id: ItemId(id.to_owned()),
        date: e.str("date")?,
        mood: e.opt_scale("mood", 5)?,
        tags: e.strings("tags")?,
        text: e.str_or_empty("text")?,
        prompt: e.opt_str("prompt")?,
        created_at: e.i64("created_at")?,
        updated_at: e.i64("updated_at")?,
        shared: e.bool_or("shared", false)?,
    })
}

pub(crate) fn export_private_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    if !c.scope.own_private {
        return Vec::new();
    }
    let entries: Vec<&JournalEntry> =
        c.v.journal
            .iter()
            .filter(|e| c.scope.contains(&e.date))
            .collect();
    vec![entry("journal", &entries)]
}

pub(crate) fn export_shared_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    let shared: Vec<&SharedEntry> =
        c.v.shared_entries
            .iter()
            .filter(|e| c.scope.contains(&e.date))
            .collect();
    vec![entry("shared_entries", &shared)]
}

fn entry_report(
    r: &mut Report,
    title: String,
    mood: Option<u8>,
    tags: &[String],
    prompt: Option<&str>,
    text: &str,
) {
    r.heading(title);
    let mut facts = Vec::new();
    if let Some(m) = mood {
        facts.push(("Mood".to_owned(), format!("{m}/5")));
    }
    if !tags.is_empty() {
        facts.push(("Tags".to_owned(), tags.join(", ")));
    }
    r.table(facts);
    if let Some(p) = prompt {
        r.quote(p);
    }
    r.paragraph(text);
}

pub(crate) fn export_shared_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let mut shared: Vec<&SharedEntry> = v
        .shared_entries
        .iter()
        .filter(|e| c.scope.contains(&e.date))
        .collect();
    if shared.is_empty() {
        r.nothing();
    }
    shared.sort_by(|a, b| a.date.cmp(&b.date));
    for e in shared {
        entry_report(
            r,
            format!("{} — {}", e.date, v.name_of(&e.by)),
            e.mood,
            &e.tags,
            e.prompt.as_deref(),
            &e.text,
        );
    }
}

/// Only when asked for (`own_private`): the exporting partner's own journal.
pub(crate) fn export_private_report(c: &ExportCtx<'_>, r: &mut Report) {
    if !c.scope.own_private {
        return;
    }
    let mut entries: Vec<&JournalEntry> =
        c.v.journal
            .iter()
            .filter(|e| c.scope.contains(&e.date))
            .collect();
    if entries.is_empty() {
        r.nothing();
    }
    entries.sort_by(|a, b| a.date.cmp(&b.date));
    for e in entries {
        entry_report(
            r,
            e.date.clone(),
            e.mood,
            &e.tags,
            e.prompt.as_deref(),
            &e.text,
        );
    }
}

fn put_tags(
    doc: &mut automerge::AutoCommit,
    obj: &ObjId,
    tags: &[String],
) -> Result<(), CoreError> {
    let list = doc.put_object(obj, "tags", ObjType::List)?;
    for (i, t) in tags.iter().enumerate() {
        doc.insert(&list, i, t.as_str())?;
    }
    Ok(())
}

fn check_mood(mood: Option<u8>) -> Result<(), CoreError> {
    match mood {
        Some(m) if !(1..=5).contains(&m) => Err(invalid("Mood must be between 1 and 5")),
        _ => Ok(()),
    }
}

fn clean_tags(tags: Vec<String>) -> Result<Vec<String>, CoreError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').to_lowercase();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > 50 {
            return Err(invalid(format!(
                "The tag '{t}' is longer than 50 characters"
            )));
        }
        out.push(t);
    }
    if out.len() > 30 {
        return Err(invalid("An entry can have at most 30 tags"));
    }
    Ok(out)
}
