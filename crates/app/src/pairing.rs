//! Pairing widgets used wherever pairing happens: a code shown as text and QR, the box to enter one, the safety code to compare, and the unpair confirmation.

use egui::{Id, RichText, Ui};
use kintsugi_service::{NetRequest, PairingOutcome, Refusal};

use crate::Frame;
use crate::devices::pairing_error;
use crate::widgets::{card, dialog_frame};

/// The QR picture's side, quiet zone included.
const QR_SIDE: f32 = 200.0;

/// Pairing state that outlives any one screen: a pairing's outcome, and the unpair it may lead
/// to, must be answerable wherever the person is when it arrives.
#[derive(Default)]
pub struct PairingState {
    pub join: JoinState,
    /// The device whose "Unpair" confirmation is open.
    pub unpair: Option<Unpair>,
    /// The pairing outcome was already scrolled into view once.
    pub outcome_shown: bool,
}

pub struct Unpair {
    pub id: String,
    pub name: String,
    pub own_device: bool,
}

/// The code box of "Join with a code" (also on the first-run screen, for a second own device).
#[derive(Default)]
pub struct JoinState {
    code: String,
    /// Number of the Join request, so its refusal is shown under the box.
    pub sent: Option<u64>,
}

/// A pairing code to read out or scan: grouped text, a copy button, `below` (e.g. how long it
/// stays valid) and the QR picture, beside the text when there is room.
pub fn code_display(
    ui: &mut Ui,
    code: &str,
    copied_at: &mut Option<f64>,
    below: impl FnOnce(&mut Ui),
) {
    let wide = ui.available_width() >= 2.0 * QR_SIDE + 40.0;
    let text_part = |ui: &mut Ui| {
        let l = ui.label(RichText::new("Pairing code").strong());
        // Read-only and selectable, in groups of five so it can be read out or typed by hand
        // without losing one's place (the other device ignores the spaces).
        let grouped_code = grouped(code);
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
                ui.ctx().copy_text(code.to_owned());
                *copied_at = Some(t);
            }
            if copied_at.is_some_and(|c| t - c < 3.0) {
                ui.weak("Copied");
            }
        });
        below(ui);
    };
    if wide {
        ui.horizontal_top(|ui| {
            let w = ui.available_width() - QR_SIDE - 16.0;
            ui.vertical(|ui| {
                ui.set_width(w);
                text_part(ui);
            });
            ui.add_space(8.0);
            qr(ui, code);
        });
    } else {
        text_part(ui);
        qr(ui, code);
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
    if let Some(err) = f.refusal(st.sent).and_then(Refusal::net) {
        pairing_error(ui, err);
    }
}

/// The result of pairing: the safety code to compare, or why it did not work.
pub fn outcome_card(ui: &mut Ui, st: &mut PairingState, f: &Frame<'_>) -> egui::Response {
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
pub fn unpair_dialog(ctx: &egui::Context, st: &mut PairingState, f: &Frame<'_>) {
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
}
