//! The agreement: its sections (automerge Text, changed only by splices) and each partner's
//! affirmation of the wording as it stood.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};
use serde::Serialize;
use serde::ser::SerializeMap;
use sha2::{Digest, Sha256};

use crate::command::Command;
use crate::export::ExportScope;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::write::{
    WriteDocs, item, misrouted, new_item, short_text, splice_checked, text_obj, top,
};

/// Couple: sections under their template kind (from genesis) or a random id (custom ones).
const AGREEMENT: &str = "agreement";
/// Couple: one affirmation per partner, under the partner id.
const AFFIRMATIONS: &str = "affirmations";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[AGREEMENT, AFFIRMATIONS];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Section {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub order: i64,
    pub edited_by: Option<PartnerId>,
    pub edited_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
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
        Command::AffirmAgreement => {
            let digest = agreement_digest(&read_sections(d.couple, &mut Vec::new()));
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
    v.agreement = read_sections(r.couple, errors);
    v.agreement_digest = agreement_digest(&v.agreement);
    let digest = v.agreement_digest.clone();
    v.affirmations = collect(r.couple, AFFIRMATIONS, errors, |id, a| {
        let d = a.str("digest")?;
        Ok(Affirmation {
            by: PartnerId(id.to_owned()),
            at: a.i64("at")?,
            current: d == digest,
            digest: d,
        })
    });
}

fn read_sections(doc: &AutoCommit, errors: &mut Vec<ItemError>) -> Vec<Section> {
    let mut sections = collect(doc, AGREEMENT, errors, |id, s| {
        Ok(Section {
            id: id.to_owned(),
            kind: s.str_or_empty("kind")?,
            title: s.str("title")?,
            body: s.str_or_empty("body")?,
            order: s.opt_i64("order")?.unwrap_or(i64::MAX),
            edited_by: s.opt_str("edited_by")?.map(PartnerId),
            edited_at: s.opt_i64("edited_at")?,
        })
    });
    sections.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    sections
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

pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    _scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    out.serialize_entry("agreement", &v.agreement)
}

pub(crate) fn export_markdown(v: &View, _scope: &ExportScope, md: &mut String) {
    md.push_str("## Our agreement\n\n");
    for s in &v.agreement {
        md.push_str(&format!("### {}\n\n", s.title));
        if s.body.trim().is_empty() {
            md.push_str("_(not written yet)_\n\n");
        } else {
            md.push_str(s.body.trim_end());
            md.push_str("\n\n");
        }
    }
}
