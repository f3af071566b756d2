//! `kintsugi reminders`: one's own reminder times (private, never in the couple document), and
//! what is due now, for a scheduler (cron, a systemd timer) to act on.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{NaiveTime, Weekday};
use clap::Subcommand;
use kintsugi_core::{Command, ReminderSettings, due_reminders};
use kintsugi_service::Vault;

use super::warn_errors;

#[derive(Subcommand, Debug)]
pub enum RemindersCmd {
    /// Choose your reminder times; what you leave out keeps its setting. Private to you: the
    /// settings never reach your partner.
    Set {
        /// The daily check-in: a time HH:MM, or off.
        #[arg(long, value_name = "HH:MM|off", value_parser = parse_time)]
        daily: Option<TimeSetting>,
        /// The weekly check-in: a day and time like sun@18:00, or off.
        #[arg(long, value_name = "DAY@HH:MM|off", value_parser = parse_weekly)]
        weekly: Option<WeeklySetting>,
        /// The evening log of your commitments due that day: a time HH:MM, or off.
        #[arg(long, value_name = "HH:MM|off", value_parser = parse_time)]
        evening_log: Option<TimeSetting>,
    },
    /// Your reminder times.
    Show {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
    /// What is due now; exit status 0 when something is due, 1 when nothing is, 2 on an error.
    ///
    /// A reminder is due once its time has passed today (this week, for the weekly check-in)
    /// while what it reminds of is not done yet. For a scheduler, e.g. every 15 minutes from
    /// cron or a systemd timer:
    ///
    ///     msg=$(kintsugi reminders due) && notify-send Kintsugi "$msg"
    #[command(verbatim_doc_comment)]
    Due {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
}

impl RemindersCmd {
    /// `reminders due`, whose exit status 1 means "nothing is due", not a failure.
    pub fn is_due(&self) -> bool {
        matches!(self, RemindersCmd::Due { .. })
    }
}

/// A time of day, or off.
#[derive(Clone, Copy, Debug)]
pub struct TimeSetting(Option<NaiveTime>);

/// A weekday and time, or off.
#[derive(Clone, Copy, Debug)]
pub struct WeeklySetting(Option<(Weekday, NaiveTime)>);

fn parse_time(s: &str) -> Result<TimeSetting, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(TimeSetting(None));
    }
    kintsugi_core::parse_time(s)
        .map(|t| TimeSetting(Some(t)))
        .ok_or_else(|| format!("'{s}' is not a time like 20:30 (or off)"))
}

fn parse_weekly(s: &str) -> Result<WeeklySetting, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(WeeklySetting(None));
    }
    kintsugi_core::parse_weekly(s)
        .map(|w| WeeklySetting(Some(w)))
        .ok_or_else(|| format!("'{s}' is not a day and time like sun@18:00 (or off)"))
}

pub fn run(mut vault: Vault, cmd: RemindersCmd, out: &mut dyn Write) -> Result<ExitCode> {
    match cmd {
        RemindersCmd::Set {
            daily,
            weekly,
            evening_log,
        } => {
            if daily.is_none() && weekly.is_none() && evening_log.is_none() {
                bail!(
                    "give --daily HH:MM, --weekly DAY@HH:MM or --evening-log HH:MM (or off); nothing was changed"
                );
            }
            let now = vault.view().reminders;
            let settings = ReminderSettings {
                daily: daily.map_or(now.daily, |d| d.0),
                weekly: weekly.map_or(now.weekly, |w| w.0),
                evening_log: evening_log.map_or(now.evening_log, |e| e.0),
            };
            super::apply_and_save(&mut vault, Command::SetReminders { settings })?;
        }
        RemindersCmd::Show { json } => {
            let view = vault.view();
            let r = &view.reminders;
            if json {
                // The same forms `reminders set` reads: "20:30", "sun@18:00", null for off.
                serde_json::to_writer_pretty(&mut *out, r)?;
                writeln!(out)?;
            } else {
                let off = || "off".to_owned();
                writeln!(out, "Daily check-in: {}", r.daily.map_or_else(off, hm))?;
                writeln!(
                    out,
                    "Weekly check-in: {}",
                    r.weekly.map_or_else(off, |(d, t)| format!(
                        "{} at {}",
                        kintsugi_core::weekday_name(d),
                        hm(t)
                    ))
                )?;
                writeln!(
                    out,
                    "Evening commitment log: {}",
                    r.evening_log.map_or_else(off, hm)
                )?;
            }
            warn_errors(&view);
        }
        RemindersCmd::Due { json } => {
            let view = vault.view();
            let due = due_reminders(&view, chrono::Local::now().naive_local());
            if json {
                serde_json::to_writer_pretty(&mut *out, &due)?;
                writeln!(out)?;
            } else if due.is_empty() {
                writeln!(out, "Nothing is due now.")?;
            } else {
                for r in &due {
                    writeln!(out, "{}", r.text)?;
                }
            }
            warn_errors(&view);
            return Ok(if due.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}
