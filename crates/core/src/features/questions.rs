//! Questions: one partner asks (and may ask again), either partner answers.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, ReadDocs, collect_cached};
use crate::write::{
    WriteDocs, ensure_map, item, long_text, misrouted, new_item, nonempty, short_text, top,
};

/// Couple: questions under random ids, each with `asked_again` (random id → time) and
/// `answers` (random id → answer) maps.
const QUESTIONS: &str = "questions";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[QUESTIONS];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Question {
    pub id: ItemId,
    pub asked_by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    /// Each time the question was asked again.
    pub asked_again: Vec<Timestamp>,
    pub answers: Vec<Answer>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
}

impl Question {
    /// Waiting for an answer: none yet, or none since it was last asked again.
    pub fn is_waiting(&self) -> bool {
        let last_ask = self.asked_again.last().copied().unwrap_or(self.at);
        !self.answers.iter().any(|a| a.at >= last_ask)
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AskQuestion { id, text } => {
            let text = short_text(&text, "The question")?;
            let map = top(d.couple, QUESTIONS)?;
            let q = new_item(d.couple, &map, &id)?;
            d.couple.put(&q, "asked_by", d.me.0.as_str())?;
            d.couple.put(&q, "text", text.as_str())?;
            d.couple.put(&q, "at", now)?;
            d.couple.put_object(&q, "asked_again", ObjType::Map)?;
            d.couple.put_object(&q, "answers", ObjType::Map)?;
        }
        Command::AskAgain { id } => {
            let q = d.own_item(QUESTIONS, &id, "question", "asked_by")?;
            let again = ensure_map(d.couple, &q, "asked_again")?;
            d.couple.put(&again, ItemId::random().0.as_str(), now)?;
        }
        Command::AnswerQuestion { question, id, text } => {
            long_text(&text, "The answer")?;
            nonempty(&text, "The answer")?;
            let q = item(d.couple, QUESTIONS, &question, "question")?;
            let answers = ensure_map(d.couple, &q, "answers")?;
            let a = new_item(d.couple, &answers, &id)?;
            d.couple.put(&a, "by", d.me.0.as_str())?;
            d.couple.put(&a, "text", text.trim())?;
            d.couple.put(&a, "at", now)?;
        }
        other => return Err(misrouted(&other, "questions")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.questions = collect_cached(r, DocKind::Couple, QUESTIONS, errors, |id, q| {
        let mut asked_again = Vec::new();
        if let Ok(a) = q.map("asked_again") {
            for k in a.keys() {
                if let Some(t) = a.opt_i64(&k)? {
                    asked_again.push(t);
                }
            }
        }
        asked_again.sort();
        let mut answers = Vec::new();
        if let Ok(a) = q.map("answers") {
            for (aid, ans) in a.items() {
                let ans = ans?;
                answers.push(Answer {
                    id: ItemId(aid),
                    by: ans.author("by", r.writers)?,
                    text: ans.str("text")?,
                    at: ans.i64("at")?,
                });
            }
        }
        answers.sort_by_key(|a| a.at);
        Ok(Question {
            id: ItemId(id.to_owned()),
            asked_by: q.author("asked_by", r.writers)?,
            text: q.str("text")?,
            at: q.i64("at")?,
            asked_again,
            answers,
        })
    });
    v.questions.sort_by_key(|x| std::cmp::Reverse(x.at));
}

/// Questions asked, asked again or answered within the period, each with that period's answers.
fn in_period(c: &ExportCtx<'_>) -> Vec<Question> {
    let scope = c.scope;
    c.v.questions
        .iter()
        .filter(|q| {
            scope.contains_at(q.at)
                || q.asked_again.iter().any(|at| scope.contains_at(*at))
                || q.answers.iter().any(|a| scope.contains_at(a.at))
        })
        .map(|q| {
            let mut q = q.clone();
            q.answers.retain(|a| scope.contains_at(a.at));
            q.asked_again.retain(|at| scope.contains_at(*at));
            q
        })
        .collect()
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("questions", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let questions = in_period(c);
    if questions.is_empty() {
        r.nothing();
    }
    for q in &questions {
        r.heading(&q.text);
        let mut facts = vec![(
            "Asked".to_owned(),
            format!("{} by {}", date_of(q.at), v.name_of(&q.asked_by)),
        )];
        if !q.asked_again.is_empty() {
            let again: Vec<String> = q.asked_again.iter().map(|at| date_of(*at)).collect();
            facts.push(("Asked again".to_owned(), again.join(", ")));
        }
        r.table(facts);
        if q.answers.is_empty() {
            r.note("No answer in this period.");
        }
        r.list(
            q.answers
                .iter()
                .map(|a| {
                    (
                        format!("{}, {}", date_of(a.at), v.name_of(&a.by)),
                        a.text.clone(),
                    )
                })
                .collect(),
        );
    }
}
