//! Apologies: drafts kept in the private document, shared into the couple document when ready,
//! with a gentle check for excuse patterns.

mod excuses;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId};
use serde::{Deserialize, Serialize};

use crate::command::{ApologyFields, Command};
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect, collect_cached};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, ensure_map, item, long_text, misrouted, nonempty, not_found, top};

pub use excuses::{ExcuseFlag, check_apology};

/// Private: drafts under random ids; saving a draft overwrites it whole.
const DRAFTS: &str = "apology_drafts";
/// Couple: shared apologies, under their draft's id.
const SHARED: &str = "apologies";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[DRAFTS, SHARED];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Apology {
    pub id: ItemId,
    pub by: PartnerId,
    pub what_i_did: String,
    pub impact: String,
    pub regret: String,
    pub will_do_differently: String,
    pub at: Timestamp,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::SaveApologyDraft { id, fields } => {
            check_fields(&fields)?;
            let map = top(d.private, DRAFTS)?;
            let x = ensure_map(d.private, &map, &id.0)?;
            d.private.put(&x, "v", ITEM_VERSION)?;
            put_fields(d.private, &x, &fields)?;
            d.private.put(&x, "at", now)?;
        }
        Command::DeleteApologyDraft { id } => {
            item(d.private, DRAFTS, &id, "apology draft")?;
            let map = top(d.private, DRAFTS)?;
            d.private.delete(&map, id.0.as_str())?;
        }
        Command::ShareApology { id } => {
            let fields = {
                let x = Rd::root_map(d.private, DRAFTS)?
                    .map(&id.0)
                    .map_err(|_| not_found("apology draft", &id))?;
                read_fields(&x)?
            };
            nonempty(&fields.what_i_did, "What you did")?;
            let map = top(d.couple, SHARED)?;
            let a = ensure_map(d.couple, &map, &id.0)?;
            d.couple.put(&a, "v", ITEM_VERSION)?;
            d.couple.put(&a, "by", d.me.0.as_str())?;
            put_fields(d.couple, &a, &fields)?;
            d.couple.put(&a, "at", now)?;
        }
        other => return Err(misrouted(&other, "apologies")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.apologies = collect_cached(r, DocKind::Couple, SHARED, errors, |id, a| {
        read_apology(id, a, a.author("by", r.writers)?)
    });
    v.apology_drafts = collect(r.private, DRAFTS, errors, |id, a| {
        read_apology(id, a, r.me.clone())
    });
}

fn read_fields(a: &Rd<'_>) -> Result<ApologyFields, ItemError> {
    Ok(ApologyFields {
        what_i_did: a.str_or_empty("what_i_did")?,
        impact: a.str_or_empty("impact")?,
        regret: a.str_or_empty("regret")?,
        will_do_differently: a.str_or_empty("will_do_differently")?,
    })
}

fn read_apology(id: &str, a: &Rd<'_>, by: PartnerId) -> Result<Apology, ItemError> {
    let f = read_fields(a)?;
    Ok(Apology {
        id: ItemId(id.to_owned()),
        by,
        what_i_did: f.what_i_did,
        impact: f.impact,
        regret: f.regret,
        will_do_differently: f.will_do_differently,
        at: a.i64("at")?,
    })
}

fn put_fields(doc: &mut AutoCommit, obj: &ObjId, f: &ApologyFields) -> Result<(), CoreError> {
    doc.put(obj, "what_i_did", f.what_i_did.as_str())?;
    doc.put(obj, "impact", f.impact.as_str())?;
    doc.put(obj, "regret", f.regret.as_str())?;
    doc.put(obj, "will_do_differently", f.will_do_differently.as_str())?;
    Ok(())
}

fn check_fields(f: &ApologyFields) -> Result<(), CoreError> {
    for t in [&f.what_i_did, &f.impact, &f.regret, &f.will_do_differently] {
        long_text(t, "The apology")?;
    }
    Ok(())
}

/// Shared apologies only: drafts stay with their writer.
fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a Apology> {
    c.scope.within(&c.v.apologies, |a| a.at)
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("apologies", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let apologies = in_period(c);
    if apologies.is_empty() {
        r.nothing();
    }
    for a in apologies {
        r.heading(format!("{}, from {}", date_of(a.at), v.name_of(&a.by)));
        r.table(vec![
            ("What I did".to_owned(), a.what_i_did.clone()),
            ("The impact on you".to_owned(), a.impact.clone()),
            ("My regret".to_owned(), a.regret.clone()),
            (
                "What I will do differently".to_owned(),
                a.will_do_differently.clone(),
            ),
        ]);
    }
}
