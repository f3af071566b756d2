//! The daily check-in: under a minute, answered apart, shown side by side once both answered.

use egui::{RichText, Ui};
use kintsugi_core::{Command, DailyAnswers, DailyCheckIn};
use kintsugi_service::today_local;

use crate::screens::Page;
use crate::widgets::{
    CONNECTION_WORDS, MOOD_WORDS, SAFETY_WORDS, card, long_date, scale_picker, scale_word,
};
use crate::{Frame, Shared};

#[derive(Default)]
pub struct CheckinState {
    /// Today's answers being written; 0 on a scale means not chosen yet.
    form: DailyAnswers,
    /// The day the form belongs to: a new day starts an empty form.
    form_date: String,
    /// Changing answers already saved today.
    editing: bool,
    /// The count of sent commands when "Save check-in" was pressed.
    saved_at: Option<u64>,
}

impl Page for CheckinState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }
}

fn show(ui: &mut Ui, st: &mut CheckinState, f: &Frame<'_>) {
    let today = today_local().format("%Y-%m-%d").to_string();
    if st.form_date != today {
        *st = CheckinState {
            form_date: today.clone(),
            ..Default::default()
        };
    }
    let (mine, theirs) = f.view.daily_pair(&today);
    let partner = f.partner();

    ui.heading("Daily check-in");
    ui.weak(format!(
        "{} · under a minute. {partner} sees your answers once you have both answered.",
        long_date(&today)
    ));
    ui.add_space(12.0);

    let saving = st.saved_at.is_some_and(|n| f.snap.processed < n);
    match mine {
        Some(m) if !st.editing => {
            match theirs {
                Some(t) => side_by_side(ui, f, m, t),
                None => {
                    answers_card(ui, &f.view.my_name, m);
                    ui.add_space(6.0);
                    ui.label(format!("{partner} hasn't checked in yet today."));
                }
            }
            ui.add_space(6.0);
            if ui.button("Change my answers").clicked() {
                st.form = DailyAnswers {
                    mood: m.mood,
                    connection: m.connection,
                    safety: m.safety,
                    high: m.high.clone(),
                    low: m.low.clone(),
                    need: m.need.clone(),
                };
                st.editing = true;
            }
        }
        _ if saving => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Saving your check-in…");
            });
        }
        _ => {
            if mine.is_none() && theirs.is_some() {
                card(ui, |ui| {
                    ui.label(format!(
                        "{partner} has checked in today. Their answers appear once you've \
                         answered too."
                    ));
                });
                ui.add_space(8.0);
            }
            form(ui, st, f, &today);
        }
    }

    history(ui, f, &today);
}

fn form(ui: &mut Ui, st: &mut CheckinState, f: &Frame<'_>, today: &str) {
    card(ui, |ui| {
        scale_picker(ui, "Mood", &MOOD_WORDS, &mut st.form.mood);
        ui.add_space(6.0);
        scale_picker(
            ui,
            "Sense of connection",
            &CONNECTION_WORDS,
            &mut st.form.connection,
        );
        ui.add_space(6.0);
        scale_picker(ui, "Sense of safety", &SAFETY_WORDS, &mut st.form.safety);
        ui.add_space(10.0);
        for (title, hint, text) in [
            ("One high", "Something that went well", &mut st.form.high),
            ("One low", "Something that was hard", &mut st.form.low),
            (
                "What I need from you today",
                "One thing, as concrete as you can",
                &mut st.form.need,
            ),
        ] {
            let l = ui.label(RichText::new(title).strong());
            ui.add(
                egui::TextEdit::multiline(text)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text(hint),
            )
            .labelled_by(l.id);
            ui.add_space(4.0);
        }
        let complete = (1..=5).contains(&st.form.mood)
            && (1..=5).contains(&st.form.connection)
            && (1..=5).contains(&st.form.safety);
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    complete,
                    egui::Button::new(RichText::new("Save check-in").strong()),
                )
                .clicked()
            {
                f.handle.send(Command::SaveDailyCheckIn {
                    date: today.to_owned(),
                    answers: st.form.clone(),
                });
                st.saved_at = Some(f.handle.sent());
                st.editing = false;
            }
            if st.editing && ui.button("Cancel").clicked() {
                st.editing = false;
            }
        });
        if !complete {
            ui.weak("Choose a number on each of the three scales to save.");
        }
    });
}

fn answers_card(ui: &mut Ui, name: &str, c: &DailyCheckIn) {
    card(ui, |ui| {
        ui.label(RichText::new(name).strong());
        ui.label(format!(
            "Mood: {} of 5, {}",
            c.mood,
            scale_word(&MOOD_WORDS, c.mood)
        ));
        ui.label(format!(
            "Connection: {} of 5, {}",
            c.connection,
            scale_word(&CONNECTION_WORDS, c.connection)
        ));
        ui.label(format!(
            "Safety: {} of 5, {}",
            c.safety,
            scale_word(&SAFETY_WORDS, c.safety)
        ));
        for (title, text) in [("High", &c.high), ("Low", &c.low), ("Needs", &c.need)] {
            if !text.is_empty() {
                ui.add_space(2.0);
                ui.label(RichText::new(title).weak());
                ui.label(text);
            }
        }
    });
}

fn side_by_side(ui: &mut Ui, f: &Frame<'_>, mine: &DailyCheckIn, theirs: &DailyCheckIn) {
    let partner = f.view.name_of(&theirs.by);
    ui.columns(2, |cols| {
        answers_card(&mut cols[0], &f.view.my_name, mine);
        answers_card(&mut cols[1], &partner, theirs);
    });
}

fn history(ui: &mut Ui, f: &Frame<'_>, today: &str) {
    let mut dates: Vec<&str> = f
        .view
        .daily_checkins
        .iter()
        .map(|c| c.date.as_str())
        .filter(|d| *d != today)
        .collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    dates.dedup();
    ui.add_space(20.0);
    ui.heading("Earlier days");
    if dates.is_empty() {
        ui.weak("Past check-ins will appear here, newest first.");
        return;
    }
    let partner = f.partner();
    for d in dates {
        ui.add_space(10.0);
        ui.label(RichText::new(long_date(d)).strong());
        match f.view.daily_pair(d) {
            (Some(m), Some(t)) => side_by_side(ui, f, m, t),
            (Some(m), None) => {
                answers_card(ui, &f.view.my_name, m);
                ui.weak(format!("{partner} did not check in that day."));
            }
            (None, Some(_)) => {
                // Hidden: the answers of a day are only shown when both answered it.
                ui.weak(format!(
                    "{partner} checked in that day. Answers are shown only for days you both answered."
                ));
            }
            (None, None) => {}
        }
    }
}
