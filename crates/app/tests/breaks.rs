//! Breaks through the window: started on one device, the same end time and a countdown on the other, wherever it is; time added and an early end, with who did each on both; then "Ready to come back?".

use std::path::Path;
use std::sync::Arc;

use chrono::{Local, TimeZone};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId};
use kintsugi_service::{Handle, Vault, now_ms, spawn};

mod common;
use common::{click, deliver, harness, type_into, vault};

fn window(dir: &Path, width: f32) -> (Handle, Harness<'static, KintsugiApp>) {
    let handle = spawn(Vault::open(dir).expect("open vault"));
    let mut h = harness(handle.clone(), width);
    h.run();
    (handle, h)
}

fn view(h: &Harness<'_, KintsugiApp>) -> Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn button(h: &Harness<'_, KintsugiApp>, label: &str) -> bool {
    h.query_by_role_and_label(Role::Button, label).is_some()
}

/// "On a break until 14:35", as both windows must say it for an end at `ends_at` today.
fn until(ends_at: i64) -> String {
    let t = Local.timestamp_millis_opt(ends_at).single().unwrap();
    let today = Local::now().date_naive();
    if t.date_naive() == today {
        format!("On a break until {}", t.format("%H:%M"))
    } else {
        format!("On a break until tomorrow {}", t.format("%H:%M"))
    }
}

/// The countdown on screen: "19:58 left".
fn countdown(h: &Harness<'_, KintsugiApp>) -> String {
    let label = h
        .query_all_by_label_contains(" left")
        .filter_map(|n| n.value())
        .find(|l| {
            let t = l.trim_end_matches(" left");
            t.len() == 5 && t.as_bytes()[2] == b':' && t.replace(':', "").parse::<u32>().is_ok()
        });
    label.expect("a mm:ss countdown")
}

#[test]
fn a_break_counts_down_to_one_end_on_both_devices_and_both_see_who_changed_it() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    drop(vault(db.path(), Some(("Alex", "Sam"))));

    // Sam starts twenty minutes, with a word.
    let (ha, mut a) = window(da.path(), 1000.0);
    click(&mut a, "Take a break");
    type_into(
        &mut a,
        "A word with it (optional)",
        "I want to come back to this.",
    );
    click(&mut a, "Break for 20 minutes");
    let b = view(&a).breaks[0].clone();
    assert!(b.is_running(now_ms()));
    assert!(
        (b.ends_at - b.started_at - 20 * 60_000).abs() < 5_000,
        "twenty minutes from when it was pressed"
    );
    assert_eq!(b.note, "I want to come back to this.");
    assert!(a.query_by_label(&until(b.ends_at)).is_some());
    let first = countdown(&a);
    assert!(
        first.starts_with("19:") || first.starts_with("20:"),
        "{first}"
    );
    assert!(shows(&a, "Sam started it just now."));
    assert!(!button(&a, "Break for 20 minutes"), "one break at a time");
    // The countdown moves on each second.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    a.run();
    assert_ne!(countdown(&a), first);
    // Elsewhere in the window, a small strip with the same end.
    click(&mut a, "Journal");
    assert!(a.query_by_label(&until(b.ends_at)).is_some());
    click(&mut a, "Open the break");
    assert_eq!(a.state().screen(), "Take a break");
    ha.shutdown();
    drop(a);

    // Alex's window, on the journal: the same end time.
    deliver(da.path(), db.path());
    let (hb, mut w) = window(db.path(), 1000.0);
    assert_eq!(w.state().screen(), "Journal");
    assert!(w.query_by_label(&until(b.ends_at)).is_some());
    countdown(&w);
    click(&mut w, "Open the break");
    assert!(shows(&w, "I want to come back to this."));
    assert!(shows(&w, "Sam started it"));
    click(&mut w, "Add 10 minutes");
    let ext = view(&w).breaks[0].clone();
    assert_eq!(ext.ends_at, b.ends_at + 10 * 60_000);
    assert!(w.query_by_label(&until(ext.ends_at)).is_some());
    assert!(shows(&w, "Alex added 10 minutes"));
    hb.shutdown();
    drop(w);

    // Sam sees who added the time, and ends the break early.
    deliver(db.path(), da.path());
    let (ha, mut a) = window(da.path(), 1000.0);
    assert!(a.query_by_label(&until(ext.ends_at)).is_some());
    click(&mut a, "Open the break");
    assert!(shows(&a, "Alex added 10 minutes"));
    click(&mut a, "End the break now");
    let ended = view(&a).breaks[0].clone();
    assert!(!ended.is_running(now_ms()));
    assert_eq!(ended.ended.as_ref().map(|(by, _)| by), view(&a).me.as_ref());
    assert!(a.query_by_label("Ready to come back?").is_some());
    assert!(shows(&a, "Sam ended the break early"));
    assert!(button(&a, "Break for 20 minutes"), "a new one can start");
    ha.shutdown();
    drop(a);

    // Alex, on another screen: the break is over, who ended it, and the gentle question.
    deliver(da.path(), db.path());
    let (hb, mut w) = window(db.path(), 1000.0);
    assert!(w.query_by_label(&until(ext.ends_at)).is_none());
    assert!(w.query_by_label("Ready to come back?").is_some());
    assert!(shows(&w, "Sam ended the break early"));
    assert!(shows(&w, "Alex added 10 minutes"));
    click(&mut w, "Wins & thanks");
    assert!(
        w.query_by_label("Ready to come back?").is_some(),
        "on every screen"
    );
    click(&mut w, "Dismiss: ready to come back");
    assert!(w.query_by_label("Ready to come back?").is_none());
    hb.shutdown();
}

#[test]
fn a_break_that_ran_out_asks_gently_and_its_length_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    let now = now_ms();
    // Started twenty minutes ago, over a minute ago.
    v.apply(
        Command::StartBreak {
            id: ItemId::random(),
            ends_at: now - 60_000,
            note: String::new(),
        },
        now - 20 * 60_000,
    )
    .unwrap();
    v.save(now).unwrap();
    drop(v);

    let (handle, mut h) = window(dir.path(), 380.0);
    assert!(h.query_by_label("Ready to come back?").is_some());
    let ends = Local.timestamp_millis_opt(now - 60_000).single().unwrap();
    assert!(shows(
        &h,
        &format!("The break ended at {}.", ends.format("%H:%M"))
    ));
    assert!(!shows(&h, "ended the break early"));

    // A chosen length, on a phone-sized window.
    click(&mut h, "Take a break");
    assert!(
        h.get_by_role_and_label(Role::Button, "Break for this long")
            .accesskit_node()
            .is_disabled()
    );
    type_into(&mut h, "Another length, in minutes", "45");
    click(&mut h, "Break for this long");
    let b = view(&h).breaks[0].clone();
    assert!(b.is_running(now_ms()));
    assert!((b.ends_at - b.started_at - 45 * 60_000).abs() < 5_000);
    assert!(h.query_by_label(&until(b.ends_at)).is_some());
    assert!(h.query_by_label("Ready to come back?").is_none());
    handle.shutdown();
}
