//! `kintsugi topic`: topics for the next therapy session, collected by either partner and marked discussed.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, ItemId, PartnerId, TherapyTopic, Timestamp, View};
use kintsugi_service::Vault;
use serde::Serialize;

use super::{local_time, resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum TopicCmd {
    /// Add a topic for the next session. Prints its id.
    Add {
        text: String,
        /// Where it came from, in words: "weekly check-in", "a question", "trigger 2026-11-20".
        #[arg(long, value_name = "SOURCE")]
        from: Option<String>,
    },
    /// Topics for the next session (not discussed yet), oldest first.
    List {
        /// Print JSON: an array of {id, by, by_name, text, from, at, discussed, discussed_at}.
        #[arg(long)]
        json: bool,
        /// Also the topics already discussed.
        #[arg(long)]
        all: bool,
    },
    /// Mark a topic discussed in a session, or not discussed after all with --undo.
    Discussed {
        /// The topic's id, or its first digits.
        id: String,
        #[arg(long)]
        undo: bool,
    },
}

pub fn run(mut vault: Vault, cmd: TopicCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        TopicCmd::Add { text, from } => {
            if text.trim().is_empty() {
                bail!("a topic needs some text; nothing was saved");
            }
            let from = from.filter(|f| !f.trim().is_empty());
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddTherapyTopic {
                    id: id.clone(),
                    text,
                    from,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        TopicCmd::List { json, all } => {
            let view = vault.view();
            let topics: Vec<&TherapyTopic> = view
                .therapy_topics
                .iter()
                .filter(|t| all || !t.discussed)
                .collect();
            if json {
                let list: Vec<_> = topics.iter().map(|t| topic_json(&view, t)).collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else {
                print_list(out, &view, &topics, all)?;
            }
            warn_errors(&view);
        }
        TopicCmd::Discussed { id, undo } => {
            let view = vault.view();
            let id = resolve_id(view.therapy_topics.iter().map(|t| &t.id), &id, "topic")?;
            let t = view
                .therapy_topics
                .iter()
                .find(|t| t.id == id)
                .expect("resolved among these");
            if undo && !t.discussed {
                bail!("'{}' is not marked discussed; nothing was changed", t.text);
            }
            if !undo && t.discussed {
                bail!(
                    "'{}' is already marked discussed; --undo takes that back",
                    t.text
                );
            }
            super::apply_and_save(
                &mut vault,
                Command::SetTherapyTopicDiscussed {
                    id: t.id.clone(),
                    discussed: !undo,
                },
            )?;
            if undo {
                writeln!(
                    out,
                    "'{}' is back on the list for the next session.",
                    t.text
                )?;
            } else {
                writeln!(out, "'{}' is marked discussed.", t.text)?;
            }
        }
    }
    Ok(())
}

fn print_list(out: &mut dyn Write, view: &View, topics: &[&TherapyTopic], all: bool) -> Result<()> {
    match view.last_session_at() {
        Some(at) => writeln!(
            out,
            "For your next session (the last one was {}):",
            local_time(at)
        )?,
        None => writeln!(out, "For your next session:")?,
    }
    if topics.is_empty() {
        let more = if all {
            ""
        } else {
            " (`--all` shows the ones discussed)"
        };
        writeln!(
            out,
            "  no topics yet{more}. Add one with `kintsugi topic add TEXT`."
        )?;
        return Ok(());
    }
    for t in topics {
        let mut line = format!(
            "  {}  {} ({}, {}",
            short_id(&t.id),
            t.text,
            view.name_of(&t.by),
            local_time(t.at)
        );
        if let Some(from) = &t.from {
            line.push_str(&format!(", from {from}"));
        }
        line.push(')');
        if t.discussed {
            match t.discussed_at {
                Some(at) => line.push_str(&format!(" discussed {}", local_time(at))),
                None => line.push_str(" discussed"),
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// One topic in `topic list --json`.
#[derive(Serialize)]
struct TopicJson<'a> {
    id: &'a ItemId,
    by: &'a PartnerId,
    by_name: String,
    text: &'a str,
    from: Option<&'a str>,
    at: Timestamp,
    discussed: bool,
    discussed_at: Option<Timestamp>,
}

fn topic_json<'a>(view: &View, t: &'a TherapyTopic) -> TopicJson<'a> {
    TopicJson {
        id: &t.id,
        by: &t.by,
        by_name: view.name_of(&t.by),
        text: &t.text,
        from: t.from.as_deref(),
        at: t.at,
        discussed: t.discussed,
        discussed_at: t.discussed_at,
    }
}
