//! `kintsugi win`: trust wins, honest moments and appreciation, and the one timeline that also
//! holds what was told before being asked.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use kintsugi_core::{Command, ItemId, Moment, MomentKind, PartnerId, Timestamp, WinKind};
use kintsugi_service::Vault;
use serde::Serialize;

use super::{local_time, warn_errors};

#[derive(Subcommand, Debug)]
pub enum WinCmd {
    /// Note a trust win, an honest moment or an appreciation. Prints its id.
    Add {
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long)]
        text: String,
    },
    /// The timeline, newest first: wins of both of you, and disclosures and commitment days
    /// told before being asked.
    List {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Kind {
    /// A small trust win.
    Win,
    /// An honest moment.
    Honest,
    /// An appreciation note.
    Appreciation,
}

pub fn run(mut vault: Vault, cmd: WinCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        WinCmd::Add { kind, text } => {
            if text.trim().is_empty() {
                bail!("a win needs some text; --text is empty, nothing was saved");
            }
            let kind = match kind {
                Kind::Win => WinKind::TrustWin,
                Kind::Honest => WinKind::HonestMoment,
                Kind::Appreciation => WinKind::Appreciation,
            };
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddWin {
                    id: id.clone(),
                    kind,
                    text,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        WinCmd::List { json } => {
            let view = vault.view();
            let moments = view.moments();
            if json {
                let list: Vec<_> = moments.iter().map(moment_json).collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if moments.is_empty() {
                writeln!(
                    out,
                    "Nothing in the timeline yet. Note one with `kintsugi win add --kind win --text T`."
                )?;
            } else {
                for m in &moments {
                    writeln!(
                        out,
                        "{}  {:<12} {}: {}",
                        local_time(m.at),
                        view.name_of(&m.by),
                        m.kind.label(),
                        m.text
                    )?;
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

fn kind_key(kind: &MomentKind) -> &'static str {
    match kind {
        MomentKind::Win(k) => k.as_str(),
        MomentKind::DisclosedBeforeAsked => "disclosed_before_asked",
        MomentKind::ToldBeforeAsked => "told_before_asked",
    }
}

/// One entry of `win list --json`.
#[derive(Serialize)]
struct MomentJson<'a> {
    at: Timestamp,
    by: &'a PartnerId,
    /// trust_win, honest_moment, appreciation, disclosed_before_asked or told_before_asked.
    kind: &'static str,
    label: &'static str,
    text: &'a str,
}

fn moment_json(m: &Moment) -> MomentJson<'_> {
    MomentJson {
        at: m.at,
        by: &m.by,
        kind: kind_key(&m.kind),
        label: m.kind.label(),
        text: &m.text,
    }
}
