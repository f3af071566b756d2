//! Therapy: topics either partner wants to bring to the next session, ticked off once discussed.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::command::Command;
use crate::export::ExportScope;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::write::{WriteDocs, item, misrouted, new_item, short_text, top};

/// Couple: topics under random ids.
const TOPICS: &str = "therapy_topics";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[TOPICS];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TherapyTopic {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    pub discussed: bool,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddTherapyTopic { id, text } => {
            let text = short_text(&text, "The topic")?;
            let map = top(d.couple, TOPICS)?;
            let t = new_item(d.couple, &map, &id)?;
            d.couple.put(&t, "by", d.me.0.as_str())?;
            d.couple.put(&t, "text", text.as_str())?;
            d.couple.put(&t, "at", now)?;
            d.couple.put(&t, "discussed", false)?;
        }
        Command::SetTherapyTopicDiscussed { id, discussed } => {
            let t = item(d.couple, TOPICS, &id, "therapy topic")?;
            d.couple.put(&t, "discussed", discussed)?;
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
    v.therapy_topics = collect(r.couple, TOPICS, errors, |id, t| {
        Ok(TherapyTopic {
            id: ItemId(id.to_owned()),
            by: PartnerId(t.str("by")?),
            text: t.str("text")?,
            at: t.i64("at")?,
            discussed: t.bool_or("discussed", false)?,
        })
    });
    v.therapy_topics.sort_by_key(|t| t.at);
}

pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    _scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    out.serialize_entry("therapy_topics", &v.therapy_topics)
}

pub(crate) fn export_markdown(v: &View, _scope: &ExportScope, md: &mut String) {
    let topics: Vec<_> = v.therapy_topics.iter().filter(|t| !t.discussed).collect();
    if !topics.is_empty() {
        md.push_str("## For the next session\n\n");
        for t in topics {
            md.push_str(&format!("- {} ({})\n", t.text, v.name_of(&t.by)));
        }
        md.push('\n');
    }
}
