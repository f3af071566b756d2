//! The desktop window: egui screens drawn from the service's snapshots; the only crate that knows egui.
//!
//! The UI never touches the documents. Each frame it reads the newest [`Snapshot`] and turns what
//! the person does into [`kintsugi_core::Command`]s sent to the worker. Text boxes keep their own
//! buffers (view state) and send only the splice that changed them.

mod agreement;
mod checkin;
mod devices;
mod journal;
mod settings;
mod setup;
mod status;
mod widgets;

use std::sync::Arc;

use egui::{RichText, Ui};
use kintsugi_core::View;
use kintsugi_service::{Handle, SaveState, Snapshot};

/// One of the main screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Journal,
    Agreement,
    CheckIn,
    Devices,
    Settings,
}

impl Screen {
    const ALL: [Screen; 5] = [
        Screen::Journal,
        Screen::Agreement,
        Screen::CheckIn,
        Screen::Devices,
        Screen::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Screen::Journal => "Journal",
            Screen::Agreement => "Our agreement",
            Screen::CheckIn => "Check-in",
            Screen::Devices => "Partner & devices",
            Screen::Settings => "Settings",
        }
    }
}

/// What every screen reads in one frame: the worker handle and the snapshot being drawn.
pub(crate) struct Frame<'a> {
    pub handle: &'a Handle,
    pub snap: &'a Snapshot,
    pub view: &'a View,
    /// True when the worker has applied every command this window sent. Only then may a
    /// difference between a text buffer and the document be taken as someone else's edit.
    pub caught_up: bool,
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
}

/// The Kintsugi window (an [`eframe::App`]).
pub struct KintsugiApp {
    handle: Handle,
    screen: Screen,
    setup: setup::SetupState,
    journal: journal::JournalState,
    agreement: agreement::AgreementState,
    checkin: checkin::CheckinState,
    devices: devices::DevicesState,
    settings: settings::SettingsState,
    /// Where the data lives, shown in Settings for support.
    data_dir_label: String,
    /// Refused commands up to this count were dismissed by the person.
    dismissed_error: u64,
    dismissed_unreadable: bool,
    /// The sync warning the person has read (a newer one shows again).
    dismissed_warning: Option<String>,
    /// Whether the worker's update hook and the style were installed (first frame).
    started: bool,
}

impl KintsugiApp {
    pub fn new(handle: Handle) -> Self {
        KintsugiApp {
            handle,
            screen: Screen::Journal,
            setup: Default::default(),
            journal: Default::default(),
            agreement: Default::default(),
            checkin: Default::default(),
            devices: Default::default(),
            settings: Default::default(),
            data_dir_label: String::new(),
            dismissed_error: 0,
            dismissed_unreadable: false,
            dismissed_warning: None,
            started: false,
        }
    }

    /// Names the data directory in Settings (e.g. its path), for support.
    pub fn with_data_dir_label(mut self, label: impl Into<String>) -> Self {
        self.data_dir_label = label.into();
        self
    }

    /// The screen being shown.
    pub fn screen(&self) -> Screen {
        self.screen
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
        // A clone (a few Arcs) so the screens' state can be borrowed mutably beside it.
        let handle = self.handle.clone();
        let f = Frame {
            handle: &handle,
            snap: &snap,
            view: &snap.view,
            caught_up: snap.processed >= self.handle.sent(),
        };

        if !f.view.is_set_up() {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    widgets::readable_column(ui, |ui| {
                        setup::show(ui, &mut self.setup, &mut self.devices, &f)
                    });
                });
            });
            devices::unpair_dialog(ui.ctx(), &mut self.devices, &f);
            return;
        }

        let now = widgets::now_ms();
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
                    // No app title here: on a phone-width window the places must fit in little room.
                    ui.horizontal_wrapped(|ui| {
                        go_to = nav_buttons(ui, self.screen);
                    });
                    ui.horizontal_wrapped(|ui| {
                        save_status(ui, &f.snap.save);
                        ui.weak("·");
                        ui.weak("Private journal stays on this device");
                    });
                    status::compact(ui, &f, now);
                });
        } else {
            egui::Panel::left("nav_side")
                .resizable(false)
                .exact_size(210.0)
                .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(16))
                .show(ui, |ui| {
                    ui.label(RichText::new("Kintsugi").size(22.0).strong());
                    ui.add_space(16.0);
                    ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                        go_to = nav_buttons(ui, self.screen);
                    });
                    ui.add_space(12.0);
                    ui.separator();
                    ui.add_space(4.0);
                    status::sidebar(ui, &f, now);
                    ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
                        ui.add_space(4.0);
                        ui.weak("Private journal stays\non this device");
                        save_status(ui, &f.snap.save);
                    });
                });
        }
        if let Some(screen) = go_to
            && screen != self.screen
        {
            // Whatever was being typed is saved now rather than after the typing pause.
            self.journal.leave(&f);
            self.settings.leave();
            self.handle.flush();
            self.screen = screen;
        }

        egui::CentralPanel::default().show(ui, |ui| {
            // One scroll position per screen: switching screens starts at the top of the new one.
            egui::ScrollArea::vertical()
                .id_salt(self.screen.label())
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    widgets::readable_column(ui, |ui| {
                        ui.add_space(8.0);
                        self.notices(ui, &f);
                        match self.screen {
                            Screen::Journal => journal::show(ui, &mut self.journal, &f),
                            Screen::Agreement => agreement::show(ui, &mut self.agreement, &f),
                            Screen::CheckIn => checkin::show(ui, &mut self.checkin, &f),
                            Screen::Devices => devices::show(ui, &mut self.devices, &f, now),
                            Screen::Settings => {
                                settings::show(ui, &mut self.settings, &f, &self.data_dir_label)
                            }
                        }
                        ui.add_space(24.0);
                    });
                });
        });
        if self.screen == Screen::Journal {
            journal::dialogs(ui.ctx(), &mut self.journal, &f);
        }
        devices::unpair_dialog(ui.ctx(), &mut self.devices, &f);
    }

    /// Notices above every screen: a refused change, unreadable items, a sync warning, and the
    /// result of a pairing (which must be seen wherever the person is when it arrives).
    fn notices(&mut self, ui: &mut Ui, f: &Frame<'_>) {
        // Refusals a screen shows next to its own controls are not repeated up here.
        let claimed: Vec<u64> = self
            .devices
            .claimed()
            .into_iter()
            .chain(self.settings.claimed())
            .flatten()
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
        // The devices screen shows the outcome in its own place.
        if f.snap.sync.outcome.is_some() && self.screen != Screen::Devices {
            devices::outcome_card(ui, &mut self.devices, f);
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
    if !f.view.errors.is_empty() && !*dismissed_unreadable {
        widgets::card(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "{} item(s) could not be read and are not shown. Nothing was changed.",
                    f.view.errors.len()
                ))
                .color(warn),
            );
            egui::CollapsingHeader::new("Details").show(ui, |ui| {
                for e in &f.view.errors {
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

fn nav_buttons(ui: &mut Ui, current: Screen) -> Option<Screen> {
    let mut go = None;
    for s in Screen::ALL {
        let r = ui.selectable_label(current == s, RichText::new(s.label()).size(16.0));
        if r.clicked() {
            go = Some(s);
        }
    }
    go
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
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self) {
        self.handle.flush();
        self.handle.shutdown();
    }
}

/// Opens the native window "Kintsugi" and runs it until closed; then saves and stops the worker.
/// `data_dir_label` is shown in the window title so two instances can be told apart.
pub fn run(handle: Handle, data_dir_label: &str) -> eframe::Result<()> {
    let title = if data_dir_label.is_empty() {
        "Kintsugi".to_owned()
    } else {
        format!("Kintsugi — {data_dir_label}")
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_app_id("kintsugi")
            .with_inner_size([1000.0, 720.0])
            .with_min_inner_size([360.0, 480.0]),
        ..Default::default()
    };
    let closing = handle.clone();
    let label = data_dir_label.to_owned();
    let result = eframe::run_native(
        "Kintsugi",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(
                KintsugiApp::new(handle).with_data_dir_label(label),
            ))
        }),
    );
    // on_exit already did this on a normal close; repeating it is harmless and covers the
    // paths where the window could not be created at all.
    closing.flush();
    closing.shutdown();
    result
}
