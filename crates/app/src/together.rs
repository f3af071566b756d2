//! Time together: rituals (morning coffee, a walk), date nights and joint projects, planned with dates, marked done by either partner; what is coming up and what was done this month.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use egui::{RichText, Ui};
use kintsugi_core::{Command, ItemId, Rhythm, Ritual, RitualKind, parse_date};
use kintsugi_service::today_local;

use crate::commitments::RhythmPicker;
use crate::screens::Page;
use crate::widgets::{Pager, card, choice, first_line, long_date, when};
use crate::{Frame, Shared};

/// The screen's label in the navigation.
pub const LABEL: &str = "Time together";
/// How far ahead "Upcoming" looks.
const UPCOMING_DAYS: u32 = 14;
const TITLE_LABEL: &str = "What you plan";

#[derive(Default)]
pub struct TogetherState {
    /// The "Plan something" form, while open.
    new: Option<NewPlan>,
    /// The last plan added, whose refusal this screen shows.
    added: Option<u64>,
    /// The last "Done" (or undo): request, plan and day.
    marked: Option<(u64, ItemId, String)>,
    /// Years of plans are listed a page at a time.
    plan_pages: Pager,
}

impl Page for TogetherState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.added
            .into_iter()
            .chain(self.marked.as_ref().map(|(n, _, _)| *n))
            .collect()
    }
}

struct NewPlan {
    kind: RitualKind,
    title: String,
    /// YYYY-MM-DD: the day of a date night or project, the first day of a ritual.
    date: String,
    rhythm: RhythmPicker,
}

impl NewPlan {
    fn new(today: NaiveDate) -> Self {
        NewPlan {
            kind: RitualKind::Ritual,
            title: String::new(),
            date: ymd(today),
            rhythm: RhythmPicker::default(),
        }
    }

    /// (date, rhythm) for the command, or why the form is not ready.
    fn when(&self) -> Result<(Option<String>, Option<Rhythm>), &'static str> {
        let date = self.date.trim();
        let parsed = parse_date(date);
        if !date.is_empty() && parsed.is_none() {
            return Err("Write the date like 2026-12-24.");
        }
        match self.kind {
            RitualKind::Ritual => match self.rhythm.rhythm()? {
                // "Once, on a date" is a one-off on its own day.
                Rhythm::Once(d) => Ok((Some(ymd(d)), None)),
                r => Ok((parsed.map(ymd), Some(r))),
            },
            RitualKind::DateNight => match parsed {
                Some(d) => Ok((Some(ymd(d)), None)),
                None => Err("Choose the evening."),
            },
            RitualKind::Project => Ok((parsed.map(ymd), None)),
        }
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn kind_words(k: RitualKind) -> &'static str {
    match k {
        RitualKind::Ritual => "Ritual",
        RitualKind::DateNight => "Date night",
        RitualKind::Project => "Project",
    }
}

/// "Today", "Tomorrow", or "Thu 3 Dec 2026".
fn day_name(date: &str, today: NaiveDate) -> String {
    match parse_date(date) {
        Some(d) if d == today => "Today".into(),
        Some(d) if today.succ_opt() == Some(d) => "Tomorrow".into(),
        _ => long_date(date),
    }
}

/// When a plan happens, in words: "every day, from Tue 1 Dec 2026", "on Fri 4 Dec 2026".
fn plan_when(r: &Ritual) -> String {
    match (&r.rhythm, &r.date) {
        (Some(rh), Some(d)) => format!("{}, from {}", rh.describe(), long_date(d)),
        (Some(rh), None) => rh.describe(),
        (None, Some(d)) => format!("on {}", long_date(d)),
        (None, None) => "no date yet".into(),
    }
}

fn show(ui: &mut Ui, st: &mut TogetherState, f: &Frame<'_>) {
    let today = today_local();
    let today_s = ymd(today);
    let partner = f.partner();
    ui.heading(LABEL);
    ui.label(format!(
        "Small rituals, date nights and things you make together. Plan them with dates; \
         either of you marks them done. What you did is kept here for you both, and {partner} \
         sees the same."
    ));
    ui.add_space(10.0);

    match &mut st.new {
        Some(form) => {
            if let Some(sent) = new_form(ui, form, f, today) {
                st.new = None;
                if sent.is_some() {
                    st.added = sent;
                }
            }
        }
        None => {
            if ui
                .button(RichText::new("Plan something together").strong())
                .clicked()
            {
                st.new = Some(NewPlan::new(today));
            }
        }
    }
    if let Some(n) = st.added {
        f.show_refusal(ui, Some(n), "That plan was not added");
    }

    ui.add_space(16.0);
    ui.heading("Upcoming");
    // Each plan once, on its next day: a daily ritual would otherwise fill the list.
    let mut seen = HashSet::new();
    let upcoming: Vec<(String, &Ritual)> = f
        .view
        .time_together_upcoming(&today_s, UPCOMING_DAYS)
        .into_iter()
        .filter(|(_, r)| seen.insert(r.id.clone()))
        .collect();
    let unmarked = unmarked(&f.view.rituals, today);
    if upcoming.is_empty() {
        ui.weak(format!(
            "Nothing planned in the next {UPCOMING_DAYS} days. A walk, a coffee, an evening \
             out: small and regular counts."
        ));
    } else {
        card(ui, |ui| {
            for (i, (day, r)) in upcoming.iter().enumerate() {
                if i > 0 {
                    ui.separator();
                }
                plan_row(ui, st, f, day, r, &day_name(day, today));
            }
        });
    }
    if !unmarked.is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new("Did these happen?").strong());
        card(ui, |ui| {
            for (i, r) in unmarked.iter().enumerate() {
                if i > 0 {
                    ui.separator();
                }
                let day = r.date.clone().unwrap_or_default();
                plan_row(ui, st, f, &day, r, &long_date(&day));
            }
        });
    }
    if let Some((n, _, _)) = &st.marked {
        f.show_refusal(ui, Some(*n), "That was not marked");
    }

    ui.add_space(16.0);
    let done = f.view.time_together_done_in_month(&today_s);
    ui.heading(format!("Done this month ({})", done.len()));
    if done.is_empty() {
        ui.weak(format!(
            "Nothing marked done in {} yet.",
            today.format("%B")
        ));
    }
    for (day, r, d) in done.iter().rev() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(long_date(day)).strong());
            ui.label(&r.title);
            ui.weak(format!(
                "marked done by {}, {}",
                f.view.name_of(&d.by),
                when(d.at, f.now)
            ));
            if ui
                .small_button("Undo")
                .accessible_name(format!(
                    "Undo done: {}, {}",
                    first_line(&r.title, 60),
                    long_date(day)
                ))
                .clicked()
            {
                f.handle.send(Command::MarkRitualDone {
                    id: r.id.clone(),
                    on: day.clone(),
                    done: false,
                });
                st.marked = Some((f.handle.sent(), r.id.clone(), day.clone()));
            }
        });
    }

    if !f.view.rituals.is_empty() {
        ui.add_space(16.0);
        ui.heading(format!("All plans ({})", f.view.rituals.len()));
        for r in f.view.rituals.iter().take(st.plan_pages.shown()) {
            ui.add_space(4.0);
            card(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&r.title).strong());
                    ui.weak(kind_words(r.kind));
                });
                ui.weak(format!(
                    "{} · planned by {}",
                    capitalised(&plan_when(r)),
                    f.view.name_of(&r.by)
                ));
                let times = r.done.len();
                let line = match (times, r.done.last()) {
                    (0, _) if r.done_at.is_some() => "Done.".to_owned(),
                    (0, _) => "Not done yet.".to_owned(),
                    (1, Some(d)) => format!(
                        "Done on {} (marked by {}).",
                        long_date(&d.on),
                        f.view.name_of(&d.by)
                    ),
                    (n, Some(d)) => format!(
                        "Done {n} times; last on {} (marked by {}).",
                        long_date(&d.on),
                        f.view.name_of(&d.by)
                    ),
                    (_, None) => String::new(),
                };
                ui.label(line);
                if this_month(r, today) > 0 && r.rhythm.is_some() {
                    ui.weak(format!("{} this month.", this_month(r, today)));
                }
            });
        }
        ui.add_space(4.0);
        let total = f.view.rituals.len();
        st.plan_pages.more(ui, total, "plans");
    }
}

/// One plan on one day: when, what, and "Done".
fn plan_row(
    ui: &mut Ui,
    st: &mut TogetherState,
    f: &Frame<'_>,
    day: &str,
    r: &Ritual,
    day_words: &str,
) {
    ui.horizontal_wrapped(|ui| {
        // A fixed, left-aligned column, so the titles line up.
        ui.allocate_ui_with_layout(
            egui::vec2(130.0, 20.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_width(130.0);
                ui.label(RichText::new(day_words).strong())
            },
        );
        ui.label(&r.title);
        let kind = match &r.rhythm {
            Some(rh) => format!("{}, {}", kind_words(r.kind), rh.describe()),
            None => kind_words(r.kind).to_owned(),
        };
        ui.weak(kind);
        let pending = st
            .marked
            .as_ref()
            .is_some_and(|(n, id, d)| id == &r.id && d == day && f.snap.processed < *n);
        if pending {
            ui.spinner();
        } else if ui
            .button("Done")
            .accessible_name(format!("Done: {}, {day_words}", first_line(&r.title, 60)))
            .clicked()
        {
            f.handle.send(Command::MarkRitualDone {
                id: r.id.clone(),
                on: day.to_owned(),
                done: true,
            });
            st.marked = Some((f.handle.sent(), r.id.clone(), day.to_owned()));
        }
    });
}

/// One-offs of the last [`UPCOMING_DAYS`] days nobody marked done yet, oldest first.
fn unmarked(rituals: &[Ritual], today: NaiveDate) -> Vec<&Ritual> {
    let from = today - chrono::Duration::days(i64::from(UPCOMING_DAYS));
    let mut out: Vec<&Ritual> = rituals
        .iter()
        .filter(|r| r.rhythm.is_none() && !r.is_finished())
        .filter(|r| {
            r.date
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| d >= from && d < today)
        })
        .collect();
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// How many days of this month a ritual was done.
fn this_month(r: &Ritual, today: NaiveDate) -> usize {
    r.done
        .iter()
        .filter_map(|d| parse_date(&d.on))
        .filter(|d| d.year() == today.year() && d.month() == today.month())
        .count()
}

/// The form; `Some` once it is done with: the request that added the plan, or none when
/// cancelled.
fn new_form(
    ui: &mut Ui,
    form: &mut NewPlan,
    f: &Frame<'_>,
    today: NaiveDate,
) -> Option<Option<u64>> {
    let mut done = None;
    card(ui, |ui| {
        ui.label(RichText::new("What kind").strong());
        ui.horizontal_wrapped(|ui| {
            for k in [
                RitualKind::Ritual,
                RitualKind::DateNight,
                RitualKind::Project,
            ] {
                let words = kind_words(k);
                if choice(ui, form.kind == k, words)
                    .accessible_name(format!("Kind: {words}"))
                    .clicked()
                {
                    form.kind = k;
                }
            }
        });
        ui.weak(match form.kind {
            RitualKind::Ritual => {
                "Something small you do again and again: coffee together, a walk."
            }
            RitualKind::DateNight => "An evening for the two of you.",
            RitualKind::Project => "Something you make or do together over time.",
        });
        ui.add_space(6.0);
        let l = ui.label(RichText::new(TITLE_LABEL).strong());
        ui.add(
            egui::TextEdit::singleline(&mut form.title)
                .hint_text(match form.kind {
                    RitualKind::Ritual => "e.g. Morning coffee on the balcony",
                    RitualKind::DateNight => "e.g. Dinner at the place by the river",
                    RitualKind::Project => "e.g. Repaint the kitchen",
                })
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        ui.add_space(6.0);
        if form.kind == RitualKind::Ritual {
            form.rhythm.show(ui, today);
        }
        let once = form.kind == RitualKind::Ritual && form.rhythm.is_once();
        if !once {
            let words = match form.kind {
                RitualKind::Ritual => "Starting on (YYYY-MM-DD)",
                RitualKind::DateNight => "On which evening (YYYY-MM-DD)",
                RitualKind::Project => "By when (YYYY-MM-DD, optional)",
            };
            let l = ui.label(words);
            ui.horizontal_wrapped(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.date)
                        .hint_text(ymd(today))
                        .desired_width(130.0),
                )
                .labelled_by(l.id);
                for (w, d) in [
                    ("Today", Some(today)),
                    ("Tomorrow", today.succ_opt()),
                    ("In a week", today.checked_add_days(chrono::Days::new(7))),
                ] {
                    if let Some(d) = d
                        && ui
                            .small_button(w)
                            .accessible_name(format!("Date: {}", w.to_lowercase()))
                            .clicked()
                    {
                        form.date = ymd(d);
                    }
                }
            });
        }
        let plan = form.when();
        if let Err(why) = &plan {
            ui.weak(*why);
        }
        ui.add_space(6.0);
        let title = form.title.trim();
        ui.horizontal_wrapped(|ui| {
            let ready = !title.is_empty() && plan.is_ok();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Add the plan").strong()),
                )
                .clicked()
                && let Ok((date, rhythm)) = plan
            {
                f.handle.send(Command::AddRitual {
                    id: ItemId::random(),
                    kind: form.kind,
                    title: title.to_owned(),
                    date,
                    rhythm,
                });
                done = Some(Some(f.handle.sent()));
            }
            if ui.button("Cancel").clicked() {
                done = Some(None);
            }
        });
        if title.is_empty() {
            ui.weak("Give it a name, to add it.");
        }
    });
    done
}
