//! "Partner & devices": paired devices, making a pairing code, joining with one, and what a pairing's outcome means.

use egui::{RichText, Ui};
use kintsugi_service::{
    ConnectionPath, InviteView, NetError, NetRequest, PairingFailure, PeerView, Refusal,
};

use crate::pairing::{self, Unpair};
use crate::screens::Page;
use crate::widgets::{self, card, when_and_ago};
use crate::{Frame, Shared};

#[derive(Default)]
pub struct DevicesState {
    /// Number of the last invite request, so its refusal is shown next to the buttons.
    invite_sent: Option<u64>,
    /// When "Copy code" was pressed (egui time), to say "Copied" for a moment.
    copied_at: Option<f64>,
    /// Adding a device of my own while a passphrase is set: it is asked for first.
    own_device_passphrase: Option<crate::lock::SecretText>,
}

/// The passphrase field asked for before a device of my own is added.
const OWN_DEVICE_PASSPHRASE: &str = "Your passphrase, to add a device of your own";

impl Page for DevicesState {
    fn show(&mut self, ui: &mut Ui, shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, shared, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.invite_sent.into_iter().collect()
    }

    fn shows_pairing_outcome(&self) -> bool {
        true
    }
}

/// A pairing error said plainly: what happened, and what to do next ("" when nothing helps).
/// The engine's messages name protocol details; those stay under "Details".
fn explain(err: &NetError) -> (String, &'static str) {
    let (what, next) = match err.failure {
        PairingFailure::MistypedCode => (
            "This code is mistyped.",
            "Check the code for a typing mistake, or copy and paste it whole.",
        ),
        PairingFailure::NotAPairingCode => (
            "This is not a Kintsugi pairing code.",
            "A pairing code starts with kintsugi1- and is shown under \"Partner & devices\" on \
             the other device.",
        ),
        PairingFailure::Expired => (
            "This code has expired.",
            "Codes are valid for 10 minutes. Make a new code on the other device and try again.",
        ),
        // The inviter stops accepting pairing once its code is used, cancelled or expired.
        PairingFailure::NoInviteOpen => (
            "The other device is no longer showing this code.",
            "It was used, cancelled or has expired. Make a new code there and try again.",
        ),
        PairingFailure::Unreachable => (
            "The other device could not be reached.",
            "Check that both devices are on the same network (Wi-Fi), or both use the same relay \
             (Settings), and that the other device still shows its code.",
        ),
        PairingFailure::IncompatibleVersion => (
            "The two devices run different versions of Kintsugi.",
            "Update Kintsugi on both devices, then try again.",
        ),
        PairingFailure::Other => {
            let mut c = err.message.chars();
            let first = c.next().map(|f| f.to_uppercase().collect::<String>());
            return (
                format!(
                    "{}{}.",
                    first.unwrap_or_default(),
                    c.as_str().trim_end_matches('.')
                ),
                "",
            );
        }
    };
    (what.to_owned(), next)
}

/// What going through a relay means for privacy, said wherever a relay is involved.
pub(crate) const RELAY_PRIVACY: &str = "A relay forwards your devices' traffic end-to-end \
     encrypted: it sees device ids and IP addresses, never what you write.";

fn warn_text(ui: &mut Ui, text: String) {
    let warn = ui.visuals().warn_fg_color;
    ui.label(RichText::new(text).color(warn));
}

/// A pairing error, what to do about it, and the engine's own words folded away.
pub(crate) fn pairing_error(ui: &mut Ui, err: &NetError) {
    let (what, next) = explain(err);
    let msg = err.message.as_str();
    warn_text(ui, what.clone());
    if !next.is_empty() {
        ui.label(next);
    }
    if !what.to_lowercase().contains(&msg.to_lowercase()) {
        egui::CollapsingHeader::new("Details")
            .id_salt(("pairing_error", msg))
            .show(ui, |ui| {
                ui.weak(msg);
            });
    }
}

fn show(ui: &mut Ui, st: &mut DevicesState, shared: &mut Shared, f: &Frame<'_>) {
    if f.snap.sync.invite.is_some() {
        // The code's countdown should not go stale on screen (status changes wake the window
        // by themselves).
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
    let partner = f.partner();
    let pairing = &mut shared.pairing;

    ui.heading("Partner & devices");
    ui.label(format!(
        "Pair this device with {partner}'s so the agreement, check-ins and what you choose to \
         share stay the same on both. Your private journal only ever goes to devices of your own."
    ));
    ui.add_space(12.0);
    devices_added(ui, &mut pairing.unpair, f);

    if f.snap.sync.outcome.is_some() {
        let r = pairing::outcome_card(ui, pairing, f);
        // The result of a pairing just made may appear above where the person is looking.
        if !pairing.outcome_shown {
            r.scroll_to_me(None);
            pairing.outcome_shown = true;
        }
        ui.add_space(10.0);
    } else {
        pairing.outcome_shown = false;
    }

    card(ui, |ui| {
        ui.label(RichText::new("Paired devices").size(18.0).strong());
        if f.snap.sync.peers.is_empty() {
            ui.label("Not paired — this device only. Everything you write stays here.");
        }
        let mut first = true;
        for peer in &f.snap.sync.peers {
            if !first {
                ui.separator();
            }
            first = false;
            peer_row(ui, &mut pairing.unpair, f, peer);
        }
        if let Some(e) = &f.snap.sync.error {
            warn_text(ui, format!("Syncing is off: {e}"));
        }
        if let Some(r) = f.snap.sync.relay.as_ref().filter(|r| !r.connected) {
            warn_text(
                ui,
                format!(
                    "Your relay ({}) cannot be reached right now. Everything you write is kept \
                     here and syncs when it is back; check the address in Settings \
                     (https:// or http://) and that the relay is running.",
                    r.url
                ),
            );
            if let Some(e) = &r.error {
                ui.collapsing("Details", |ui| ui.weak(e));
            }
        }
    });
    ui.add_space(10.0);

    card(ui, |ui| match &f.snap.sync.invite {
        Some(inv) => invite(ui, st, f, inv),
        None => make_invite(ui, st, f),
    });
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("Join with a code").size(18.0).strong());
        ui.label(format!(
            "If {partner}'s device shows a pairing code, enter it here."
        ));
        pairing::join_box(ui, &mut pairing.join, f);
    });
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("How syncing works").size(18.0).strong());
        ui.label(
            "Paired devices find each other on the same network, such as your home Wi-Fi, and \
             sync directly, encrypted. Nothing goes through a server. When both are reachable, \
             changes arrive within seconds; in between, each device keeps working on its own \
             and catches up later.",
        );
        ui.label("To sync while you are on different networks, switch on a relay in Settings.");
        ui.label(RELAY_PRIVACY);
    });
}

/// "A new device of Sam's was added …": every device added to either partner, as signed
/// into the couple document by the device that paired with it, with unpair at hand.
fn devices_added(ui: &mut Ui, unpair: &mut Option<Unpair>, f: &Frame<'_>) {
    let added: Vec<_> = f
        .view
        .authorship
        .enrolments
        .iter()
        .filter(|e| e.added)
        .collect();
    if added.is_empty() {
        return;
    }
    card(ui, |ui| {
        ui.label(RichText::new("Devices added").size(18.0).strong());
        for e in added.iter().rev() {
            let mine = f.view.me.as_ref() == Some(&e.member);
            let whose = if mine {
                "yours".to_owned()
            } else {
                format!("{}'s", f.view.name_of(&e.member))
            };
            ui.label(format!(
                "{} {}.",
                added_notice(&whose),
                when_and_ago(e.at, f.now)
            ));
            // The device itself if this one paired with it, else the paired device it came
            // through: unpairing that one cuts it off from this device.
            let peers = &f.snap.sync.peers;
            let through = peers
                .iter()
                .find(|p| p.id == e.device)
                .or_else(|| peers.iter().find(|p| p.id == e.by_device));
            match through {
                Some(peer) => {
                    let what = if peer.id == e.device {
                        "Not yours? Unpair it…".to_owned()
                    } else {
                        format!("Not expected? Unpair {}, which added it…", peer.label)
                    };
                    if ui
                        .button(what)
                        .on_hover_text("This device then stops syncing with it.")
                        .clicked()
                    {
                        *unpair = Some(Unpair {
                            id: peer.id.clone(),
                            name: peer.label.clone(),
                            own_device: peer.scope == "own_device",
                        });
                    }
                }
                None => {
                    ui.weak("It was added through a device this one is not paired with.");
                }
            }
        }
    });
    ui.add_space(10.0);
}

/// The first words of the notice of a device added to `whose` ("yours", "Sam's").
pub(crate) fn added_notice(whose: &str) -> String {
    format!("A new device of {whose} was added")
}

fn peer_row(ui: &mut Ui, unpair: &mut Option<Unpair>, f: &Frame<'_>, peer: &PeerView) {
    let own = peer.scope == "own_device";
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        widgets::status_dot(ui, peer.connected);
        ui.label(RichText::new(&peer.label).strong());
        ui.label(if peer.connected {
            "— reachable now"
        } else {
            "— not reachable right now"
        });
    });
    match (peer.connected, peer.path) {
        (true, Some(ConnectionPath::Direct)) => {
            ui.label("Connected directly, device to device.");
        }
        (true, Some(ConnectionPath::Relay)) => {
            ui.label("Connected through your relay.");
            ui.weak(RELAY_PRIVACY);
        }
        _ => {}
    }
    ui.weak(if own {
        "Your own device: it also receives your private journal.".to_owned()
    } else {
        format!(
            "{}'s device: it receives only what the two of you share.",
            f.partner()
        )
    });
    ui.label(match peer.last_synced {
        Some(at) => format!("Last synced {}", when_and_ago(at, f.now)),
        None => "Never synced yet".to_owned(),
    });
    if peer.pending {
        ui.label("Changes waiting to sync");
    } else if peer.last_synced.is_some() {
        ui.weak("Up to date");
    }
    ui.horizontal_wrapped(|ui| {
        ui.weak(format!("Device id {}", peer.short_id()));
        let r = ui
            .button("Unpair…")
            .accessible_name(format!("Unpair {}…", peer.label));
        if r.clicked() {
            *unpair = Some(Unpair {
                id: peer.id.clone(),
                name: peer.label.clone(),
                own_device: own,
            });
        }
    });
}

fn make_invite(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>) {
    let partner = f.partner();
    ui.label(RichText::new("Pair a device").size(18.0).strong());
    ui.label(format!(
        "Make a pairing code here, then enter it on the other device. {partner}'s device syncs \
         what the two of you share. A device of your own also receives your private journal."
    ));
    let waiting = st.invite_sent.is_some_and(|n| f.snap.processed < n);
    ui.horizontal_wrapped(|ui| {
        for (text, own_device) in [
            ("Invite my partner's device", false),
            ("Add another device of mine", true),
        ] {
            if ui.add_enabled(!waiting, egui::Button::new(text)).clicked() {
                if own_device && f.snap.lock.has_passphrase {
                    // A device of mine gets my private journal: not for whoever sits at an
                    // unlocked window.
                    st.own_device_passphrase = Some(Default::default());
                } else if own_device {
                    f.handle.invite_own_device(None);
                    st.invite_sent = Some(f.handle.sent());
                } else {
                    f.handle.net(NetRequest::Invite { own_device });
                    st.invite_sent = Some(f.handle.sent());
                }
            }
        }
        if waiting {
            ui.spinner();
        }
    });
    let mut close = false;
    if let Some(pass) = &mut st.own_device_passphrase {
        ui.label(
            "A device of your own also receives your private journal. Give your passphrase to \
             add one.",
        );
        let r = crate::lock::secret_field(ui, OWN_DEVICE_PASSPHRASE, pass, OWN_DEVICE_PASSPHRASE);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            if (ui
                .add_enabled(!pass.is_empty(), egui::Button::new("Make the code"))
                .clicked()
                || (enter && !pass.is_empty()))
                && !waiting
            {
                f.handle.invite_own_device(Some(pass.take_secret()));
                st.invite_sent = Some(f.handle.sent());
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    }
    if close {
        st.own_device_passphrase = None;
        crate::lock::forget_field(ui.ctx(), OWN_DEVICE_PASSPHRASE);
    }
    if let Some(err) = f.refusal(st.invite_sent).and_then(Refusal::net) {
        pairing_error(ui, err);
    }
}

fn invite(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>, inv: &InviteView) {
    let partner = f.partner();
    if inv.own_device {
        ui.label(
            RichText::new("Code for another device of yours")
                .size(18.0)
                .strong(),
        );
        ui.label(
            "Enter this code on the new device, on the first screen Kintsugi shows there \
             (\"This is another device of mine\"). That device will also receive your private \
             journal: add only a device that you alone use.",
        );
    } else {
        ui.label(
            RichText::new(format!("Code for {partner}'s device"))
                .size(18.0)
                .strong(),
        );
        ui.label(format!(
            "On {partner}'s device, open \"Partner & devices\" and enter this code under \
             \"Join with a code\"."
        ));
    }
    ui.add_space(4.0);

    let mut invite_sent = None;
    pairing::code_display(ui, &inv.code, &mut st.copied_at, |ui| {
        let left_ms = inv.expires_at - f.now;
        if left_ms <= 0 {
            warn_text(ui, "This code has expired.".into());
            if ui.button("Make a new code").clicked() {
                f.handle.net(NetRequest::Invite {
                    own_device: inv.own_device,
                });
                invite_sent = Some(f.handle.sent());
            }
        } else {
            let mins = (left_ms + 59_999) / 60_000;
            ui.label(if left_ms < 60_000 {
                "Valid for less than a minute more.".to_owned()
            } else if mins == 1 {
                "Valid for 1 more minute.".to_owned()
            } else {
                format!("Valid for {mins} more minutes.")
            });
        }
        if ui.button("Cancel").clicked() {
            f.handle.net(NetRequest::CancelInvite);
        }
    });
    if invite_sent.is_some() {
        st.invite_sent = invite_sent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_come_with_what_to_do() {
        let err = |failure, message: &str| NetError::new(failure, message);
        let (what, next) = explain(&err(
            PairingFailure::MistypedCode,
            "this pairing code is mistyped",
        ));
        assert_eq!(what, "This code is mistyped.");
        assert!(next.contains("typing mistake"));
        assert!(
            explain(&err(
                PairingFailure::Expired,
                "the pairing code has expired"
            ))
            .1
            .contains("new code")
        );
        assert_eq!(
            explain(&err(PairingFailure::NoInviteOpen, "could not reach the other device: aborted by peer: the cryptographic handshake failed: error 120: peer doesn't support any known protocol")).0,
            "The other device is no longer showing this code."
        );
        assert!(
            explain(&err(
                PairingFailure::Unreachable,
                "could not reach the other device: timeout"
            ))
            .1
            .contains("same network")
        );
        assert_eq!(
            explain(&err(PairingFailure::Other, "something else.")),
            ("Something else.".to_owned(), "")
        );
    }
}
