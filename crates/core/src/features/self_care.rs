//! Self-care: one partner's private list of things that help them.

use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, entry};
use crate::features::View;
use crate::ids::{ItemId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::write::{WriteDocs, item, misrouted, new_item, short_text, top};

/// Private: ideas under random ids.
const SELF_CARE: &str = "self_care";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[SELF_CARE];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SelfCareItem {
    pub id: ItemId,
    pub text: String,
}

/// Where a self-care list can start: small things that help in the first minutes.
pub fn self_care_suggestions() -> &'static [&'static str] {
    &[
        "Breathe in for four, out for six, ten times",
        "Walk outside for ten minutes",
        "Write down what I feel, without sending it",
        "Hold something warm: tea, a blanket",
        "Call a friend I trust",
        "Put on the music that calms me",
        "Splash cold water on my face",
    ]
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, _now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddSelfCare { id, text } => {
            let text = short_text(&text, "The self-care idea")?;
            let map = top(d.private, SELF_CARE)?;
            let s = new_item(d.private, &map, &id)?;
            d.private.put(&s, "text", text.as_str())?;
        }
        Command::RemoveSelfCare { id } => {
            item(d.private, SELF_CARE, &id, "self-care idea")?;
            let map = top(d.private, SELF_CARE)?;
            d.private.delete(&map, id.0.as_str())?;
        }
        other => return Err(misrouted(&other, "self-care")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.self_care = collect(r.private, SELF_CARE, errors, |id, s| {
        Ok(SelfCareItem {
            id: ItemId(id.to_owned()),
            text: s.str("text")?,
        })
    });
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("self_care", &c.v.self_care)]
}

/// The list has no dates: it is shown as it stands now.
pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    if c.v.self_care.is_empty() {
        r.note("My self-care list is empty.");
        return;
    }
    r.note("My own list of what helps me (as it stands now; it has no dates).");
    r.list(
        c.v.self_care
            .iter()
            .map(|s| (String::new(), s.text.clone()))
            .collect(),
    );
}
