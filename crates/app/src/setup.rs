//! First run: the two names and one calm sentence about where the writing lives, or joining as another device of someone who already uses Kintsugi.

use egui::{RichText, Ui};
use kintsugi_core::Command;

use crate::Frame;
use crate::pairing::{self, PairingState};
use crate::widgets::card;

#[derive(Default)]
pub struct SetupState {
    my_name: String,
    partner_name: String,
    /// Set once "Begin" was pressed, until the worker has answered (so it is not pressed twice).
    sent_at: Option<u64>,
    /// The optional passphrase, sent right after the names.
    passphrase: crate::lock::NewPassphrase,
}

pub fn show(ui: &mut Ui, st: &mut SetupState, pairing: &mut PairingState, f: &Frame<'_>) {
    ui.add_space(32.0);
    ui.heading(RichText::new("Welcome to Kintsugi").size(28.0));
    ui.add_space(8.0);
    ui.label(
        "A quiet place for the two of you: a private journal, the agreement you write together, \
         and short daily check-ins.",
    );
    ui.add_space(8.0);
    ui.label(
        "Everything you write stays on this device unless you choose to pair it with your \
         partner's device.",
    );
    ui.add_space(20.0);

    let l = ui.label(RichText::new("Your name").strong());
    ui.add(egui::TextEdit::singleline(&mut st.my_name).desired_width(f32::INFINITY))
        .labelled_by(l.id);
    ui.add_space(12.0);
    let l = ui.label(RichText::new("Your partner's name").strong());
    let r = ui
        .add(egui::TextEdit::singleline(&mut st.partner_name).desired_width(f32::INFINITY))
        .labelled_by(l.id);
    ui.add_space(12.0);
    egui::CollapsingHeader::new("Protect this device with a passphrase (optional)").show(
        ui,
        |ui| {
            ui.label(
                "Everything Kintsugi keeps here is then encrypted, and the window opens locked. \
             There is no way to recover a forgotten passphrase. You can also do this later in \
             Settings.",
            );
            st.passphrase.fields(ui);
        },
    );
    ui.add_space(20.0);

    // A refused command (e.g. a name that is too long) lets them try again.
    let waiting = st.sent_at.is_some_and(|sent| f.snap.processed < sent);
    let passphrase_ok = !st.passphrase.typed() || st.passphrase.agrees();
    let ready = !st.my_name.trim().is_empty()
        && !st.partner_name.trim().is_empty()
        && !waiting
        && passphrase_ok;
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let begin = ui.add_enabled(ready, egui::Button::new(RichText::new("Begin").size(17.0)));
    if ready && (begin.clicked() || enter) {
        f.handle.send(Command::SetUp {
            my_name: st.my_name.trim().to_owned(),
            partner_name: st.partner_name.trim().to_owned(),
        });
        if let Some(p) = st.passphrase.agreed() {
            f.handle.set_passphrase(p);
        }
        st.sent_at = Some(f.handle.sent());
    }
    if waiting {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Setting up…");
        });
    }

    ui.add_space(32.0);
    // A second device of the same person is not set up with names: it takes them, and the
    // private journal, from the device that invites it.
    card(ui, |ui| {
        ui.label(
            RichText::new("This is another device of mine")
                .size(18.0)
                .strong(),
        );
        ui.label(
            "If you already use Kintsugi on another device, add this one to it instead: there, \
             open \"Partner & devices\" and choose \"Add another device of mine\", then enter \
             the code here. Your names, your journal and everything shared come over from it.",
        );
        if f.snap.sync.outcome.is_some() {
            pairing::outcome_card(ui, pairing, f);
        }
        pairing::join_box(ui, &mut pairing.join, f);
        if matches!(
            f.snap.sync.outcome,
            Some(kintsugi_service::PairingOutcome::Paired { .. })
        ) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Receiving your names and journal from the other device…");
            });
        }
    });
}
