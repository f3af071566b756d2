//! The safety page: when walking away is the healthy choice, that Kintsugi watches no one, unpairing and keeping one's own data in one click each, and where to find help.

use std::io::Write;
use std::path::{Path, PathBuf};

use egui::{RichText, Ui};
use kintsugi_core::{ExportFormat, ExportScope, export};

use crate::pairing::Unpair;
use crate::screens::Page;
use crate::widgets::card;
use crate::{Frame, Shared};

/// The words (and accessible name) of the export button.
pub(crate) const SAVE_COPY: &str = "Save a copy of my data";
/// The words (and accessible name) of the quick-exit button.
pub(crate) const CLOSE_NOW: &str = "Close Kintsugi now";

#[derive(Default)]
pub struct SafetyState {
    /// Where the last copy was saved, or why it could not be.
    saved: Option<Result<PathBuf, String>>,
}

impl Page for SafetyState {
    fn show(&mut self, ui: &mut Ui, shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, shared, f);
    }
}

fn section(ui: &mut Ui, title: &str) {
    ui.add_space(14.0);
    ui.label(RichText::new(title).size(19.0).strong());
}

/// A short list: each line after a dash, wrapped lines indented under their first word.
fn bullets(ui: &mut Ui, lines: &[&str]) {
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = 4.0;
        for l in lines {
            ui.horizontal_top(|ui| {
                ui.spacing_mut().item_spacing.x = 8.0;
                ui.add_space(6.0);
                ui.label("-");
                ui.add(egui::Label::new(*l).wrap());
            });
        }
    });
}

fn show(ui: &mut Ui, st: &mut SafetyState, shared: &mut Shared, f: &Frame<'_>) {
    ui.heading("Safety and help");
    ui.label(
        "If you are in danger right now, call your local emergency number: 911 in the US and \
         Canada, 999 in the UK, 000 in Australia, 112 across the EU and in many other countries.",
    );

    section(ui, "When walking away is the healthy choice");
    ui.label(
        "Kintsugi is for repairing trust. Not every relationship should be repaired, and \
         leaving can be the healthy choice. It may be time to step away, and to get help, if:",
    );
    bullets(
        ui,
        &[
            "there is violence, or you are afraid there might be;",
            "there are threats: to you, to children or pets, or of self-harm to stop you leaving;",
            "one person controls the other: money, friends, where you go, who you talk to \
             (coercive control);",
            "you are watched or tracked against your will: your phone, messages or location;",
            "trust is broken again and again, with promises but no change.",
        ],
    );
    ui.label(
        "None of this is yours to fix alone, and it is not your fault. You do not need anyone's \
         permission to leave. If you recognise your own behaviour here, help exists for that \
         too, and asking for it is a real step toward change.",
    );

    section(ui, "Where to find help");
    ui.label(
        "You do not have to be sure of anything before you call. If the phone or computer you use may be watched, use one only you \
         can reach, such as a friend's phone or a library computer.",
    );
    ui.add_space(4.0);
    helplines(
        ui,
        "United States",
        &[
            "National Domestic Violence Hotline: 1-800-799-7233 (thehotline.org)",
            "988 Suicide & Crisis Lifeline: call or text 988",
        ],
    );
    helplines(
        ui,
        "United Kingdom",
        &[
            "National Domestic Abuse Helpline: 0808 2000 247, free, day and night",
            "Samaritans (UK and Ireland): 116 123, free, day and night",
        ],
    );
    helplines(
        ui,
        "Australia",
        &["1800RESPECT: 1800 737 732", "Lifeline: 13 11 14"],
    );
    helplines(
        ui,
        "Elsewhere",
        &[
            "Your local emergency number, or ask a doctor, a counsellor or someone you trust to \
           help you find your country's domestic abuse or crisis line.",
        ],
    );

    section(ui, "Kintsugi never watches anyone");
    bullets(
        ui,
        &[
            "It never knows or records where you are.",
            "It does not read your messages, calls, photos or other apps.",
            "It has no server, no account and no analytics. What you write leaves this device \
             only for devices that were paired with it: your partner's, which receive only \
             what you share, and your own.",
            "Your private journal and apology drafts never go to your partner's devices.",
            "There are no hidden features. Openness here is something one of you offers, never \
             something the app enforces.",
        ],
    );

    section(ui, "Stepping back, on your own");
    card(ui, |ui| {
        ui.label(RichText::new("Unpair").strong());
        ui.label(
            "You can unpair alone, at any time, without asking anyone. This device stops \
             syncing at once, and everything on it stays here.",
        );
        if f.snap.sync.peers.is_empty() {
            ui.weak("This device is not paired with any other device: nothing leaves it.");
        }
        for peer in &f.snap.sync.peers {
            ui.horizontal_wrapped(|ui| {
                ui.label(&peer.label);
                let r = ui
                    .button("Unpair…")
                    .accessible_name(format!("Unpair {}…", peer.label));
                if r.clicked() {
                    shared.pairing.unpair = Some(Unpair {
                        id: peer.id.clone(),
                        name: peer.label.clone(),
                        own_device: peer.scope == "own_device",
                    });
                }
            });
        }
    });
    ui.add_space(8.0);
    card(ui, |ui| {
        ui.label(RichText::new("Keep a copy of your data").strong());
        ui.label(
            "One file with everything on this device that is yours to keep: your private \
             journal, what you share, your check-ins and agreements. The file is not locked: \
             keep it where only you can open it.",
        );
        if ui.button(RichText::new(SAVE_COPY).strong()).clicked() {
            st.saved = Some(save_copy(shared, f));
        }
        match &st.saved {
            Some(Ok(path)) => {
                ui.label("Saved to:");
                ui.add(egui::Label::new(
                    RichText::new(path.display().to_string()).monospace(),
                ));
            }
            Some(Err(e)) => {
                let warn = ui.visuals().warn_fg_color;
                ui.label(RichText::new(format!("The copy was not saved: {e}")).color(warn));
            }
            None => {}
        }
    });

    section(ui, "Leaving this screen quickly");
    ui.label(
        "Closing the window hides Kintsugi at once, but nothing is locked yet: anyone who opens \
         Kintsugi on this device can read what is in it. An app lock with a passphrase is coming.",
    );
    if ui.button(CLOSE_NOW).clicked() {
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

fn helplines(ui: &mut Ui, place: &str, lines: &[&str]) {
    ui.add_space(4.0);
    ui.label(RichText::new(place).strong());
    for l in lines {
        ui.label(*l);
    }
}

/// The folder a copy is saved in: the one the window was given, else the person's documents
/// folder, else their home folder, else the data folder.
fn copy_dir(shared: &Shared, f: &Frame<'_>) -> Option<PathBuf> {
    if let Some(d) = &shared.export_dir {
        return Some(d.clone());
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .filter(|h| h.is_dir());
    if let Some(h) = home {
        let docs = h.join("Documents");
        return Some(if docs.is_dir() { docs } else { h });
    }
    let data = PathBuf::from(f.data_dir_label);
    data.is_dir().then_some(data)
}

/// Writes everything this partner may keep (their private journal included) as Markdown.
fn save_copy(shared: &Shared, f: &Frame<'_>) -> Result<PathBuf, String> {
    let dir = copy_dir(shared, f).ok_or("no folder to save in was found")?;
    let text = export(
        f.view,
        &ExportScope {
            from: None,
            to: None,
            own_private: true,
        },
        ExportFormat::Markdown,
    );
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    for n in 0..100 {
        let name = if n == 0 {
            format!("kintsugi-my-data-{stamp}.md")
        } else {
            format!("kintsugi-my-data-{stamp}-{n}.md")
        };
        let path = dir.join(name);
        match write_new(&path, text.as_bytes()) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{} ({})", e, dir.display())),
        }
    }
    Err(format!("too many copies already in {}", dir.display()))
}

/// Creates `path` (never over an existing file), readable by its owner only where that can be
/// said, and writes `bytes` durably.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
