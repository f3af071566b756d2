//! Check-ins, daily (under a minute) and weekly (a longer look back): answered apart, sealed in the data until both have answered, then shown side by side.

use std::collections::HashMap;

use chrono::{Local, NaiveDate, TimeZone};
use egui::{RichText, Ui};
use kintsugi_core::{
    Command, DailyAnswers, DailyCheckIn, View, WeeklyAnswers, WeeklyCheckIn, iso_week, parse_date,
    week_days,
};
use kintsugi_service::today_local;

use crate::screens::Page;
use crate::widgets::{
    CONNECTION_WORDS, Derived, MOOD_WORDS, Pager, SAFETY_WORDS, card, choice, first_line,
    long_date, scale_picker, scale_word,
};
use crate::{Frame, Shared};

/// Which check-in the screen shows; the reminder banner asks for one through [`Shared`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Daily,
    Weekly,
}

#[derive(Default)]
pub struct CheckinState {
    kind: Kind,
    daily: DailyForm,
    weekly: WeeklyForm,
    /// The earlier days and weeks: ten years are thousands of check-ins, paired up once per
    /// snapshot (and day), not every frame, and drawn a page at a time.
    days: Derived<String, Vec<Period>>,
    weeks: Derived<String, Vec<Period>>,
    day_pages: Pager,
    week_pages: Pager,
    /// This week's commitment log and moments, for the weekly check-in.
    week_log: Derived<String, Vec<LogRow>>,
    week_moments: Derived<String, Vec<String>>,
}

/// One earlier day or week: indices of my answers and the partner's into the view's list.
struct Period {
    key: String,
    mine: Option<usize>,
    theirs: Option<usize>,
    partner_answered: bool,
}

/// One commitment log entry of a week: its day, the commitment and the entry (indices).
struct LogRow {
    day: NaiveDate,
    commitment: usize,
    log: usize,
}

/// Pairs up the check-ins of every period but `current` (newest first) with the partner's
/// seals: one pass over each list instead of a search per period.
fn periods<'a>(
    v: &View,
    current: &str,
    answers: impl Iterator<Item = (&'a str, &'a kintsugi_core::PartnerId)>,
    seals: impl Iterator<Item = &'a str>,
) -> Vec<Period> {
    let mut by_key: HashMap<&str, Period> = HashMap::new();
    let me = v.me.as_ref();
    for (i, (key, by)) in answers.enumerate() {
        if key == current {
            continue;
        }
        let p = by_key.entry(key).or_insert_with(|| Period {
            key: key.to_owned(),
            mine: None,
            theirs: None,
            partner_answered: false,
        });
        // The first of each, as `View::daily_pair` finds them.
        if Some(by) == me {
            p.mine.get_or_insert(i);
        } else {
            p.theirs.get_or_insert(i);
            p.partner_answered = true;
        }
    }
    for key in seals {
        if let Some(p) = by_key.get_mut(key) {
            p.partner_answered = true;
        }
    }
    // Only the partner answered a period: nothing of theirs is here, and nothing of mine to
    // show beside it.
    let mut out: Vec<Period> = by_key
        .into_values()
        .filter(|p| p.mine.is_some() || p.theirs.is_some())
        .collect();
    out.sort_unstable_by(|a, b| b.key.cmp(&a.key));
    out
}

#[derive(Default)]
struct DailyForm {
    /// Today's answers being written; 0 on a scale means not chosen yet.
    form: DailyAnswers,
    /// The day the form belongs to: a new day starts an empty form.
    date: String,
    /// Changing answers already saved.
    editing: bool,
    /// The count of sent commands when "Save check-in" was pressed.
    saved_at: Option<u64>,
    note: NoteForm,
}

#[derive(Default)]
struct WeeklyForm {
    form: WeeklyAnswers,
    /// The ISO week the form belongs to: a new week starts an empty form.
    week: String,
    editing: bool,
    saved_at: Option<u64>,
    note: NoteForm,
}

/// A later thought being written under answers both partners can see.
#[derive(Default)]
struct NoteForm {
    text: String,
    /// The count of sent commands when "Add note" was pressed: kept after it was processed, so
    /// a refusal can be said beside the box.
    sent_at: Option<u64>,
    /// The note was sent and not processed yet: its words are emptied once taken.
    sending: bool,
}

impl Page for CheckinState {
    fn show(&mut self, ui: &mut Ui, shared: &mut Shared, f: &Frame<'_>) {
        if let Some(kind) = shared.open_checkin.take() {
            self.kind = kind;
        }
        switch(ui, &mut self.kind);
        ui.add_space(8.0);
        match self.kind {
            Kind::Daily => daily(ui, self, f),
            Kind::Weekly => weekly(ui, self, f),
        }
    }

    fn claimed(&self) -> Vec<u64> {
        [
            self.daily.saved_at,
            self.weekly.saved_at,
            self.daily.note.sent_at,
            self.weekly.note.sent_at,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn switch(ui: &mut Ui, kind: &mut Kind) {
    ui.horizontal_wrapped(|ui| {
        for (k, word) in [(Kind::Daily, "Daily"), (Kind::Weekly, "Weekly")] {
            if choice(ui, *kind == k, word).accessible_name(word).clicked() {
                *kind = k;
            }
        }
    });
}

/// Who has answered a period, and whose answers can be shown.
struct Pair<'a, T> {
    mine: Option<&'a T>,
    theirs: Option<&'a T>,
    /// My answers are not shared yet.
    sealed: bool,
    /// The partner answered (a seal), whether or not their answers have reached this device.
    partner_answered: bool,
}

/// My answers and the partner's side of one day or week. Until both answered, the partner's
/// side says only whether they answered; the data holds nothing more.
fn pair_view<T>(
    ui: &mut Ui,
    f: &Frame<'_>,
    p: &Pair<'_, T>,
    when: &str,
    answers: fn(&mut Ui, &str, &T),
) {
    let partner = f.partner();
    let me = f.view.my_name.as_str();
    let mine = |ui: &mut Ui| {
        if let Some(m) = p.mine {
            card(ui, |ui| {
                answers(ui, me, m);
                if p.sealed {
                    ui.add_space(4.0);
                    ui.label(
                        RichText::new(format!(
                            "Sealed: {partner} sees them once they have answered too"
                        ))
                        .italics()
                        .weak(),
                    );
                }
            });
        }
    };
    let theirs = |ui: &mut Ui| match p.theirs {
        Some(t) => {
            card(ui, |ui| answers(ui, &partner, t));
        }
        None => {
            card(ui, |ui| {
                ui.label(RichText::new(partner.as_str()).strong());
                if p.partner_answered {
                    ui.label(format!("{partner} has answered"));
                    if !p.sealed {
                        ui.weak(
                            "Their answers appear here once their device has received yours \
                             (the next time your devices sync).",
                        );
                    }
                } else {
                    ui.label(format!("{partner} has not answered yet {when}"));
                }
            });
        }
    };
    if p.mine.is_none() {
        if p.theirs.is_some() {
            theirs(ui);
        }
        return;
    }
    // Side by side where there is room; one above the other in a phone-sized window.
    if ui.available_width() >= 480.0 {
        // Columns lay out justified; answers read better ragged, as everywhere else.
        let ragged = egui::Layout::top_down(egui::Align::Min);
        ui.columns(2, |cols| {
            cols[0].with_layout(ragged, mine);
            cols[1].with_layout(ragged, theirs);
        });
    } else {
        mine(ui);
        ui.add_space(6.0);
        theirs(ui);
    }
}

/// The notes added after both answers were shown, and (for the current day or week) a box to
/// add one: the answers themselves are final once both can see them.
fn later_notes(
    ui: &mut Ui,
    f: &Frame<'_>,
    period: &str,
    weekly: bool,
    form: Option<&mut NoteForm>,
) {
    for n in f.view.notes_for(period, weekly) {
        ui.add_space(4.0);
        card(ui, |ui| {
            ui.label(RichText::new(f.view.note_caption(n)).italics().weak());
            ui.label(n.text.as_str());
        });
    }
    let Some(form) = form else { return };
    if form.sending && form.sent_at.is_some_and(|n| f.snap.processed >= n) {
        form.sending = false;
        if f.refusal(form.sent_at).is_none() {
            form.text.clear();
        }
    }
    ui.add_space(6.0);
    ui.weak(format!(
        "You have both answered, so the answers stay as they were shown. A later thought is \
         added below them, and {} sees that it came afterwards.",
        f.partner()
    ));
    if form.sending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Adding your note…");
        });
        return;
    }
    text_field(
        ui,
        "A later thought",
        "Something you want to add, now that you have seen both",
        2,
        &mut form.text,
    );
    let ready = !form.text.trim().is_empty();
    if ui
        .add_enabled(ready, egui::Button::new("Add note"))
        .clicked()
    {
        f.handle.send(Command::AddCheckInNote {
            id: kintsugi_core::ItemId::random(),
            weekly,
            period: period.to_owned(),
            text: form.text.clone(),
        });
        form.sent_at = Some(f.handle.sent());
        form.sending = true;
    }
    f.show_refusal(ui, form.sent_at, "The note was not added");
}

fn date_key(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------------------------
// Daily

fn daily(ui: &mut Ui, state: &mut CheckinState, f: &Frame<'_>) {
    let st = &mut state.daily;
    let today = date_key(today_local());
    if st.date != today {
        *st = DailyForm {
            date: today.clone(),
            ..Default::default()
        };
    }
    let (mine, theirs) = f.view.daily_pair(&today);
    let partner = f.partner();
    let partner_answered = f.view.partner_answered(&today, false);

    ui.heading("Daily check-in");
    ui.weak(format!(
        "{} · under a minute. Your answers are sealed until {partner} has answered too; then \
         you both see both.",
        long_date(&today)
    ));
    ui.add_space(12.0);

    let saving = st.saved_at.is_some_and(|n| f.snap.processed < n);
    match mine {
        Some(m) if !st.editing => {
            let p = Pair {
                mine,
                theirs,
                sealed: m.sealed,
                partner_answered,
            };
            pair_view(ui, f, &p, "today", daily_answers);
            ui.add_space(6.0);
            if f.view.answers_final(&today, false) {
                later_notes(ui, f, &today, false, Some(&mut st.note));
            } else if ui.button("Change my answers").clicked() {
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
            if mine.is_none() && partner_answered {
                card(ui, |ui| {
                    ui.label(format!(
                        "{partner} has answered today. Their answers appear once you've \
                         answered too."
                    ));
                });
                ui.add_space(8.0);
            }
            daily_form(ui, st, f, &today);
        }
    }
    f.show_refusal(ui, st.saved_at, "Your check-in was not saved");

    daily_history(ui, state, f, &today);
}

fn daily_form(ui: &mut Ui, st: &mut DailyForm, f: &Frame<'_>, today: &str) {
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
            text_field(ui, title, hint, 2, text);
        }
        let complete = (1..=5).contains(&st.form.mood)
            && (1..=5).contains(&st.form.connection)
            && (1..=5).contains(&st.form.safety);
        if save_row(ui, complete, "Save check-in", &mut st.editing) {
            f.handle.send(Command::SaveDailyCheckIn {
                date: today.to_owned(),
                answers: st.form.clone(),
            });
            st.saved_at = Some(f.handle.sent());
        }
        if !complete {
            ui.weak("Choose a number on each of the three scales to save.");
        }
    });
}

/// Save (enabled once the form can be saved) and, while changing earlier answers, Cancel.
/// Returns whether Save was pressed; either button closes the editing.
fn save_row(ui: &mut Ui, enabled: bool, label: &str, editing: &mut bool) -> bool {
    let mut saved = false;
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(enabled, egui::Button::new(RichText::new(label).strong()))
            .clicked()
        {
            saved = true;
            *editing = false;
        }
        if *editing && ui.button("Cancel").clicked() {
            *editing = false;
        }
    });
    saved
}

fn text_field(ui: &mut Ui, title: &str, hint: &str, rows: usize, text: &mut String) {
    text_field_with(ui, title, hint, rows, text, |_| {});
}

/// A titled text box with something to look at (`aid`) between its title and the box.
fn text_field_with(
    ui: &mut Ui,
    title: &str,
    hint: &str,
    rows: usize,
    text: &mut String,
    aid: impl FnOnce(&mut Ui),
) {
    let l = ui.label(RichText::new(title).strong());
    aid(ui);
    ui.add(
        egui::TextEdit::multiline(text)
            .desired_rows(rows)
            .desired_width(f32::INFINITY)
            .hint_text(hint),
    )
    .labelled_by(l.id);
    ui.add_space(4.0);
}

fn daily_answers(ui: &mut Ui, name: &str, c: &DailyCheckIn) {
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
}

fn daily_history(ui: &mut Ui, st: &mut CheckinState, f: &Frame<'_>, today: &str) {
    let days = st.days.get(f, today.to_owned(), |v, today| {
        let me = v.me.as_ref();
        periods(
            v,
            today,
            v.daily_checkins.iter().map(|c| (c.date.as_str(), &c.by)),
            v.checkin_seals
                .iter()
                .filter(|s| !s.weekly && Some(&s.by) != me)
                .map(|s| s.period.as_str()),
        )
    });
    ui.add_space(20.0);
    ui.heading("Earlier days");
    if days.is_empty() {
        ui.weak("Past check-ins will appear here, newest first.");
    }
    for d in days.iter().take(st.day_pages.shown()) {
        let at = |i: Option<usize>| i.and_then(|i| f.view.daily_checkins.get(i));
        let (mine, theirs) = (at(d.mine), at(d.theirs));
        ui.add_space(10.0);
        ui.label(RichText::new(long_date(&d.key)).strong());
        let p = Pair {
            mine,
            theirs,
            sealed: mine.is_some_and(|m| m.sealed),
            partner_answered: d.partner_answered,
        };
        pair_view(ui, f, &p, "that day", daily_answers);
        later_notes(ui, f, &d.key, false, None);
    }
    ui.add_space(10.0);
    st.day_pages.more(ui, days.len(), "days");
}

// ---------------------------------------------------------------------------------------------
// Weekly

fn week_label(week: &str) -> String {
    match week_days(week) {
        Some((mon, sun)) => format!(
            "{} to {}",
            mon.format("%a %-d %b"),
            sun.format("%a %-d %b %Y")
        ),
        None => week.to_owned(),
    }
}

fn weekly(ui: &mut Ui, state: &mut CheckinState, f: &Frame<'_>) {
    let st = &mut state.weekly;
    let week = iso_week(today_local());
    if st.week != week {
        *st = WeeklyForm {
            week: week.clone(),
            ..Default::default()
        };
    }
    let (mine, theirs) = f.view.weekly_pair(&week);
    let partner = f.partner();
    let partner_answered = f.view.partner_answered(&week, true);

    ui.heading("Weekly check-in");
    ui.weak(format!(
        "This week, {}. A longer look back, answered apart. Your answers are sealed until \
         {partner} has answered too; then you see both side by side.",
        week_label(&week)
    ));
    ui.add_space(12.0);

    let saving = st.saved_at.is_some_and(|n| f.snap.processed < n);
    match mine {
        Some(m) if !st.editing => {
            let p = Pair {
                mine,
                theirs,
                sealed: m.sealed,
                partner_answered,
            };
            pair_view(ui, f, &p, "this week", weekly_answers);
            ui.add_space(6.0);
            if f.view.answers_final(&week, true) {
                later_notes(ui, f, &week, true, Some(&mut st.note));
            } else if ui.button("Change my weekly answers").clicked() {
                st.form = WeeklyAnswers {
                    how_it_went: m.how_it_went.clone(),
                    agreements: m.agreements.clone(),
                    commitments: m.commitments.clone(),
                    wins: m.wins.clone(),
                    for_therapy: m.for_therapy.clone(),
                };
                st.editing = true;
            }
            ui.add_space(16.0);
            ui.label(
                RichText::new("This week's commitment log")
                    .size(18.0)
                    .strong(),
            );
            commitment_log(ui, &mut state.week_log, f, &week);
        }
        _ if saving => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Saving your weekly check-in…");
            });
        }
        _ => {
            if mine.is_none() && partner_answered {
                card(ui, |ui| {
                    ui.label(format!(
                        "{partner} has answered this week. Their answers appear once you've \
                         answered too."
                    ));
                });
                ui.add_space(8.0);
            }
            weekly_form(ui, state, f, &week);
        }
    }
    f.show_refusal(
        ui,
        state.weekly.saved_at,
        "Your weekly check-in was not saved",
    );

    weekly_history(ui, state, f, &week);
}

fn weekly_form(ui: &mut Ui, state: &mut CheckinState, f: &Frame<'_>, week: &str) {
    let st = &mut state.weekly;
    let (log, moments) = (&mut state.week_log, &mut state.week_moments);
    card(ui, |ui| {
        text_field(
            ui,
            "How did the week go?",
            "The week as you lived it: what was good, what was hard",
            3,
            &mut st.form.how_it_went,
        );
        ui.add_space(6.0);
        text_field_with(
            ui,
            "Our agreement, reviewed",
            "What held, what was hard to keep, what may need a change",
            3,
            &mut st.form.agreements,
            |ui| agreement_status(ui, f),
        );
        ui.add_space(6.0);
        text_field_with(
            ui,
            "Commitments, reviewed",
            "Looking at the log: what went well, what got in the way",
            3,
            &mut st.form.commitments,
            |ui| {
                ui.weak("This week's commitment log:");
                commitment_log(ui, log, f, week);
            },
        );
        ui.add_space(6.0);
        text_field_with(
            ui,
            "Wins",
            "What you noticed and appreciated this week",
            3,
            &mut st.form.wins,
            |ui| week_moments(ui, moments, f, week),
        );
        ui.add_space(6.0);
        text_field(
            ui,
            "What to bring to therapy",
            "A topic, a question, something to understand better",
            2,
            &mut st.form.for_therapy,
        );
        ui.weak("This becomes a topic for your next therapy session once you have both answered.");
        ui.add_space(8.0);
        let a = &st.form;
        let any = [
            &a.how_it_went,
            &a.agreements,
            &a.commitments,
            &a.wins,
            &a.for_therapy,
        ]
        .iter()
        .any(|t| !t.trim().is_empty());
        if save_row(ui, any, "Save weekly check-in", &mut st.editing) {
            f.handle.send(Command::SaveWeeklyCheckIn {
                week: week.to_owned(),
                answers: st.form.clone(),
            });
            st.saved_at = Some(f.handle.sent());
        }
        if !any {
            ui.weak("Write at least one answer to save.");
        }
    });
}

/// Where the agreement stands, as a prompt for reviewing it.
fn agreement_status(ui: &mut Ui, f: &Frame<'_>) {
    let mut names: Vec<String> = f
        .view
        .affirmations
        .iter()
        .filter(|a| a.current)
        .map(|a| f.view.name_of(&a.by))
        .collect();
    names.sort();
    names.dedup();
    let affirmed = match names.as_slice() {
        [] => "Nobody has affirmed the current version yet.".to_owned(),
        [one] => format!("{one} affirmed the current version."),
        [a, b, ..] => format!("{a} and {b} affirmed the current version."),
    };
    let n = f.view.agreement.len();
    ui.weak(format!(
        "Our agreement has {n} section{}. {affirmed} Read it under Our agreement.",
        if n == 1 { "" } else { "s" }
    ));
}

/// Every commitment's log entries dated in `week`, oldest first: read-only, for review.
fn commitment_log(ui: &mut Ui, rows: &mut Derived<String, Vec<LogRow>>, f: &Frame<'_>, week: &str) {
    let rows = rows.get(f, week.to_owned(), |v, week| {
        let Some((mon, sun)) = week_days(week) else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        for (ci, c) in v.commitments.iter().enumerate() {
            for (li, l) in c.log.iter().enumerate() {
                if let Some(d) = parse_date(&l.date)
                    && (mon..=sun).contains(&d)
                {
                    rows.push(LogRow {
                        day: d,
                        commitment: ci,
                        log: li,
                    });
                }
            }
        }
        rows.sort_by(|a, b| {
            a.day.cmp(&b.day).then_with(|| {
                v.commitments[a.commitment]
                    .text
                    .cmp(&v.commitments[b.commitment].text)
            })
        });
        rows
    });
    if rows.is_empty() {
        ui.weak("Nothing was logged this week.");
        return;
    }
    for r in rows {
        let Some(c) = f.view.commitments.get(r.commitment) else {
            continue;
        };
        let Some(l) = c.log.get(r.log) else { continue };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(r.day.format("%a %-d %b").to_string()).strong());
            ui.label(format!(
                "{}: {} · {}",
                f.view.name_of(&c.by),
                first_line(&c.text, 60),
                l.status.label()
            ));
        });
        if !l.note.is_empty() {
            ui.indent(("log_note", &c.id, &l.date), |ui| {
                ui.weak(&l.note);
            });
        }
    }
}

/// The wins and moments of `week`, as a reminder while writing about them.
fn week_moments(ui: &mut Ui, lines: &mut Derived<String, Vec<String>>, f: &Frame<'_>, week: &str) {
    let lines = lines.get(f, week.to_owned(), |v, week| {
        let Some((mon, sun)) = week_days(week) else {
            return Vec::new();
        };
        v.moments()
            .into_iter()
            .filter(|m| {
                Local
                    .timestamp_millis_opt(m.at)
                    .single()
                    .is_some_and(|t| (mon..=sun).contains(&t.date_naive()))
            })
            .rev()
            .map(|m| {
                format!(
                    "{} · {}: {}",
                    m.kind.label(),
                    v.name_of(&m.by),
                    first_line(&m.text, 70)
                )
            })
            .collect()
    });
    if lines.is_empty() {
        return;
    }
    ui.weak("Noted this week:");
    for line in lines {
        ui.weak(line);
    }
}

fn weekly_answers(ui: &mut Ui, name: &str, c: &WeeklyCheckIn) {
    ui.label(RichText::new(name).strong());
    let mut any = false;
    for (title, text) in [
        ("How the week went", &c.how_it_went),
        ("Our agreement", &c.agreements),
        ("Commitments", &c.commitments),
        ("Wins", &c.wins),
        ("For therapy", &c.for_therapy),
    ] {
        if !text.is_empty() {
            any = true;
            ui.add_space(2.0);
            ui.label(RichText::new(title).weak());
            ui.label(text);
        }
    }
    if !any {
        ui.weak("(no answers)");
    }
}

fn weekly_history(ui: &mut Ui, st: &mut CheckinState, f: &Frame<'_>, this_week: &str) {
    let weeks = st.weeks.get(f, this_week.to_owned(), |v, this_week| {
        let me = v.me.as_ref();
        periods(
            v,
            this_week,
            v.weekly_checkins.iter().map(|c| (c.week.as_str(), &c.by)),
            v.checkin_seals
                .iter()
                .filter(|s| s.weekly && Some(&s.by) != me)
                .map(|s| s.period.as_str()),
        )
    });
    ui.add_space(20.0);
    ui.heading("Earlier weeks");
    if weeks.is_empty() {
        ui.weak("Past weekly check-ins will appear here, newest first.");
        return;
    }
    for w in weeks.iter().take(st.week_pages.shown()) {
        let at = |i: Option<usize>| i.and_then(|i| f.view.weekly_checkins.get(i));
        let (mine, theirs) = (at(w.mine), at(w.theirs));
        ui.add_space(10.0);
        ui.label(RichText::new(format!("Week of {}", week_label(&w.key))).strong());
        let p = Pair {
            mine,
            theirs,
            sealed: mine.is_some_and(|m| m.sealed),
            partner_answered: w.partner_answered,
        };
        pair_view(ui, f, &p, "that week", weekly_answers);
        later_notes(ui, f, &w.key, true, None);
    }
    ui.add_space(10.0);
    st.week_pages.more(ui, weeks.len(), "weeks");
}
