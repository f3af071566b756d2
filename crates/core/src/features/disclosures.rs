//! Disclosures: something one partner tells, ideally before being asked, and the other's response.

use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, ReadDocs, collect_cached};
use crate::write::{WriteDocs, long_text, misrouted, new_item, nonempty, top};

/// Couple: disclosures under random ids.
const DISCLOSURES: &str = "disclosures";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[DISCLOSURES];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Disclosure {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub before_asked: bool,
    pub at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub response: String,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddDisclosure {
            id,
            text,
            before_asked,
        } => {
            long_text(&text, "The disclosure")?;
            nonempty(&text, "The disclosure")?;
            let map = top(d.couple, DISCLOSURES)?;
            let x = new_item(d.couple, &map, &id)?;
            d.couple.put(&x, "by", d.me.0.as_str())?;
            d.couple.put(&x, "text", text.trim())?;
            d.couple.put(&x, "before_asked", before_asked)?;
            d.couple.put(&x, "at", now)?;
        }
        Command::AcknowledgeDisclosure { id, response } => {
            long_text(&response, "The response")?;
            let x = d.partners_item(DISCLOSURES, &id, "disclosure", "by")?;
            d.couple.put(&x, "acknowledged_at", now)?;
            d.couple.put(&x, "response", response.trim())?;
        }
        other => return Err(misrouted(&other, "disclosures")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.disclosures = collect_cached(r, DocKind::Couple, DISCLOSURES, errors, |id, d| {
        Ok(Disclosure {
            id: ItemId(id.to_owned()),
            by: d.author("by", r.writers)?,
            text: d.str("text")?,
            before_asked: d.bool_or("before_asked", false)?,
            at: d.i64("at")?,
            acknowledged_at: d.opt_i64("acknowledged_at")?,
            response: d.str_or_empty("response")?,
        })
    });
    v.disclosures.sort_by_key(|x| std::cmp::Reverse(x.at));
}

fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a Disclosure> {
    c.scope.within(&c.v.disclosures, |d| d.at)
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("disclosures", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let items: Vec<(String, String)> = in_period(c)
        .into_iter()
        .map(|d| {
            let mut text = d.text.trim().to_owned();
            if d.before_asked {
                text.push_str("\n(told before being asked)");
            }
            if let Some(at) = d.acknowledged_at {
                text.push_str(&format!("\nAcknowledged {}", date_of(at)));
                if !d.response.trim().is_empty() {
                    text.push_str(&format!(": {}", d.response.trim()));
                }
            }
            (format!("{}, {}", date_of(d.at), v.name_of(&d.by)), text)
        })
        .collect();
    if items.is_empty() {
        r.nothing();
    }
    r.list(items);
}
