//! Reminders while the window runs (also minimised): a calm banner that opens the right screen, a desktop notification once per reminder and period, and the settings card where each partner chooses their own times.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveTime, Weekday};
use egui::{RichText, Ui};
use kintsugi_core::{Command, Reminder, ReminderKind, ReminderSettings, due_reminders};
use kintsugi_service::Snapshot;

use crate::Frame;
use crate::checkin;
use crate::widgets::{card, choice};

/// How often due reminders are looked for when nothing else changes. Minutes are what matter.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Shows a desktop notification: (title, body). Replaceable so tests can record instead.
pub type Notify = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Where a reminder's button leads: a screen by its label, and for the check-in which one.
pub struct Target {
    pub screen: &'static str,
    pub checkin: Option<checkin::Kind>,
    /// The button's words (and accessible name).
    pub button: &'static str,
}

pub fn target(kind: ReminderKind) -> Target {
    match kind {
        ReminderKind::DailyCheckIn => Target {
            screen: "Check-in",
            checkin: Some(checkin::Kind::Daily),
            button: "Open the daily check-in",
        },
        ReminderKind::WeeklyCheckIn => Target {
            screen: "Check-in",
            checkin: Some(checkin::Kind::Weekly),
            button: "Open the weekly check-in",
        },
        ReminderKind::CommitmentLog => Target {
            screen: "Commitments",
            checkin: None,
            button: "Open commitments",
        },
    }
}

/// One reminder for one period (a date or an ISO week): what "once" and "dismissed" count.
fn key(r: &Reminder) -> (&'static str, String) {
    (r.kind.label(), r.period.clone())
}

/// What is due, what was dismissed and what was already notified, for as long as the window runs.
pub struct Reminders {
    /// When due reminders were last looked for, and the snapshot revision they were read from.
    checked: Option<(Instant, u64)>,
    due: Vec<Reminder>,
    dismissed: HashSet<(&'static str, String)>,
    notified: HashSet<(&'static str, String)>,
    notify: Notify,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            checked: None,
            due: Vec::new(),
            dismissed: HashSet::new(),
            notified: HashSet::new(),
            notify: Arc::new(desktop_notification),
        }
    }
}

impl Reminders {
    pub fn set_notify(&mut self, notify: Notify) {
        self.notify = notify;
    }

    /// Shows one desktop notification through the same notifier (e.g. a partner's trigger).
    pub fn notify(&self, title: &str, body: &str) {
        (self.notify)(title, body);
    }

    /// Looks for due reminders when the documents changed or [`CHECK_EVERY`] passed, notifies
    /// each new one once, and asks to run again in time (which eframe does while minimised).
    pub fn check(&mut self, ctx: &egui::Context, snap: &Snapshot) {
        ctx.request_repaint_after(CHECK_EVERY);
        if !snap.view.is_set_up() {
            return;
        }
        let fresh = self
            .checked
            .is_some_and(|(at, rev)| rev == snap.revision && at.elapsed() < CHECK_EVERY);
        if fresh {
            return;
        }
        self.checked = Some((Instant::now(), snap.revision));
        self.due = due_reminders(&snap.view, chrono::Local::now().naive_local());
        for r in &self.due {
            if self.notified.insert(key(r)) {
                (self.notify)(r.kind.label(), &r.text);
            }
        }
    }

    /// The due reminders not dismissed, as calm cards above the screen; the one whose button
    /// was pressed is returned. Reminders for the screen being shown are left out.
    pub fn banner(
        &mut self,
        ui: &mut Ui,
        current: &str,
        has_screen: impl Fn(&str) -> bool,
    ) -> Option<Target> {
        let mut go = None;
        let mut dismiss = None;
        for r in &self.due {
            let t = target(r.kind);
            if t.screen == current || self.dismissed.contains(&key(r)) {
                continue;
            }
            card(ui, |ui| {
                ui.label(RichText::new(r.kind.label()).strong());
                ui.label(&r.text);
                ui.horizontal_wrapped(|ui| {
                    if has_screen(t.screen) && ui.button(t.button).clicked() {
                        dismiss = Some(key(r));
                        go = Some(target(r.kind));
                    }
                    if ui
                        .button("Not now")
                        .accessible_name(format!("Not now: {}", r.kind.label()))
                        .clicked()
                    {
                        dismiss = Some(key(r));
                    }
                });
            });
            ui.add_space(8.0);
        }
        if let Some(k) = dismiss {
            self.dismissed.insert(k);
        }
        go
    }
}

/// Sends one desktop notification off the UI thread: a slow or absent D-Bus never costs a
/// frame. Without a notification service (CI, a bare X server) it is noted at debug level only;
/// the banner in the window says the same.
fn desktop_notification(title: &str, body: &str) {
    let (title, body) = (title.to_owned(), body.to_owned());
    let spawned = std::thread::Builder::new()
        .name("kintsugi-notify".into())
        .spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname("Kintsugi")
                .summary(&title)
                .body(&body)
                .show();
            if let Err(e) = shown {
                tracing::debug!("desktop notification not shown: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("desktop notification not shown: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The reminder fields of the Settings screen: view state, filled from the private document.
#[derive(Default)]
pub struct ReminderForm {
    loaded: bool,
    daily_on: bool,
    daily_time: String,
    weekly_on: bool,
    weekly_day: Option<Weekday>,
    weekly_time: String,
    evening_on: bool,
    evening_time: String,
    pub sent: Option<u64>,
}

fn time_text(t: Option<NaiveTime>, default: &str) -> String {
    t.map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| default.to_owned())
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl ReminderForm {
    fn load(&mut self, s: &ReminderSettings) {
        self.daily_on = s.daily.is_some();
        self.daily_time = time_text(s.daily, "20:00");
        self.weekly_on = s.weekly.is_some();
        self.weekly_day = Some(s.weekly.map(|(d, _)| d).unwrap_or(Weekday::Sun));
        self.weekly_time = time_text(s.weekly.map(|(_, t)| t), "18:00");
        self.evening_on = s.evening_log.is_some();
        self.evening_time = time_text(s.evening_log, "21:00");
        self.loaded = true;
    }

    /// The settings as typed, or the first time that is not a time.
    fn typed(&self) -> Result<ReminderSettings, &'static str> {
        let time = |on: bool, text: &str, what: &'static str| {
            if !on {
                return Ok(None);
            }
            parse_time(text).map(Some).ok_or(what)
        };
        Ok(ReminderSettings {
            daily: time(self.daily_on, &self.daily_time, "the daily check-in")?,
            weekly: time(self.weekly_on, &self.weekly_time, "the weekly check-in")?
                .map(|t| (self.weekly_day.unwrap_or(Weekday::Sun), t)),
            evening_log: time(self.evening_on, &self.evening_time, "the commitment log")?,
        })
    }
}

/// One "time" box, labelled, usable only while its reminder is on.
fn time_box(ui: &mut Ui, on: bool, label: &str, text: &mut String) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add_enabled(
            on,
            egui::TextEdit::singleline(text)
                .hint_text("20:00")
                .desired_width(70.0),
        )
        .labelled_by(l.id);
    });
}

/// The "Reminders" card of Settings.
pub fn settings_card(ui: &mut Ui, st: &mut ReminderForm, f: &Frame<'_>) {
    if !st.loaded {
        st.load(&f.view.reminders);
    }
    let partner = f.partner();
    card(ui, |ui| {
        ui.label(RichText::new("Reminders").size(18.0).strong());
        ui.label(format!(
            "Your own reminders, at times you choose. They stay on your devices and never \
             reach {partner}. They show while Kintsugi is open, also when minimised: in the \
             window and as a desktop notification."
        ));
        ui.add_space(6.0);

        ui.checkbox(&mut st.daily_on, "Remind me of the daily check-in");
        ui.indent("daily_reminder", |ui| {
            time_box(
                ui,
                st.daily_on,
                "Daily check-in time (HH:MM)",
                &mut st.daily_time,
            );
        });
        ui.add_space(4.0);

        ui.checkbox(&mut st.weekly_on, "Remind me of the weekly check-in");
        ui.indent("weekly_reminder", |ui| {
            ui.add_enabled_ui(st.weekly_on, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Day");
                    for d in WEEKDAYS {
                        let name = kintsugi_core::weekday_name(d);
                        if choice(ui, st.weekly_day == Some(d), &name[..3])
                            .accessible_name(format!("Weekly check-in day: {name}"))
                            .clicked()
                        {
                            st.weekly_day = Some(d);
                        }
                    }
                });
            });
            time_box(
                ui,
                st.weekly_on,
                "Weekly check-in time (HH:MM)",
                &mut st.weekly_time,
            );
        });
        ui.add_space(4.0);

        ui.checkbox(
            &mut st.evening_on,
            "Remind me in the evening to log my commitments",
        );
        ui.indent("evening_reminder", |ui| {
            time_box(
                ui,
                st.evening_on,
                "Commitment log time (HH:MM)",
                &mut st.evening_time,
            );
            ui.weak("Only on days when one of your commitments is due and not yet logged.");
        });
        ui.add_space(6.0);

        let typed = st.typed();
        let unchanged = typed.as_ref().is_ok_and(|t| *t == f.view.reminders);
        ui.horizontal(|ui| {
            let ready = typed.is_ok() && !unchanged;
            if ui
                .add_enabled(ready, egui::Button::new("Save reminders"))
                .clicked()
                && let Ok(settings) = &typed
            {
                f.handle.send(Command::SetReminders {
                    settings: settings.clone(),
                });
                st.sent = Some(f.handle.sent());
            }
            if let Some(n) = st.sent {
                if f.snap.processed < n {
                    ui.spinner();
                } else if let Some(msg) = f.refusal(st.sent) {
                    let warn = ui.visuals().warn_fg_color;
                    ui.label(RichText::new(format!("Not changed: {msg}.")).color(warn));
                } else if unchanged {
                    ui.weak("Reminders saved");
                }
            }
        });
        if let Err(what) = typed {
            let warn = ui.visuals().warn_fg_color;
            ui.label(
                RichText::new(format!(
                    "Write the time for {what} like 20:30 (24-hour clock)."
                ))
                .color(warn),
            );
        }
    });
}
