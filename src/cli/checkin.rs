//! `kintsugi checkin`: save and list daily check-ins.

use std::io::Write;

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use kintsugi_core::{Command, DailyAnswers};
use kintsugi_service::{Vault, now_ms, today_local};

use super::warn_errors;

#[derive(Subcommand, Debug)]
pub enum CheckinCmd {
    /// Save today's (or --date's) daily check-in.
    Add(CheckinArgs),
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(ClapArgs, Debug)]
pub struct CheckinArgs {
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    mood: u8,
    /// Sense of connection, 1 to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    connection: u8,
    /// Sense of safety, 1 to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    safety: u8,
    #[arg(long, default_value = "")]
    high: String,
    #[arg(long, default_value = "")]
    low: String,
    #[arg(long, default_value = "")]
    need: String,
    #[arg(long)]
    date: Option<String>,
}

pub fn run(mut vault: Vault, cmd: CheckinCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        CheckinCmd::Add(a) => {
            let date = a.date.unwrap_or_else(|| today_local().to_string());
            vault.apply(
                Command::SaveDailyCheckIn {
                    date,
                    answers: DailyAnswers {
                        mood: a.mood,
                        connection: a.connection,
                        safety: a.safety,
                        high: a.high,
                        low: a.low,
                        need: a.need,
                    },
                },
                now_ms(),
            )?;
            vault.save(now_ms())?;
        }
        CheckinCmd::List { json } => {
            let view = vault.view();
            if json {
                serde_json::to_writer_pretty(&mut *out, &view.daily_checkins)?;
                writeln!(out)?;
            } else {
                for c in &view.daily_checkins {
                    writeln!(
                        out,
                        "{}  {:<12} mood {}  connection {}  safety {}  high: {}  low: {}  need: {}",
                        c.date,
                        view.name_of(&c.by),
                        c.mood,
                        c.connection,
                        c.safety,
                        c.high,
                        c.low,
                        c.need
                    )?;
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}
