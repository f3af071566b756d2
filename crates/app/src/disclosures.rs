//! "I need to tell you something": a calm composer for disclosures, the list of what both have told, and the partner's thanks.

use std::collections::HashMap;

use egui::{RichText, Ui};
use kintsugi_core::{Command, Disclosure, ItemId};

use crate::screens::Page;
use crate::widgets::{Pager, card, when};
use crate::{Frame, Shared};

/// The accessible name (and visible title) of the composer's text area.
const TEXT_LABEL: &str = "What I want to tell you";
const BEFORE_ASKED: &str = "I'm telling this before being asked";
const NOTE_LABEL: &str = "A few words back (optional)";
const THANK_YOU: &str = "Thank you for telling me";

#[derive(Default)]
pub struct DisclosuresState {
    /// The words being written; kept until the worker has taken them.
    text: String,
    before_asked: bool,
    /// "Tell …" was pressed: the plain question before anything is sent.
    confirming: bool,
    /// The request that sent the disclosure, until it is answered.
    sending: Option<u64>,
    /// The last disclosure sent: its request number, so a refusal is said here.
    last_sent: Option<u64>,
    /// The last one was taken: a quiet note under the composer.
    told: bool,
    /// Per partner's disclosure: the note being written back.
    notes: HashMap<ItemId, String>,
    /// The last acknowledgement sent, and which disclosure it answered.
    ack_sent: Option<(u64, ItemId)>,
    /// Years of disclosures are drawn a page at a time, newest first.
    pages: Pager,
}

impl Page for DisclosuresState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent
            .into_iter()
            .chain(self.ack_sent.as_ref().map(|(n, _)| *n))
            .collect()
    }
}

fn show(ui: &mut Ui, st: &mut DisclosuresState, f: &Frame<'_>) {
    let partner = f.partner();
    // The worker has answered the disclosure sent: clear the composer, or keep the words.
    if let Some(n) = st.sending
        && f.snap.processed >= n
    {
        st.sending = None;
        if f.refusal(Some(n)).is_none() {
            st.text.clear();
            st.before_asked = false;
            st.told = true;
        }
    }

    ui.heading("I need to tell you something");
    ui.label(format!(
        "Take your time. Say it plainly, in your own words; there is no form to fill in. \
         {partner} can answer with a thank-you and a few words of their own."
    ));
    ui.add_space(10.0);
    composer(ui, st, f, &partner);

    ui.add_space(20.0);
    ui.heading("What you have told each other");
    if f.view.disclosures.is_empty() {
        ui.weak("Nothing yet. What either of you tells here is kept, newest first.");
        return;
    }
    for d in f.view.disclosures.iter().take(st.pages.shown()) {
        ui.add_space(8.0);
        disclosure_card(ui, st, f, d, &partner);
    }
    ui.add_space(8.0);
    let total = f.view.disclosures.len();
    st.pages.more(ui, total, "disclosures");
}

fn composer(ui: &mut Ui, st: &mut DisclosuresState, f: &Frame<'_>, partner: &str) {
    card(ui, |ui| {
        let l = ui.label(RichText::new(TEXT_LABEL).strong());
        let r = ui
            .add_enabled(
                st.sending.is_none(),
                egui::TextEdit::multiline(&mut st.text)
                    .desired_rows(8)
                    .desired_width(f32::INFINITY)
                    .hint_text("What happened, and when. There is no need to explain it away."),
            )
            .labelled_by(l.id);
        if r.changed() {
            st.told = false;
            st.confirming = false;
        }
        ui.add_space(4.0);
        ui.checkbox(&mut st.before_asked, BEFORE_ASKED);
        ui.horizontal_wrapped(|ui| {
            // Under the checkbox's words, not under its box.
            ui.add_space(ui.spacing().icon_width + ui.spacing().icon_spacing);
            ui.weak("Telling before being asked is noticed as a win, for both of you.");
        });
        ui.add_space(8.0);

        let ready = !st.text.trim().is_empty() && st.sending.is_none();
        if st.sending.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Telling…");
            });
        } else if st.confirming && ready {
            ui.label(format!(
                "Tell {partner} now? {partner} sees it the next time your devices sync, and it \
                 stays in what you share."
            ));
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button(RichText::new(format!("Yes, tell {partner}")).strong())
                    .clicked()
                {
                    f.handle.send(Command::AddDisclosure {
                        id: ItemId::random(),
                        text: st.text.trim().to_owned(),
                        before_asked: st.before_asked,
                    });
                    let n = f.handle.sent();
                    st.sending = Some(n);
                    st.last_sent = Some(n);
                    st.confirming = false;
                }
                if ui.button("Not yet").clicked() {
                    st.confirming = false;
                }
            });
        } else {
            st.confirming = false;
            if ui
                .add_enabled(ready, egui::Button::new(format!("Tell {partner}…")))
                .clicked()
            {
                st.confirming = true;
                st.told = false;
            }
        }
        if !f.show_refusal(ui, st.last_sent, "That was not sent") && st.told {
            ui.label(format!(
                "Told. {partner} sees it the next time your devices sync. Telling is part of \
                 the repair."
            ));
        }
    });
}

fn disclosure_card(
    ui: &mut Ui,
    st: &mut DisclosuresState,
    f: &Frame<'_>,
    d: &Disclosure,
    partner: &str,
) {
    let mine = f.view.me.as_ref() == Some(&d.by);
    let teller = f.view.name_of(&d.by);
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{teller} told")).strong());
            ui.weak(when(d.at, f.now));
        });
        if d.before_asked {
            ui.label(
                RichText::new("Told before being asked: a win for both of you")
                    .color(ui.visuals().hyperlink_color),
            );
        }
        ui.add_space(2.0);
        ui.label(&d.text);
        ui.add_space(6.0);
        match d.acknowledged_at {
            Some(at) => {
                let responder = if mine {
                    partner.to_owned()
                } else {
                    f.view.my_name.clone()
                };
                ui.separator();
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{responder}: {THANK_YOU}.")).italics());
                    ui.weak(when(at, f.now));
                });
                if !d.response.is_empty() {
                    ui.label(&d.response);
                }
            }
            None if mine => {
                ui.weak(format!("{partner} has not responded yet."));
            }
            None => acknowledge(ui, st, f, d, &teller),
        }
    });
}

/// The partner's answer to a disclosure: thanks, and an optional note.
fn acknowledge(
    ui: &mut Ui,
    st: &mut DisclosuresState,
    f: &Frame<'_>,
    d: &Disclosure,
    teller: &str,
) {
    let waiting = st
        .ack_sent
        .as_ref()
        .is_some_and(|(n, id)| id == &d.id && f.snap.processed < *n);
    if waiting {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Sending your response…");
        });
        return;
    }
    ui.separator();
    ui.weak(format!(
        "There is no hurry. When you are ready, let {teller} know you heard it."
    ));
    let note = st.notes.entry(d.id.clone()).or_default();
    let l = ui.label(RichText::new(NOTE_LABEL).strong());
    ui.add(
        egui::TextEdit::multiline(note)
            .desired_rows(2)
            .desired_width(f32::INFINITY)
            .hint_text("e.g. It was hard to hear, and I'm glad you told me."),
    )
    .labelled_by(l.id);
    if ui.button(RichText::new(THANK_YOU).strong()).clicked() {
        f.handle.send(Command::AcknowledgeDisclosure {
            id: d.id.clone(),
            response: note.trim().to_owned(),
        });
        // The note stays until the disclosure shows as answered: a refusal keeps the words.
        st.ack_sent = Some((f.handle.sent(), d.id.clone()));
    }
    if let Some((n, id)) = &st.ack_sent
        && id == &d.id
        && let Some(msg) = f.refusal(Some(*n))
    {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("Your response was not sent: {msg}.")).color(warn));
    }
}
