//! Questions: one partner asks (and may ask again), either partner answers.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::Serialize;

use crate::command::Command;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::write::{
    WriteDocs, ensure_map, item, long_text, misrouted, new_item, nonempty, short_text, top,
};

/// Couple: questions under random ids, each with `asked_again` (random id → time) and
/// `answers` (random id → answer) maps.
const QUESTIONS: &str = "questions";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[QUESTIONS];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Question {
    pub id: ItemId,
    pub asked_by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    /// Each time the question was asked again.
    pub asked_again: Vec<Timestamp>,
    pub answers: Vec<Answer>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
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
    v.questions = collect(r.couple, QUESTIONS, errors, |id, q| {
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
                    by: PartnerId(ans.str("by")?),
                    text: ans.str("text")?,
                    at: ans.i64("at")?,
                });
            }
        }
        answers.sort_by_key(|a| a.at);
        Ok(Question {
            id: ItemId(id.to_owned()),
            asked_by: PartnerId(q.str("asked_by")?),
            text: q.str("text")?,
            at: q.i64("at")?,
            asked_again,
            answers,
        })
    });
    v.questions.sort_by_key(|x| std::cmp::Reverse(x.at));
}
