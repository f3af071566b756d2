//! No subcommand: the window, or one plain line saying why there cannot be one here.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow};
use kintsugi_app::WindowError;
use kintsugi_service::spawn_at;

use super::net_options;

/// The way on without a window, said with every "no display" message.
const WITHOUT_A_WINDOW: &str =
    "the command line works without a window: see `kintsugi --help` (e.g. `kintsugi journal list`)";

pub fn run(dir: &Path) -> Result<()> {
    // Judged before the data is opened: a headless machine should get the message, not a lock
    // held on the data or a store created for nothing.
    kintsugi_app::check_display().map_err(said)?;
    let opts = net_options()?;
    // With a passphrase set, the window opens on its lock screen.
    let handle = spawn_at(dir, opts)?;
    let result = kintsugi_app::run(handle.clone(), &dir.display().to_string());
    // Whatever happened to the window, typing still in memory is saved before exit.
    handle.flush();
    if !handle.wait_saved(Duration::from_secs(10)) {
        eprintln!("kintsugi: the last edits could not be saved; see the message in the window");
    }
    handle.shutdown();
    result.map_err(said)
}

/// One line: what is missing and, if it is the display, what works instead.
fn said(e: WindowError) -> anyhow::Error {
    let text = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if e.is_no_display() {
        anyhow!("cannot open the window: {text}; {WITHOUT_A_WINDOW}")
    } else {
        anyhow!("{text}")
    }
}
