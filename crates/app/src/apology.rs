//! Apologies: a guided composer, one step at a time, with gentle marks on phrases that sound like excuses; private drafts; and the apologies each has shared, with nothing to accept.

use egui::text::{LayoutJob, TextFormat};
use egui::{RichText, Ui};
use kintsugi_core::{Apology, ApologyFields, Command, ExcuseFlag, ItemId, check_apology};

use crate::screens::Page;
use crate::widgets::{Pager, card, first_line, when};
use crate::{Frame, Shared};

/// Saved this long after the last keystroke, if no step change saved it first (seconds).
const PAUSE: f64 = 1.5;
/// Said wherever drafts are.
pub(crate) const ONLY_YOU: &str = "Only you can see drafts.";
/// Said under an apology from the partner, in place of any button.
pub(crate) const NOTHING_TO_DO: &str = "Take your time. There is nothing you need to do with this.";
pub(crate) const NEW_APOLOGY: &str = "Start a new apology";
/// The way of speaking the marks offer.
const I_FEEL: &str = "When you want to say how something felt, \"I feel … when …\" keeps it \
                      about you, e.g. \"I feel ashamed when I think of how I lied to you.\"";

/// The steps of the composer, in order; the last one reads it all through before sharing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Did,
    Impact,
    Regret,
    NoExcuses,
    Differently,
    Read,
}

const STEPS: [Step; 6] = [
    Step::Did,
    Step::Impact,
    Step::Regret,
    Step::NoExcuses,
    Step::Differently,
    Step::Read,
];

/// The written parts: (title as the partner reads it, index into `Composer::fields`).
const PARTS: [(Step, &str); 4] = [
    (Step::Did, "What I did"),
    (Step::Impact, "The impact on you"),
    (Step::Regret, "My regret"),
    (Step::Differently, "What I will do differently"),
];

impl Step {
    fn index(self) -> usize {
        STEPS.iter().position(|s| *s == self).unwrap_or(0)
    }

    fn title(self) -> &'static str {
        match self {
            Step::Did => "What I did",
            Step::Impact => "The impact on you",
            Step::Regret => "My regret",
            Step::NoExcuses => "No excuses",
            Step::Differently => "What I will do differently",
            Step::Read => "Read it through",
        }
    }

    /// Which of the four texts this step writes, if any.
    fn field(self) -> Option<usize> {
        PARTS.iter().position(|(s, _)| *s == self)
    }

    fn guidance(self, partner: &str) -> String {
        match self {
            Step::Did => "Say what you did, specifically and plainly: what, when, with whom. \
                          Leave out why for now."
                .to_owned(),
            Step::Impact => format!(
                "How it hurt {partner}, as far as you understand it. Name what it did to them, \
                 not what you meant by it."
            ),
            Step::Regret => "What you regret, in your own words. Be sorry for what you did, \
                             not for how it was taken."
                .to_owned(),
            Step::NoExcuses => "Read what you have written so far, as the person you hurt \
                                would. Phrases that can sound like an excuse are marked, with \
                                another way to say it. They are suggestions: you decide."
                .to_owned(),
            Step::Differently => format!(
                "What you will do from now on, concretely enough that {partner} could notice it."
            ),
            Step::Read => format!(
                "This is your apology as {partner} would read it. Change anything you like, \
                 save it for later, or share it when you are ready."
            ),
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Step::Did => {
                "e.g. I lied to you about where I was on Friday night, and kept lying when you \
                 asked."
            }
            Step::Impact => {
                "e.g. You stopped believing what I say, and you lay awake wondering where I was."
            }
            Step::Regret => "e.g. I regret lying to you. I am sorry I chose to hide it.",
            Step::Differently => {
                "e.g. I will tell you where I am going before you have to ask, and answer your \
                 questions honestly, even the tenth time."
            }
            Step::NoExcuses | Step::Read => "",
        }
    }
}

/// The apology being written: view state until it is saved as a draft.
struct Composer {
    id: ItemId,
    step: Step,
    /// What I did, the impact, my regret, what I will do differently.
    fields: [String; 4],
    /// Changed since the last save.
    dirty: bool,
    /// When the last change was typed (egui time).
    last_edit: f64,
    /// The last save sent.
    saved: Option<u64>,
    /// "Share with …" was pressed: the plain question before anything is sent.
    confirming_share: bool,
    /// A new step is shown: it starts at the top of the screen, not where the last one ended.
    scroll_top: bool,
}

impl Composer {
    fn new(id: ItemId, fields: [String; 4]) -> Self {
        Composer {
            id,
            step: Step::Did,
            fields,
            dirty: false,
            last_edit: 0.0,
            saved: None,
            confirming_share: false,
            scroll_top: true,
        }
    }

    fn apology_fields(&self) -> ApologyFields {
        let [what_i_did, impact, regret, will_do_differently] = self.fields.clone();
        ApologyFields {
            what_i_did,
            impact,
            regret,
            will_do_differently,
        }
    }

    fn is_empty(&self) -> bool {
        self.fields.iter().all(|t| t.trim().is_empty())
    }

    /// Saves the draft privately, if anything was written since the last save.
    fn save(&mut self, f: &Frame<'_>) {
        if !self.dirty || self.is_empty() {
            return;
        }
        f.handle.send(Command::SaveApologyDraft {
            id: self.id.clone(),
            fields: self.apology_fields(),
        });
        self.saved = Some(f.handle.sent());
        self.dirty = false;
    }

    fn go(&mut self, step: Step, f: &Frame<'_>) {
        self.save(f);
        self.step = step;
        self.confirming_share = false;
        self.scroll_top = true;
    }
}

fn fields_of(a: &Apology) -> [String; 4] {
    [
        a.what_i_did.clone(),
        a.impact.clone(),
        a.regret.clone(),
        a.will_do_differently.clone(),
    ]
}

#[derive(Default)]
pub struct ApologyState {
    composing: Option<Composer>,
    /// The draft whose "Delete…" question is open.
    confirm_delete: Option<ItemId>,
    /// The share sent, until the worker has taken it.
    share_pending: Option<u64>,
    /// The last save, share or delete sent, so a refusal is said here.
    last_sent: Option<u64>,
    /// The last share was taken: a quiet note at the top.
    shared: bool,
    /// The partner's apologies and mine, a page at a time, newest first.
    theirs_pages: Pager,
    mine_pages: Pager,
}

impl Page for ApologyState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn leave(&mut self, f: &Frame<'_>) {
        if let Some(c) = &mut self.composing {
            c.save(f);
            self.last_sent = c.saved.or(self.last_sent);
        }
    }

    fn claimed(&self) -> Vec<u64> {
        self.last_sent
            .into_iter()
            .chain(self.composing.as_ref().and_then(|c| c.saved))
            .collect()
    }
}

fn show(ui: &mut Ui, st: &mut ApologyState, f: &Frame<'_>) {
    let partner = f.partner();
    if let Some(n) = st.share_pending.take_if(|n| f.snap.processed >= *n)
        && f.refusal(Some(n)).is_none()
    {
        st.composing = None;
        st.shared = true;
    }

    let heading = ui.heading(if st.composing.is_some() {
        "Writing an apology"
    } else {
        "Apologies"
    });
    if let Some(c) = &mut st.composing
        && std::mem::take(&mut c.scroll_top)
    {
        heading.scroll_to_me(Some(egui::Align::TOP));
    }
    let me = f.view.me.as_ref();
    let mut theirs: Vec<&Apology> = f
        .view
        .apologies
        .iter()
        .filter(|a| Some(&a.by) != me)
        .collect();
    theirs.sort_by_key(|a| std::cmp::Reverse(a.at));

    if let Some(c) = &mut st.composing {
        let mut close = false;
        composer(ui, c, f, &partner, &mut st.share_pending, &mut close);
        st.last_sent = c.saved.or(st.last_sent).max(st.share_pending);
        if close {
            c.save(f);
            st.last_sent = c.saved.or(st.last_sent);
            st.composing = None;
        }
        f.show_refusal(ui, st.last_sent, "That did not go through");
        return;
    }

    ui.label(format!(
        "A guided way to write an apology, one step at a time. It gently marks phrases that \
         can sound like excuses; what you keep is up to you. Drafts stay on your own devices \
         until you choose to share one with {partner}."
    ));
    if st.shared {
        ui.add_space(6.0);
        ui.label(format!(
            "Shared. {partner} can read it once your devices sync. There is nothing {partner} \
             has to do with it, and no answer to wait for."
        ));
    }
    f.show_refusal(ui, st.last_sent, "That did not go through");

    if !theirs.is_empty() {
        ui.add_space(12.0);
        ui.heading(format!("From {partner}"));
        for a in theirs.iter().take(st.theirs_pages.shown()) {
            ui.add_space(8.0);
            shared_card(ui, f, a, false);
        }
        ui.add_space(8.0);
        st.theirs_pages
            .more(ui, theirs.len(), &format!("apologies from {partner}"));
    }

    ui.add_space(16.0);
    drafts(ui, st, f, &partner);

    let mut mine: Vec<&Apology> = f
        .view
        .apologies
        .iter()
        .filter(|a| Some(&a.by) == me)
        .collect();
    mine.sort_by_key(|a| std::cmp::Reverse(a.at));
    if !mine.is_empty() {
        ui.add_space(16.0);
        ui.heading(format!("What you have shared with {partner}"));
        for a in mine.iter().take(st.mine_pages.shown()) {
            ui.add_space(8.0);
            shared_card(ui, f, a, true);
        }
        ui.add_space(8.0);
        st.mine_pages
            .more(ui, mine.len(), "apologies you have shared");
    }
}

fn drafts(ui: &mut Ui, st: &mut ApologyState, f: &Frame<'_>, partner: &str) {
    card(ui, |ui| {
        ui.label(RichText::new("Your drafts").size(18.0).strong());
        ui.weak(format!(
            "{ONLY_YOU} {partner} sees an apology only once you share it."
        ));
        let mut drafts: Vec<&Apology> = f.view.apology_drafts.iter().collect();
        drafts.sort_by_key(|a| std::cmp::Reverse(a.at));
        for d in drafts {
            ui.separator();
            let title = match first_line(&d.what_i_did, 60) {
                t if t.is_empty() => "An apology not yet begun".to_owned(),
                t => t,
            };
            ui.label(RichText::new(&title).strong());
            let shared = f.view.apologies.iter().find(|a| a.id == d.id);
            ui.weak(match shared {
                Some(s) if fields_of(s) == fields_of(d) => {
                    format!(
                        "Saved {}. Shared with {partner} as it is.",
                        when(d.at, f.now)
                    )
                }
                Some(_) => format!(
                    "Saved {}. Shared with {partner} before its latest changes.",
                    when(d.at, f.now)
                ),
                None => format!("Saved {}. Not shared.", when(d.at, f.now)),
            });
            if st.confirm_delete.as_ref() == Some(&d.id) {
                ui.label(if shared.is_some() {
                    format!(
                        "Delete this draft? It is erased from this device and, when they next \
                         connect, from your other devices; it cannot be brought back. The copy \
                         {partner} has stays shared: deleting the draft cannot remove it."
                    )
                } else {
                    "Delete this draft? It is erased from this device and, when they next \
                     connect, from your other devices; it cannot be brought back."
                        .to_owned()
                });
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button("Delete draft")
                        .accessible_name(format!("Delete draft: {title}"))
                        .clicked()
                    {
                        f.handle
                            .send(Command::DeleteApologyDraft { id: d.id.clone() });
                        st.last_sent = Some(f.handle.sent());
                        st.confirm_delete = None;
                    }
                    if ui
                        .button("Keep it")
                        .accessible_name(format!("Keep draft: {title}"))
                        .clicked()
                    {
                        st.confirm_delete = None;
                    }
                });
            } else {
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button("Open")
                        .accessible_name(format!("Open draft: {title}"))
                        .clicked()
                    {
                        st.composing = Some(Composer::new(d.id.clone(), fields_of(d)));
                        st.shared = false;
                    }
                    if ui
                        .button("Delete…")
                        .accessible_name(format!("Delete draft…: {title}"))
                        .clicked()
                    {
                        st.confirm_delete = Some(d.id.clone());
                    }
                });
            }
        }
        ui.add_space(6.0);
        if ui.button(RichText::new(NEW_APOLOGY).strong()).clicked() {
            st.composing = Some(Composer::new(ItemId::random(), Default::default()));
            st.shared = false;
        }
    });
}

/// An apology as it was shared: its parts under their titles, and no button of any kind.
fn shared_card(ui: &mut Ui, f: &Frame<'_>, a: &Apology, mine: bool) {
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            let who = if mine {
                "You shared this apology".to_owned()
            } else {
                format!("An apology from {}", f.view.name_of(&a.by))
            };
            ui.label(RichText::new(who).strong());
            ui.weak(when(a.at, f.now));
        });
        for ((_, title), text) in PARTS.iter().zip(fields_of(a)) {
            if text.trim().is_empty() {
                continue;
            }
            ui.add_space(4.0);
            ui.label(RichText::new(*title).weak());
            ui.label(text.trim());
        }
        if !mine {
            ui.add_space(6.0);
            ui.label(RichText::new(NOTHING_TO_DO).italics());
        }
    });
}

fn composer(
    ui: &mut Ui,
    c: &mut Composer,
    f: &Frame<'_>,
    partner: &str,
    share_pending: &mut Option<u64>,
    close: &mut bool,
) {
    let now = ui.input(|i| i.time);
    if c.dirty {
        if now - c.last_edit >= PAUSE {
            c.save(f);
        } else {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(PAUSE));
        }
    }

    let i = c.step.index();
    ui.horizontal_wrapped(|ui| {
        ui.weak(if c.step == Step::Read {
            "Before you share".to_owned()
        } else {
            format!("Step {} of 5", i + 1)
        });
        ui.weak("·");
        ui.weak(ONLY_YOU);
        let status = match c.saved {
            _ if c.dirty => "",
            Some(n) if f.snap.processed >= n && f.refusal(Some(n)).is_none() => "Draft saved.",
            Some(n) if f.snap.processed < n => "Saving…",
            _ => "",
        };
        if !status.is_empty() {
            ui.weak(status);
        }
    });
    // The step's title also names its text box.
    let title = ui.label(RichText::new(c.step.title()).size(20.0).strong());
    ui.label(c.step.guidance(partner));
    ui.add_space(8.0);

    match c.step.field() {
        Some(k) => {
            card(ui, |ui| {
                let r = ui
                    .add(
                        egui::TextEdit::multiline(&mut c.fields[k])
                            .desired_rows(6)
                            .desired_width(f32::INFINITY)
                            .hint_text(c.step.hint()),
                    )
                    .labelled_by(title.id);
                if r.changed() {
                    c.dirty = true;
                    c.last_edit = now;
                    c.confirming_share = false;
                }
                if r.lost_focus() {
                    c.save(f);
                }
                let flags = check_apology(&c.fields[k]);
                if !flags.is_empty() {
                    ui.add_space(6.0);
                    ui.label(RichText::new("Marked, as a suggestion").strong());
                    marked_text(ui, &c.fields[k], &flags);
                    marks(ui, &flags);
                    ui.weak(I_FEEL);
                }
            })
            .inner
        }
        None => review(ui, c, f, partner, share_pending),
    }

    ui.add_space(10.0);
    ui.horizontal_wrapped(|ui| {
        if i > 0 && ui.button("Back").clicked() {
            c.go(STEPS[i - 1], f);
        }
        if i + 1 < STEPS.len() {
            let next = if STEPS[i + 1] == Step::Read {
                "Next: read it through"
            } else {
                "Next"
            };
            if ui.button(RichText::new(next).strong()).clicked() {
                c.go(STEPS[i + 1], f);
            }
        }
        if ui.button("Done for now").clicked() {
            *close = true;
        }
    });
    if c.step != Step::Read {
        ui.weak("Done for now keeps the draft; you can come back to it any time.");
    }
}

/// The review steps: every part written so far, with its marks; on the last step, sharing.
fn review(
    ui: &mut Ui,
    c: &mut Composer,
    f: &Frame<'_>,
    partner: &str,
    share_pending: &mut Option<u64>,
) {
    let upto = if c.step == Step::Read {
        PARTS.len()
    } else {
        // "No excuses" comes before the last part is written.
        3
    };
    let mut any_marks = false;
    let mut jump = None;
    card(ui, |ui| {
        for (k, (step, title)) in PARTS.iter().enumerate().take(upto) {
            if k > 0 {
                ui.add_space(8.0);
            }
            ui.label(RichText::new(*title).strong());
            let text = &c.fields[k];
            if text.trim().is_empty() {
                ui.weak("Not written yet.");
            } else {
                let flags = check_apology(text);
                marked_text(ui, text, &flags);
                if !flags.is_empty() {
                    any_marks = true;
                    marks(ui, &flags);
                }
            }
            if ui
                .small_button("Change")
                .accessible_name(format!("Change: {title}"))
                .clicked()
            {
                jump = Some(*step);
            }
        }
    });
    if let Some(s) = jump {
        c.go(s, f);
        return;
    }
    ui.add_space(6.0);
    if any_marks {
        ui.label(
            "Some phrases are marked. Reading them once more as the person you hurt may help; \
             you can still save or share as it is.",
        );
        ui.weak(I_FEEL);
    } else if c.fields.iter().take(upto).any(|t| !t.trim().is_empty()) {
        ui.label("Nothing here reads as an excuse.");
    }
    if c.step != Step::Read {
        return;
    }

    ui.add_space(8.0);
    if share_pending.is_some() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Sharing…");
        });
        return;
    }
    let ready = !c.fields[0].trim().is_empty();
    if !ready {
        ui.weak("Write what you did (the first step) before sharing.");
    }
    if c.confirming_share && ready {
        card(ui, |ui| {
            ui.label(format!(
                "Share this apology with {partner}? {partner} can read it once your devices \
                 sync. It asks nothing of {partner}: no answer, no forgiveness."
            ));
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button(RichText::new(format!("Yes, share with {partner}")).strong())
                    .clicked()
                {
                    // Sharing copies the saved draft: what is on screen is saved first.
                    c.dirty = true;
                    c.save(f);
                    f.handle.send(Command::ShareApology { id: c.id.clone() });
                    *share_pending = Some(f.handle.sent());
                    c.confirming_share = false;
                }
                if ui.button("Not yet").clicked() {
                    c.confirming_share = false;
                }
            });
        });
    } else if ui
        .add_enabled(ready, egui::Button::new(format!("Share with {partner}…")))
        .clicked()
    {
        c.confirming_share = true;
    }
}

/// `text` with each flagged phrase highlighted and underlined.
fn marked_text(ui: &mut Ui, text: &str, flags: &[ExcuseFlag]) {
    let chars: Vec<char> = text.chars().collect();
    let mut ranges: Vec<(usize, usize)> = flags
        .iter()
        .map(|fl| {
            let a = fl.at.min(chars.len());
            (a, (a + fl.found.chars().count()).min(chars.len()))
        })
        .collect();
    ranges.sort_unstable();
    let body = TextFormat {
        font_id: egui::TextStyle::Body.resolve(ui.style()),
        color: ui.visuals().text_color(),
        ..Default::default()
    };
    let warn = ui.visuals().warn_fg_color;
    let mark = TextFormat {
        background: warn.gamma_multiply(0.22),
        underline: egui::Stroke::new(1.5, warn),
        ..body.clone()
    };
    let mut job = LayoutJob::default();
    job.wrap.max_width = ui.available_width();
    let piece = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let mut pos = 0;
    for (a, b) in ranges {
        let a = a.max(pos);
        if b <= a {
            continue;
        }
        if a > pos {
            job.append(&piece(pos, a), 0.0, body.clone());
        }
        job.append(&piece(a, b), 0.0, mark.clone());
        pos = b;
    }
    if pos < chars.len() {
        job.append(&piece(pos, chars.len()), 0.0, body);
    }
    ui.label(job);
}

/// Each marked phrase once, with why it can hurt and another way to say it.
fn marks(ui: &mut Ui, flags: &[ExcuseFlag]) {
    let mut in_order: Vec<&ExcuseFlag> = flags.iter().collect();
    in_order.sort_by_key(|fl| fl.at);
    let mut seen: Vec<(String, &str)> = Vec::new();
    for fl in in_order {
        let key = (fl.found.to_lowercase(), fl.why);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("\"{}\"", fl.found)).strong());
            ui.label(fl.why);
        });
        ui.label(RichText::new(format!("Instead: {}", fl.suggestion)).italics());
    }
}
