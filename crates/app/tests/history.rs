//! The agreement's history and review dates through AccessKit: both partners' edits listed as sessions, an old wording restored as a new edit, and a due review recorded.

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ReviewOutcome};
use kintsugi_service::{now_ms, today_local};

mod common;
use common::{click, deliver, open, press, set_text, settle, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn body(h: &Harness<'_, KintsugiApp>, section: &str) -> String {
    view(h)
        .agreement
        .iter()
        .find(|s| s.id == section)
        .map(|s| s.body.clone())
        .expect("section exists")
}

/// Draws frames until a label containing `words` shows (the history is read on a thread).
fn wait_for(h: &mut Harness<'_, KintsugiApp>, words: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_by_label_contains(words).is_none() {
        assert!(Instant::now() < deadline, "\"{words}\" never showed");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

const SAM: &str = "We tell each other our plans for the evening.";
const ALEX: &str = "Plans are shared when we can.";

#[test]
fn history_lists_both_partners_and_restore_brings_back_the_old_wording() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let hour = 3_600_000;
    let t0 = now_ms() - 3 * hour;
    // Sam writes the section; an hour later, on Alex's device, Alex rewrites it.
    let mut a = vault(da.path(), Some(("Sam", "Alex")));
    a.apply(
        Command::SpliceSection {
            section: "boundaries".into(),
            pos: 0,
            delete: 0,
            insert: SAM.into(),
        },
        t0,
    )
    .unwrap();
    a.save(t0).unwrap();
    drop(a);
    drop(vault(db.path(), Some(("Alex", "Sam"))));
    deliver(da.path(), db.path());
    let mut b = kintsugi_service::Vault::open(db.path()).unwrap();
    b.apply(
        Command::SpliceSection {
            section: "boundaries".into(),
            pos: 0,
            delete: SAM.chars().count(),
            insert: ALEX.into(),
        },
        t0 + hour,
    )
    .unwrap();
    b.save(t0 + hour).unwrap();
    drop(b);

    let (hb, mut h) = open(db.path());
    click(&mut h, "Our agreement");
    assert_eq!(body(&h, "boundaries"), ALEX);
    click(&mut h, "History of Boundaries");
    wait_for(&mut h, "History of Boundaries");
    wait_for(&mut h, "Restore this wording: Boundaries, Sam");
    assert!(h.query_by_label("Reading the history…").is_none());
    // Both sessions, each with who and how much.
    assert!(h.query_by_label("Sam").is_some(), "Sam's session");
    assert!(h.query_by_label("Alex").is_some(), "Alex's session");
    let sam_chars = SAM.chars().count();
    let alex_chars = ALEX.chars().count();
    assert!(
        h.query_by_label(&format!("+{sam_chars} \u{2212}0 characters"))
            .is_some()
    );
    assert!(
        h.query_by_label(&format!("+{alex_chars} \u{2212}{sam_chars} characters"))
            .is_some()
    );
    // The newest is the wording now: nothing to restore there.
    assert!(
        h.query_by_label_contains("Restore this wording: Boundaries, Alex")
            .is_none()
    );
    assert!(h.query_by_label("This is the wording now.").is_some());

    // The old wording, read-only.
    h.get_by_label_contains("Show wording after this: Boundaries, Sam")
        .click();
    h.step();
    wait_for(&mut h, "The wording after this change");
    assert!(
        h.query_all_by_value(SAM).next().is_some(),
        "Sam's wording shown"
    );

    // Restoring asks first, then brings Sam's wording back as a new edit.
    h.get_by_label_contains("Restore this wording: Boundaries, Sam")
        .click();
    h.run();
    assert!(
        h.query_by_label_contains("It is a new edit: nothing is erased from the history")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Sam's device will receive it")
            .is_some()
    );
    assert_eq!(
        body(&h, "boundaries"),
        ALEX,
        "nothing restored before confirming"
    );
    h.get_by_label_contains("Restore the wording from").click();
    settle(&mut h);
    assert_eq!(body(&h, "boundaries"), SAM);
    assert_eq!(
        h.get_by_label("Boundaries").value().as_deref(),
        Some(SAM),
        "the text box shows the restored wording"
    );
    assert!(
        h.query_by_label_contains("Restored the wording from")
            .is_some()
    );
    // The restore is one more session of Alex's (a new edit); the earlier ones stay.
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_all_by_label("Alex").count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the restore never showed as a session"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(
        h.query_by_label(&format!("+{sam_chars} \u{2212}0 characters"))
            .is_some()
    );
    assert!(
        h.query_by_label(&format!("+{alex_chars} \u{2212}{sam_chars} characters"))
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Restore this wording: Boundaries, Alex")
            .is_some(),
        "Alex's rewrite is now an earlier wording that can be restored"
    );
    hb.shutdown();
}

#[test]
fn a_due_review_is_recorded_and_the_next_date_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h) = open(dir.path());
    click(&mut h, "Our agreement");
    assert!(h.query_by_label("Review due").is_none());

    // A review date already passed: the section is due.
    click(&mut h, "Set a review date of Boundaries");
    set_text(&mut h, "Review date of Boundaries", "2020-01-12");
    click(&mut h, "Set the review date of Boundaries");
    let s = view(&h)
        .agreement
        .iter()
        .find(|s| s.id == "boundaries")
        .cloned()
        .unwrap();
    assert_eq!(s.review_on.as_deref(), Some("2020-01-12"));
    assert!(
        h.query_by_label_contains("Review on 12 January 2020")
            .is_some()
    );
    assert!(h.query_by_label("Review due").is_some());
    assert!(h.query_by_label("Review due: Boundaries").is_some());

    // Kept as is, with a note and the next review in a month.
    press(&mut h, "Keep as is: Boundaries");
    h.run();
    set_text(&mut h, "Review note: Boundaries", "Still helps us both.");
    let next = today_local()
        .checked_add_days(chrono::Days::new(30))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    set_text(&mut h, "Next review of Boundaries", &next);
    click(&mut h, "Record the review of Boundaries");

    let s = view(&h)
        .agreement
        .iter()
        .find(|s| s.id == "boundaries")
        .cloned()
        .unwrap();
    assert_eq!(s.reviews.len(), 1);
    assert_eq!(s.reviews[0].outcome, ReviewOutcome::Kept);
    assert_eq!(s.reviews[0].note, "Still helps us both.");
    assert_eq!(s.review_on.as_deref(), Some(next.as_str()));
    assert!(h.query_by_label("Review due").is_none(), "no longer due");
    assert!(h.query_by_label_contains("Review due:").is_none());
    // The review is listed: what, who.
    h.get_by_label("Past reviews (1)").click();
    h.run();
    assert!(h.query_by_label("Kept as is").is_some());
    assert!(h.query_by_label_contains("by Sam, just now").is_some());
    assert!(h.query_by_label("Still helps us both.").is_some());
    assert!(
        h.query_by_role_and_label(Role::Button, "Record the review of Boundaries")
            .is_none()
    );
    handle.shutdown();
}
