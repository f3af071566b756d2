//! Questions: either partner asks, the other answers in their own words, and "I need to hear this again" asks once more while every earlier answer stays.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use egui::{RichText, Ui};
use kintsugi_core::{Answer, Command, ItemId, Question, Timestamp};

use crate::screens::Page;
use crate::widgets::{Derived, Pager, Split, card, first_line, when};
use crate::{Frame, Shared};

/// The accessible name (and visible title) of the box a new question is written in.
pub(crate) const ASK_LABEL: &str = "Your question";
/// The words of the button that asks again; its accessible name adds the question.
pub(crate) const AGAIN: &str = "I need to hear this again";
/// The words of the button that sends an answer; its accessible name adds the question.
pub(crate) const SEND_ANSWER: &str = "Send my answer";
/// The title of the box an answer is written in; its accessible name adds the question.
pub(crate) const ANSWER_LABEL: &str = "Your answer";
/// Questions are short (the core refuses longer ones).
const QUESTION_MAX: usize = 500;

#[derive(Default)]
pub struct QuestionsState {
    /// The question being written; kept until the worker has taken it.
    text: String,
    /// The request that asked the last question, until it is answered.
    sending: Option<u64>,
    last_sent: Option<u64>,
    /// Per question: the answer being written.
    answers: HashMap<ItemId, String>,
    /// Answered questions whose "add to my answer" box is open.
    adding: HashSet<ItemId>,
    /// The last answer sent, and to which question.
    answer_sent: Option<(u64, ItemId)>,
    /// The answer the worker has not taken yet: its box empties once it has.
    answer_pending: Option<(u64, ItemId)>,
    /// The last "I need to hear this again", and for which question.
    again_sent: Option<(u64, ItemId)>,
    /// Questions brought to therapy.
    therapy: crate::therapy::Bring,
    /// The waiting and the answered questions (indices into the view's list), sorted once
    /// per snapshot; years of them are drawn a page at a time.
    lists: Derived<(), Split>,
    waiting_pages: Pager,
    answered_pages: Pager,
}

impl Page for QuestionsState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent
            .into_iter()
            .chain(self.answer_sent.as_ref().map(|(n, _)| *n))
            .chain(self.again_sent.as_ref().map(|(n, _)| *n))
            .chain(self.therapy.claimed())
            .collect()
    }
}

/// A question shortened for the accessible names of its controls, so each is unique.
fn short(q: &Question) -> String {
    first_line(&q.text, 60)
}

/// The accessible name of the answer box under `q`.
pub(crate) fn answer_label(q_text: &str) -> String {
    format!("{ANSWER_LABEL} to: {}", first_line(q_text, 60))
}

/// When `q` was last asked: its first asking or the latest "asked again".
fn last_asked(q: &Question) -> Timestamp {
    q.asked_again.last().copied().unwrap_or(q.at).max(q.at)
}

fn show(ui: &mut Ui, st: &mut QuestionsState, f: &Frame<'_>) {
    let partner = f.partner();
    if let Some(n) = st.sending
        && f.snap.processed >= n
    {
        st.sending = None;
        if f.refusal(Some(n)).is_none() {
            st.text.clear();
        }
    }
    // An answer taken by the worker: its box is emptied and closed.
    if let Some((n, id)) = st.answer_pending.take_if(|(n, _)| f.snap.processed >= *n)
        && f.refusal(Some(n)).is_none()
    {
        st.answers.remove(&id);
        st.adding.remove(&id);
    }

    ui.heading("Questions");
    ui.label(format!(
        "Ask what you need to know, in your own words. Either of you can ask, and {partner} \
         answers here. Asking again is always all right: every earlier answer is kept."
    ));
    ui.add_space(10.0);
    composer(ui, st, f, &partner);

    let me = f.view.me.as_ref();
    let lists = st.lists.get(f, (), |v, ()| {
        let (mut waiting, answered): (Vec<usize>, Vec<usize>) =
            (0..v.questions.len()).partition(|&i| v.questions[i].is_waiting());
        // The longest-waiting last would be lost below the fold: the most recently asked first.
        waiting.sort_by_key(|&i| std::cmp::Reverse(last_asked(&v.questions[i])));
        Rc::new((waiting, answered))
    });
    // Shared out of the state for this frame: the threads below change other parts of it.
    let lists = Rc::clone(lists);
    let (waiting, answered) = (&lists.0, &lists.1);
    let at = |i: &usize| f.view.questions.get(*i);

    ui.add_space(20.0);
    if f.view.questions.is_empty() {
        ui.heading("Your questions");
        ui.weak("No questions yet. What either of you asks is kept here, with every answer.");
        return;
    }
    ui.heading(format!("Waiting for an answer ({})", waiting.len()));
    if waiting.is_empty() {
        ui.weak("Every question has an answer for now.");
    } else {
        let for_me = waiting
            .iter()
            .filter_map(at)
            .filter(|q| Some(&q.asked_by) != me)
            .count();
        if for_me > 0 {
            ui.weak(format!(
                "{partner} is waiting for your answer to {}. There is no rush; an honest \
                 answer matters more than a quick one.",
                if for_me == 1 {
                    "one question".to_owned()
                } else {
                    format!("{for_me} questions")
                }
            ));
        }
    }
    for q in waiting.iter().take(st.waiting_pages.shown()).filter_map(at) {
        ui.add_space(8.0);
        thread(ui, st, f, q, &partner);
    }
    ui.add_space(8.0);
    st.waiting_pages
        .more(ui, waiting.len(), "questions waiting for an answer");

    if !answered.is_empty() {
        ui.add_space(20.0);
        ui.heading(format!("Answered ({})", answered.len()));
        for q in answered
            .iter()
            .take(st.answered_pages.shown())
            .filter_map(at)
        {
            ui.add_space(8.0);
            thread(ui, st, f, q, &partner);
        }
        ui.add_space(8.0);
        st.answered_pages
            .more(ui, answered.len(), "answered questions");
    }
}

fn composer(ui: &mut Ui, st: &mut QuestionsState, f: &Frame<'_>, partner: &str) {
    card(ui, |ui| {
        let l = ui.label(RichText::new(ASK_LABEL).strong());
        ui.add_enabled(
            st.sending.is_none(),
            egui::TextEdit::multiline(&mut st.text)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .char_limit(QUESTION_MAX)
                .hint_text("e.g. Where were you on the Friday you came home late?"),
        )
        .labelled_by(l.id);
        let len = st.text.trim().chars().count();
        if len > QUESTION_MAX - 50 {
            ui.weak(format!("{len} of {QUESTION_MAX} characters"));
        }
        ui.horizontal_wrapped(|ui| {
            let ready = len > 0 && st.sending.is_none();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new(format!("Ask {partner}")).strong()),
                )
                .clicked()
            {
                f.handle.send(Command::AskQuestion {
                    id: ItemId::random(),
                    text: st.text.trim().to_owned(),
                });
                let n = f.handle.sent();
                st.sending = Some(n);
                st.last_sent = Some(n);
            }
            if st.sending.is_some() {
                ui.spinner();
            }
        });
        f.show_refusal(ui, st.last_sent, "That question was not asked");
    });
}

/// One step of a thread, in the order it happened.
enum Step<'a> {
    AskedAgain(Timestamp),
    Answered(&'a Answer),
}

fn thread(ui: &mut Ui, st: &mut QuestionsState, f: &Frame<'_>, q: &Question, partner: &str) {
    let mine = f.view.me.as_ref() == Some(&q.asked_by);
    let asker = f.view.name_of(&q.asked_by);
    let mut steps: Vec<(Timestamp, Step<'_>)> = q
        .asked_again
        .iter()
        .map(|t| (*t, Step::AskedAgain(*t)))
        .chain(q.answers.iter().map(|a| (a.at, Step::Answered(a))))
        .collect();
    // At the same moment an asking comes before the answer to it.
    steps.sort_by_key(|(t, s)| (*t, matches!(s, Step::Answered(_))));
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{asker} asked")).strong());
            ui.weak(when(q.at, f.now));
        });
        ui.label(RichText::new(&q.text).size(17.0));
        for (_, s) in &steps {
            ui.add_space(4.0);
            match s {
                Step::AskedAgain(at) => {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!("{asker} asked again: {AGAIN}."))
                                .italics()
                                .color(ui.visuals().hyperlink_color),
                        );
                        ui.weak(when(*at, f.now));
                    });
                }
                Step::Answered(a) => {
                    ui.separator();
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!("{} answered", f.view.name_of(&a.by))).strong(),
                        );
                        ui.weak(when(a.at, f.now));
                    });
                    ui.label(&a.text);
                }
            }
        }
        ui.add_space(6.0);
        if mine {
            asker_controls(ui, st, f, q, partner);
        } else {
            answerer_controls(ui, st, f, q, &asker);
        }
        ui.add_space(4.0);
        st.therapy
            .button(ui, f, q.text.clone(), "question".to_owned(), &q.text);
    });
}

/// The one who asked: a calm note while waiting, else "I need to hear this again".
fn asker_controls(
    ui: &mut Ui,
    st: &mut QuestionsState,
    f: &Frame<'_>,
    q: &Question,
    partner: &str,
) {
    let sending = st
        .again_sent
        .as_ref()
        .is_some_and(|(n, id)| id == &q.id && f.snap.processed < *n);
    if sending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Asking again…");
        });
        return;
    }
    if q.is_waiting() {
        ui.weak(if q.answers.is_empty() {
            format!("Waiting for {partner}'s answer.")
        } else {
            format!("Asked again. Waiting for {partner}'s answer; the earlier answers stay here.")
        });
    } else {
        let r = ui
            .button(AGAIN)
            .accessible_name(format!("{AGAIN}: {}", short(q)));
        if r.clicked() {
            f.handle.send(Command::AskAgain { id: q.id.clone() });
            st.again_sent = Some((f.handle.sent(), q.id.clone()));
        }
        ui.weak("It is all right to ask again, as often as you need.");
    }
    if let Some((n, id)) = &st.again_sent
        && id == &q.id
        && let Some(msg) = f.refusal(Some(*n))
    {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("That was not sent: {msg}.")).color(warn));
    }
}

/// The one asked: the answer box while the question waits, or a way to add to an answer.
fn answerer_controls(
    ui: &mut Ui,
    st: &mut QuestionsState,
    f: &Frame<'_>,
    q: &Question,
    asker: &str,
) {
    let sending = st
        .answer_pending
        .as_ref()
        .is_some_and(|(n, id)| id == &q.id && f.snap.processed < *n);
    if sending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Sending your answer…");
        });
        return;
    }
    let waiting = q.is_waiting();
    if !waiting && !st.adding.contains(&q.id) {
        let r = ui
            .button("Add to my answer")
            .accessible_name(format!("Add to my answer: {}", short(q)));
        if r.clicked() {
            st.adding.insert(q.id.clone());
        }
        return;
    }
    ui.separator();
    if waiting && !q.answers.is_empty() {
        ui.weak(format!(
            "{asker} needs to hear this again. Answering again, patiently and honestly, is part \
             of rebuilding trust."
        ));
    } else if waiting {
        ui.weak("Take the time you need. Answer honestly, in your own words.");
    }
    let text = st.answers.entry(q.id.clone()).or_default();
    ui.label(RichText::new(ANSWER_LABEL).strong());
    ui.add(
        egui::TextEdit::multiline(text)
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text("What happened, plainly. No need to defend it."),
    )
    .accessible_name(answer_label(&q.text));
    let ready = !text.trim().is_empty();
    ui.horizontal_wrapped(|ui| {
        let r = ui
            .add_enabled(
                ready,
                egui::Button::new(RichText::new(SEND_ANSWER).strong()),
            )
            .accessible_name(format!("{SEND_ANSWER}: {}", short(q)));
        if r.clicked() {
            f.handle.send(Command::AnswerQuestion {
                question: q.id.clone(),
                id: ItemId::random(),
                text: text.trim().to_owned(),
            });
            st.answer_sent = Some((f.handle.sent(), q.id.clone()));
            st.answer_pending = st.answer_sent.clone();
        }
        if !waiting
            && ui
                .button("Cancel")
                .accessible_name(format!("Cancel adding to my answer: {}", short(q)))
                .clicked()
        {
            st.adding.remove(&q.id);
        }
    });
    if let Some((n, id)) = &st.answer_sent
        && id == &q.id
    {
        f.show_refusal(ui, Some(*n), "Your answer was not sent");
    }
}
