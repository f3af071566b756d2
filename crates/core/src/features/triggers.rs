//! Triggers: a partner saying "I am triggered", the other's acknowledgement, and each partner's
//! reassurance plan (what helps them then).

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, changes_report, entry, text_changes, time_of};
use crate::features::View;
use crate::history::TextTarget;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect_cached};
use crate::write::{WriteDocs, long_text, misrouted, new_item, splice_checked, text_obj, top};

/// Couple: triggers under random ids.
const TRIGGERS: &str = "triggers";
/// Couple: one plain string per partner, under the partner id.
const REASSURANCE: &str = "reassurance";

/// Couple: the one plan both partners write, a Text at the root (made by migration 3).
pub(crate) const PLAN: &str = "reassurance_plan";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[TRIGGERS, REASSURANCE];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Trigger {
    pub id: ItemId,
    pub by: PartnerId,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
}

/// What a partner asks for when they are triggered, shown on the other's device.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
    v.triggers = collect_cached(r, DocKind::Couple, TRIGGERS, errors, |id, t| {
        Ok(Trigger {
            id: ItemId(id.to_owned()),
            by: t.author("by", r.writers)?,
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
            let plan = plans.str(&k).and_then(|text| {
                Ok(ReassurancePlan {
                    by: plans.author_of_field(&k, &k, r.writers)?,
                    text,
                })
            });
            match plan {
                Ok(p) => v.reassurance_plans.push(p),
                Err(e) => errors.push(e),
            }
        }
    }
}

fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a Trigger> {
    c.scope.within(&c.v.triggers, |t| t.at)
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("triggers", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let triggers = in_period(c);
    if triggers.is_empty() {
        r.nothing();
        return;
    }
    r.paragraph(format!("{} in this period.", triggers.len()));
    r.list(
        triggers
            .into_iter()
            .map(|t| {
                let mut text = if t.note.trim().is_empty() {
                    "(no note)".to_owned()
                } else {
                    t.note.trim().to_owned()
                };
                if let Some(at) = t.acknowledged_at {
                    text.push_str(&format!(". Acknowledged {}", time_of(at)));
                }
                (format!("{}, {}", time_of(t.at), v.name_of(&t.by)), text)
            })
            .collect(),
    );
}

/// The shared plan's wording now and its changes within the period, and the older
/// per-partner plans.
pub(crate) fn export_plan_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    let mut plan = serde_json::json!({ "text": c.v.reassurance_plan });
    if let Some(changes) = text_changes(c, &TextTarget::Plan) {
        plan["changes_in_period"] = serde_json::to_value(changes).unwrap_or_default();
    }
    vec![
        ("reassurance_plan", plan),
        entry("reassurance_plans", &c.v.reassurance_plans),
    ]
}

pub(crate) fn export_plan_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    if v.reassurance_plan.trim().is_empty() {
        r.note("Not written yet.");
    } else {
        r.paragraph(&v.reassurance_plan);
    }
    changes_report(text_changes(c, &TextTarget::Plan), r);
    let old: Vec<(String, String)> = v
        .reassurance_plans
        .iter()
        .filter(|p| !p.text.trim().is_empty())
        .map(|p| {
            (
                format!("{}'s earlier plan", v.name_of(&p.by)),
                p.text.clone(),
            )
        })
        .collect();
    r.list(old);
}
