//! Wins: trust wins, honest moments and appreciations either partner notes down.

use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, ReadDocs, collect_cached};
use crate::write::{WriteDocs, long_text, misrouted, new_item, nonempty, top};

/// Couple: wins under random ids.
const WINS: &str = "wins";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[WINS];

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WinKind {
    TrustWin,
    HonestMoment,
    Appreciation,
}

impl WinKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WinKind::TrustWin => "trust_win",
            WinKind::HonestMoment => "honest_moment",
            WinKind::Appreciation => "appreciation",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            WinKind::TrustWin => "Trust win",
            WinKind::HonestMoment => "Honest moment",
            WinKind::Appreciation => "Appreciation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trust_win" => Some(WinKind::TrustWin),
            "honest_moment" => Some(WinKind::HonestMoment),
            "appreciation" => Some(WinKind::Appreciation),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Win {
    pub id: ItemId,
    pub by: PartnerId,
    pub kind: WinKind,
    pub text: String,
    pub at: Timestamp,
}

/// One entry of the wins timeline: a win someone noted, or something told before being asked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Moment {
    pub at: Timestamp,
    pub by: PartnerId,
    pub kind: MomentKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    Win(WinKind),
    /// A disclosure made before being asked.
    DisclosedBeforeAsked,
    /// A commitment day missed and told before being asked.
    ToldBeforeAsked,
}

impl MomentKind {
    pub fn label(&self) -> &'static str {
        match self {
            MomentKind::Win(k) => k.label(),
            MomentKind::DisclosedBeforeAsked => "Told before being asked",
            MomentKind::ToldBeforeAsked => "Commitment: told before being asked",
        }
    }
}

impl View {
    /// The wins timeline, newest first: wins both noted, disclosures made before being asked,
    /// and commitment days missed but told before being asked. Honesty counts as a win.
    pub fn moments(&self) -> Vec<Moment> {
        let mut out: Vec<Moment> = self
            .wins
            .iter()
            .map(|w| Moment {
                at: w.at,
                by: w.by.clone(),
                kind: MomentKind::Win(w.kind),
                text: w.text.clone(),
            })
            .collect();
        out.extend(
            self.disclosures
                .iter()
                .filter(|d| d.before_asked)
                .map(|d| Moment {
                    at: d.at,
                    by: d.by.clone(),
                    kind: MomentKind::DisclosedBeforeAsked,
                    text: d.text.clone(),
                }),
        );
        for c in &self.commitments {
            for l in c
                .log
                .iter()
                .filter(|l| l.status == crate::features::LogStatus::DisclosedBeforeAsked)
            {
                let text = if l.note.is_empty() {
                    format!("{} ({})", c.text, l.date)
                } else {
                    format!("{} ({}): {}", c.text, l.date, l.note)
                };
                out.push(Moment {
                    at: l.at,
                    by: c.by.clone(),
                    kind: MomentKind::ToldBeforeAsked,
                    text,
                });
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.at));
        out
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddWin { id, kind, text } => {
            long_text(&text, "The note")?;
            nonempty(&text, "The note")?;
            let map = top(d.couple, WINS)?;
            let w = new_item(d.couple, &map, &id)?;
            d.couple.put(&w, "by", d.me.0.as_str())?;
            d.couple.put(&w, "kind", kind.as_str())?;
            d.couple.put(&w, "text", text.trim())?;
            d.couple.put(&w, "at", now)?;
            Ok(())
        }
        other => Err(misrouted(&other, "wins")),
    }
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.wins = collect_cached(r, DocKind::Couple, WINS, errors, |id, w| {
        let kind = w.str("kind")?;
        Ok(Win {
            id: ItemId(id.to_owned()),
            by: w.author("by", r.writers)?,
            kind: WinKind::parse(&kind).ok_or_else(|| {
                ItemError::new(w.place(), format!("has an unknown kind '{kind}'"))
            })?,
            text: w.str("text")?,
            at: w.i64("at")?,
        })
    });
    v.wins.sort_by_key(|x| std::cmp::Reverse(x.at));
}

fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a Win> {
    c.scope.within(&c.v.wins, |w| w.at)
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("wins", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let mut wins = in_period(c);
    if wins.is_empty() {
        r.nothing();
    }
    wins.sort_by_key(|w| w.at);
    r.list(
        wins.into_iter()
            .map(|w| {
                (
                    format!(
                        "{}, {} ({})",
                        date_of(w.at),
                        v.name_of(&w.by),
                        w.kind.label()
                    ),
                    w.text.clone(),
                )
            })
            .collect(),
    );
}
