//! Settings: the two names, the app lock, how this device reaches the network (relay, port mapping), and facts for support.

use egui::{RichText, Ui};
use kintsugi_core::Command;
use kintsugi_service::{NetRequest, NetworkSettings};

use crate::screens::Page;
use crate::widgets::card;
use crate::{Frame, Shared, lock, reminders};

#[derive(Default)]
pub struct SettingsState {
    /// Buffers are filled from the documents when the screen opens, then belong to the person.
    loaded: bool,
    my_name: String,
    partner_name: String,
    names_sent: Option<u64>,
    use_relay: bool,
    relay_url: String,
    port_mapping: bool,
    net_sent: Option<u64>,
    /// Said instead of sending, e.g. a relay switched on with no address.
    net_problem: Option<String>,
    /// My own reminder times (private).
    reminders: reminders::ReminderForm,
    /// The passphrase and lock times.
    lock: lock::LockSettings,
}

impl Page for SettingsState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    /// It reloads from the documents next time.
    fn leave(&mut self, _f: &Frame<'_>) {
        *self = SettingsState::default();
    }

    fn claimed(&self) -> Vec<u64> {
        [self.names_sent, self.net_sent, self.reminders.sent]
            .into_iter()
            .flatten()
            .chain(self.lock.claimed())
            .collect()
    }
}

impl SettingsState {
    fn load(&mut self, f: &Frame<'_>) {
        let s = &f.snap.sync.settings;
        self.my_name = f.view.my_name.clone();
        self.partner_name = f.view.partner_name.clone();
        self.use_relay = s.relay_url.is_some();
        self.relay_url = s.relay_url.clone().unwrap_or_default();
        self.port_mapping = s.port_mapping;
        self.loaded = true;
    }

    fn typed_settings(&self) -> NetworkSettings {
        NetworkSettings {
            relay_url: self.use_relay.then(|| self.relay_url.trim().to_owned()),
            port_mapping: self.port_mapping,
        }
    }
}

/// `done` (e.g. "Applied") once the worker has taken a request without refusing it.
fn answer(ui: &mut Ui, f: &Frame<'_>, sent: Option<u64>, unchanged: bool, done: &str) {
    let Some(n) = sent else { return };
    if f.snap.processed < n {
        ui.spinner();
    } else if let Some(msg) = f.refusal(sent) {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("Not changed: {msg}.")).color(warn));
    } else if unchanged {
        ui.weak(done);
    }
}

fn show(ui: &mut Ui, st: &mut SettingsState, f: &Frame<'_>) {
    if !st.loaded {
        st.load(f);
    }
    ui.heading("Settings");
    ui.add_space(12.0);

    card(ui, |ui| {
        ui.label(RichText::new("Names").size(18.0).strong());
        let l = ui.label(RichText::new("Your name").strong());
        ui.add(egui::TextEdit::singleline(&mut st.my_name).desired_width(f32::INFINITY))
            .labelled_by(l.id);
        let l = ui.label(RichText::new("Your partner's name").strong());
        ui.add(egui::TextEdit::singleline(&mut st.partner_name).desired_width(f32::INFINITY))
            .labelled_by(l.id);
        let unchanged =
            st.my_name.trim() == f.view.my_name && st.partner_name.trim() == f.view.partner_name;
        let ready =
            !unchanged && !st.my_name.trim().is_empty() && !st.partner_name.trim().is_empty();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new("Save names"))
                .clicked()
            {
                f.handle.send(Command::SetNames {
                    my_name: st.my_name.trim().to_owned(),
                    partner_name: st.partner_name.trim().to_owned(),
                });
                st.names_sent = Some(f.handle.sent());
            }
            answer(ui, f, st.names_sent, unchanged, "Names saved");
        });
        ui.weak("Names are how this device speaks to you and about the two of you.");
    });
    ui.add_space(10.0);

    reminders::settings_card(ui, &mut st.reminders, f);
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("Network").size(18.0).strong());
        ui.label(
            "By default, paired devices sync directly when they are on the same network, \
             and nothing else is contacted.",
        );
        ui.add_space(4.0);
        if ui
            .checkbox(&mut st.use_relay, "Use a relay to sync across networks")
            .changed()
        {
            st.net_problem = None;
        }
        ui.indent("relay", |ui| {
            ui.weak(
                "A relay passes traffic between your devices when they cannot reach each other \
                 directly, for example one at home and one at work. It only ever sees encrypted \
                 traffic, never what you write. Use one you run yourself (iroh-relay) or a \
                 public one you trust.",
            );
            if st.use_relay {
                let l = ui.label(RichText::new("Relay address").strong());
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut st.relay_url)
                            .hint_text("https://relay.example.org")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id);
                if r.changed() {
                    st.net_problem = None;
                }
            }
        });
        ui.add_space(4.0);
        ui.checkbox(
            &mut st.port_mapping,
            "Ask the router to open a port (UPnP/NAT-PMP)",
        );
        ui.indent("port_mapping", |ui| {
            ui.weak(
                "Lets a device on another network reach this one directly. Your router is \
                 asked to forward one port to this device while Kintsugi runs.",
            );
        });
        ui.add_space(4.0);
        let typed = st.typed_settings();
        let unchanged = typed == f.snap.sync.settings;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!unchanged, egui::Button::new("Apply"))
                .clicked()
            {
                if st.use_relay && st.relay_url.trim().is_empty() {
                    st.net_problem =
                        Some("Enter the relay's address, or switch the relay off.".into());
                } else {
                    st.net_problem = None;
                    f.handle.net(NetRequest::SetSettings(typed.clone()));
                    st.net_sent = Some(f.handle.sent());
                }
            }
            answer(ui, f, st.net_sent, unchanged, "Applied");
        });
        if let Some(p) = &st.net_problem {
            let warn = ui.visuals().warn_fg_color;
            ui.label(RichText::new(p).color(warn));
        }
    });
    ui.add_space(10.0);

    lock::settings_card(ui, &mut st.lock, f);
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("This device").size(18.0).strong());
        let id = &f.snap.sync.device_id;
        if id.is_empty() {
            ui.label("Device id: shown once this device has been online (after pairing).");
        } else {
            ui.label(format!("Device id: {}", &id[..id.len().min(8)]));
        }
        if !f.data_dir_label.is_empty() {
            ui.label(format!("Data folder: {}", f.data_dir_label));
        }
        ui.weak("These help when asking for support. Neither reveals anything you wrote.");
    });
}
