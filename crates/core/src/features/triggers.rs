//! Triggers: a partner saying "I am triggered", the other's acknowledgement, and each partner's
//! reassurance plan (what helps them then).

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::command::Command;
use crate::export::ExportScope;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs, collect};
use crate::write::{WriteDocs, long_text, misrouted, new_item, splice_checked, text_obj, top};

/// Couple: triggers under random ids.
const TRIGGERS: &str = "triggers";
/// Couple: one plain string per partner, under the partner id.
const REASSURANCE: &str = "reassurance";

/// Couple: the one plan both partners write, a Text at the root (made by migration 3).
const PLAN: &str = "reassurance_plan";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[TRIGGERS, REASSURANCE];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Trigger {
    pub id: ItemId,
    pub by: PartnerId,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
}

/// What a partner asks for when they are triggered, shown on the other's device.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReassurancePlan {
    pub by: PartnerId,
    pub text: String,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::RaiseTrigger { id, note } => {
            long_text(&note, "The note")?;
            let map = top(d.couple, TRIGGERS)?;
            let t = new_item(d.couple, &map, &id)?;
            d.couple.put(&t, "by", d.me.0.as_str())?;
            d.couple.put(&t, "note", note.trim())?;
            d.couple.put(&t, "at", now)?;
        }
        Command::AcknowledgeTrigger { id } => {
            let t = d.partners_item(TRIGGERS, &id, "trigger", "by")?;
            d.couple.put(&t, "acknowledged_at", now)?;
        }
        Command::SetReassurancePlan { text } => {
            long_text(&text, "The reassurance plan")?;
            let r = top(d.couple, REASSURANCE)?;
            d.couple.put(&r, d.me.0.as_str(), text.as_str())?;
        }
        Command::SpliceReassurancePlan {
            pos,
            delete,
            insert,
        } => {
            let plan = text_obj(d.couple, &automerge::ROOT, PLAN)?;
            splice_checked(d.couple, &plan, pos, delete, &insert)?;
        }
        other => return Err(misrouted(&other, "triggers")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.triggers = collect(r.couple, TRIGGERS, errors, |id, t| {
        Ok(Trigger {
            id: ItemId(id.to_owned()),
            by: PartnerId(t.str("by")?),
            note: t.str_or_empty("note")?,
            at: t.i64("at")?,
            acknowledged_at: t.opt_i64("acknowledged_at")?,
        })
    });
    v.triggers.sort_by_key(|x| std::cmp::Reverse(x.at));
}

/// Read apart from [`read`] only to keep `View::errors` in the order it always had.
pub(crate) fn read_reassurance(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    match r.couple.get(automerge::ROOT, PLAN) {
        Ok(Some((automerge::Value::Object(automerge::ObjType::Text), id))) => {
            if r.couple.length(&id) > crate::schema::MAX_TEXT_CHARS {
                errors.push(ItemError::new(PLAN, "is too long and was not loaded"));
            } else {
                v.reassurance_plan = r.couple.text(&id).unwrap_or_default();
            }
        }
        Ok(None) => {}
        _ => errors.push(ItemError::new(PLAN, "has the wrong type (expected text)")),
    }
    if let Ok(plans) = Rd::root_map(r.couple, REASSURANCE) {
        for k in plans.keys() {
            match plans.str(&k) {
                Ok(text) => v.reassurance_plans.push(ReassurancePlan {
                    by: PartnerId(k),
                    text,
                }),
                Err(e) => errors.push(e),
            }
        }
    }
}

pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    _scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    out.serialize_entry("triggers", &v.triggers)
}

pub(crate) fn export_markdown(v: &View, scope: &ExportScope, md: &mut String) {
    let date_of = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let triggers: Vec<_> = v
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
}
