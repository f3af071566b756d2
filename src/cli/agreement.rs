//! `kintsugi agreement`: show the agreement, and edit a section by inserting or deleting text.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_core::Command;
use kintsugi_service::Vault;

use super::{local_time, warn_errors};

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Insert or delete text in one section (positions count characters from 0).
    Edit {
        /// Section id, as listed by `agreement show` (e.g. boundaries).
        section: String,
        #[arg(long, num_args = 2, value_names = ["POS", "TEXT"], conflicts_with = "delete")]
        insert: Option<Vec<String>>,
        #[arg(long, num_args = 2, value_names = ["POS", "LEN"])]
        delete: Option<Vec<String>>,
    },
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
    }
    Ok(())
}

fn parse_pos(s: &str, what: &str) -> Result<usize> {
    s.parse()
        .with_context(|| format!("{what} must be a whole number, not '{s}'"))
}
