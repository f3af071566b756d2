//! "Partner & devices": paired devices, pairing codes (text and QR), joining with a code, and the safety code to compare.

use egui::{Id, RichText, Ui};
use kintsugi_service::{InviteView, NetRequest, PairingOutcome, PeerView};

use crate::Frame;
use crate::widgets::{self, card, dialog_frame, when_and_ago};

/// The QR picture's side, quiet zone included.
const QR_SIDE: f32 = 200.0;

#[derive(Default)]
pub struct DevicesState {
    pub join: JoinState,
    /// The device whose "Unpair" confirmation is open.
    unpair: Option<Unpair>,
    /// Number of the last invite request, so its refusal is shown next to the buttons.
    invite_sent: Option<u64>,
    /// When "Copy code" was pressed (egui time), to say "Copied" for a moment.
    copied_at: Option<f64>,
    /// The pairing outcome was already scrolled into view once.
    outcome_shown: bool,
}

struct Unpair {
    id: String,
    name: String,
    own_device: bool,
}

/// The code box of "Join with a code" (also on the first-run screen, for a second own device).
#[derive(Default)]
pub struct JoinState {
    code: String,
    /// Number of the Join request, so its refusal is shown under the box.
    sent: Option<u64>,
}

impl DevicesState {
    /// Requests whose refusal this screen shows in place (so the general notice skips them).
    pub fn claimed(&self) -> [Option<u64>; 2] {
        [self.invite_sent, self.join.sent]
    }
}

/// The message of a refused request, if it is the one numbered `sent`.
pub fn refusal<'a>(f: &'a Frame<'_>, sent: Option<u64>) -> Option<&'a str> {
    match (&f.snap.last_error, sent) {
        (Some((n, msg)), Some(s)) if *n == s => Some(msg.as_str()),
        _ => None,
    }
}

/// A pairing error said plainly: what happened, and what to do next ("" when nothing helps).
/// The engine's messages name protocol details; those stay under "Details".
fn explain(msg: &str) -> (String, &'static str) {
    let m = msg.to_lowercase();
    let (what, next) = if m.contains("mistyped") {
        (
            "This code is mistyped.",
            "Check the code for a typing mistake, or copy and paste it whole.",
        )
    } else if m.contains("not a kintsugi pairing code") {
        (
            "This is not a Kintsugi pairing code.",
            "A pairing code starts with kintsugi1- and is shown under \"Partner & devices\" on \
             the other device.",
        )
    } else if m.contains("expired") {
        (
            "This code has expired.",
            "Codes are valid for 10 minutes. Make a new code on the other device and try again.",
        )
    } else if m.contains("no pairing invite") || m.contains("known protocol") {
        // The inviter stops accepting pairing once its code is used, cancelled or expired.
        (
            "The other device is no longer showing this code.",
            "It was used, cancelled or has expired. Make a new code there and try again.",
        )
    } else if m.contains("reach") || m.contains("did not answer") || m.contains("connection") {
        (
            "The other device could not be reached.",
            "Check that both devices are on the same network (Wi-Fi), and that the other device \
             still shows its code.",
        )
    } else if m.contains("newer version") || m.contains("incompatible") {
        (
            "The two devices run different versions of Kintsugi.",
            "Update Kintsugi on both devices, then try again.",
        )
    } else {
        let mut c = msg.chars();
        let first = c.next().map(|f| f.to_uppercase().collect::<String>());
        return (
            format!(
                "{}{}.",
                first.unwrap_or_default(),
                c.as_str().trim_end_matches('.')
            ),
            "",
        );
    };
    (what.to_owned(), next)
}

fn warn_text(ui: &mut Ui, text: String) {
    let warn = ui.visuals().warn_fg_color;
    ui.label(RichText::new(text).color(warn));
}

/// A pairing error, what to do about it, and the engine's own words folded away.
fn pairing_error(ui: &mut Ui, msg: &str) {
    let (what, next) = explain(msg);
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

pub fn show(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>, now: i64) {
    if f.snap.sync.invite.is_some() {
        // The code's countdown should not go stale on screen (status changes wake the window
        // by themselves).
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
    let partner = f.partner();

    ui.heading("Partner & devices");
    ui.label(format!(
        "Pair this device with {partner}'s so the agreement, check-ins and what you choose to \
         share stay the same on both. Your private journal only ever goes to devices of your own."
    ));
    ui.add_space(12.0);

    if f.snap.sync.outcome.is_some() {
        let r = outcome_card(ui, st, f);
        // The result of a pairing just made may appear above where the person is looking.
        if !st.outcome_shown {
            r.scroll_to_me(None);
            st.outcome_shown = true;
        }
        ui.add_space(10.0);
    } else {
        st.outcome_shown = false;
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
            peer_row(ui, st, f, peer, now);
        }
        if let Some(e) = &f.snap.sync.error {
            warn_text(ui, format!("Syncing is off: {e}"));
        }
    });
    ui.add_space(10.0);

    card(ui, |ui| match &f.snap.sync.invite {
        Some(inv) => invite(ui, st, f, inv, now),
        None => make_invite(ui, st, f),
    });
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("Join with a code").size(18.0).strong());
        ui.label(format!(
            "If {partner}'s device shows a pairing code, enter it here."
        ));
        join_box(ui, &mut st.join, f);
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
    });
}

fn peer_row(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>, peer: &PeerView, now: i64) {
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
    ui.weak(if own {
        "Your own device: it also receives your private journal.".to_owned()
    } else {
        format!(
            "{}'s device: it receives only what the two of you share.",
            f.partner()
        )
    });
    ui.label(match peer.last_synced {
        Some(at) => format!("Last synced {}", when_and_ago(at, now)),
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
            st.unpair = Some(Unpair {
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
                f.handle.net(NetRequest::Invite { own_device });
                st.invite_sent = Some(f.handle.sent());
            }
        }
        if waiting {
            ui.spinner();
        }
    });
    if let Some(msg) = refusal(f, st.invite_sent) {
        pairing_error(ui, msg);
    }
}

fn invite(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>, inv: &InviteView, now: i64) {
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

    let wide = ui.available_width() >= 2.0 * QR_SIDE + 40.0;
    let text_part = |ui: &mut Ui, st: &mut DevicesState| {
        let l = ui.label(RichText::new("Pairing code").strong());
        // Read-only and selectable, in groups of five so it can be read out or typed by hand
        // without losing one's place (the other device ignores the spaces).
        let grouped_code = grouped(&inv.code);
        let mut shown = grouped_code.as_str();
        egui::Frame::new()
            .fill(ui.visuals().extreme_bg_color)
            .corner_radius(4)
            .inner_margin(8)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .font(egui::TextStyle::Monospace)
                        .frame(egui::Frame::NONE)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            });
        let t = ui.input(|i| i.time);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Copy code").clicked() {
                ui.ctx().copy_text(inv.code.clone());
                st.copied_at = Some(t);
            }
            if st.copied_at.is_some_and(|c| t - c < 3.0) {
                ui.weak("Copied");
            }
        });
        let left_ms = inv.expires_at - now;
        if left_ms <= 0 {
            warn_text(ui, "This code has expired.".into());
            if ui.button("Make a new code").clicked() {
                f.handle.net(NetRequest::Invite {
                    own_device: inv.own_device,
                });
                st.invite_sent = Some(f.handle.sent());
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
    };
    if wide {
        ui.horizontal_top(|ui| {
            let w = ui.available_width() - QR_SIDE - 16.0;
            ui.vertical(|ui| {
                ui.set_width(w);
                text_part(ui, st);
            });
            ui.add_space(8.0);
            qr(ui, &inv.code);
        });
    } else {
        text_part(ui, st);
        qr(ui, &inv.code);
    }
    ui.weak("The square holds the same code, for a device that can read it with a camera.");
}

/// "kintsugi1-abcdefghij…" as "kintsugi1- abcde fghij …".
fn grouped(code: &str) -> String {
    let (prefix, body) = match code.find('-') {
        Some(i) => code.split_at(i + 1),
        None => ("", code),
    };
    let groups: Vec<String> = body
        .chars()
        .collect::<Vec<_>>()
        .chunks(5)
        .map(|c| c.iter().collect())
        .collect();
    if prefix.is_empty() {
        groups.join(" ")
    } else {
        format!("{prefix} {}", groups.join(" "))
    }
}

/// Paints `text` as a QR code: black modules on white with a four-module quiet zone, pixel
/// aligned so scanners see crisp edges.
fn qr(ui: &mut Ui, text: &str) {
    // Upper case fits QR's alphanumeric mode (base32 is all letters and digits): a smaller,
    // easier to scan picture. The code is read case-insensitively.
    let data = text.to_ascii_uppercase();
    let code =
        match qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) {
            Ok(c) => c,
            Err(e) => {
                ui.weak(format!(
                    "No picture of this code ({e}); use the text instead."
                ));
                return;
            }
        };
    let width = code.width();
    let colors = code.to_colors();
    const QUIET: usize = 4;
    let modules = width + 2 * QUIET;
    let ppp = ui.ctx().pixels_per_point();
    let module_px = ((QR_SIDE * ppp) / modules as f32).floor().max(1.0);
    let m = module_px / ppp;
    let side = m * modules as f32;
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, "Pairing code as a QR code")
    });
    if !ui.is_rect_visible(rect) {
        return;
    }
    let origin = (rect.min.to_vec2() * ppp).round() / ppp;
    let at = |x: usize, y: usize| egui::pos2(origin.x + x as f32 * m, origin.y + y as f32 * m);
    // One mesh without anti-aliasing: neighbouring modules share exact edges, leaving no seams.
    let mut mesh = egui::Mesh::default();
    mesh.add_colored_rect(
        egui::Rect::from_min_max(at(0, 0), at(modules, modules)),
        egui::Color32::WHITE,
    );
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == qrcode::Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == qrcode::Color::Dark {
                    x += 1;
                }
                mesh.add_colored_rect(
                    egui::Rect::from_min_max(
                        at(start + QUIET, y + QUIET),
                        at(x + QUIET, y + QUIET + 1),
                    ),
                    egui::Color32::BLACK,
                );
            } else {
                x += 1;
            }
        }
    }
    ui.painter().add(egui::Shape::mesh(mesh));
}

/// The text box and button to join with a code from another device.
pub fn join_box(ui: &mut Ui, st: &mut JoinState, f: &Frame<'_>) {
    if matches!(f.snap.sync.outcome, Some(PairingOutcome::Paired { .. })) && st.sent.is_some() {
        // The code did its work; an old one is of no use in the box.
        st.code.clear();
        st.sent = None;
    }
    let l = ui.label(RichText::new("Pairing code from the other device").strong());
    let r = ui
        .add(
            egui::TextEdit::multiline(&mut st.code)
                .font(egui::TextStyle::Monospace)
                .hint_text("kintsugi1-…")
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    if r.changed() {
        // A new attempt: the last one's error no longer applies.
        st.sent = None;
    }
    let joining = f.snap.sync.joining;
    let waiting = st.sent.is_some_and(|n| f.snap.processed < n);
    ui.horizontal(|ui| {
        let ready = !st.code.trim().is_empty() && !joining && !waiting;
        if ui.add_enabled(ready, egui::Button::new("Join")).clicked() {
            f.handle.net(NetRequest::Join {
                code: st.code.trim().to_owned(),
            });
            st.sent = Some(f.handle.sent());
        }
        if joining || waiting {
            ui.spinner();
            ui.label("Connecting…");
        }
    });
    if let Some(msg) = refusal(f, st.sent) {
        pairing_error(ui, msg);
    }
}

/// The result of pairing: the safety code to compare, or why it did not work.
pub fn outcome_card(ui: &mut Ui, st: &mut DevicesState, f: &Frame<'_>) -> egui::Response {
    card(ui, |ui| match &f.snap.sync.outcome {
        Some(PairingOutcome::Paired {
            safety_code,
            peer,
            own_device,
        }) => {
            let name = if *own_device {
                "your other device".to_owned()
            } else {
                format!("{}'s device", f.partner())
            };
            ui.label(
                RichText::new(format!("Paired with {name}"))
                    .size(18.0)
                    .strong(),
            );
            ui.label("Safety code");
            ui.label(RichText::new(safety_code).size(40.0).monospace().strong());
            ui.label(
                "Compare this code with the one on the other device, aloud or side by side. \
                 If they differ, unpair at once.",
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button(RichText::new("They match").strong()).clicked() {
                    f.handle.net(NetRequest::DismissOutcome);
                }
                if ui.button("They differ — unpair…").clicked() {
                    st.unpair = Some(Unpair {
                        id: peer.clone(),
                        name,
                        own_device: *own_device,
                    });
                }
            });
        }
        Some(PairingOutcome::Failed(msg)) => {
            ui.label(RichText::new("Pairing did not work").size(18.0).strong());
            pairing_error(ui, msg);
            if ui.button("OK").clicked() {
                f.handle.net(NetRequest::DismissOutcome);
            }
        }
        None => {}
    })
    .response
}

/// The plain confirmation before unpairing, drawn above everything else.
pub fn unpair_dialog(ctx: &egui::Context, st: &mut DevicesState, f: &Frame<'_>) {
    let Some(u) = &st.unpair else { return };
    let mut close = false;
    let mut confirm = false;
    let modal = egui::Modal::new(Id::unique("unpair_dialog"))
        .frame(dialog_frame(ctx))
        .show(ctx, |ui| {
            let width = (ctx.content_rect().width() - 48.0).clamp(280.0, 480.0);
            ui.set_width(width);
            ui.heading(format!("Unpair {}?", u.name));
            ui.add_space(6.0);
            ui.label(format!(
                "This device stops syncing with {} at once.",
                u.name
            ));
            ui.label("Everything on this device stays here, including what came from it.");
            ui.label(if u.own_device {
                "What that device already received stays on it, including your private \
                 journal up to now."
                    .to_owned()
            } else {
                format!("What {} already received stays there.", u.name)
            });
            ui.label("You can pair again later with a new code.");
            ui.add_space(10.0);
            ui.horizontal_wrapped(|ui| {
                if ui.button("Unpair").clicked() {
                    confirm = true;
                }
                if ui.button("Keep paired").clicked() {
                    close = true;
                }
            });
        });
    if confirm {
        f.handle.net(NetRequest::Unpair { id: u.id.clone() });
        // The safety-code card was about this device: it has been dealt with.
        if let Some(PairingOutcome::Paired { peer, .. }) = &f.snap.sync.outcome
            && *peer == u.id
        {
            f.handle.net(NetRequest::DismissOutcome);
        }
        close = true;
    }
    if close || modal.should_close() {
        st.unpair = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_in_fives_after_the_prefix() {
        assert_eq!(
            grouped("kintsugi1-abcdefghijkl"),
            "kintsugi1- abcde fghij kl"
        );
        assert_eq!(grouped("abcdef"), "abcde f");
    }

    #[test]
    fn errors_come_with_what_to_do() {
        let (what, next) = explain("this pairing code is mistyped");
        assert_eq!(what, "This code is mistyped.");
        assert!(next.contains("typing mistake"));
        assert!(
            explain("the pairing code has expired")
                .1
                .contains("new code")
        );
        assert_eq!(
            explain("could not reach the other device: aborted by peer: the cryptographic handshake failed: error 120: peer doesn't support any known protocol").0,
            "The other device is no longer showing this code."
        );
        assert!(
            explain("could not reach the other device: timeout")
                .1
                .contains("same network")
        );
        assert_eq!(
            explain("something else."),
            ("Something else.".to_owned(), "")
        );
    }
}
