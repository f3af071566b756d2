//! Opening the native window, and saying in plain words why it could not be opened.

use std::fmt;

use kintsugi_service::Handle;

use crate::KintsugiApp;

/// Why the window did not open, or ended with an error.
#[derive(Debug)]
pub enum WindowError {
    /// There is no display to draw on (e.g. a server, or a session over SSH without forwarding).
    NoDisplay(String),
    /// The display is there but the window could not be made or kept (graphics driver, …).
    Failed(String),
}

impl WindowError {
    pub fn is_no_display(&self) -> bool {
        matches!(self, WindowError::NoDisplay(_))
    }
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowError::NoDisplay(why) => write!(f, "no display found ({why})"),
            WindowError::Failed(why) => write!(f, "the window could not be opened: {why}"),
        }
    }
}

impl std::error::Error for WindowError {}

/// Whether a window can be opened at all, judged before anything is started: on Linux and the
/// BSDs a window needs `WAYLAND_DISPLAY` or `DISPLAY`. Elsewhere there is always a desktop.
pub fn check_display() -> Result<(), WindowError> {
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") && !set("WAYLAND_SOCKET") {
            return Err(WindowError::NoDisplay(
                "DISPLAY and WAYLAND_DISPLAY are not set".into(),
            ));
        }
    }
    Ok(())
}

/// Opens the native window "Kintsugi" and runs it until closed; then saves and stops the worker.
/// `data_dir_label` is shown in the window title so two instances can be told apart.
pub fn run(handle: Handle, data_dir_label: &str) -> Result<(), WindowError> {
    let closing = handle.clone();
    let result = check_display().and_then(|()| open(handle, data_dir_label));
    // on_exit already did this on a normal close; repeating it is harmless and covers the
    // paths where the window could not be created at all.
    closing.flush();
    closing.shutdown();
    result
}

fn open(handle: Handle, data_dir_label: &str) -> Result<(), WindowError> {
    let title = if data_dir_label.is_empty() {
        "Kintsugi".to_owned()
    } else {
        format!("Kintsugi — {data_dir_label}")
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_app_id("kintsugi")
            .with_inner_size([1000.0, 720.0])
            .with_min_inner_size([360.0, 480.0]),
        ..Default::default()
    };
    let label = data_dir_label.to_owned();
    eframe::run_native(
        "Kintsugi",
        options,
        Box::new(move |cc| {
            crate::session_lock::watch(cc.egui_ctx.clone(), handle.clone());
            Ok(Box::new(
                KintsugiApp::new(handle).with_data_dir_label(label),
            ))
        }),
    )
    .map_err(explain)
}

/// eframe's error in the person's words. Failing to make the event loop means the display
/// named in the environment is not there (or refuses us), which is said as such.
fn explain(e: eframe::Error) -> WindowError {
    match e {
        eframe::Error::WinitEventLoop(e) => {
            let named = ["WAYLAND_DISPLAY", "DISPLAY"]
                .into_iter()
                .find_map(|n| {
                    std::env::var(n)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| format!("{n}={v}"))
                })
                .unwrap_or_else(|| "the display".into());
            // winit puts where in its own source the error arose first ("os error at
            // …/mod.rs:788: …"), which means nothing to the person reading it.
            let e = e.to_string();
            let why = e
                .split(": ")
                .filter(|part| !part.starts_with("os error at "))
                .collect::<Vec<_>>()
                .join(": ");
            WindowError::NoDisplay(format!("{named} could not be opened: {why}"))
        }
        other => WindowError::Failed(other.to_string()),
    }
}
