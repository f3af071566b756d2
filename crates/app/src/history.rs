//! The history of one shared text (an agreement section, the reassurance plan): who changed what and when, the wording after each change, and restoring an earlier wording as a new edit.
//!
//! Reading a long history costs real time (a section may hold tens of thousands of keystroke
//! edits), so it is read on a thread of its own from a copy of the couple document, never in a
//! frame. While the panel is open it is read again whenever the snapshot changes; the old
//! result stays on screen until the new one is there.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Ui};
use kintsugi_core::{Command, EditSession, TextHistory, TextTarget, Timestamp};
use kintsugi_service::Handle;

use crate::Frame;
use crate::widgets::card;

/// How many sessions show at first, newest first; "Show older changes" adds as many again.
const PAGE: usize = 30;
/// An inserted or removed text longer than this is shortened in the diff (the full wording is
/// one click away under "Show wording after this").
const DIFF_CHARS: usize = 1200;

/// While typing goes on, the history is read again at most this often: each reading copies the
/// whole document on the worker's thread.
const REREAD: Duration = Duration::from_secs(1);

/// Reads the wording after a session from the copy of the document the history came from.
type Wording = Arc<dyn Fn(&EditSession) -> Result<String, String> + Send + Sync>;

/// A history read: the sessions, and how to read an old wording from the same copy.
struct Read {
    history: TextHistory,
    wording: Wording,
}

/// View state of one open history panel.
pub(crate) struct HistoryPanel {
    target: TextTarget,
    /// The snapshot revision the history shown (or being read) was taken at.
    revision: Option<u64>,
    /// The reading under way, if any.
    job: Option<Receiver<Result<Read, String>>>,
    /// When the last reading started.
    started: Option<Instant>,
    /// Shared, so drawing it does not copy every session each frame.
    read: Option<Result<Arc<Read>, String>>,
    /// How many sessions are listed.
    shown: usize,
    /// The session (its end time) whose wording after is open, and that wording once read.
    after: Option<(Timestamp, Option<Result<String, String>>)>,
    after_job: Option<Receiver<Result<String, String>>>,
    /// The session (its end time) whose restore waits for confirmation.
    confirm: Option<Timestamp>,
    /// The request that restored, and the wording's date it restored.
    restored: Option<(u64, Timestamp)>,
}

impl HistoryPanel {
    pub(crate) fn new(target: TextTarget) -> Self {
        HistoryPanel {
            target,
            revision: None,
            job: None,
            started: None,
            read: None,
            shown: PAGE,
            after: None,
            after_job: None,
            confirm: None,
            restored: None,
        }
    }

    /// Numbers of restore requests, so the notice above every screen does not repeat their
    /// refusal.
    pub(crate) fn claimed(&self) -> Option<u64> {
        self.restored.map(|(n, _)| n)
    }

    /// Takes in finished readings and starts a new one when the document moved on.
    fn poll(&mut self, ctx: &egui::Context, f: &Frame<'_>) {
        if let Some(rx) = &self.job {
            match rx.try_recv() {
                Ok(r) => {
                    self.read = Some(r.map(Arc::new));
                    self.job = None;
                }
                Err(TryRecvError::Disconnected) => {
                    self.read = Some(Err("the reading stopped unexpectedly".into()));
                    self.job = None;
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        if let Some(rx) = &self.after_job {
            match rx.try_recv() {
                Ok(r) => {
                    if let Some((_, w)) = &mut self.after {
                        *w = Some(r);
                    }
                    self.after_job = None;
                }
                Err(TryRecvError::Disconnected) => self.after_job = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        // One reading at a time, and while typing goes on at most one per REREAD.
        if self.job.is_none() && self.revision != Some(f.snap.revision) {
            let wait = self
                .started
                .map_or(Duration::ZERO, |t| REREAD.saturating_sub(t.elapsed()));
            if wait.is_zero() {
                self.revision = Some(f.snap.revision);
                self.started = Some(Instant::now());
                self.job = Some(start(ctx.clone(), f.handle.clone(), self.target.clone()));
            } else {
                ctx.request_repaint_after(wait);
            }
        }
    }

    /// Draws the panel; `what` names the text ("Boundaries", "the reassurance plan").
    pub(crate) fn show(&mut self, ui: &mut Ui, f: &Frame<'_>, what: &str) {
        self.poll(ui.ctx(), f);
        card(ui, |ui| {
            ui.label(RichText::new(format!("History of {what}")).strong());
            ui.weak(
                "Every change either of you made, newest first. Restoring an earlier wording \
                 is a new change: nothing here is ever erased.",
            );
            if let Some((n, at)) = self.restored {
                if f.snap.processed < n {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("Restoring…");
                    });
                } else if !f.show_refusal(ui, Some(n), "That wording was not restored") {
                    ui.label(format!(
                        "Restored the wording from {}. {} sees it as soon as your devices \
                         connect.",
                        local_time(at),
                        f.partner()
                    ));
                }
            }
            ui.add_space(4.0);
            match &self.read {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Reading the history…");
                    });
                }
                Some(Err(e)) => {
                    let warn = ui.visuals().warn_fg_color;
                    ui.label(
                        RichText::new(format!("The history could not be read: {e}.")).color(warn),
                    );
                }
                Some(Ok(read)) => {
                    let read = read.clone();
                    self.sessions(ui, f, &read.history.sessions, &read.wording, what);
                }
            }
        });
    }

    fn sessions(
        &mut self,
        ui: &mut Ui,
        f: &Frame<'_>,
        sessions: &[EditSession],
        wording: &Wording,
        what: &str,
    ) {
        if sessions.is_empty() {
            ui.weak("No changes yet.");
            return;
        }
        let newest = sessions.len() - 1;
        for (i, s) in sessions.iter().enumerate().rev().take(self.shown) {
            ui.separator();
            self.session(ui, f, s, i == newest, wording, what);
        }
        if sessions.len() > self.shown {
            let left = sessions.len() - self.shown;
            if ui
                .button(format!("Show older changes ({left} more)"))
                .accessible_name(format!("Show older changes of {what}"))
                .clicked()
            {
                self.shown += PAGE;
            }
        }
    }

    fn session(
        &mut self,
        ui: &mut Ui,
        f: &Frame<'_>,
        s: &EditSession,
        newest: bool,
        wording: &Wording,
        what: &str,
    ) {
        let who = match &s.by {
            Some(p) => f.view.name_of(p),
            None => "Someone (the change did not say who)".to_owned(),
        };
        let when = local_span(s.from, s.to);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&who).strong());
            ui.label(&when);
            if s.restore {
                ui.label(RichText::new("restored an earlier wording").italics());
            }
            ui.weak(format!(
                "+{} \u{2212}{} characters",
                s.inserted_chars, s.removed_chars
            ));
        });
        // Unique per session, so each diff keeps its own open state across frames.
        let id = ui.make_persistent_id(("history_diff", what, s.to, s.from));
        egui::CollapsingHeader::new("What changed")
            .id_salt(id)
            .show(ui, |ui| diff(ui, s));
        ui.horizontal_wrapped(|ui| {
            let open = self.after.as_ref().is_some_and(|(t, _)| *t == s.to);
            let words = if open {
                "Hide this wording"
            } else {
                "Show wording after this"
            };
            if ui
                .button(words)
                .accessible_name(format!("{words}: {what}, {who}, {when}"))
                .clicked()
            {
                if open {
                    self.after = None;
                    self.after_job = None;
                } else {
                    self.after = Some((s.to, None));
                    self.after_job = Some(read_wording(ui.ctx().clone(), wording.clone(), s));
                }
            }
            if newest {
                ui.weak("This is the wording now.");
            } else if ui
                .button("Restore this wording")
                .accessible_name(format!("Restore this wording: {what}, {who}, {when}"))
                .clicked()
            {
                self.confirm = Some(s.to);
            }
        });
        if let Some((t, w)) = &self.after
            && *t == s.to
        {
            match w {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("Reading the wording…");
                    });
                }
                Some(Err(e)) => {
                    let warn = ui.visuals().warn_fg_color;
                    ui.label(
                        RichText::new(format!("That wording could not be read: {e}.")).color(warn),
                    );
                }
                Some(Ok(text)) => {
                    let l = ui.weak(format!("The wording after this change ({when}):"));
                    // Read-only, but selectable for copying a sentence back.
                    let mut shown = text.as_str();
                    egui::Frame::new()
                        .fill(ui.visuals().extreme_bg_color)
                        .inner_margin(8)
                        .corner_radius(4)
                        .show(ui, |ui| {
                            ui.add(
                                egui::TextEdit::multiline(&mut shown)
                                    .frame(egui::Frame::NONE)
                                    .desired_rows(2)
                                    .desired_width(f32::INFINITY),
                            )
                            .labelled_by(l.id);
                        });
                }
            }
        }
        if self.confirm == Some(s.to) {
            let partner = f.partner();
            card(ui, |ui| {
                ui.label(RichText::new("Restore this wording?").strong());
                ui.label(format!(
                    "This replaces the current wording with the one from {}. It is a new edit: \
                     nothing is erased from the history, and {partner}'s device will receive \
                     it.",
                    local_time(s.to)
                ));
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button(RichText::new("Restore").strong())
                        .accessible_name(format!("Restore the wording from {}", local_time(s.to)))
                        .clicked()
                    {
                        f.handle.send(Command::RestoreText {
                            target: self.target.clone(),
                            at: s.to,
                        });
                        self.restored = Some((f.handle.sent(), s.to));
                        self.confirm = None;
                    }
                    if ui.button("Keep the current wording").clicked() {
                        self.confirm = None;
                    }
                });
            });
        }
    }
}

/// Inserted text in green after "+", removed text in red after "−"; the words "Added" and
/// "Removed" before them say the same to a screen reader and to someone who cannot tell the
/// colours apart.
fn diff(ui: &mut Ui, s: &EditSession) {
    let dark = ui.visuals().dark_mode;
    let (green, red) = if dark {
        (
            Color32::from_rgb(120, 210, 140),
            Color32::from_rgb(240, 130, 120),
        )
    } else {
        (
            Color32::from_rgb(20, 120, 50),
            Color32::from_rgb(170, 40, 30),
        )
    };
    if s.inserted.is_empty() && s.removed.is_empty() {
        ui.weak("Nothing that is still there was added, and nothing was removed.");
    }
    if !s.inserted.is_empty() {
        ui.horizontal_top(|ui| {
            ui.weak("Added");
            // Wraps inside the panel: a long passage must not widen the whole screen.
            ui.add(
                egui::Label::new(
                    RichText::new(format!("+ \u{201c}{}\u{201d}", shorten(&s.inserted)))
                        .color(green),
                )
                .wrap(),
            );
        });
    }
    if !s.removed.is_empty() {
        ui.horizontal_top(|ui| {
            ui.weak("Removed");
            ui.add(
                egui::Label::new(
                    RichText::new(format!("\u{2212} \u{201c}{}\u{201d}", shorten(&s.removed)))
                        .color(red),
                )
                .wrap(),
            );
        });
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > DIFF_CHARS {
        let cut: String = text.chars().take(DIFF_CHARS).collect();
        format!("{cut} …")
    } else {
        text.to_owned()
    }
}

/// Reads the history on a thread of its own from a copy of the couple document.
fn start(ctx: egui::Context, handle: Handle, target: TextTarget) -> Receiver<Result<Read, String>> {
    let (tx, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("kintsugi-history".into())
        .spawn(move || {
            let result = read_history(&handle, target);
            let _ = tx.send(result);
            ctx.request_repaint();
        });
    if let Err(e) = spawned {
        let (tx, rx) = channel();
        let _ = tx.send(Err(format!("could not start reading ({e})")));
        return rx;
    }
    rx
}

fn read_history(handle: &Handle, target: TextTarget) -> Result<Read, String> {
    // Waits for the worker (off the UI thread), which answers after the commands sent
    // before, so the copy holds every edit the window has made.
    let (doc, authors) = handle
        .read(|v| (v.model().couple_doc(), v.model().authorship()))
        .recv()
        .map_err(|_| "Kintsugi is closing".to_owned())?;
    // Who wrote each session: verified against the paired devices' keys, never taken from
    // what a change says of itself.
    let history =
        kintsugi_core::text_history_verified(&doc, &target, &authors).map_err(|e| e.to_string())?;
    let wording: Wording = Arc::new(move |s: &EditSession| {
        kintsugi_core::wording_after(&doc, &target, s).map_err(|e| e.to_string())
    });
    Ok(Read { history, wording })
}

fn read_wording(
    ctx: egui::Context,
    wording: Wording,
    s: &EditSession,
) -> Receiver<Result<String, String>> {
    let (tx, rx) = channel();
    let s = s.clone();
    let spawned = std::thread::Builder::new()
        .name("kintsugi-wording".into())
        .spawn(move || {
            let _ = tx.send(wording(&s));
            ctx.request_repaint();
        });
    if let Err(e) = spawned {
        let (tx, rx) = channel();
        let _ = tx.send(Err(format!("could not start reading ({e})")));
        return rx;
    }
    rx
}

/// "Tue 24 Nov 2026 at 14:02", in local time.
pub(crate) fn local_time(at: Timestamp) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_millis_opt(at).single() {
        Some(t) => t.format("%a %-d %b %Y at %H:%M").to_string(),
        None => "an unknown time".to_owned(),
    }
}

/// A session's time in local time: "Tue 24 Nov 2026, 14:02–14:10", or one time when it was
/// within the same minute.
fn local_span(from: Timestamp, to: Timestamp) -> String {
    use chrono::{Local, TimeZone};
    let (Some(a), Some(b)) = (
        Local.timestamp_millis_opt(from).single(),
        Local.timestamp_millis_opt(to).single(),
    ) else {
        return local_time(to);
    };
    let day = a.format("%a %-d %b %Y").to_string();
    let (ta, tb) = (a.format("%H:%M").to_string(), b.format("%H:%M").to_string());
    if a.date_naive() != b.date_naive() {
        format!("{day} {ta} to {}", b.format("%a %-d %b %Y %H:%M"))
    } else if ta == tb {
        format!("{day}, {ta}")
    } else {
        format!("{day}, {ta}\u{2013}{tb}")
    }
}
