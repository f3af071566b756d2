//! `kintsugi agreement`: show the agreement, edit a section by inserting or deleting text, its history (and restoring an earlier wording), and its review dates.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use kintsugi_core::{Command, ItemId, ReviewOutcome, Section, TextTarget, View, parse_date};
use kintsugi_service::{Vault, today_local};

use super::history::{self, Text};
use super::{local_time, warn_errors};

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Insert or delete text in one section (positions count characters from 0).
    Edit {
        /// Section id, as listed by `agreement show` (e.g. boundaries), or its title.
        section: String,
        #[arg(long, num_args = 2, value_names = ["POS", "TEXT"], conflicts_with = "delete")]
        insert: Option<Vec<String>>,
        #[arg(long, num_args = 2, value_names = ["POS", "LEN"])]
        delete: Option<Vec<String>>,
    },
    /// How a section came to read as it does: its edit sessions (who, when, what was added and
    /// removed), oldest first.
    History {
        /// Section id (as `agreement show` lists it in brackets) or its title.
        section: String,
        /// Print JSON: {target, section, title, sessions: [{by: {id, name} or null, from, to,
        /// changes, inserted, removed, inserted_chars, removed_chars}]}.
        #[arg(long)]
        json: bool,
    },
    /// The wording of a section as it stood at a moment.
    At {
        /// Section id or title.
        section: String,
        /// A local time: "2026-11-20 14:05", 2026-11-20T14:05:30, a date (the end of that day),
        /// or milliseconds since 1970.
        #[arg(long, value_name = "T")]
        time: String,
    },
    /// Bring back the wording a section had at a moment. This is a new edit: the history stays,
    /// and your partner's device merges it like any edit.
    Restore {
        /// Section id or title.
        section: String,
        /// A local time: "2026-11-20 14:05", 2026-11-20T14:05:30, a date (the end of that day),
        /// or milliseconds since 1970.
        #[arg(long, value_name = "T")]
        time: String,
    },
    /// Set the day a section (a temporary measure) is to be reviewed, or clear it.
    #[command(name = "review-date")]
    ReviewDate {
        /// Section id or title.
        section: String,
        /// The review day, YYYY-MM-DD.
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        date: Option<String>,
        /// No review date.
        #[arg(long)]
        clear: bool,
    },
    /// Record that you reviewed a section together: kept as is, changed, or ended.
    Review {
        /// Section id or title.
        section: String,
        #[arg(long, value_enum)]
        outcome: Outcome,
        /// An optional note.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
        /// The next review day, YYYY-MM-DD (kept or changed only).
        #[arg(long, value_name = "DATE")]
        next: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Outcome {
    /// Kept as is.
    Kept,
    Changed,
    Ended,
}

pub fn run(mut vault: Vault, cmd: AgreementCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        AgreementCmd::Show { json } => {
            let view = vault.view();
            if json {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    sections: &'a [kintsugi_core::Section],
                    affirmations: &'a [kintsugi_core::Affirmation],
                    digest: &'a str,
                }
                serde_json::to_writer_pretty(
                    &mut *out,
                    &Out {
                        sections: &view.agreement,
                        affirmations: &view.affirmations,
                        digest: &view.agreement_digest,
                    },
                )?;
                writeln!(out)?;
            } else {
                let today = today_local().to_string();
                for s in &view.agreement {
                    writeln!(out, "## {} [{}]", s.title, s.id)?;
                    if let (Some(by), Some(at)) = (&s.edited_by, s.edited_at) {
                        writeln!(
                            out,
                            "(last edited by {} on {})",
                            view.name_of(by),
                            local_time(at)
                        )?;
                    }
                    if let Some(line) = review_line(&view, s, &today) {
                        writeln!(out, "({line})")?;
                    }
                    writeln!(out, "{}\n", s.body.trim_end())?;
                }
            }
            warn_errors(&view);
        }
        AgreementCmd::Edit {
            section,
            insert,
            delete,
        } => {
            let section = find(&vault.view(), &section)?.id;
            // A splice, never a whole-text replace: the partner's concurrent typing survives.
            let cmd = match (insert, delete) {
                (Some(v), None) => Command::SpliceSection {
                    section,
                    pos: parse_pos(&v[0], "POS")?,
                    delete: 0,
                    insert: v[1].clone(),
                },
                (None, Some(v)) => Command::SpliceSection {
                    section,
                    pos: parse_pos(&v[0], "POS")?,
                    delete: parse_pos(&v[1], "LEN")?,
                    insert: String::new(),
                },
                _ => bail!("give either --insert POS TEXT or --delete POS LEN"),
            };
            super::apply_and_save(&mut vault, cmd)?;
        }
        AgreementCmd::History { section, json } => {
            let s = find(&vault.view(), &section)?;
            history::print_history(&mut vault, &text(&s), &s.title, json, out)?;
        }
        AgreementCmd::At { section, time } => {
            let s = find(&vault.view(), &section)?;
            history::print_at(&mut vault, &text(&s), &time, out)?;
        }
        AgreementCmd::Restore { section, time } => {
            let s = find(&vault.view(), &section)?;
            history::restore(&mut vault, &text(&s), &time, out)?;
        }
        AgreementCmd::ReviewDate {
            section,
            date,
            clear,
        } => {
            let s = find(&vault.view(), &section)?;
            let date = if clear {
                None
            } else {
                date.as_deref().map(day).transpose()?
            };
            if let (Some(_), Some(ended)) = (&date, s.ended_at) {
                bail!(
                    "'{}' was ended on {}; an ended section has no review",
                    s.title,
                    local_time(ended)
                );
            }
            super::apply_and_save(
                &mut vault,
                Command::SetSectionReviewDate {
                    section: s.id.clone(),
                    date: date.clone(),
                },
            )?;
            match date {
                Some(d) => writeln!(out, "'{}' is to be reviewed on {d}.", s.title)?,
                None => writeln!(out, "'{}' has no review date now.", s.title)?,
            }
        }
        AgreementCmd::Review {
            section,
            outcome,
            note,
            next,
        } => {
            let s = find(&vault.view(), &section)?;
            let outcome = match outcome {
                Outcome::Kept => ReviewOutcome::Kept,
                Outcome::Changed => ReviewOutcome::Changed,
                Outcome::Ended => ReviewOutcome::Ended,
            };
            let next = next.as_deref().map(day).transpose()?;
            if matches!(outcome, ReviewOutcome::Ended) && next.is_some() {
                bail!("an ended section has no next review; leave out --next");
            }
            if let Some(n) = &next
                && *n <= today_local().to_string()
            {
                bail!("the next review ({n}) must be after today");
            }
            super::apply_and_save(
                &mut vault,
                Command::RecordSectionReview {
                    id: ItemId::random(),
                    section: s.id.clone(),
                    outcome,
                    note,
                    next: next.clone(),
                },
            )?;
            let mut line = format!("Recorded: '{}' {}", s.title, outcome.label());
            if let Some(n) = next {
                line.push_str(&format!("; next review on {n}"));
            }
            writeln!(out, "{line}.")?;
        }
    }
    Ok(())
}

/// A section by its id, or by its title (any case), as `agreement show` prints both.
fn find(view: &View, given: &str) -> Result<Section> {
    let g = given.trim();
    if let Some(s) = view.agreement.iter().find(|s| s.id == g) {
        return Ok(s.clone());
    }
    let by_title: Vec<&Section> = view
        .agreement
        .iter()
        .filter(|s| s.title.trim().to_lowercase() == g.to_lowercase())
        .collect();
    match by_title.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "there is no agreement section '{g}'; `kintsugi agreement show` lists them with their ids"
        ),
        _ => bail!(
            "more than one section is called '{g}'; give its id, as `kintsugi agreement show` lists it"
        ),
    }
}

fn text(s: &Section) -> Text {
    Text {
        target: TextTarget::Section(s.id.clone()),
        label: format!("'{}'", s.title),
    }
}

/// A date as the documents key it (`2026-11-24`), or a one-line refusal.
fn day(s: &str) -> Result<String> {
    match parse_date(s) {
        Some(d) => Ok(d.to_string()),
        None => bail!("'{s}' is not a date like 2026-11-24"),
    }
}

/// The review state `agreement show` prints under a section's title.
fn review_line(view: &View, s: &Section, today: &str) -> Option<String> {
    let last = s.reviews.last().map(|r| {
        let mut l = format!(
            "; last reviewed by {} on {}: {}",
            view.name_of(&r.by),
            local_time(r.at),
            r.outcome.label()
        );
        if !r.note.is_empty() {
            l.push_str(&format!(" (\"{}\")", r.note));
        }
        l
    });
    let last = last.unwrap_or_default();
    if let Some(ended) = s.ended_at {
        return Some(format!("ended on {}{last}", local_time(ended)));
    }
    let Some(on) = &s.review_on else {
        return last.strip_prefix("; ").map(str::to_owned);
    };
    if s.review_due(today) {
        Some(format!(
            "review due since {on}: record it with `kintsugi agreement review {} --outcome kept|changed|ended`{last}",
            s.id
        ))
    } else {
        Some(format!("review on {on}{last}"))
    }
}

fn parse_pos(s: &str, what: &str) -> Result<usize> {
    s.parse()
        .with_context(|| format!("{what} must be a whole number, not '{s}'"))
}
