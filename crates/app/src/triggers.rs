//! "I'm triggered": one step from every screen (and Ctrl+Shift+T), my own self-care list right after, and on the partner's device a calm notice with the plan we agreed on and "I'm here".

use std::collections::HashSet;
use std::time::{Duration, Instant};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};
use kintsugi_core::{Command, ItemId, Trigger, View, self_care_suggestions};
use kintsugi_service::Snapshot;

use crate::reminders::Reminders;
use crate::screens::Page;
use crate::therapy::{Bring, from_trigger};
use crate::widgets::{card, when};
use crate::{Frame, Shared};

/// The screen's label: an urgent entry at the top of the navigation.
pub const LABEL: &str = "I'm triggered";
/// Raises a trigger (without a note) from any screen and opens this one.
pub const SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::CTRL.plus(Modifiers::SHIFT), Key::T);
/// The hover text of the navigation entry and of the button.
pub const HINT: &str = "Say you're feeling triggered, in one step. From any screen: Ctrl+Shift+T";

const NOTE_LABEL: &str = "A few words (optional)";
const NEW_CARE_LABEL: &str = "Something else that helps me";
/// The partner's answer on the notice.
pub const HERE: &str = "I'm here";

/// How long after raising a trigger the screen leads with it and with what helps.
const RECENT_MS: i64 = 6 * 3_600_000;
/// The partner's unanswered triggers from this long ago still come as a notice (devices may
/// have been apart for a day or two); older ones stay in the log only.
const NOTICE_WITHIN_MS: i64 = 48 * 3_600_000;

#[derive(Default)]
pub struct TriggerState {
    note: String,
    /// The trigger sent, until the worker has taken it.
    sending: Option<u64>,
    last_sent: Option<u64>,
    new_care: String,
    care_sent: Option<u64>,
    /// My moment brought to therapy.
    therapy: crate::therapy::Bring,
}

impl Page for TriggerState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent
            .into_iter()
            .chain(self.care_sent)
            .chain(self.therapy.claimed())
            .collect()
    }
}

/// My own latest trigger, if raised within [`RECENT_MS`].
fn recent_mine(v: &View, now: i64) -> Option<&Trigger> {
    let me = v.me.as_ref()?;
    v.triggers
        .iter()
        .filter(|t| &t.by == me)
        .max_by_key(|t| t.at)
        .filter(|t| now - t.at < RECENT_MS)
}

/// The partner's recent triggers nobody has answered yet, newest first.
fn waiting(v: &View, now: i64) -> Vec<&Trigger> {
    if !v.is_set_up() {
        return Vec::new();
    }
    v.triggers
        .iter()
        .filter(|t| v.me.as_ref() != Some(&t.by) && t.acknowledged_at.is_none())
        .filter(|t| now - t.at < NOTICE_WITHIN_MS)
        .collect()
}

fn raise(f: &Frame<'_>, note: &str) {
    f.handle.send(Command::RaiseTrigger {
        id: ItemId::random(),
        note: note.trim().to_owned(),
    });
}

fn show(ui: &mut Ui, st: &mut TriggerState, f: &Frame<'_>) {
    // "2 minutes ago" and "Alex is here" should not wait for a click.
    ui.ctx().request_repaint_after(Duration::from_secs(30));
    let partner = f.partner();
    if let Some(n) = st.sending
        && f.snap.processed >= n
    {
        st.sending = None;
        if f.refusal(Some(n)).is_none() {
            st.note.clear();
        }
    }

    ui.heading(LABEL);
    match recent_mine(f.view, f.now) {
        Some(t) => {
            status(ui, f, t, &partner, &mut st.therapy);
            ui.add_space(10.0);
            self_care(ui, st, f, "What helps you right now");
            ui.add_space(10.0);
            plan(ui, f);
            ui.add_space(10.0);
            raise_card(ui, st, f, &partner, true);
        }
        None => {
            ui.label(format!(
                "Say it as soon as you notice it. {partner} sees it as soon as your devices \
                 connect, together with the reassurance plan you wrote together. Nothing here \
                 asks you to explain."
            ));
            ui.add_space(10.0);
            raise_card(ui, st, f, &partner, false);
            ui.add_space(10.0);
            self_care(ui, st, f, "What helps you when it's hard");
            ui.add_space(10.0);
            plan(ui, f);
        }
    }
}

/// My trigger just raised: when, my note, and whether the partner has answered.
fn status(ui: &mut Ui, f: &Frame<'_>, t: &Trigger, partner: &str, therapy: &mut Bring) {
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("You said you're feeling triggered").strong());
            ui.weak(when(t.at, f.now));
        });
        if !t.note.is_empty() {
            ui.label(RichText::new(format!("\u{201c}{}\u{201d}", t.note)).italics());
        }
        ui.add_space(4.0);
        match t.acknowledged_at {
            Some(at) => {
                ui.label(
                    RichText::new(format!("{partner} is here"))
                        .size(20.0)
                        .strong()
                        .color(ui.visuals().hyperlink_color),
                );
                ui.weak(format!("{partner} answered {}.", when(at, f.now)));
            }
            None => {
                let connected = f
                    .snap
                    .sync
                    .peers
                    .iter()
                    .any(|p| p.scope != "own_device" && p.connected);
                ui.label(if connected {
                    format!("It is on {partner}'s screen now, with your plan.")
                } else {
                    format!("{partner} sees it, with your plan, as soon as your devices connect.")
                });
                ui.weak(format!("When {partner} answers, it shows here."));
            }
        }
        ui.add_space(4.0);
        let (text, from) = from_trigger(f.view, t);
        therapy.button(ui, f, text, from, "this moment");
    });
}

/// My own list of what helps: private, editable, starting from a few ideas.
fn self_care(ui: &mut Ui, st: &mut TriggerState, f: &Frame<'_>, title: &str) {
    let list = &f.view.self_care;
    card(ui, |ui| {
        ui.label(RichText::new(title).size(18.0).strong());
        ui.weak(
            "Your own list. Only you see it; it stays on your devices. Removing an item erases \
             it from this device's stored data at once, and from your other devices when they \
             next connect.",
        );
        ui.add_space(4.0);
        for item in list {
            ui.horizontal_wrapped(|ui| {
                ui.label(&item.text);
                if ui
                    .small_button("Remove")
                    .accessible_name(format!("Remove: {}", item.text))
                    .clicked()
                {
                    f.handle.send(Command::RemoveSelfCare {
                        id: item.id.clone(),
                    });
                }
            });
        }
        let unused: Vec<&str> = self_care_suggestions()
            .iter()
            .copied()
            .filter(|s| !list.iter().any(|i| i.text == *s))
            .collect();
        let suggestions = |ui: &mut Ui| {
            ui.horizontal_wrapped(|ui| {
                for s in &unused {
                    if ui
                        .button(format!("+ {s}"))
                        .accessible_name(format!("Add: {s}"))
                        .clicked()
                    {
                        f.handle.send(Command::AddSelfCare {
                            id: ItemId::random(),
                            text: (*s).to_owned(),
                        });
                    }
                }
            });
        };
        if list.is_empty() {
            ui.label("Nothing here yet. A few ideas to start from; one click adds one:");
            suggestions(ui);
        } else if !unused.is_empty() {
            egui::CollapsingHeader::new("More ideas").show(ui, suggestions);
        }
        ui.add_space(4.0);
        let l = ui.label(RichText::new(NEW_CARE_LABEL).strong());
        let mut add = false;
        ui.horizontal_wrapped(|ui| {
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut st.new_care)
                        .hint_text("e.g. Sit with the dog")
                        .desired_width(ui.available_width().min(320.0)),
                )
                .labelled_by(l.id);
            add = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let ready = !st.new_care.trim().is_empty();
            add |= ui
                .add_enabled(ready, egui::Button::new("Add to my list"))
                .clicked();
            add &= ready;
        });
        if add {
            f.handle.send(Command::AddSelfCare {
                id: ItemId::random(),
                text: st.new_care.trim().to_owned(),
            });
            st.care_sent = Some(f.handle.sent());
            st.new_care.clear();
        }
        if let Some(msg) = f.refusal(st.care_sent) {
            let warn = ui.visuals().warn_fg_color;
            ui.label(RichText::new(format!("That was not added: {msg}.")).color(warn));
        }
    });
}

/// The plan, to read (it is written on its own screen).
fn plan(ui: &mut Ui, f: &Frame<'_>) {
    card(ui, |ui| {
        ui.label(RichText::new("What you agreed helps").size(18.0).strong());
        if f.view.reassurance_plan.trim().is_empty() {
            ui.weak(
                "You have not written your reassurance plan yet. You can write it together on \
                 the Reassurance plan screen, whenever it is calm.",
            );
        } else {
            ui.label(&f.view.reassurance_plan);
        }
    });
}

fn raise_card(ui: &mut Ui, st: &mut TriggerState, f: &Frame<'_>, partner: &str, again: bool) {
    card(ui, |ui| {
        if again {
            ui.label(RichText::new("Need to say it again?").strong());
        }
        let l = ui.label(RichText::new(NOTE_LABEL).strong());
        ui.add_enabled(
            st.sending.is_none(),
            egui::TextEdit::multiline(&mut st.note)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .hint_text("e.g. The phone lit up at dinner and my chest went tight."),
        )
        .labelled_by(l.id);
        ui.add_space(4.0);
        let button = egui::Button::new(
            RichText::new(format!("Let {partner} know I'm triggered"))
                .strong()
                .size(17.0),
        )
        .min_size(egui::vec2(0.0, 36.0));
        if ui
            .add_enabled(st.sending.is_none(), button)
            .on_hover_text(HINT)
            .clicked()
        {
            raise(f, &st.note);
            let n = f.handle.sent();
            st.sending = Some(n);
            st.last_sent = Some(n);
        }
        ui.weak(format!(
            "From any screen: {}. The note is up to you.",
            ui.ctx().format_shortcut(&SHORTCUT)
        ));
        f.show_refusal(ui, st.last_sent, "That was not sent");
    });
}

// ---------------------------------------------------------------------------------------------
// Around every screen: the shortcut, the partner's notice, the desktop notification.

/// What the window keeps about the partner's triggers for as long as it runs.
#[derive(Default)]
pub struct Watch {
    /// Triggers a desktop notification was shown for: once each.
    notified: HashSet<ItemId>,
    /// Put aside with "Hide for now": a card at the top of every screen instead.
    hidden: HashSet<ItemId>,
    /// Answered with "I'm here": the notice stays on the plan until closed.
    answered: Option<ItemId>,
    ack_sent: Option<u64>,
    /// A held key repeats: the shortcut raises at most one trigger a minute.
    last_shortcut: Option<Instant>,
}

impl Watch {
    /// One desktop notification per partner's trigger that nobody has answered, through the
    /// reminders' notifier. Runs also while the window is minimised.
    pub fn check(&mut self, snap: &Snapshot, reminders: &Reminders) {
        let now = crate::widgets::now_ms();
        for t in waiting(&snap.view, now) {
            if self.notified.insert(t.id.clone()) {
                reminders.notify(
                    &format!("{} is feeling triggered", snap.view.name_of(&t.by)),
                    "Open Kintsugi to see the plan you agreed on, and to say you're here.",
                );
            }
        }
    }

    /// Ctrl+Shift+T: raises a trigger without a note. True when pressed (the window then
    /// opens the "I'm triggered" screen).
    pub fn shortcut(&mut self, ctx: &egui::Context, f: &Frame<'_>) -> bool {
        if !ctx.input_mut(|i| i.consume_shortcut(&SHORTCUT)) {
            return false;
        }
        let repeated = self
            .last_shortcut
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60));
        if !repeated {
            self.last_shortcut = Some(Instant::now());
            raise(f, "");
        }
        true
    }

    /// A put-aside notice, as a card at the top of every screen.
    pub fn banner(&mut self, ui: &mut Ui, f: &Frame<'_>) {
        let waiting = waiting(f.view, f.now);
        let Some(t) = waiting.first() else { return };
        if self.answered.is_some() || !waiting.iter().all(|t| self.hidden.contains(&t.id)) {
            return;
        }
        let who = f.view.name_of(&t.by);
        card(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{who} is feeling triggered")).strong());
                ui.weak(when(t.at, f.now));
            });
            ui.horizontal_wrapped(|ui| {
                if ui.button("Show the plan").clicked() {
                    self.hidden.clear();
                }
                if ui.button(RichText::new(HERE).strong()).clicked() {
                    self.acknowledge(f, &waiting);
                }
            });
        });
        ui.add_space(8.0);
    }

    fn acknowledge(&mut self, f: &Frame<'_>, waiting: &[&Trigger]) {
        for t in waiting {
            f.handle
                .send(Command::AcknowledgeTrigger { id: t.id.clone() });
        }
        self.answered = waiting.first().map(|t| t.id.clone());
        self.ack_sent = Some(f.handle.sent());
    }

    /// The partner's trigger over the current screen: calm, unmistakable, with the plan and
    /// "I'm here". Not a modal: whatever was being written stays as it was.
    pub fn overlay(&mut self, ctx: &egui::Context, f: &Frame<'_>) {
        let waiting = waiting(f.view, f.now);
        let shown = match &self.answered {
            Some(id) => f.view.triggers.iter().find(|t| &t.id == id),
            None => waiting
                .iter()
                .find(|t| !self.hidden.contains(&t.id))
                .copied(),
        };
        let Some(t) = shown else {
            self.answered = None;
            return;
        };
        let answered = self.answered.is_some();
        let who = f.view.name_of(&t.by);
        let screen = ctx.content_rect();
        let width = (screen.width() - 24.0).min(560.0);
        let accent = ctx.global_style().visuals.selection.bg_fill;
        egui::Area::new(egui::Id::unique("trigger_notice"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 12.0])
            .show(ctx, |ui| {
                // An area lays out within the size it had last frame; the notice may need more
                // once the window got narrower (the words wrap to more lines).
                ui.set_max_height(screen.height() - 24.0);
                crate::widgets::dialog_frame(ctx)
                    .stroke(egui::Stroke::new(2.0, accent))
                    .inner_margin(egui::Margin::same(if width < 400.0 { 14 } else { 20 }))
                    .show(ui, |ui| {
                        let margin = if width < 400.0 { 28.0 } else { 40.0 };
                        ui.set_width(width - margin);
                        egui::ScrollArea::vertical()
                            .id_salt("trigger_notice_scroll")
                            .max_height(screen.height() - 80.0)
                            .show(ui, |ui| {
                                self.notice(ui, f, t, &who, waiting.len(), answered)
                            });
                    });
            });
    }

    fn notice(
        &mut self,
        ui: &mut Ui,
        f: &Frame<'_>,
        t: &Trigger,
        who: &str,
        count: usize,
        answered: bool,
    ) {
        ui.label(
            RichText::new(format!("{who} is feeling triggered"))
                .size(22.0)
                .strong(),
        );
        ui.weak(when(t.at, f.now));
        if !t.note.is_empty() {
            ui.label(
                RichText::new(format!("\u{201c}{}\u{201d}", t.note))
                    .italics()
                    .size(16.0),
            );
        }
        if !answered && count > 1 {
            let n = count - 1;
            ui.weak(format!(
                "And {n} earlier moment{} not answered yet.",
                if n == 1 { "" } else { "s" }
            ));
        }
        ui.add_space(6.0);
        ui.separator();
        ui.label(RichText::new("The plan you agreed on").strong());
        egui::ScrollArea::vertical()
            .id_salt("trigger_notice_plan")
            .max_height(240.0)
            .show(ui, |ui| {
                let plan = f.view.reassurance_plan.trim();
                let before = f
                    .view
                    .reassurance_plans
                    .iter()
                    .find(|p| p.by == t.by && !p.text.trim().is_empty());
                if !plan.is_empty() {
                    ui.label(plan);
                } else if let Some(p) = before {
                    ui.weak(format!("What {who} wrote before:"));
                    ui.label(p.text.trim());
                } else {
                    ui.label(format!(
                        "You have not written a plan yet. Being there, calmly and without \
                         defending yourself, is what helps {who} most right now."
                    ));
                }
            });
        ui.add_space(10.0);
        if answered {
            let pending = self.ack_sent.is_some_and(|n| f.snap.processed < n);
            ui.horizontal_wrapped(|ui| {
                if pending {
                    ui.spinner();
                    ui.weak(format!("Letting {who} know…"));
                } else {
                    ui.label(format!(
                        "You said you're here. {who} sees it as soon as your devices connect."
                    ));
                }
            });
            if ui.button("Close").clicked() {
                self.answered = None;
            }
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let here = egui::Button::new(RichText::new(HERE).strong().size(17.0))
                .min_size(egui::vec2(110.0, 36.0));
            if ui.add(here).clicked() {
                let waiting = waiting(f.view, f.now);
                self.acknowledge(f, &waiting);
            }
            if ui
                .add(egui::Button::new("Hide for now").min_size(egui::vec2(0.0, 36.0)))
                .clicked()
            {
                self.hidden
                    .extend(waiting(f.view, f.now).iter().map(|t| t.id.clone()));
            }
        });
        ui.weak(format!(
            "\u{201c}{HERE}\u{201d} lets {who} know you saw this. Hidden, it waits at the top \
             of every screen."
        ));
    }
}
