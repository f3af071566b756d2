//! A break both devices count down: "pause for 20 minutes and come back". One absolute end time in the couple document; either partner may add time or end it early and both see who did; when it is over, a gentle "Ready to come back?" on both.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Local, TimeZone, Timelike};
use egui::{RichText, Ui};
use kintsugi_core::{Break, Command, ItemId, Timestamp, View};

use crate::screens::Page;
use crate::widgets::{card, when};
use crate::{Frame, Shared};

/// The screen's label in the navigation.
pub const LABEL: &str = "Take a break";
const NOTE_LABEL: &str = "A word with it (optional)";
const MINUTES_LABEL: &str = "Another length, in minutes";
/// The title of the card shown on both devices once a break is over.
pub const READY: &str = "Ready to come back?";
/// How long after a break "Ready to come back?" still shows.
const READY_WITHIN_MS: i64 = 30 * 60_000;
/// The longest break one can start here (core allows two days).
const MAX_MINUTES: u32 = 48 * 60;

#[derive(Default)]
pub struct BreakState {
    note: String,
    minutes: String,
    /// The last command sent from this screen, so its refusal is said here.
    sent: Option<u64>,
}

impl Page for BreakState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.sent.into_iter().collect()
    }
}

/// A time of day, with the day when it is not today: "14:35", "tomorrow 08:00".
pub fn clock(at: Timestamp, now: Timestamp) -> String {
    let Some(t) = Local.timestamp_millis_opt(at).single() else {
        return "an unknown time".into();
    };
    let days = Local
        .timestamp_millis_opt(now)
        .single()
        .map(|n| (t.date_naive() - n.date_naive()).num_days());
    match days {
        Some(0) => t.format("%H:%M").to_string(),
        Some(1) => t.format("tomorrow %H:%M").to_string(),
        Some(-1) => t.format("yesterday %H:%M").to_string(),
        _ => t.format("%a %-d %b %H:%M").to_string(),
    }
}

/// Time left as mm:ss, or h:mm:ss from an hour on.
pub fn countdown(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// The end of a break "until tomorrow": 08:00 local the next morning (after midnight but
/// before five, the morning of the same date: that is the "tomorrow" of someone still up).
fn tomorrow_morning(now: Timestamp) -> Timestamp {
    let Some(t) = Local.timestamp_millis_opt(now).single() else {
        return now + 12 * 3_600_000;
    };
    let mut day = t.date_naive();
    if t.hour() >= 5 {
        day += chrono::Duration::days(1);
    }
    day.and_hms_opt(8, 0, 0)
        .and_then(|d| Local.from_local_datetime(&d).earliest())
        .map_or(now + 12 * 3_600_000, |d| d.timestamp_millis())
}

fn until(b: &Break, now: Timestamp) -> String {
    format!("On a break until {}", clock(b.ends_at, now))
}

fn minutes(n: u32) -> String {
    if n == 1 {
        "1 minute".into()
    } else {
        format!("{n} minutes")
    }
}

/// Who started, added time and ended a break, one line each, oldest first.
fn history(v: &View, b: &Break, now: Timestamp) -> Vec<String> {
    let mut lines = vec![format!(
        "{} started it {}.",
        v.name_of(&b.started_by),
        when(b.started_at, now)
    )];
    for e in &b.extensions {
        lines.push(format!(
            "{} added {} ({}).",
            v.name_of(&e.by),
            minutes(e.minutes),
            when(e.at, now)
        ));
    }
    if let Some((by, at)) = &b.ended {
        lines.push(format!(
            "{} ended the break early ({}).",
            v.name_of(by),
            when(*at, now)
        ));
    }
    lines
}

fn start(f: &Frame<'_>, ends_at: Timestamp, note: &str) {
    f.handle.send(Command::StartBreak {
        id: ItemId::random(),
        ends_at,
        note: note.trim().to_owned(),
    });
}

fn show(ui: &mut Ui, st: &mut BreakState, f: &Frame<'_>) {
    let partner = f.partner();
    ui.heading(LABEL);
    match f.view.current_break(f.now) {
        Some(b) => {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
            running(ui, st, f, b);
        }
        None => {
            ui.label(format!(
                "When a talk gets too heated, either of you can pause it. Your devices count \
                 down to the same end time, on {partner}'s screen too; then you come back to \
                 it, gently."
            ));
            ui.add_space(10.0);
            start_form(ui, st, f);
        }
    }
    if let Some(msg) = f.refusal(st.sent) {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("That did not happen: {msg}.")).color(warn));
    }
    earlier(ui, f);
}

fn running(ui: &mut Ui, st: &mut BreakState, f: &Frame<'_>, b: &Break) {
    card(ui, |ui| {
        ui.label(RichText::new(until(b, f.now)).size(22.0).strong());
        ui.label(
            RichText::new(format!("{} left", countdown(b.ends_at - f.now)))
                .size(34.0)
                .monospace(),
        );
        if !b.note.is_empty() {
            ui.label(RichText::new(format!("\u{201c}{}\u{201d}", b.note)).italics());
        }
        ui.add_space(4.0);
        for line in history(f.view, b, f.now) {
            ui.weak(line);
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            for m in [10, 20] {
                if ui.button(format!("Add {m} minutes")).clicked() {
                    f.handle.send(Command::ExtendBreak {
                        id: b.id.clone(),
                        minutes: m,
                    });
                    st.sent = Some(f.handle.sent());
                }
            }
            if ui.button("End the break now").clicked() {
                f.handle.send(Command::EndBreak { id: b.id.clone() });
                st.sent = Some(f.handle.sent());
            }
        });
        ui.weak("Either of you can add time or end it early; you both see who did.");
    });
}

fn start_form(ui: &mut Ui, st: &mut BreakState, f: &Frame<'_>) {
    let now = f.now;
    card(ui, |ui| {
        let l = ui.label(RichText::new(NOTE_LABEL).strong());
        ui.add(
            egui::TextEdit::multiline(&mut st.note)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .hint_text("e.g. I want to talk about this. I need to calm down first."),
        )
        .labelled_by(l.id);
        ui.add_space(6.0);
        let mut ends_at = None;
        ui.horizontal_wrapped(|ui| {
            if ui.button("Break for 20 minutes").clicked() {
                ends_at = Some(now + 20 * 60_000);
            }
            if ui.button("Break for 1 hour").clicked() {
                ends_at = Some(now + 3_600_000);
            }
            if ui.button("Break until tomorrow, 08:00").clicked() {
                ends_at = Some(tomorrow_morning(now));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(MINUTES_LABEL);
            ui.add(
                egui::TextEdit::singleline(&mut st.minutes)
                    .hint_text("45")
                    .desired_width(60.0),
            )
            .labelled_by(l.id);
            let chosen = st
                .minutes
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|m| (1..=MAX_MINUTES).contains(m));
            if ui
                .add_enabled(chosen.is_some(), egui::Button::new("Break for this long"))
                .clicked()
                && let Some(m) = chosen
            {
                ends_at = Some(now + i64::from(m) * 60_000);
            }
        });
        if !st.minutes.trim().is_empty() && st.minutes.trim().parse::<u32>().is_err() {
            ui.weak("Write a number of minutes, like 45.");
        }
        if let Some(at) = ends_at {
            start(f, at, &st.note);
            st.sent = Some(f.handle.sent());
            st.note.clear();
            st.minutes.clear();
        }
    });
}

/// The breaks that are over, newest first, each in one line.
fn earlier(ui: &mut Ui, f: &Frame<'_>) {
    let v = f.view;
    let over: Vec<&Break> = v
        .breaks
        .iter()
        .filter(|b| !b.is_running(f.now))
        .take(10)
        .collect();
    if over.is_empty() {
        return;
    }
    ui.add_space(16.0);
    egui::CollapsingHeader::new("Earlier breaks").show(ui, |ui| {
        for b in over {
            let started = Local
                .timestamp_millis_opt(b.started_at)
                .single()
                .map(|t| t.format("%a %-d %b, %H:%M").to_string())
                .unwrap_or_default();
            let mut line = format!(
                "{}: {started} to {}",
                v.name_of(&b.started_by),
                clock(b.over_at(), b.started_at)
            );
            let added: u32 = b.extensions.iter().map(|e| e.minutes).sum();
            if added > 0 {
                line.push_str(&format!(", {} added", minutes(added)));
            }
            if let Some((by, _)) = &b.ended {
                line.push_str(&format!(", ended early by {}", v.name_of(by)));
            }
            ui.label(line);
        }
    });
}

/// Around every screen: a small calm strip while a break runs (so the partner sees it wherever
/// they are), then "Ready to come back?" until dismissed.
#[derive(Default)]
pub struct Banner {
    dismissed: HashSet<ItemId>,
}

impl Banner {
    /// Draws the strip or the card above the screen `current`; true when "Open" was pressed.
    pub fn show(&mut self, ui: &mut Ui, f: &Frame<'_>, current: &str) -> bool {
        let mut open = false;
        if let Some(b) = f.view.current_break(f.now) {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
            if current == LABEL {
                return false;
            }
            egui::Frame::new()
                .fill(ui.visuals().faint_bg_color)
                .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
                .corner_radius(6)
                .inner_margin(egui::Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(until(b, f.now)).strong());
                        ui.label(
                            RichText::new(format!("{} left", countdown(b.ends_at - f.now)))
                                .monospace(),
                        );
                        open = ui
                            .small_button("Open")
                            .accessible_name("Open the break")
                            .clicked();
                    });
                });
            ui.add_space(8.0);
        } else if let Some(b) = f.view.just_ended_break(f.now, READY_WITHIN_MS)
            && !self.dismissed.contains(&b.id)
        {
            // Gone by itself half an hour after the end.
            ui.ctx().request_repaint_after(Duration::from_secs(30));
            card(ui, |ui| {
                ui.label(RichText::new(READY).size(18.0).strong());
                if b.ended.is_none() {
                    ui.weak(format!("The break ended at {}.", clock(b.ends_at, f.now)));
                }
                for line in history(f.view, b, f.now) {
                    ui.weak(line);
                }
                ui.label(
                    "Come back to it when you both are: one thing at a time, gently. If it \
                     gets too much again, another break is fine.",
                );
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button("Dismiss")
                        .accessible_name("Dismiss: ready to come back")
                        .clicked()
                    {
                        self.dismissed.insert(b.id.clone());
                    }
                    if ui.button("Ten more minutes").clicked() {
                        start(f, f.now + 10 * 60_000, "");
                        self.dismissed.insert(b.id.clone());
                    }
                });
            });
            ui.add_space(8.0);
        }
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_is_mm_ss_then_h_mm_ss() {
        assert_eq!(countdown(20 * 60_000), "20:00");
        assert_eq!(countdown(61_500), "01:02");
        assert_eq!(countdown(3_600_000 + 5_000), "1:00:05");
        assert_eq!(countdown(-5), "00:00");
    }

    #[test]
    fn tomorrow_morning_is_eight_o_clock_local_within_two_days() {
        let now = chrono::Utc::now().timestamp_millis();
        let t = tomorrow_morning(now);
        let local = Local.timestamp_millis_opt(t).single().unwrap();
        assert_eq!((local.hour(), local.minute()), (8, 0));
        assert!(t > now && t - now <= 48 * 3_600_000);
    }
}
