//! `kintsugi plan`: the reassurance plan both partners write together (what helps when one of
//! you is triggered), edited by splices like the agreement, with its history and restore.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, ReassurancePlan, TextTarget};
use kintsugi_service::Vault;

use super::history::{self, Text};
use super::{BadArgument, warn_errors};

#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    /// The shared reassurance plan.
    Show {
        /// Print JSON: {plan, earlier_plans: [{by, text}]}.
        #[arg(long)]
        json: bool,
    },
    /// Insert or delete text in the plan (positions count characters from 0). Your partner's
    /// concurrent edits are kept.
    Edit {
        #[arg(long, num_args = 2, value_names = ["POS", "TEXT"], conflicts_with = "delete")]
        insert: Option<Vec<String>>,
        #[arg(long, num_args = 2, value_names = ["POS", "LEN"])]
        delete: Option<Vec<String>>,
    },
    /// How the plan came to read as it does: its edit sessions, oldest first.
    History {
        /// Print JSON, as `agreement history --json` (with section null).
        #[arg(long)]
        json: bool,
    },
    /// The plan as it stood at a moment.
    At {
        /// A local time: "2026-11-20 14:05", 2026-11-20T14:05:30, a date (the end of that day),
        /// or milliseconds since 1970.
        #[arg(long, value_name = "T")]
        time: String,
    },
    /// Bring back the plan as it stood at a moment, as a new edit your partner's device merges.
    Restore {
        /// A local time, as for `plan at`.
        #[arg(long, value_name = "T")]
        time: String,
    },
}

fn plan_text() -> Text {
    Text {
        target: TextTarget::Plan,
        label: "the reassurance plan".into(),
    }
}

pub fn run(mut vault: Vault, cmd: PlanCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        PlanCmd::Show { json } => {
            let view = vault.view();
            if json {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    plan: &'a str,
                    earlier_plans: &'a [ReassurancePlan],
                }
                serde_json::to_writer_pretty(
                    &mut *out,
                    &Out {
                        plan: &view.reassurance_plan,
                        earlier_plans: &view.reassurance_plans,
                    },
                )?;
                writeln!(out)?;
            } else if view.reassurance_plan.trim().is_empty() {
                writeln!(
                    out,
                    "No reassurance plan yet. Write it together: `kintsugi plan edit --insert 0 TEXT`."
                )?;
                let earlier: Vec<_> = view
                    .reassurance_plans
                    .iter()
                    .filter(|p| !p.text.trim().is_empty())
                    .collect();
                if !earlier.is_empty() {
                    writeln!(out, "Plans each of you wrote before, to start from:")?;
                    for p in earlier {
                        writeln!(out, "{}:", view.name_of(&p.by))?;
                        for line in p.text.lines() {
                            writeln!(out, "    {line}")?;
                        }
                    }
                }
            } else {
                writeln!(out, "{}", view.reassurance_plan.trim_end())?;
            }
            warn_errors(&view);
        }
        PlanCmd::Edit { insert, delete } => {
            // A splice, never a whole-text replace: the partner's concurrent typing survives.
            let cmd = match (insert, delete) {
                (Some(v), None) => Command::SpliceReassurancePlan {
                    pos: number(&v[0], "POS")?,
                    delete: 0,
                    insert: v[1].clone(),
                },
                (None, Some(v)) => Command::SpliceReassurancePlan {
                    pos: number(&v[0], "POS")?,
                    delete: number(&v[1], "LEN")?,
                    insert: String::new(),
                },
                _ => {
                    return Err(BadArgument(
                        "give either --insert POS TEXT or --delete POS LEN".into(),
                    )
                    .into());
                }
            };
            let len = vault.view().reassurance_plan.chars().count();
            if let Command::SpliceReassurancePlan { pos, delete, .. } = &cmd
                && pos.saturating_add(*delete) > len
            {
                bail!(
                    "position {} is outside the text (the plan has {len} characters); nothing was changed",
                    pos.saturating_add(*delete)
                );
            }
            super::apply_and_save(&mut vault, cmd)?;
        }
        PlanCmd::History { json } => {
            history::print_history(&mut vault, &plan_text(), "Reassurance plan", json, out)?;
        }
        PlanCmd::At { time } => history::print_at(&mut vault, &plan_text(), &time, out)?,
        PlanCmd::Restore { time } => history::restore(&mut vault, &plan_text(), &time, out)?,
    }
    Ok(())
}

/// A whole number given to `--insert`/`--delete`; anything else is a bad argument (exit 2).
fn number(s: &str, what: &str) -> Result<usize> {
    s.trim()
        .parse()
        .map_err(|_| BadArgument(format!("{what} must be a whole number, not '{s}'")).into())
}
