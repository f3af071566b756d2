//! `kintsugi question`: ask, answer, and "I need to hear this again", one thread per question.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Answer, Command, ItemId, PartnerId, Question, Timestamp, View};
use kintsugi_service::Vault;
use serde::Serialize;

use super::{local_time, resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum QuestionCmd {
    /// Ask a question. Prints its id.
    Ask {
        #[arg(long)]
        text: String,
    },
    /// Answer a question (either of you may).
    Answer {
        /// The question's id, or its first digits.
        id: String,
        #[arg(long)]
        text: String,
    },
    /// "I need to hear this again": ask your own question again. Every earlier answer stays.
    Reask {
        /// The question's id, or its first digits.
        id: String,
    },
    /// Every question, waiting ones (no answer since last asked) first and marked, each with
    /// its answers.
    List {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(mut vault: Vault, cmd: QuestionCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        QuestionCmd::Ask { text } => {
            if text.trim().is_empty() {
                bail!("a question needs some text; --text is empty, nothing was saved");
            }
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AskQuestion {
                    id: id.clone(),
                    text,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        QuestionCmd::Answer { id, text } => {
            if text.trim().is_empty() {
                bail!("an answer needs some text; --text is empty, nothing was saved");
            }
            let view = vault.view();
            let q = find(&view, &id)?;
            super::apply_and_save(
                &mut vault,
                Command::AnswerQuestion {
                    question: q.id.clone(),
                    id: ItemId::random(),
                    text,
                },
            )?;
        }
        QuestionCmd::Reask { id } => {
            let view = vault.view();
            let q = find(&view, &id)?;
            if view.me.as_ref() != Some(&q.asked_by) {
                bail!(
                    "only {} asked this question, so only they can ask it again; nothing was changed",
                    view.name_of(&q.asked_by)
                );
            }
            super::apply_and_save(&mut vault, Command::AskAgain { id: q.id.clone() })?;
        }
        QuestionCmd::List { json } => {
            let view = vault.view();
            let list = ordered(&view);
            if json {
                let list: Vec<_> = list.iter().map(|q| question_json(&view, q)).collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if list.is_empty() {
                writeln!(
                    out,
                    "No questions yet. Ask one with `kintsugi question ask --text T`."
                )?;
            } else {
                for q in list {
                    print_question(out, &view, q)?;
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

fn find<'a>(view: &'a View, prefix: &str) -> Result<&'a Question> {
    let id = resolve_id(view.questions.iter().map(|q| &q.id), prefix, "question")?;
    Ok(view
        .questions
        .iter()
        .find(|q| q.id == id)
        .expect("resolved among these"))
}

/// Waiting questions first, each group newest first (the view's order).
fn ordered(view: &View) -> Vec<&Question> {
    let mut list: Vec<&Question> = view.questions.iter().collect();
    list.sort_by_key(|q| !q.is_waiting());
    list
}

/// When the question was last asked (first or again).
fn last_asked(q: &Question) -> Timestamp {
    q.asked_again
        .iter()
        .copied()
        .max()
        .unwrap_or(q.at)
        .max(q.at)
}

fn print_question(out: &mut dyn Write, view: &View, q: &Question) -> Result<()> {
    let mark = if q.is_waiting() { "[waiting] " } else { "" };
    writeln!(
        out,
        "{}  {}{}  {}: {}",
        short_id(&q.id),
        mark,
        local_time(q.at),
        view.name_of(&q.asked_by),
        q.text
    )?;
    // The thread in time order: answers and each time it was asked again.
    let mut events: Vec<(Timestamp, String)> = q
        .answers
        .iter()
        .map(|a| {
            (
                a.at,
                format!("{} answered: {}", view.name_of(&a.by), a.text),
            )
        })
        .collect();
    for at in &q.asked_again {
        events.push((
            *at,
            format!("{} needed to hear this again", view.name_of(&q.asked_by)),
        ));
    }
    events.sort_by_key(|e| e.0);
    for (at, line) in events {
        writeln!(out, "    {}  {line}", local_time(at))?;
    }
    if q.answers.is_empty() {
        writeln!(out, "    not answered yet")?;
    }
    Ok(())
}

/// One question of `question list --json`.
#[derive(Serialize)]
struct QuestionJson<'a> {
    id: &'a ItemId,
    asked_by: &'a PartnerId,
    asked_by_name: String,
    text: &'a str,
    at: Timestamp,
    asked_again: &'a [Timestamp],
    last_asked: Timestamp,
    waiting: bool,
    answers: &'a [Answer],
}

fn question_json<'a>(view: &View, q: &'a Question) -> QuestionJson<'a> {
    QuestionJson {
        id: &q.id,
        asked_by: &q.asked_by,
        asked_by_name: view.name_of(&q.asked_by),
        text: &q.text,
        at: q.at,
        asked_again: &q.asked_again,
        last_asked: last_asked(q),
        waiting: q.is_waiting(),
        answers: &q.answers,
    }
}
