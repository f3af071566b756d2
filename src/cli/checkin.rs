//! `kintsugi checkin`: save and list daily and weekly check-ins.
//!
//! Check-ins are sealed: the partner's answers print only once both have answered (until then,
//! only that they answered), and my own answers are marked sealed until they are shared.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Args as ClapArgs, Subcommand};
use kintsugi_core::{
    CheckInNote, Command, DailyAnswers, DailyCheckIn, ItemId, PartnerId, Seal, Timestamp, View,
    WeeklyAnswers, WeeklyCheckIn, iso_week, week_days,
};
use kintsugi_service::{Vault, today_local};
use serde::Serialize;

use super::{partner_name, warn_errors};

#[derive(Subcommand, Debug)]
pub enum CheckinCmd {
    /// Save today's (or --date's) daily check-in.
    Add(CheckinArgs),
    /// Save this week's (or --week's) weekly check-in. "For therapy" becomes a therapy topic
    /// once both of you have answered.
    Weekly(WeeklyArgs),
    /// Add a later thought to a day's (or, with --week, a week's) answers once both of you
    /// have answered. The answers themselves stay as they were shown; both devices show the
    /// note as added after seeing the other's answers.
    Note {
        /// The note.
        text: String,
        /// The day, YYYY-MM-DD (default: today).
        #[arg(long, conflicts_with = "week")]
        date: Option<String>,
        /// The ISO week, e.g. 2026-W49, for a note on a weekly check-in.
        #[arg(long)]
        week: Option<String>,
    },
    /// List check-ins, newest first: daily ones, or weekly ones with --weekly. Your partner's
    /// answers show once you have answered too; until then only that they answered.
    List {
        /// Weekly check-ins instead of daily ones.
        #[arg(long)]
        weekly: bool,
        /// Print JSON (the fields are listed in the README).
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

#[derive(ClapArgs, Debug)]
pub struct WeeklyArgs {
    /// The ISO week, e.g. 2026-W49 (default: this week).
    #[arg(long)]
    week: Option<String>,
    /// How the week went.
    #[arg(long, default_value = "", hide_default_value = true)]
    how: String,
    /// The agreement, reviewed: what held, what to change.
    #[arg(long, default_value = "", hide_default_value = true)]
    agreement: String,
    /// This week's commitments, reviewed.
    #[arg(long, default_value = "", hide_default_value = true)]
    commitments: String,
    /// This week's wins.
    #[arg(long, default_value = "", hide_default_value = true)]
    wins: String,
    /// What to bring to therapy (becomes a therapy topic).
    #[arg(long, default_value = "", hide_default_value = true)]
    therapy: String,
}

pub fn run(mut vault: Vault, cmd: CheckinCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        CheckinCmd::Add(a) => {
            let date = a.date.unwrap_or_else(|| today_local().to_string());
            refuse_second_answer(&vault.view(), &date, false)?;
            super::apply_and_save(
                &mut vault,
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
            )?;
        }
        CheckinCmd::Weekly(a) => {
            let week = a.week.unwrap_or_else(|| iso_week(today_local()));
            if week_days(&week).is_none() {
                bail!("'{week}' is not a week like 2026-W49");
            }
            refuse_second_answer(&vault.view(), &week, true)?;
            let answers = WeeklyAnswers {
                how_it_went: a.how,
                agreements: a.agreement,
                commitments: a.commitments,
                wins: a.wins,
                for_therapy: a.therapy,
            };
            if [
                &answers.how_it_went,
                &answers.agreements,
                &answers.commitments,
                &answers.wins,
                &answers.for_therapy,
            ]
            .iter()
            .all(|t| t.trim().is_empty())
            {
                bail!(
                    "a weekly check-in needs at least one answer (--how, --agreement, --commitments, --wins or --therapy); nothing was saved"
                );
            }
            super::apply_and_save(&mut vault, Command::SaveWeeklyCheckIn { week, answers })?;
        }
        CheckinCmd::Note { text, date, week } => {
            let (weekly, period) = match (week, date) {
                (Some(week), _) => (true, week),
                (None, Some(date)) => (false, date),
                (None, None) => (false, today_local().to_string()),
            };
            super::apply_and_save(
                &mut vault,
                Command::AddCheckInNote {
                    id: ItemId::random(),
                    weekly,
                    period,
                    text,
                },
            )?;
        }
        CheckinCmd::List { weekly, json } => {
            let view = vault.view();
            let rows = if weekly {
                weekly_rows(&view)
            } else {
                daily_rows(&view)
            };
            if json {
                let list: Vec<_> = rows.iter().map(|r| r.json()).collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else {
                for r in &rows {
                    r.print(out, &view)?;
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

/// Answers both partners can see are final: say so in one line, with the way to add a note.
fn refuse_second_answer(view: &View, period: &str, weekly: bool) -> Result<()> {
    if view.answers_final(period, weekly) {
        let (what, flag) = if weekly {
            (format!("week {period}"), format!("--week {period}"))
        } else {
            (period.to_owned(), format!("--date {period}"))
        };
        bail!(
            "both answers for {what} are already shown side by side, so yours can no longer be changed; add a later thought with: kintsugi checkin note {flag} \"…\""
        );
    }
    Ok(())
}

/// One line (or block) of `checkin list`: answers I may see, or only that the partner answered.
enum Row<'a> {
    Daily(&'a DailyCheckIn),
    Weekly(&'a WeeklyCheckIn),
    /// A later thought on answers both could see, printed below them.
    Note(&'a CheckInNote),
    /// The partner's answers for this period exist but are still sealed.
    Sealed {
        seal: &'a Seal,
        /// I have answered the same period: the answers come with the next sync.
        i_answered: bool,
    },
}

fn daily_rows(view: &View) -> Vec<Row<'_>> {
    let mut rows: Vec<(String, i64, Row<'_>)> = view
        .daily_checkins
        .iter()
        .map(|c| (c.date.clone(), c.at, Row::Daily(c)))
        .collect();
    for seal in partner_seals(view, false) {
        let revealed = view
            .daily_checkins
            .iter()
            .any(|c| c.date == seal.period && c.by == seal.by);
        if !revealed {
            let i_answered = view
                .daily_checkins
                .iter()
                .any(|c| c.date == seal.period && Some(&c.by) == view.me.as_ref());
            rows.push((
                seal.period.clone(),
                seal.at,
                Row::Sealed { seal, i_answered },
            ));
        }
    }
    rows.extend(note_rows(view, false));
    newest_first(rows)
}

/// Notes sort below the answers of their period: newest first puts the most negative last.
fn note_rows(view: &View, weekly: bool) -> impl Iterator<Item = (String, i64, Row<'_>)> {
    view.checkin_notes
        .iter()
        .filter(move |n| n.weekly == weekly)
        .map(|n| (n.period.clone(), -n.at, Row::Note(n)))
}

fn weekly_rows(view: &View) -> Vec<Row<'_>> {
    let mut rows: Vec<(String, i64, Row<'_>)> = view
        .weekly_checkins
        .iter()
        .map(|c| (c.week.clone(), c.at, Row::Weekly(c)))
        .collect();
    for seal in partner_seals(view, true) {
        let revealed = view
            .weekly_checkins
            .iter()
            .any(|c| c.week == seal.period && c.by == seal.by);
        if !revealed {
            let i_answered = view
                .weekly_checkins
                .iter()
                .any(|c| c.week == seal.period && Some(&c.by) == view.me.as_ref());
            rows.push((
                seal.period.clone(),
                seal.at,
                Row::Sealed { seal, i_answered },
            ));
        }
    }
    rows.extend(note_rows(view, true));
    newest_first(rows)
}

fn partner_seals(view: &View, weekly: bool) -> impl Iterator<Item = &Seal> {
    view.checkin_seals
        .iter()
        .filter(move |s| s.weekly == weekly && Some(&s.by) != view.me.as_ref())
}

fn newest_first(mut rows: Vec<(String, i64, Row<'_>)>) -> Vec<Row<'_>> {
    rows.sort_by(|a, b| (&b.0, b.1).cmp(&(&a.0, a.1)));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

impl Row<'_> {
    fn print(&self, out: &mut dyn Write, view: &View) -> Result<()> {
        let sealed_mark = |sealed: bool| {
            if sealed {
                format!("  [sealed until {} answers]", partner_name(view))
            } else {
                String::new()
            }
        };
        match self {
            Row::Daily(c) => writeln!(
                out,
                "{}  {:<12} mood {}  connection {}  safety {}  high: {}  low: {}  need: {}{}",
                c.date,
                view.name_of(&c.by),
                c.mood,
                c.connection,
                c.safety,
                c.high,
                c.low,
                c.need,
                sealed_mark(c.sealed)
            )?,
            Row::Weekly(c) => {
                writeln!(
                    out,
                    "{}{}  {}{}",
                    c.week,
                    week_span(&c.week),
                    view.name_of(&c.by),
                    sealed_mark(c.sealed)
                )?;
                for (label, text) in [
                    ("How the week went", &c.how_it_went),
                    ("The agreement", &c.agreements),
                    ("Commitments", &c.commitments),
                    ("Wins", &c.wins),
                    ("For therapy", &c.for_therapy),
                ] {
                    writeln!(out, "    {label}: {}", one_line(text))?;
                }
            }
            Row::Note(n) => writeln!(
                out,
                "{}  {}: {}",
                n.period,
                view.note_caption(n),
                one_line(&n.text)
            )?,
            Row::Sealed { seal, i_answered } => {
                let when = if *i_answered {
                    "shown once your devices have synced"
                } else {
                    "sealed until you answer"
                };
                let span = if seal.weekly {
                    week_span(&seal.period)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{}{}  {} answered ({when})",
                    seal.period,
                    span,
                    view.name_of(&seal.by)
                )?;
            }
        }
        Ok(())
    }

    fn json(&self) -> RowJson<'_> {
        match self {
            Row::Daily(c) => RowJson::Daily(c),
            Row::Weekly(c) => RowJson::Weekly(c),
            Row::Note(n) => RowJson::Note {
                note: n,
                later_note: true,
            },
            Row::Sealed { seal, .. } if seal.weekly => RowJson::SealedWeekly {
                week: &seal.period,
                by: &seal.by,
                how_it_went: None,
                agreements: None,
                commitments: None,
                wins: None,
                for_therapy: None,
                at: seal.at,
                sealed: true,
            },
            Row::Sealed { seal, .. } => RowJson::SealedDaily {
                date: &seal.period,
                by: &seal.by,
                mood: None,
                connection: None,
                safety: None,
                high: None,
                low: None,
                need: None,
                at: seal.at,
                sealed: true,
            },
        }
    }
}

/// A row of `checkin list --json`: the answers, or for the partner's sealed ones the same keys
/// with every answer null (that they answered, and nothing of what).
#[derive(Serialize)]
#[serde(untagged)]
enum RowJson<'a> {
    Daily(&'a DailyCheckIn),
    Weekly(&'a WeeklyCheckIn),
    /// A later note: its own fields, marked so it is never read as an answer.
    Note {
        #[serde(flatten)]
        note: &'a CheckInNote,
        later_note: bool,
    },
    SealedDaily {
        date: &'a str,
        by: &'a PartnerId,
        mood: Option<u8>,
        connection: Option<u8>,
        safety: Option<u8>,
        high: Option<String>,
        low: Option<String>,
        need: Option<String>,
        at: Timestamp,
        sealed: bool,
    },
    SealedWeekly {
        week: &'a str,
        by: &'a PartnerId,
        how_it_went: Option<String>,
        agreements: Option<String>,
        commitments: Option<String>,
        wins: Option<String>,
        for_therapy: Option<String>,
        at: Timestamp,
        sealed: bool,
    },
}

/// " (2026-11-30 to 2026-12-06)" for a week key, or nothing for a key that is not one.
fn week_span(week: &str) -> String {
    week_days(week)
        .map(|(mon, sun)| format!(" ({mon} to {sun})"))
        .unwrap_or_default()
}

fn one_line(text: &str) -> String {
    if text.trim().is_empty() {
        "—".to_owned()
    } else {
        text.lines().collect::<Vec<_>>().join(" / ")
    }
}
