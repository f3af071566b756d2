//! The Export screen through AccessKit: a typed path, one click, and the file is written off the UI thread; "export all" fills a new folder and refuses a full one.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId};
use kintsugi_service::now_ms;

mod common;
use common::{press, set_text, vault};

/// A window on `dir` whose exports are prefilled into `export_dir`.
fn window(
    dir: &Path,
    export_dir: &Path,
) -> (kintsugi_service::Handle, Harness<'static, KintsugiApp>) {
    let handle = kintsugi_service::spawn(kintsugi_service::Vault::open(dir).expect("open"));
    let mut h = Harness::builder()
        .with_size([1000.0, 1100.0])
        .with_max_steps(12)
        .build_ui_state(
            |ui, app: &mut KintsugiApp| app.show(ui),
            KintsugiApp::new(handle.clone()).with_export_dir(export_dir),
        );
    h.run();
    (handle, h)
}

/// Draws until `done` holds (the export runs on its own thread), or fails after 10 s.
fn wait(
    h: &mut Harness<'_, KintsugiApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, KintsugiApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.run();
    }
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

#[test]
fn the_export_screen_writes_the_file_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    v.apply(
        Command::AddDisclosure {
            id: ItemId::random(),
            text: "I <met> an ex for coffee & didn't say".into(),
            before_asked: true,
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);
    let out = tempfile::tempdir().unwrap();
    let (handle, mut h) = window(dir.path(), out.path());
    press(&mut h, "Export");
    h.run();
    assert_eq!(h.state().screen(), "Export");
    // Prefilled in the folder exports go to, as a printable page by default.
    let prefilled = h
        .get_by_label("File to save the export in")
        .value()
        .unwrap();
    assert!(
        prefilled.starts_with(&out.path().display().to_string()),
        "{prefilled}"
    );
    assert!(prefilled.ends_with(".html"), "{prefilled}");
    assert!(shows(&h, "Include my private journal and self-care list"));

    let target = out.path().join("for-our-therapist.html");
    set_text(
        &mut h,
        "File to save the export in",
        target.to_str().unwrap(),
    );
    press(&mut h, "Save the export");
    wait(&mut h, "Saved to", |h| shows(h, "Saved to"));
    let html = std::fs::read_to_string(&target).unwrap();
    assert!(html.contains("<h2>Disclosures</h2>"), "{html}");
    assert!(html.contains("I &lt;met&gt; an ex for coffee &amp; didn&#39;t say"));
    assert!(!html.contains("My private journal"), "off unless chosen");
    assert!(shows(&h, &target.display().to_string()));

    // A place that cannot be written: said calmly, nothing lost, the path still there to fix.
    let bad = out.path().join("no-such-folder").join("x.html");
    set_text(&mut h, "File to save the export in", bad.to_str().unwrap());
    press(&mut h, "Save the export");
    wait(&mut h, "the error", |h| {
        shows(h, "The export was not saved")
    });
    assert!(shows(&h, "the folder does not exist"));
    assert_eq!(
        h.get_by_label("File to save the export in")
            .value()
            .unwrap(),
        bad.display().to_string()
    );
    handle.shutdown();
}

#[test]
fn export_all_fills_a_new_folder_and_refuses_one_with_files() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let out = tempfile::tempdir().unwrap();
    let (handle, mut h) = window(dir.path(), out.path());
    press(&mut h, "Export");
    h.run();
    let folder = out.path().join("everything");
    set_text(
        &mut h,
        "Folder to save all my data in",
        folder.to_str().unwrap(),
    );
    press(&mut h, "Export all my data…");
    wait(&mut h, "Saved to", |h| shows(h, "Saved to"));
    for f in [
        "kintsugi-data.json",
        "couple.automerge",
        "private.automerge",
        "README.txt",
    ] {
        assert!(folder.join(f).is_file(), "{f}");
    }
    press(&mut h, "Export all my data…");
    wait(&mut h, "the refusal", |h| shows(h, "already holds files"));
    handle.shutdown();
}
