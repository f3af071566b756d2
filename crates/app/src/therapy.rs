//! Therapy prep: topics for the next session, from anywhere in the app, ticked off once discussed, and what happened since the last session.

use std::rc::Rc;

use chrono::{Local, TimeZone};
use egui::{RichText, Ui};
use kintsugi_core::{Command, ItemId, SinceLastSession, TherapyTopic, Trigger, View};

use crate::screens::Page;
use crate::widgets::{Derived, Pager, Split, card, first_line, when};
use crate::{Frame, Shared};

/// The screen's label in the navigation.
pub const LABEL: &str = "Therapy prep";
/// The words of the button that sends something elsewhere in the app here.
pub const BRING: &str = "Bring to therapy";
/// Said in place of that button once the topic is there.
pub const ADDED: &str = "Added to therapy topics";
/// The box a new topic is written in.
const TOPIC_LABEL: &str = "A topic for the next session";
/// The core refuses longer topics.
const TOPIC_MAX: usize = 500;

#[derive(Default)]
pub struct TherapyState {
    text: String,
    /// The topic sent, until the worker has taken it.
    sending: Option<u64>,
    last_sent: Option<u64>,
    /// The last "Discussed" toggle and its topic, whose refusal shows under it.
    toggle_sent: Option<(u64, ItemId)>,
    /// How many discussed topics are listed.
    discussed_shown: usize,
    /// "Since our last session", read once per snapshot revision rather than every frame.
    since: Option<(u64, SinceLastSession)>,
    /// The open topics and the discussed ones (newest discussed first), as indices into the
    /// view's list: split and sorted once per snapshot.
    lists: Derived<(), Split>,
    open_pages: Pager,
}

impl Page for TherapyState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent
            .into_iter()
            .chain(self.toggle_sent.as_ref().map(|(n, _)| *n))
            .collect()
    }
}

/// A topic ready to send: at most [`TOPIC_MAX`] characters.
fn topic_text(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > TOPIC_MAX {
        let cut: String = t.chars().take(TOPIC_MAX - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        t.to_owned()
    }
}

/// The topic a trigger becomes, and where it came from ("trigger 2026-11-20").
pub(crate) fn from_trigger(v: &View, t: &Trigger) -> (String, String) {
    let day = Local
        .timestamp_millis_opt(t.at)
        .single()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let who = v.name_of(&t.by);
    let text = if t.note.trim().is_empty() {
        format!("{who} felt triggered")
    } else {
        format!("{who} felt triggered: \u{201c}{}\u{201d}", t.note.trim())
    };
    (topic_text(&text), format!("trigger {day}"))
}

/// Whether a topic with these words from this place is already there.
fn added(v: &View, text: &str, from: &str) -> bool {
    v.therapy_topics
        .iter()
        .any(|t| t.text == text && t.from.as_deref() == Some(from))
}

/// "Bring to therapy" beside something elsewhere (a question, a trigger): view state of the
/// screen it sits on.
#[derive(Default)]
pub(crate) struct Bring {
    /// The last topic sent from there: its request, and its (text, from).
    sent: Option<(u64, String, String)>,
}

impl Bring {
    pub(crate) fn claimed(&self) -> Option<u64> {
        self.sent.as_ref().map(|(n, _, _)| *n)
    }

    /// The button, or "Added to therapy topics" once the topic is there. `what` makes the
    /// button's accessible name unique (e.g. the question).
    pub(crate) fn button(
        &mut self,
        ui: &mut Ui,
        f: &Frame<'_>,
        text: String,
        from: String,
        what: &str,
    ) {
        let text = topic_text(&text);
        let mine = self
            .sent
            .as_ref()
            .filter(|(_, t, fr)| *t == text && *fr == from)
            .map(|(n, _, _)| *n);
        if added(f.view, &text, &from) {
            ui.weak(ADDED);
            return;
        }
        if let Some(n) = mine {
            if f.snap.processed < n {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Adding to therapy topics…");
                });
                return;
            }
            if let Some(why) = f.refusal(Some(n)) {
                let warn = ui.visuals().warn_fg_color;
                ui.label(RichText::new(format!("That was not added: {why}.")).color(warn));
            }
        }
        if ui
            .small_button(BRING)
            .accessible_name(format!("{BRING}: {}", first_line(what, 60)))
            .clicked()
        {
            f.handle.send(Command::AddTherapyTopic {
                id: ItemId::random(),
                text: text.clone(),
                from: Some(from.clone()),
            });
            self.sent = Some((f.handle.sent(), text, from));
        }
    }
}

fn show(ui: &mut Ui, st: &mut TherapyState, f: &Frame<'_>) {
    if let Some(n) = st.sending
        && f.snap.processed >= n
    {
        st.sending = None;
        if f.refusal(Some(n)).is_none() {
            st.text.clear();
        }
    }
    let partner = f.partner();
    ui.heading(LABEL);
    ui.label(format!(
        "What you want to bring to your next session, collected as it comes up: here, from a \
         question, a hard moment or the weekly check-in. Either of you can add a topic; tick it \
         off once you have talked about it with your therapist. {partner} sees the same list."
    ));
    ui.add_space(10.0);
    composer(ui, st, f);
    ui.add_space(16.0);

    let lists = st.lists.get(f, (), |v, ()| {
        let topics = &v.therapy_topics;
        let (open, mut discussed): (Vec<usize>, Vec<usize>) =
            (0..topics.len()).partition(|&i| !topics[i].discussed);
        discussed
            .sort_by_key(|&i| std::cmp::Reverse(topics[i].discussed_at.unwrap_or(topics[i].at)));
        Rc::new((open, discussed))
    });
    // Shared out of the state for this frame: the topics below change other parts of it.
    let lists = Rc::clone(lists);
    let (open, discussed) = (&lists.0, &lists.1);
    let at = |i: &usize| f.view.therapy_topics.get(*i);
    ui.heading(format!("For the next session ({})", open.len()));
    if open.is_empty() {
        ui.weak("Nothing waiting. Topics you add show here until they are discussed.");
    }
    for t in open.iter().take(st.open_pages.shown()).filter_map(at) {
        ui.add_space(6.0);
        topic(ui, st, f, t);
    }
    ui.add_space(6.0);
    st.open_pages
        .more(ui, open.len(), "topics for the next session");

    ui.add_space(16.0);
    since_last(ui, st, f);

    if !discussed.is_empty() {
        ui.add_space(16.0);
        ui.heading(format!("Discussed ({})", discussed.len()));
        let shown = st.discussed_shown.max(10);
        for t in discussed.iter().take(shown).filter_map(at) {
            ui.add_space(6.0);
            topic(ui, st, f, t);
        }
        if discussed.len() > shown && ui.button("Show earlier discussed topics").clicked() {
            st.discussed_shown = shown + 20;
        }
    }
}

fn composer(ui: &mut Ui, st: &mut TherapyState, f: &Frame<'_>) {
    card(ui, |ui| {
        let l = ui.label(RichText::new(TOPIC_LABEL).strong());
        ui.add_enabled(
            st.sending.is_none(),
            egui::TextEdit::multiline(&mut st.text)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .char_limit(TOPIC_MAX)
                .hint_text("e.g. How we talk about the evenings I work late"),
        )
        .labelled_by(l.id);
        let ready = !st.text.trim().is_empty() && st.sending.is_none();
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Add topic").strong()),
                )
                .clicked()
            {
                f.handle.send(Command::AddTherapyTopic {
                    id: ItemId::random(),
                    text: st.text.trim().to_owned(),
                    from: None,
                });
                let n = f.handle.sent();
                st.sending = Some(n);
                st.last_sent = Some(n);
            }
            if st.sending.is_some() {
                ui.spinner();
            }
        });
        f.show_refusal(ui, st.last_sent, "That topic was not added");
    });
}

fn topic(ui: &mut Ui, st: &mut TherapyState, f: &Frame<'_>, t: &TherapyTopic) {
    card(ui, |ui| {
        ui.label(RichText::new(&t.text).size(16.0));
        let mut line = format!("Added by {}, {}", f.view.name_of(&t.by), when(t.at, f.now));
        if let Some(from) = &t.from {
            line = format!("From {from} \u{b7} {line}");
        }
        ui.weak(line);
        ui.horizontal_wrapped(|ui| {
            let mut discussed = t.discussed;
            let r = ui
                .checkbox(&mut discussed, "Discussed")
                .accessible_name(format!("Discussed: {}", first_line(&t.text, 60)));
            if r.changed() {
                f.handle.send(Command::SetTherapyTopicDiscussed {
                    id: t.id.clone(),
                    discussed,
                });
                st.toggle_sent = Some((f.handle.sent(), t.id.clone()));
            }
            if let Some(at) = t.discussed_at {
                ui.weak(when(at, f.now));
            }
        });
    });
    if let Some((n, id)) = &st.toggle_sent
        && *id == t.id
    {
        f.show_refusal(ui, Some(*n), "That was not changed");
    }
}

/// Counts of what happened since the last session, said in sentences.
fn since_last(ui: &mut Ui, st: &mut TherapyState, f: &Frame<'_>) {
    // Reading it walks every item; once per new snapshot is enough.
    if st.since.as_ref().is_none_or(|(r, _)| *r != f.snap.revision) {
        st.since = Some((f.snap.revision, f.view.since_last_session()));
    }
    let Some((_, s)) = &st.since else { return };
    card(ui, |ui| {
        ui.label(RichText::new("Since our last session").size(18.0).strong());
        match s.since {
            Some(at) => ui.weak(format!(
                "Counted from the last time a topic was marked discussed, {}.",
                when(at, f.now)
            )),
            None => ui.weak(
                "No session recorded yet (no topic marked discussed), so this counts everything \
                 so far.",
            ),
        };
        ui.add_space(4.0);
        let lines = since_lines(s);
        if lines.is_empty() {
            ui.label("Nothing new to count yet.");
        }
        for l in lines {
            ui.label(format!("\u{2022} {l}"));
        }
    });
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One plain sentence per thing that happened; nothing about what did not.
fn since_lines(s: &SinceLastSession) -> Vec<String> {
    let mut out = Vec::new();
    if !s.open_topics.is_empty() {
        out.push(format!(
            "{} waiting for the session.",
            count(s.open_topics.len(), "topic", "topics")
        ));
    }
    if s.checkin_days > 0 {
        out.push(format!(
            "{} with both check-ins shared.",
            count(s.checkin_days, "day", "days")
        ));
    }
    if s.commitment_days_kept + s.commitment_days_missed > 0 {
        out.push(format!(
            "Commitments: {} kept, {} not kept.",
            count(s.commitment_days_kept, "day", "days"),
            s.commitment_days_missed
        ));
    }
    if s.disclosures > 0 {
        out.push(format!(
            "{}, {} before being asked.",
            count(s.disclosures, "disclosure", "disclosures"),
            s.disclosures_before_asked
        ));
    }
    if s.triggers > 0 {
        out.push(format!(
            "{}.",
            count(s.triggers, "hard moment", "hard moments")
        ));
    }
    if s.questions_asked > 0 {
        out.push(format!(
            "{} asked.",
            count(s.questions_asked, "question", "questions")
        ));
    }
    if s.wins > 0 {
        out.push(format!("{} noted.", count(s.wins, "win", "wins")));
    }
    if s.times_together > 0 {
        out.push(format!(
            "{} of time together done.",
            count(s.times_together, "plan", "plans")
        ));
    }
    if !s.sections_changed.is_empty() {
        out.push(format!(
            "Agreement changed: {}.",
            s.sections_changed.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_topics_are_cut_to_what_the_core_takes() {
        let long = "a".repeat(700);
        assert_eq!(topic_text(&long).chars().count(), TOPIC_MAX);
        assert_eq!(topic_text("  hi  "), "hi");
    }

    #[test]
    fn since_says_only_what_happened() {
        let s = SinceLastSession {
            triggers: 2,
            wins: 1,
            ..Default::default()
        };
        assert_eq!(since_lines(&s), vec!["2 hard moments.", "1 win noted."]);
    }
}
