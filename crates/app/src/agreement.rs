//! "Our agreement": sections both partners edit at once, splice by splice, and affirm.

use std::collections::HashMap;

use egui::{Id, RichText, Ui};
use kintsugi_core::{Command, ItemId, Section, section_templates};

use crate::screens::Page;
use crate::text_buffer::SpliceBuffer;
use crate::widgets::{card, when};
use crate::{Frame, Shared};

#[derive(Default)]
pub struct AgreementState {
    /// Per section id: its text box.
    bufs: HashMap<String, SpliceBuffer>,
    new_title: String,
}

impl Page for AgreementState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }
}

/// Sends what was typed into a section since the last time, as one splice.
fn push(f: &Frame<'_>, section: &str, buf: &mut SpliceBuffer) {
    if let Some(s) = buf.take_splice() {
        f.handle.send(Command::SpliceSection {
            section: section.to_owned(),
            pos: s.pos,
            delete: s.delete,
            insert: s.insert,
        });
    }
}

fn show(ui: &mut Ui, st: &mut AgreementState, f: &Frame<'_>) {
    let now = f.now;
    // "5 minutes ago" should not go stale while the window sits open.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(30));

    ui.heading("Our agreement");
    ui.label(format!(
        "Written together by {} and {}. Either of you can change any section at any time; \
         when you both write at once, both of your words are kept.",
        f.view.my_name,
        f.partner()
    ));
    ui.add_space(12.0);

    for s in &f.view.agreement {
        section(ui, st, f, s, now);
        ui.add_space(10.0);
    }
    // Sections deleted elsewhere leave no stale buffers behind.
    st.bufs
        .retain(|id, _| f.view.agreement.iter().any(|s| &s.id == id));

    card(ui, |ui| {
        let l = ui.label(RichText::new("New section title").strong());
        ui.add(
            egui::TextEdit::singleline(&mut st.new_title)
                .hint_text("e.g. Money, Time with family")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let ok = !st.new_title.trim().is_empty();
        if ui
            .add_enabled(ok, egui::Button::new("Add a section"))
            .clicked()
        {
            f.handle.send(Command::AddSection {
                id: ItemId::random(),
                title: st.new_title.trim().to_owned(),
            });
            st.new_title.clear();
        }
    });
    ui.add_space(16.0);
    affirmations(ui, f, now);
}

fn section(ui: &mut Ui, st: &mut AgreementState, f: &Frame<'_>, s: &Section, now: i64) {
    let buf = st
        .bufs
        .entry(s.id.clone())
        .or_insert_with(|| SpliceBuffer::new(Id::unique(("agreement_section", &s.id)), &s.body));
    buf.follow(ui.ctx(), &s.body, f.caught_up);
    card(ui, |ui| {
        let title = ui.label(RichText::new(&s.title).size(18.0).strong());
        match (&s.edited_by, s.edited_at) {
            (Some(by), Some(at)) => {
                ui.weak(format!(
                    "Last edited by {}, {}",
                    f.view.name_of(by),
                    when(at, now)
                ));
            }
            _ => {
                ui.weak("Not written yet");
            }
        }
        if buf.text().is_empty()
            && let Some(t) = section_templates().iter().find(|t| t.kind == s.kind)
        {
            let r = ui
                .button("Start from the suggested wording")
                .accessible_name(format!("Start {} from the suggested wording", s.title));
            if r.clicked() {
                buf.set_text(t.starter);
                push(f, &s.id, buf);
            }
        }
        let r = buf.show(
            ui,
            title.id,
            4,
            "Write this part together, in your own words.",
        );
        if r.changed() {
            push(f, &s.id, buf);
        }
        if r.lost_focus() {
            f.handle.flush();
        }
    });
}

fn affirmations(ui: &mut Ui, f: &Frame<'_>, now: i64) {
    let v = f.view;
    card(ui, |ui| {
        ui.label(RichText::new("Affirming").size(18.0).strong());
        ui.label(
            "Affirming says: I have read this version and I stand by it. If the text changes \
             later, an affirmation is shown as being for an earlier version.",
        );
        ui.add_space(6.0);
        let mut people = Vec::new();
        if let Some(me) = &v.me {
            people.push((Some(me.clone()), v.my_name.clone()));
        }
        people.push((v.partner.clone(), f.partner()));
        let mut mine_current = false;
        for (id, name) in people {
            let aff = id
                .as_ref()
                .and_then(|id| v.affirmations.iter().find(|a| &a.by == id));
            let line = match aff {
                Some(a) if a.current => {
                    if id.as_ref() == v.me.as_ref() {
                        mine_current = true;
                    }
                    format!("{name} affirmed this version, {}.", when(a.at, now))
                }
                Some(_) => {
                    format!("{name} affirmed an earlier version — the text has changed since.")
                }
                None if id.is_none() => {
                    format!("{name}'s affirmation will show here once your devices are paired.")
                }
                None => format!("{name} has not affirmed a version."),
            };
            ui.label(line);
        }
        ui.add_space(6.0);
        if mine_current {
            ui.weak("You have affirmed the current version.");
        } else if ui
            .button(RichText::new("I affirm this version").strong())
            .clicked()
        {
            f.handle.send(Command::AffirmAgreement);
        }
    });
}
