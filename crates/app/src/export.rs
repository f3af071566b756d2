//! The Export screen: a chosen period to Markdown, printable HTML or JSON for a therapist, and "export all my data" into a folder; the writing runs off the UI thread with a progress bar.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Months, NaiveDate};
use egui::{RichText, Ui};
use kintsugi_core::{ExportFormat, ExportScope, export_document, parse_date};
use kintsugi_service::{DataCopy, Handle, write_all};

use crate::screens::Page;
use crate::widgets::{card, choice};
use crate::{Frame, Shared};

/// The navigation label of this screen.
pub(crate) const LABEL: &str = "Export";
/// The words (and accessible names) of the main buttons.
pub(crate) const EXPORT: &str = "Save the export";
pub(crate) const EXPORT_ALL: &str = "Export all my data…";
/// Accessible names of the path boxes.
pub(crate) const FILE_BOX: &str = "File to save the export in";
pub(crate) const FOLDER_BOX: &str = "Folder to save all my data in";

/// A person could take longer than this in a dialog they chose to cancel; a dialog that
/// returns nothing sooner most likely never opened (no portal on this desktop).
const DIALOG_FAILED_WITHIN: Duration = Duration::from_millis(400);

/// Two documents with pages, like a book: the icon of the Export screen.
pub(crate) fn icon(p: &egui::Painter, r: egui::Rect, c: egui::Color32) {
    let at = |x: f32, y: f32| egui::pos2(r.left() + x * r.width(), r.top() + y * r.height());
    let s = egui::Stroke::new(1.4, c);
    p.line(
        vec![
            at(0.2, 0.1),
            at(0.62, 0.1),
            at(0.82, 0.3),
            at(0.82, 0.92),
            at(0.2, 0.92),
            at(0.2, 0.1),
        ],
        s,
    );
    p.line(vec![at(0.36, 0.5), at(0.66, 0.5)], s);
    p.line(vec![at(0.36, 0.66), at(0.66, 0.66)], s);
    p.line(vec![at(0.51, 0.26), at(0.51, 0.42)], s);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    LastMonth,
    SinceLastSession,
    ThreeMonths,
    Year,
    All,
    Custom,
}

impl Period {
    const ALL: [Period; 6] = [
        Period::LastMonth,
        Period::SinceLastSession,
        Period::ThreeMonths,
        Period::Year,
        Period::All,
        Period::Custom,
    ];
    fn words(self) -> &'static str {
        match self {
            Period::LastMonth => "Last month",
            Period::SinceLastSession => "Since our last session",
            Period::ThreeMonths => "Last 3 months",
            Period::Year => "Last year",
            Period::All => "Everything",
            Period::Custom => "Choose dates",
        }
    }
}

/// What a running (or finished) job reports to the screen.
#[derive(Default)]
struct Progress {
    done: usize,
    total: usize,
    step: String,
    /// Set once: where it was saved, or why not.
    outcome: Option<Result<PathBuf, String>>,
}

/// Which box a native dialog fills.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    File,
    Folder,
}

struct Dialog {
    target: Target,
    opened: Instant,
    /// The chosen path; None when the dialog was closed without one (or could not open).
    result: Arc<Mutex<Option<Option<PathBuf>>>>,
}

pub struct ExportState {
    period: Period,
    from: String,
    to: String,
    format: ExportFormat,
    include_private: bool,
    path: String,
    folder: String,
    /// Filled once, the first time the screen is shown (it needs the folder).
    prefilled: bool,
    job: Option<Arc<Mutex<Progress>>>,
    dialog: Option<Dialog>,
    dialog_note: Option<String>,
}

impl Default for ExportState {
    fn default() -> Self {
        ExportState {
            period: Period::LastMonth,
            from: String::new(),
            to: String::new(),
            format: ExportFormat::Html,
            include_private: false,
            path: String::new(),
            folder: String::new(),
            prefilled: false,
            job: None,
            dialog: None,
            dialog_note: None,
        }
    }
}

impl Page for ExportState {
    fn show(&mut self, ui: &mut Ui, shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, shared, f);
    }
}

/// The folder exports go to by default: the one the window was given, else the person's
/// documents folder, else their home folder, else the working folder.
fn default_dir(shared: &Shared) -> PathBuf {
    if let Some(d) = &shared.export_dir {
        return d.clone();
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .filter(|h| h.is_dir());
    match home {
        Some(h) if h.join("Documents").is_dir() => h.join("Documents"),
        Some(h) => h,
        None => PathBuf::from("."),
    }
}

fn today() -> NaiveDate {
    kintsugi_service::today_local()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The file name a new export gets, for the chosen format and today.
fn file_name(format: ExportFormat) -> String {
    format!("kintsugi-export-{}.{}", ymd(today()), format.extension())
}

/// The period as dates, or why the custom dates cannot be used.
fn scope(st: &ExportState, f: &Frame<'_>) -> Result<ExportScope, String> {
    let today = today();
    let back = |months: u32| {
        today
            .checked_sub_months(Months::new(months))
            .map(|d| ymd(d.succ_opt().unwrap_or(d)))
    };
    let (from, to) = match st.period {
        Period::LastMonth => (back(1), Some(ymd(today))),
        Period::ThreeMonths => (back(3), Some(ymd(today))),
        Period::Year => (back(12), Some(ymd(today))),
        Period::All => (None, None),
        Period::SinceLastSession => {
            let at = f
                .view
                .last_session_at()
                .ok_or("No session has been marked yet.")?;
            let day = chrono::DateTime::from_timestamp_millis(at)
                .map(|d| ymd(d.with_timezone(&chrono::Local).date_naive()));
            (day, Some(ymd(today)))
        }
        Period::Custom => {
            let date = |s: &str, which: &str| -> Result<Option<String>, String> {
                let s = s.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                parse_date(s).map(|d| Some(ymd(d))).ok_or(format!(
                    "The {which} date '{s}' is not a date like 2026-03-01."
                ))
            };
            let (from, to) = (date(&st.from, "first")?, date(&st.to, "last")?);
            if let (Some(a), Some(b)) = (&from, &to)
                && a > b
            {
                return Err("The first day is after the last day.".into());
            }
            (from, to)
        }
    };
    Ok(ExportScope {
        from,
        to,
        own_private: st.include_private,
    })
}

fn show(ui: &mut Ui, st: &mut ExportState, shared: &mut Shared, f: &Frame<'_>) {
    if !st.prefilled {
        st.prefilled = true;
        let dir = default_dir(shared);
        st.path = dir.join(file_name(st.format)).display().to_string();
        st.folder = dir
            .join(format!("kintsugi-all-my-data-{}", ymd(today())))
            .display()
            .to_string();
    }
    poll_dialog(st);
    let running = st.job.as_ref().is_some_and(|j| lock(j).outcome.is_none());
    if running || st.dialog.is_some() {
        // Progress arrives from other threads, which also ask for a repaint; this is a fallback.
        ui.ctx().request_repaint_after(Duration::from_millis(100));
    }

    ui.heading("Export");
    ui.label(
        "Bring a chosen period to your therapist, or keep it for yourselves: the agreement and \
         how it changed, check-ins, commitments, disclosures, triggers, questions, wins, time \
         together, shared apologies and therapy topics. Only what both of you can see goes in: \
         a check-in your partner has not revealed yet shows as answered, nothing more.",
    );
    ui.add_space(8.0);

    card(ui, |ui| {
        ui.label(RichText::new("Period").strong());
        ui.horizontal_wrapped(|ui| {
            for p in Period::ALL {
                let available = p != Period::SinceLastSession || f.view.last_session_at().is_some();
                let r = ui.add_enabled_ui(available, |ui| choice(ui, st.period == p, p.words()));
                let r = r.inner;
                let r = if available {
                    r
                } else {
                    r.on_disabled_hover_text("No therapy topic has been marked discussed yet.")
                };
                if r.clicked() {
                    st.period = p;
                }
            }
        });
        if st.period == Period::Custom {
            ui.horizontal_wrapped(|ui| {
                let l = ui.label("From");
                ui.add(
                    egui::TextEdit::singleline(&mut st.from)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(110.0),
                )
                .labelled_by(l.id)
                .accessible_name("First day (YYYY-MM-DD)");
                let l = ui.label("to");
                ui.add(
                    egui::TextEdit::singleline(&mut st.to)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(110.0),
                )
                .labelled_by(l.id)
                .accessible_name("Last day (YYYY-MM-DD)");
            });
        }
        match scope(st, f) {
            Ok(s) => {
                ui.weak(format!("From {}.", s.describe()));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().warn_fg_color, e);
            }
        }

        ui.add_space(6.0);
        ui.label(RichText::new("Format").strong());
        ui.horizontal_wrapped(|ui| {
            for (format, words) in [
                (ExportFormat::Html, "Printable page (HTML)"),
                (ExportFormat::Markdown, "Markdown"),
                (ExportFormat::Json, "JSON"),
            ] {
                if choice(ui, st.format == format, words).clicked() && st.format != format {
                    st.format = format;
                    st.path = with_extension(&st.path, format);
                }
            }
        });

        ui.add_space(6.0);
        ui.checkbox(
            &mut st.include_private,
            "Include my private journal and self-care list",
        );
        ui.weak(
            "Off unless you choose it. Your journal and self-care list are yours: leave them \
             out of what you give a therapist or your partner. Your partner's private journal \
             is never on this device.",
        );

        ui.add_space(6.0);
        let l = ui.label(RichText::new("Save as").strong());
        path_row(ui, st, Target::File, l.id);
        let ok = !running && scope(st, f).is_ok() && !st.path.trim().is_empty();
        if ui
            .add_enabled(ok, egui::Button::new(RichText::new(EXPORT).strong()))
            .clicked()
            && let Ok(scope) = scope(st, f)
        {
            st.job = Some(start_export(
                ui.ctx(),
                f.handle,
                scope,
                st.format,
                PathBuf::from(st.path.trim()),
            ));
        }
    });
    ui.add_space(8.0);
    card(ui, |ui| {
        ui.label(RichText::new("Export all my data").strong());
        ui.label(
            "Everything on this device that is yours or shared with you, into a new folder: one \
             readable JSON file and both documents exactly as stored (your private journal \
             included). Keep it where only you can open it.",
        );
        let l = ui.label("Folder");
        path_row(ui, st, Target::Folder, l.id);
        let ok = !running && !st.folder.trim().is_empty();
        if ui.add_enabled(ok, egui::Button::new(EXPORT_ALL)).clicked() {
            st.job = Some(start_export_all(
                ui.ctx(),
                f.handle,
                PathBuf::from(st.folder.trim()),
            ));
        }
    });

    if let Some(note) = &st.dialog_note {
        ui.label(note.as_str());
    }
    if let Some(job) = &st.job {
        let p = lock(job);
        match &p.outcome {
            None => {
                let fraction = if p.total == 0 {
                    0.0
                } else {
                    p.done as f32 / p.total as f32
                };
                let words = if p.step.is_empty() {
                    "Preparing…".to_owned()
                } else {
                    format!("Written: {}", p.step)
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .text(words.as_str())
                        .show_percentage(),
                )
                .on_hover_text("Export progress");
            }
            Some(Ok(path)) => {
                ui.label(format!("Saved to {}", path.display()));
            }
            Some(Err(e)) => {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "The export was not saved: {e} Your data is unchanged; try another place."
                    ),
                );
            }
        }
    }
}

/// A path box and its "Choose…" button.
fn path_row(ui: &mut Ui, st: &mut ExportState, target: Target, label: egui::Id) {
    ui.horizontal(|ui| {
        let (text, name, choose) = match target {
            Target::File => (&mut st.path, FILE_BOX, "Choose a file…"),
            Target::Folder => (&mut st.folder, FOLDER_BOX, "Choose a folder…"),
        };
        ui.add(
            egui::TextEdit::singleline(text)
                .desired_width((ui.available_width() - 90.0).max(120.0)),
        )
        .labelled_by(label)
        .accessible_name(name);
        let free = st.dialog.is_none();
        if ui
            .add_enabled(free, egui::Button::new("Choose…"))
            .on_hover_text(choose)
            .accessible_name(choose)
            .clicked()
        {
            let current = PathBuf::from(match target {
                Target::File => st.path.trim(),
                Target::Folder => st.folder.trim(),
            });
            st.dialog_note = None;
            st.dialog = Some(open_dialog(ui.ctx(), target, &current));
        }
    });
}

/// Opens the system's save or folder dialog on its own thread; the frame never waits for it.
fn open_dialog(ctx: &egui::Context, target: Target, current: &Path) -> Dialog {
    let result = Arc::new(Mutex::new(None));
    let out = result.clone();
    let ctx = ctx.clone();
    let dir = current.parent().filter(|d| d.is_dir()).map(Path::to_owned);
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let spawned = std::thread::Builder::new()
        .name("kintsugi-dialog".into())
        .spawn(move || {
            let mut d = rfd::AsyncFileDialog::new();
            if let Some(dir) = dir {
                d = d.set_directory(dir);
            }
            let chosen = match target {
                Target::File => {
                    if let Some(name) = name {
                        d = d.set_file_name(name);
                    }
                    pollster::block_on(d.save_file())
                }
                Target::Folder => pollster::block_on(d.pick_folder()),
            };
            *lock(&out) = Some(chosen.map(|h| h.path().to_owned()));
            ctx.request_repaint();
        });
    if spawned.is_err() {
        *lock(&result) = Some(None);
    }
    Dialog {
        target,
        opened: Instant::now(),
        result,
    }
}

fn poll_dialog(st: &mut ExportState) {
    let Some(d) = &st.dialog else { return };
    let Some(chosen) = lock(&d.result).take() else {
        return;
    };
    let (target, quick) = (d.target, d.opened.elapsed() < DIALOG_FAILED_WITHIN);
    st.dialog = None;
    match (chosen, target) {
        (Some(p), Target::File) => st.path = p.display().to_string(),
        (Some(p), Target::Folder) => st.folder = p.display().to_string(),
        (None, _) if quick => {
            st.dialog_note = Some(
                "The system's file dialog did not open on this desktop. Type the path in the box \
                 instead; it works just the same."
                    .into(),
            );
        }
        (None, _) => {}
    }
}

/// `path` with the extension of `format`, when it had one of ours (else unchanged).
fn with_extension(path: &str, format: ExportFormat) -> String {
    let p = PathBuf::from(path);
    match p.extension().and_then(|e| e.to_str()) {
        Some("md" | "html" | "json") => p.with_extension(format.extension()).display().to_string(),
        _ => path.to_owned(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes the view and a copy of the couple document from the worker, renders and writes on a
/// thread of its own.
fn start_export(
    ctx: &egui::Context,
    handle: &Handle,
    scope: ExportScope,
    format: ExportFormat,
    path: PathBuf,
) -> Arc<Mutex<Progress>> {
    let job = Arc::new(Mutex::new(Progress::default()));
    let (out, ctx) = (job.clone(), ctx.clone());
    let copy = handle.read(|v| (v.view(), v.model().couple_doc()));
    run(job.clone(), move || {
        let (view, couple) = copy.recv().map_err(|_| "Kintsugi is closing.".to_owned())?;
        let text = export_document(&view, Some(&couple), &scope, format, &mut |d, t, s| {
            let mut p = lock(&out);
            (p.done, p.total, p.step) = (d, t, s.to_owned());
            drop(p);
            ctx.request_repaint();
        });
        write_file(&path, text.as_bytes()).map_err(|e| io_words(&e, &path))?;
        Ok(path)
    });
    job
}

fn start_export_all(ctx: &egui::Context, handle: &Handle, dir: PathBuf) -> Arc<Mutex<Progress>> {
    let job = Arc::new(Mutex::new(Progress::default()));
    let (out, ctx) = (job.clone(), ctx.clone());
    let copy = handle.read(|v| DataCopy::of(v.model()));
    run(job.clone(), move || {
        let data = copy.recv().map_err(|_| "Kintsugi is closing.".to_owned())?;
        let summary = write_all(&data, &dir, &mut |d, t, s| {
            let mut p = lock(&out);
            (p.done, p.total, p.step) = (d, t, s.to_owned());
            drop(p);
            ctx.request_repaint();
        })
        .map_err(|e| match e {
            kintsugi_service::ExportError::Io { source, path } => {
                io_words(&source, Path::new(&path))
            }
            other => format!("{other}."),
        })?;
        Ok(summary.dir)
    });
    job
}

/// Runs `work` on its own thread and records its outcome in `job`.
fn run(job: Arc<Mutex<Progress>>, work: impl FnOnce() -> Result<PathBuf, String> + Send + 'static) {
    let out = job.clone();
    let spawned = std::thread::Builder::new()
        .name("kintsugi-export".into())
        .spawn(move || {
            let outcome = work();
            lock(&out).outcome = Some(outcome);
        });
    if let Err(e) = spawned {
        lock(&job).outcome = Some(Err(format!("could not start ({e}).")));
    }
}

/// Writes beside the target and renames, so a full disk never leaves half a file where a good
/// one was.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("kintsugi-tmp");
    let written = (|| {
        // A temporary left by an interrupted earlier export may carry other permissions: it is
        // replaced, never reused.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        // Only the person who exported may read it: it can hold the private journal.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// What went wrong, in words a person can act on.
fn io_words(e: &std::io::Error, path: &Path) -> String {
    use std::io::ErrorKind as K;
    let place = path.display();
    match e.kind() {
        K::StorageFull => format!("the disk is full ({place})."),
        K::PermissionDenied | K::ReadOnlyFilesystem => {
            format!("Kintsugi may not write there ({place}).")
        }
        K::NotFound => format!("the folder does not exist ({place})."),
        _ => format!("{e} ({place})."),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A temporary left behind by an interrupted earlier export (older versions wrote it with
    /// the umask's 0644) must not lend its permissions to the new file.
    #[test]
    fn an_export_over_a_stale_temporary_is_still_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.md");
        let stale = path.with_extension("kintsugi-tmp");
        std::fs::write(&stale, "half an old export").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&path, b"PRIVATE").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(std::fs::read(&path).unwrap(), b"PRIVATE");
    }
}
