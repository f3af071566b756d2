//! The safety page through AccessKit: one click from any screen in both layouts, a copy of one's own data saved in one click (private journal included), and unpairing alone from there.

use std::path::Path;
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId};
use kintsugi_service::{Handle, NetOptions, PeerRecord, now_ms, spawn_with, today_local};

mod common;
use common::{click, press, settle, vault};

const SAFETY: &str = "Safety & help";
const JOURNAL_TEXT: &str = "I walked by the river and noticed I could breathe again.";

/// Loopback only, no mDNS: nothing leaves the machine.
fn loopback() -> NetOptions {
    NetOptions {
        bind: Some(vec!["127.0.0.1:0".parse().expect("socket address")]),
        port: None,
        mdns: false,
        start: false,
    }
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

/// A window on `dir` whose copies of data are saved in `export_dir`.
fn window(dir: &Path, export_dir: &Path, width: f32) -> (Handle, Harness<'static, KintsugiApp>) {
    let handle = spawn_with(
        kintsugi_service::Vault::open(dir).expect("open"),
        loopback(),
    );
    let mut h = Harness::builder()
        .with_size([width, 900.0])
        .with_max_steps(12)
        .build_ui_state(
            |ui, app: &mut KintsugiApp| app.show(ui),
            KintsugiApp::new(handle.clone()).with_export_dir(export_dir),
        );
    h.run();
    (handle, h)
}

#[test]
fn the_safety_page_is_one_click_away_in_both_layouts() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Robin", "Jordan"))));
    let out = tempfile::tempdir().unwrap();
    for width in [1000.0, 380.0] {
        let (handle, mut h) = window(dir.path(), out.path(), width);
        assert_eq!(h.state().screen(), "Journal");
        // Visible without opening any menu, and one click.
        assert!(
            h.query_by_role_and_label(Role::Button, SAFETY).is_some(),
            "in view at {width} px"
        );
        h.get_by_role_and_label(Role::Button, SAFETY).click();
        h.run();
        assert_eq!(h.state().screen(), SAFETY, "at {width} px");
        assert!(h.query_by_label("Safety and help").is_some());
        for words in [
            "your local emergency number",
            "When walking away is the healthy choice",
            "there is violence",
            "coercive",
            "watched or tracked against your will",
            "again and again, with promises but no change",
            "Kintsugi never watches anyone",
            "never knows or records where you are",
            "does not read your messages",
            "1-800-799-7233",
            "988",
            "0808 2000 247",
            "nothing is locked yet",
            "An app lock with a passphrase is coming",
        ] {
            assert!(shows(&h, words), "says {words:?} at {width} px");
        }
        // Addressed to whoever reads it: neither partner is named.
        assert!(!shows(&h, "Robin"), "names no one at {width} px");
        assert!(!shows(&h, "Jordan"), "names no one at {width} px");
        assert!(
            h.query_by_role_and_label(Role::Button, "Close Kintsugi now")
                .is_some()
        );
        handle.shutdown();
    }
}

#[test]
fn one_click_saves_a_copy_of_my_data_with_my_private_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    v.apply(
        Command::AddJournalEntry {
            id: ItemId::random(),
            date: today_local().format("%Y-%m-%d").to_string(),
            mood: Some(3),
            tags: vec![],
            text: JOURNAL_TEXT.into(),
            prompt: None,
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);
    let out = tempfile::tempdir().unwrap();
    let (handle, mut h) = window(dir.path(), out.path(), 1000.0);
    click(&mut h, SAFETY);
    assert!(!shows(&h, "Saved to:"));
    click(&mut h, "Save a copy of my data");

    let files: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file: {files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains(JOURNAL_TEXT),
        "the private journal is in it:\n{text}"
    );
    assert!(text.contains("Sam"));
    // Where it went is said, in full.
    assert!(shows(&h, "Saved to:"));
    assert!(h.query_by_label(&files[0].display().to_string()).is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    // A second copy never overwrites the first.
    click(&mut h, "Save a copy of my data");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 2);
    handle.shutdown();
}

#[test]
fn unpairing_alone_from_the_safety_page() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), Some(("Sam", "Alex")));
    v.put_peer(
        &[7u8; 32],
        &PeerRecord {
            scope: "partner".into(),
            addrs: vec![],
            label: "Alex's laptop".into(),
            paired_at: now_ms(),
            last_synced: None,
            synced_heads: vec![],
            addr_seen: Default::default(),
            last_path: None,
        },
    )
    .unwrap();
    drop(v);
    let out = tempfile::tempdir().unwrap();
    let (handle, mut h) = window(dir.path(), out.path(), 1000.0);
    click(&mut h, SAFETY);
    assert!(shows(&h, "You can unpair alone"));
    assert!(!shows(&h, "not paired with any other device"));
    press(&mut h, "Unpair Alex's laptop…");
    h.run();
    // The same plain question as on the devices screen.
    assert!(h.query_by_label("Unpair Alex's laptop?").is_some());
    assert!(shows(&h, "Everything on this device stays here"));
    click(&mut h, "Keep paired");
    assert_eq!(handle.snapshot().sync.peers.len(), 1);
    press(&mut h, "Unpair Alex's laptop…");
    h.run();
    click(&mut h, "Unpair");
    assert!(
        handle
            .wait_for(Duration::from_secs(10), |s| s.sync.peers.is_empty())
            .is_some(),
        "unpaired"
    );
    h.run();
    assert!(shows(&h, "not paired with any other device"));
    assert_eq!(h.state().screen(), SAFETY, "still on the safety page");
    settle(&mut h);
    handle.shutdown();
}
