//! The desktop window: egui screens drawn from the service's snapshots; the only crate that knows egui.
//!
//! The UI never touches the documents. Each frame it reads the newest [`Snapshot`] and turns what
//! the person does into [`kintsugi_core::Command`]s sent to the worker. Text boxes keep their own
//! buffers (view state) and send only the splice that changed them ([`text_buffer`]).
//!
//! Screens are listed once, in [`screens::SCREENS`]; [`nav`] draws them grouped, as a sidebar
//! or, on a phone-sized window, behind one menu button.

mod agreement;
mod apology;
mod breaks;
mod checkin;
mod commitments;
mod devices;
mod disclosures;
mod export;
mod history;
mod icons;
mod journal;
mod lock;
mod nav;
mod pairing;
mod plan;
mod progress;
mod questions;
mod reminders;
mod safety;
mod screens;
mod session_lock;
mod settings;
mod setup;
mod status;
mod text_buffer;
mod therapy;
mod together;
mod triggers;
mod widgets;
mod window;
mod wins;

use std::sync::Arc;

use egui::{RichText, Ui};
use kintsugi_core::{Timestamp, View};
use kintsugi_service::{Handle, Refusal, SaveState, Snapshot};

use crate::screens::{Page, SCREENS};

pub use session_lock::watch as watch_session_lock;
pub use window::{WindowError, check_display, run};

/// What every screen reads in one frame: the worker handle and the snapshot being drawn.
pub(crate) struct Frame<'a> {
    pub handle: &'a Handle,
    pub snap: &'a Snapshot,
    pub view: &'a View,
    /// True when the worker has applied every command this window sent. Only then may a
    /// difference between a text buffer and the document be taken as someone else's edit.
    pub caught_up: bool,
    /// The time this frame is drawn at, for "5 minutes ago".
    pub now: Timestamp,
    /// Where the data lives, shown in Settings for support.
    pub data_dir_label: &'a str,
}

impl Frame<'_> {
    /// The partner's name as the local partner calls them.
    pub fn partner(&self) -> String {
        if self.view.partner_name.is_empty() {
            "your partner".to_owned()
        } else {
            self.view.partner_name.clone()
        }
    }

    /// Why the request numbered `sent` was refused, if it is the one the worker last refused.
    pub fn refusal(&self, sent: Option<u64>) -> Option<&Refusal> {
        match (&self.snap.last_error, sent) {
            (Some((n, refusal)), Some(s)) if *n == s => Some(refusal),
            _ => None,
        }
    }

    /// Says where the person typed that the request numbered `sent` was refused ("`failed`:
    /// why"), and that what they wrote is still there. Returns whether it was refused.
    pub fn show_refusal(&self, ui: &mut egui::Ui, sent: Option<u64>, failed: &str) -> bool {
        let Some(why) = self.refusal(sent) else {
            return false;
        };
        let warn = ui.visuals().warn_fg_color;
        ui.label(
            egui::RichText::new(format!("{failed}: {why}. Your words are still here.")).color(warn),
        );
        true
    }
}

/// View state that more than one screen (or the window around them) works on.
#[derive(Default)]
pub(crate) struct Shared {
    pub pairing: pairing::PairingState,
    /// The check-in (daily or weekly) a reminder asked the check-in screen to show.
    pub open_checkin: Option<checkin::Kind>,
    /// Where the safety page saves a copy of one's data (else the documents folder).
    pub export_dir: Option<std::path::PathBuf>,
}

/// The Kintsugi window (an [`eframe::App`]).
pub struct KintsugiApp {
    handle: Handle,
    /// Index into [`SCREENS`] of the screen shown.
    current: usize,
    /// Each screen's view state, in the order of [`SCREENS`].
    pages: Vec<Box<dyn Page>>,
    shared: Shared,
    setup: setup::SetupState,
    /// Where the data lives, shown in Settings for support.
    data_dir_label: String,
    /// Refused commands up to this count were dismissed by the person.
    dismissed_error: u64,
    dismissed_unreadable: bool,
    /// The sync warning the person has read (a newer one shows again).
    dismissed_warning: Option<String>,
    /// Whether the worker's update hook and the style were installed (first frame).
    started: bool,
    /// Due reminders: the banner above every screen and the desktop notifications.
    reminders: reminders::Reminders,
    /// The partner's triggers: the notice over every screen and one notification each.
    triggers: triggers::Watch,
    /// A running break's strip above every screen, then "Ready to come back?".
    breaks: breaks::Banner,
    /// The passphrase field and answer while the data is locked.
    lock_screen: lock::LockScreen,
    /// Locks after the idle time chosen in Settings.
    idle: lock::IdleLock,
    /// Whether the last frame drew the lock screen (view state is dropped on locking).
    was_locked: bool,
}

impl KintsugiApp {
    pub fn new(handle: Handle) -> Self {
        KintsugiApp {
            handle,
            current: screens::start_index(SCREENS),
            pages: SCREENS.iter().map(|s| (s.page)()).collect(),
            shared: Shared::default(),
            setup: Default::default(),
            data_dir_label: String::new(),
            dismissed_error: 0,
            dismissed_unreadable: false,
            dismissed_warning: None,
            started: false,
            reminders: Default::default(),
            triggers: Default::default(),
            breaks: Default::default(),
            lock_screen: Default::default(),
            idle: Default::default(),
            was_locked: false,
        }
    }

    /// Drops every copy of what was shown: the screens' buffers, dialogs and egui's widget
    /// memory (text undo histories). The snapshot itself is replaced by the worker's empty one.
    fn forget_view_state(&mut self, ctx: &egui::Context) {
        self.pages = SCREENS.iter().map(|s| (s.page)()).collect();
        self.current = screens::start_index(SCREENS);
        self.setup = Default::default();
        self.shared = Shared {
            export_dir: self.shared.export_dir.take(),
            ..Shared::default()
        };
        ctx.memory_mut(|m| m.data = Default::default());
    }

    /// Pretends nobody touched the window for `d` (tests of locking when idle).
    #[doc(hidden)]
    pub fn pretend_idle(&mut self, d: std::time::Duration) {
        self.idle.pretend_idle(d);
    }

    /// True while the lock screen is shown.
    pub fn is_locked(&self) -> bool {
        self.handle.snapshot().lock.locked
    }

    /// Replaces desktop notifications with `notify(title, body)`, e.g. to record them in tests.
    pub fn with_notifier(mut self, notify: impl Fn(&str, &str) + Send + Sync + 'static) -> Self {
        self.reminders.set_notify(Arc::new(notify));
        self
    }

    /// Names the data directory in Settings (e.g. its path), for support.
    pub fn with_data_dir_label(mut self, label: impl Into<String>) -> Self {
        self.data_dir_label = label.into();
        self
    }

    /// Saves "a copy of my data" (the safety page) in `dir` instead of the documents folder.
    pub fn with_export_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.shared.export_dir = Some(dir.into());
        self
    }

    /// The label of the screen being shown (as on its navigation button).
    pub fn screen(&self) -> &'static str {
        SCREENS[self.current].label
    }

    /// Every screen's label, in navigation order (the frame benchmark visits each one).
    #[doc(hidden)]
    pub fn screen_labels() -> impl Iterator<Item = &'static str> {
        SCREENS.iter().map(|s| s.label)
    }

    /// Shows the screen labelled `label` from the next frame on, as its navigation button
    /// would (the frame benchmark); false when no screen has that label.
    #[doc(hidden)]
    pub fn open_screen(&mut self, label: &str) -> bool {
        match SCREENS.iter().position(|s| s.label == label) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// The worker handle this window sends to.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Draws one frame into `ui` (the whole window). Tests call this directly.
    pub fn show(&mut self, ui: &mut Ui) {
        if !self.started {
            self.started = true;
            let ctx = ui.ctx().clone();
            // The worker calls this from its thread after each snapshot: wake the event loop.
            self.handle.on_update(move || ctx.request_repaint());
            apply_style(ui.ctx());
        }
        let snap: Arc<Snapshot> = self.handle.snapshot();
        self.reminders.check(ui.ctx(), &snap);
        self.triggers.check(&snap, &self.reminders);
        // A clone (a few Arcs) so the screens' state can be borrowed mutably beside it.
        let handle = self.handle.clone();
        let data_dir_label = self.data_dir_label.clone();
        let f = Frame {
            handle: &handle,
            snap: &snap,
            view: &snap.view,
            caught_up: snap.processed >= self.handle.sent(),
            now: widgets::now_ms(),
            data_dir_label: &data_dir_label,
        };

        if let Some(why) = &f.snap.open_error {
            egui::CentralPanel::default().show(ui, |ui| {
                widgets::readable_column(ui, |ui| {
                    ui.heading("Kintsugi could not open your data");
                    ui.label(why.as_str());
                    ui.label("Nothing was changed. Close the window and open Kintsugi again.");
                });
            });
            return;
        }
        if f.snap.lock.locked {
            if !self.was_locked {
                self.was_locked = true;
                self.forget_view_state(ui.ctx());
            }
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    widgets::readable_column(ui, |ui| {
                        lock::lock_screen(ui, &mut self.lock_screen, &f)
                    });
                });
            });
            return;
        }
        if self.was_locked {
            self.was_locked = false;
            self.lock_screen = Default::default();
            self.idle.reset();
        }
        self.idle.check(ui.ctx(), &snap, &self.handle);
        if f.snap.lock.has_passphrase
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::L))
        {
            self.pages[self.current].leave(&f);
            self.handle.flush();
            self.handle.lock_now();
        }

        if f.snap.loading && !f.view.is_set_up() {
            // No cached view to show yet: not the set-up screen, which would offer to start over.
            egui::CentralPanel::default().show(ui, |ui| {
                widgets::readable_column(ui, |ui| {
                    ui.add_space(40.0);
                    ui.horizontal(|ui| {
                        ui.add(egui::Spinner::new());
                        ui.heading("Opening your journal…");
                    });
                    ui.label("After years of entries this takes a few seconds.");
                });
            });
            return;
        }
        if !f.view.is_set_up() {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    widgets::readable_column(ui, |ui| {
                        setup::show(ui, &mut self.setup, &mut self.shared.pairing, &f)
                    });
                });
            });
            pairing::unpair_dialog(ui.ctx(), &mut self.shared.pairing, &f);
            return;
        }

        if !f.snap.sync.peers.is_empty() {
            // "synced 2 min ago" and reachability must not go stale while the window sits open.
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(15));
        }
        let narrow = ui.available_width() < widgets::NARROW_WIDTH;
        let mut go_to = None;
        if narrow {
            egui::Panel::top("nav_top")
                .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(10))
                .show(ui, |ui| {
                    // No app title here: on a phone-width window every line of height counts.
                    go_to = nav::compact(ui, SCREENS, self.current);
                    ui.horizontal_wrapped(|ui| {
                        if f.snap.lock.has_passphrase && ui.button(lock::LOCK_NOW).clicked() {
                            self.handle.flush();
                            self.handle.lock_now();
                        }
                        loading_status(ui, f.snap);
                        save_status(ui, &f.snap.save);
                        ui.weak("·");
                        ui.weak("Private journal stays on this device");
                    });
                    status::compact(ui, &f, f.now);
                });
        } else {
            egui::Panel::left("nav_side")
                .resizable(false)
                .exact_size(210.0)
                .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(16))
                .show(ui, |ui| {
                    ui.label(RichText::new("Kintsugi").size(22.0).strong());
                    ui.add_space(10.0);
                    // The partner's reachability and the save status, pinned at the bottom and
                    // as tall as they need (a waiting change or an error adds lines); the places
                    // above scroll in what is left, so the two never overlap.
                    egui::Panel::bottom("nav_side_status")
                        .resizable(false)
                        .frame(egui::Frame::NONE)
                        .show(ui, |ui| {
                            ui.separator();
                            status::sidebar(ui, &f, f.now);
                            ui.add_space(6.0);
                            loading_status(ui, f.snap);
                            save_status(ui, &f.snap.save);
                            ui.weak("Private journal stays\non this device");
                            if f.snap.lock.has_passphrase {
                                ui.add_space(4.0);
                                if ui.button(lock::LOCK_NOW).clicked() {
                                    self.handle.flush();
                                    self.handle.lock_now();
                                }
                            }
                            ui.add_space(4.0);
                        });
                    // A solid bar (not egui's faint floating one) says there is more below.
                    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
                    egui::ScrollArea::vertical()
                        .id_salt("nav_side_scroll")
                        .auto_shrink([false, false])
                        .show(ui, |ui| {
                            go_to = nav::sidebar(ui, SCREENS, self.current);
                        });
                });
        }
        if self.triggers.shortcut(ui.ctx(), &f) {
            go_to = SCREENS.iter().position(|s| s.label == triggers::LABEL);
        }
        if let Some(i) = go_to
            && i != self.current
        {
            // Whatever was being typed is saved now rather than after the typing pause.
            self.pages[self.current].leave(&f);
            self.handle.flush();
            self.current = i;
        }

        let mut reminder_go = None;
        egui::CentralPanel::default().show(ui, |ui| {
            // One scroll position per screen: switching screens starts at the top of the new one.
            egui::ScrollArea::vertical()
                .id_salt(SCREENS[self.current].label)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    widgets::readable_column(ui, |ui| {
                        ui.add_space(8.0);
                        self.notices(ui, &f);
                        self.triggers.banner(ui, &f);
                        let open_break = self.breaks.show(ui, &f, SCREENS[self.current].label);
                        reminder_go = self.reminder_banner(ui);
                        if open_break {
                            let i = SCREENS.iter().position(|s| s.label == breaks::LABEL);
                            reminder_go = i.map(|i| (i, None));
                        }
                        self.pages[self.current].show(ui, &mut self.shared, &f);
                        ui.add_space(24.0);
                    });
                });
        });
        if let Some((i, checkin)) = reminder_go {
            self.pages[self.current].leave(&f);
            self.handle.flush();
            self.current = i;
            self.shared.open_checkin = checkin;
            ui.ctx().request_repaint();
        }
        self.pages[self.current].dialogs(ui.ctx(), &f);
        self.triggers.overlay(ui.ctx(), &f);
        pairing::unpair_dialog(ui.ctx(), &mut self.shared.pairing, &f);
    }

    /// Due reminders as calm cards; the screen (and check-in) one of them asked to open.
    fn reminder_banner(&mut self, ui: &mut Ui) -> Option<(usize, Option<checkin::Kind>)> {
        let find = |label: &str| SCREENS.iter().position(|s| s.label == label);
        let t = self
            .reminders
            .banner(ui, SCREENS[self.current].label, |l| find(l).is_some())?;
        Some((find(t.screen)?, t.checkin))
    }

    /// Notices above every screen: a refused change, unreadable items, a sync warning, and the
    /// result of a pairing (which must be seen wherever the person is when it arrives).
    fn notices(&mut self, ui: &mut Ui, f: &Frame<'_>) {
        // Refusals a screen shows next to its own controls are not repeated up here.
        let claimed: Vec<u64> = self
            .pages
            .iter()
            .flat_map(|p| p.claimed())
            .chain(self.shared.pairing.join.sent)
            .collect();
        if let Some((n, _)) = &f.snap.last_error
            && claimed.contains(n)
        {
            self.dismissed_error = self.dismissed_error.max(*n);
        }
        notices(
            ui,
            &mut self.dismissed_error,
            &mut self.dismissed_unreadable,
            f,
        );
        if let Some(w) = &f.snap.sync.warning
            && self.dismissed_warning.as_ref() != Some(w)
        {
            // Plain text, not a warning colour: nothing was lost, and alarm would not help.
            widgets::card(ui, |ui| {
                ui.label(w.as_str());
                if ui.button("Dismiss").clicked() {
                    self.dismissed_warning = Some(w.clone());
                }
            });
            ui.add_space(8.0);
        }
        if f.snap.sync.outcome.is_some() && !self.pages[self.current].shows_pairing_outcome() {
            pairing::outcome_card(ui, &mut self.shared.pairing, f);
            ui.add_space(8.0);
        }
    }
}

/// A refused command or unreadable items, said plainly and dismissible.
fn notices(ui: &mut Ui, dismissed_error: &mut u64, dismissed_unreadable: &mut bool, f: &Frame<'_>) {
    let warn = ui.visuals().warn_fg_color;
    if let Some((n, msg)) = &f.snap.last_error
        && *n > *dismissed_error
    {
        widgets::card(ui, |ui| {
            ui.label(RichText::new(format!("That change was not made: {msg}")).color(warn));
            if ui.button("Dismiss").clicked() {
                *dismissed_error = *n;
            }
        });
        ui.add_space(8.0);
    }
    let (newer, damaged): (Vec<_>, Vec<_>) = f.view.errors.iter().partition(|e| e.newer);
    if !f.view.errors.is_empty() && !*dismissed_unreadable {
        widgets::card(ui, |ui| {
            // Written by a newer Kintsugi is not damage: it is kept and travels on untouched.
            if !newer.is_empty() {
                ui.label(format!(
                    "{} item(s) were updated on your partner's device or another of yours by a \
                     newer Kintsugi. Update Kintsugi to see this; until then they are kept as \
                     they are.",
                    newer.len()
                ));
            }
            if !damaged.is_empty() {
                ui.label(
                    RichText::new(format!(
                        "{} item(s) could not be read and are not shown. Nothing was changed.",
                        damaged.len()
                    ))
                    .color(warn),
                );
            }
            egui::CollapsingHeader::new("Details").show(ui, |ui| {
                for e in newer.iter().chain(&damaged) {
                    ui.weak(e.to_string());
                }
            });
            if ui.button("Dismiss").clicked() {
                *dismissed_unreadable = true;
            }
        });
        ui.add_space(8.0);
    }
}

/// While the documents load behind the cached view: what is shown is from the last time, and
/// what is written now is kept and saved once they are open.
fn loading_status(ui: &mut Ui, snap: &Snapshot) {
    if snap.loading {
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.weak("Loading history…");
        });
    }
}

fn save_status(ui: &mut Ui, save: &SaveState) {
    match save {
        SaveState::Saved { .. } => {
            ui.weak("Saved");
        }
        SaveState::Pending => {
            ui.weak("Saving…");
        }
        SaveState::Failed(msg) => {
            let warn = ui.visuals().warn_fg_color;
            ui.label(
                RichText::new(format!(
                    "Not saved yet: {msg}. Your writing is kept here and saving is retried."
                ))
                .color(warn),
            );
        }
    }
}

/// Calm and readable: a little larger text, generous spacing. Light or dark follows the system.
fn apply_style(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        use egui::{FontFamily, FontId, TextStyle};
        style
            .text_styles
            .insert(TextStyle::Body, FontId::new(15.0, FontFamily::Proportional));
        style.text_styles.insert(
            TextStyle::Button,
            FontId::new(15.0, FontFamily::Proportional),
        );
        style.text_styles.insert(
            TextStyle::Heading,
            FontId::new(24.0, FontFamily::Proportional),
        );
        style.text_styles.insert(
            TextStyle::Small,
            FontId::new(12.5, FontFamily::Proportional),
        );
        style.spacing.item_spacing = egui::vec2(10.0, 8.0);
        style.spacing.button_padding = egui::vec2(10.0, 5.0);
        style.spacing.interact_size.y = 26.0;
    });
}

impl eframe::App for KintsugiApp {
    /// Also runs while the window is minimised: reminders still come due then.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let snap = self.handle.snapshot();
        self.reminders.check(ctx, &snap);
        self.triggers.check(&snap, &self.reminders);
        // Minimised, the window draws nothing but the idle time still counts.
        self.idle.check(ctx, &snap, &self.handle);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self) {
        self.handle.flush();
        self.handle.shutdown();
    }
}
