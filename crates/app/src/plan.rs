//! "Our reassurance plan": one text both partners write, splice by splice, shown on the other's device the moment one says "I'm triggered"; and the moments so far, week by week.

use chrono::{Datelike, Local, NaiveDate, TimeZone};
use egui::{Id, RichText, Ui};
use kintsugi_core::{Command, TextTarget, Trigger, View};
use kintsugi_service::today_local;

use crate::history::HistoryPanel;
use crate::screens::Page;
use crate::text_buffer::SpliceBuffer;
use crate::widgets::{Derived, Pager, card, when};
use crate::{Frame, Shared};

/// The screen's label in the navigation.
pub const LABEL: &str = "Reassurance plan";
/// The visible title, and accessible name, of the plan's text box.
const PLAN_LABEL: &str = "Our plan";
/// How many weeks the overview counts back (this one included).
const WEEKS: i64 = 8;

#[derive(Default)]
pub struct PlanState {
    buf: Option<SpliceBuffer>,
    /// The plan's history, while open.
    history: Option<HistoryPanel>,
    /// Moments brought to therapy from the list below.
    therapy: crate::therapy::Bring,
    /// The weeks' counts, counted once per snapshot and day: every moment's local date is
    /// worked out for it, which years of moments make too slow for every frame.
    counts: Derived<NaiveDate, Counts>,
    /// Years of moments are listed a page at a time, newest first.
    pages: Pager,
}

/// The overview of the last [`WEEKS`] weeks.
#[derive(Default)]
struct Counts {
    weeks: Vec<(NaiveDate, usize)>,
    /// Moments in those weeks that the other answered in the app.
    answered: usize,
}

impl Page for PlanState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.history
            .as_ref()
            .and_then(HistoryPanel::claimed)
            .into_iter()
            .chain(self.therapy.claimed())
            .collect()
    }
}

fn push(f: &Frame<'_>, buf: &mut SpliceBuffer) {
    if let Some(s) = buf.take_splice() {
        f.handle.send(Command::SpliceReassurancePlan {
            pos: s.pos,
            delete: s.delete,
            insert: s.insert,
        });
    }
}

fn show(ui: &mut Ui, st: &mut PlanState, f: &Frame<'_>) {
    let doc = &f.view.reassurance_plan;
    let buf = st
        .buf
        .get_or_insert_with(|| SpliceBuffer::new(Id::unique("reassurance_plan"), doc));
    buf.follow(ui.ctx(), doc, f.caught_up);
    let partner = f.partner();

    ui.heading("Our reassurance plan");
    ui.label(format!(
        "What helps when one of you is triggered: what to say, what to do, what to leave for \
         later. {} and {partner} write it together; when you both write at once, both of your \
         words are kept. It shows on the other's screen the moment one of you says \
         \u{201c}I'm triggered\u{201d}.",
        f.view.my_name
    ));
    ui.add_space(10.0);

    let before: Vec<_> = f
        .view
        .reassurance_plans
        .iter()
        .filter(|p| !p.text.trim().is_empty())
        .collect();
    if buf.text().trim().is_empty() && !before.is_empty() {
        card(ui, |ui| {
            ui.label(RichText::new("What you each wrote before").strong());
            for p in &before {
                ui.add_space(4.0);
                ui.weak(f.view.name_of(&p.by));
                ui.label(p.text.trim());
            }
            ui.add_space(4.0);
            if ui.button("Start from what you wrote before").clicked() {
                let start = before
                    .iter()
                    .map(|p| format!("What helps {}:\n{}", f.view.name_of(&p.by), p.text.trim()))
                    .collect::<Vec<_>>()
                    .join("\n\n");
                buf.set_text(start);
                push(f, buf);
            }
        });
        ui.add_space(10.0);
    }

    card(ui, |ui| {
        let l = ui.label(RichText::new(PLAN_LABEL).size(18.0).strong());
        let r = buf.show(
            ui,
            l.id,
            8,
            "e.g. Tell me you're here and you're not going anywhere. Sit with me; don't \
             explain yet. Answer my questions honestly, even if you answered them before.",
        );
        if r.changed() {
            push(f, buf);
        }
        if r.lost_focus() {
            f.handle.flush();
        }
        let open = st.history.is_some();
        let words = if open { "Hide history" } else { "History" };
        if ui
            .add(egui::Button::new(words).selected(open))
            .accessible_name(format!("{words} of the reassurance plan"))
            .clicked()
        {
            st.history = if open {
                None
            } else {
                Some(HistoryPanel::new(TextTarget::Plan))
            };
        }
        if let Some(panel) = &mut st.history {
            ui.add_space(6.0);
            panel.show(ui, f, "the reassurance plan");
        }
    });

    ui.add_space(20.0);
    moments(ui, f, st);
}

/// The Monday of the week `d` falls in.
fn week_start(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn local_date(at: i64) -> Option<NaiveDate> {
    Local
        .timestamp_millis_opt(at)
        .single()
        .map(|t| t.date_naive())
}

/// How many moments fell in each of the last [`WEEKS`] weeks, oldest first.
fn per_week(triggers: &[Trigger], today: NaiveDate) -> Vec<(NaiveDate, usize)> {
    let this = week_start(today);
    let mut weeks: Vec<(NaiveDate, usize)> = (0..WEEKS)
        .rev()
        .map(|k| (this - chrono::Duration::weeks(k), 0))
        .collect();
    // One pass: each moment's local date is worked out once.
    for start in triggers
        .iter()
        .filter_map(|t| local_date(t.at))
        .map(week_start)
    {
        if let Some(w) = weeks.iter_mut().find(|(s, _)| *s == start) {
            w.1 += 1;
        }
    }
    weeks
}

fn moments_word(n: usize) -> String {
    match n {
        0 => "none".into(),
        1 => "1 moment".into(),
        n => format!("{n} moments"),
    }
}

/// How long an answer took, said plainly.
fn delay(ms: i64) -> String {
    let mins = ms / 60_000;
    match mins {
        i64::MIN..=0 => "within a minute".into(),
        1 => "a minute later".into(),
        2..=59 => format!("{mins} minutes later"),
        60..=119 => "an hour later".into(),
        120..=1439 => format!("{} hours later", mins / 60),
        _ => "a day or more later".into(),
    }
}

/// Who answers a moment: the other one of the two.
fn other_of(v: &View, t: &Trigger, partner: &str) -> String {
    if v.me.as_ref() == Some(&t.by) {
        partner.to_owned()
    } else {
        v.my_name.clone()
    }
}

/// The trigger log: how often, week by week, and each moment with whether it was answered.
fn moments(ui: &mut Ui, f: &Frame<'_>, st: &mut PlanState) {
    let v = f.view;
    let today = today_local();
    let counts = st.counts.get(f, today, |v, today| {
        let weeks = per_week(&v.triggers, *today);
        let since = week_start(*today) - chrono::Duration::weeks(WEEKS - 1);
        let answered = v
            .triggers
            .iter()
            .filter(|t| t.acknowledged_at.is_some())
            .filter(|t| local_date(t.at).is_some_and(|d| d >= since))
            .count();
        Counts { weeks, answered }
    });
    let partner = f.partner();
    card(ui, |ui| {
        ui.label(RichText::new("Hard moments over time").size(18.0).strong());
        if v.triggers.is_empty() {
            ui.weak(
                "None yet. When either of you says \u{201c}I'm triggered\u{201d}, it is kept \
                 here: when it was, and whether the other answered.",
            );
            return;
        }
        ui.weak(
            "Healing is not a straight line: a hard week says nothing about who you are. \
             Counting helps you both see the pattern over time.",
        );
        ui.add_space(6.0);
        let weeks = &counts.weeks;
        let max = weeks.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let this_week = week_start(today);
        let bar_room = (ui.available_width() - 230.0).max(40.0);
        let colour = ui.visuals().weak_text_color();
        for (start, n) in weeks {
            ui.horizontal(|ui| {
                let name = if *start == this_week {
                    "This week".to_owned()
                } else {
                    format!("Week of {}", start.format("%-d %b"))
                };
                ui.allocate_ui_with_layout(
                    egui::vec2(120.0, 20.0),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_min_width(120.0);
                        ui.label(name)
                    },
                );
                let w = bar_room * (*n as f32) / (max as f32);
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(w.max(2.0), 12.0), egui::Sense::hover());
                if *n > 0 {
                    ui.painter().rect_filled(rect, 3, colour);
                }
                ui.label(moments_word(*n));
            });
        }
        let total: usize = weeks.iter().map(|(_, n)| n).sum();
        let answered = counts.answered;
        ui.add_space(4.0);
        ui.label(format!(
            "{} in the last {WEEKS} weeks; {answered} answered in the app.",
            match total {
                1 => "1 moment".to_owned(),
                n => format!("{n} moments"),
            }
        ));
        ui.add_space(6.0);
        egui::CollapsingHeader::new("Each moment")
            .default_open(true)
            .show(ui, |ui| {
                for t in v.triggers.iter().take(st.pages.shown()) {
                    ui.add_space(4.0);
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(v.name_of(&t.by)).strong());
                        ui.label(when(t.at, f.now));
                    });
                    if !t.note.is_empty() {
                        ui.label(RichText::new(format!("\u{201c}{}\u{201d}", t.note)).italics());
                    }
                    let other = other_of(v, t, &partner);
                    match t.acknowledged_at {
                        Some(at) => ui.weak(format!("{other} answered {}", delay(at - t.at))),
                        None => ui.weak("Not answered in the app"),
                    };
                    let (text, from) = crate::therapy::from_trigger(v, t);
                    let what = format!("{}, {}", v.name_of(&t.by), when(t.at, f.now));
                    st.therapy.button(ui, f, text, from, &what);
                }
                ui.add_space(4.0);
                st.pages.more(ui, v.triggers.len(), "moments");
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_count_back_eight() {
        let wed = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            week_start(wed),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        let weeks = per_week(&[], wed);
        assert_eq!(weeks.len(), 8);
        assert_eq!(weeks[7].0, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(weeks[0].0, NaiveDate::from_ymd_opt(2026, 10, 12).unwrap());
    }

    #[test]
    fn delays_read_plainly() {
        assert_eq!(delay(20_000), "within a minute");
        assert_eq!(delay(3 * 60_000), "3 minutes later");
        assert_eq!(delay(3 * 3_600_000), "3 hours later");
    }
}
