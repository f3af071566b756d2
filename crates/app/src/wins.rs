//! Wins and appreciation: trust wins, honest moments and thank-yous by either partner, in one timeline with what was told before being asked.

use egui::{RichText, Ui};
use kintsugi_core::{Command, ItemId, Moment, MomentKind, WinKind};

use crate::screens::Page;
use crate::widgets::{Derived, Pager, card, choice, when};
use crate::{Frame, Shared};

const KINDS: [WinKind; 3] = [
    WinKind::TrustWin,
    WinKind::HonestMoment,
    WinKind::Appreciation,
];

/// The accessible name of the text box.
const TEXT_LABEL: &str = "What you noticed";

#[derive(Default)]
pub struct WinsState {
    /// The kind chosen; a trust win until another is chosen.
    kind: Option<WinKind>,
    text: String,
    /// The request that added the last win, until it is answered.
    sending: Option<u64>,
    last_sent: Option<u64>,
    /// The timeline, gathered once per snapshot (ten years hold thousands of moments) and
    /// drawn a page at a time.
    moments: Derived<(), Vec<Moment>>,
    pages: Pager,
}

impl Page for WinsState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent.into_iter().collect()
    }
}

fn hint(kind: WinKind) -> &'static str {
    match kind {
        WinKind::TrustWin => "e.g. You texted when you left work, without me asking.",
        WinKind::HonestMoment => "e.g. You told me you were struggling instead of going quiet.",
        WinKind::Appreciation => "e.g. Thank you for making dinner when I was so tired.",
    }
}

fn show(ui: &mut Ui, st: &mut WinsState, f: &Frame<'_>) {
    if let Some(n) = st.sending
        && f.snap.processed >= n
    {
        st.sending = None;
        if f.refusal(Some(n)).is_none() {
            st.text.clear();
        }
    }
    let kind = st.kind.unwrap_or(WinKind::TrustWin);

    ui.heading("Wins & appreciation");
    ui.label(
        "Small things count. Either of you can note a trust win, an honest moment or a \
         thank-you. What is told before being asked lands here too.",
    );
    ui.add_space(10.0);

    card(ui, |ui| {
        ui.label(RichText::new("What kind").strong());
        ui.horizontal_wrapped(|ui| {
            for k in KINDS {
                if choice(ui, kind == k, k.label())
                    .accessible_name(format!("Kind: {}", k.label()))
                    .clicked()
                {
                    st.kind = Some(k);
                }
            }
        });
        ui.add_space(4.0);
        let l = ui.label(RichText::new(TEXT_LABEL).strong());
        ui.add_enabled(
            st.sending.is_none(),
            egui::TextEdit::multiline(&mut st.text)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .hint_text(hint(kind)),
        )
        .labelled_by(l.id);
        ui.horizontal_wrapped(|ui| {
            let ready = !st.text.trim().is_empty() && st.sending.is_none();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Add to our wins").strong()),
                )
                .clicked()
            {
                f.handle.send(Command::AddWin {
                    id: ItemId::random(),
                    kind,
                    text: st.text.trim().to_owned(),
                });
                let n = f.handle.sent();
                st.sending = Some(n);
                st.last_sent = Some(n);
            }
            if st.sending.is_some() {
                ui.spinner();
            }
        });
        f.show_refusal(ui, st.last_sent, "That was not added");
    });

    ui.add_space(20.0);
    ui.heading("Our timeline");
    let moments = st.moments.get(f, (), |v, ()| v.moments());
    if moments.is_empty() {
        ui.weak(
            "Nothing here yet. A text when you said you would, an honest answer, a thank-you: \
             each one is worth keeping.",
        );
        return;
    }
    for m in moments.iter().take(st.pages.shown()) {
        ui.add_space(8.0);
        moment_card(ui, f, m);
    }
    ui.add_space(8.0);
    st.pages.more(ui, moments.len(), "moments");
}

fn moment_card(ui: &mut Ui, f: &Frame<'_>, m: &Moment) {
    let who = f.view.name_of(&m.by);
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            let kind = RichText::new(m.kind.label()).strong();
            // Told before being asked stands out a little; the words carry the meaning.
            let kind = match m.kind {
                MomentKind::Win(_) => kind,
                _ => kind.color(ui.visuals().hyperlink_color),
            };
            ui.label(kind);
            ui.weak(format!("{who} · {}", when(m.at, f.now)));
        });
        ui.label(&m.text);
    });
}
