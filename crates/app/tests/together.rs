//! Time together through AccessKit: a date night planned for today shows under "Upcoming", and once marked done it moves to "Done this month" with who marked it.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_service::today_local;

mod common;
use common::{click, open, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

const TITLE: &str = "Dinner at the place by the river";

#[test]
fn a_plan_added_and_marked_done_shows_under_done_this_month() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h) = open(dir.path());
    click(&mut h, "Time together");
    assert!(
        h.query_by_label_contains("Nothing planned in the next 14 days")
            .is_some()
    );
    assert!(h.query_by_label("Done this month (0)").is_some());

    click(&mut h, "Plan something together");
    click(&mut h, "Kind: Date night");
    type_into(&mut h, "What you plan", TITLE);
    click(&mut h, "Date: today");
    click(&mut h, "Add the plan");
    let today = today_local().format("%Y-%m-%d").to_string();
    let v = view(&h);
    assert_eq!(v.rituals.len(), 1);
    assert_eq!(v.rituals[0].title, TITLE);
    assert_eq!(v.rituals[0].date.as_deref(), Some(today.as_str()));
    assert!(h.query_by_label("All plans (1)").is_some());

    // Upcoming, today, with its "Done" button.
    let done = format!("Done: {TITLE}, Today");
    assert!(
        h.query_by_label(&done).is_some(),
        "listed as upcoming today"
    );
    click(&mut h, &done);
    let v = view(&h);
    assert!(v.rituals[0].done_on(&today));
    assert_eq!(v.rituals[0].done.len(), 1);
    assert!(h.query_by_label(&done).is_none(), "no longer upcoming");
    assert!(h.query_by_label("Done this month (1)").is_some());
    assert!(h.query_by_label_contains("marked done by Sam").is_some());
    assert!(h.query_by_label_contains("Done on").is_some());
    handle.shutdown();
}

#[test]
fn a_ritual_repeats_on_its_rhythm() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h) = open(dir.path());
    click(&mut h, "Time together");
    click(&mut h, "Plan something together");
    type_into(&mut h, "What you plan", "Morning coffee");
    click(&mut h, "How often: Every day");
    click(&mut h, "Add the plan");
    let v = view(&h);
    assert_eq!(v.rituals[0].rhythm, Some(kintsugi_core::Rhythm::Daily));
    assert!(h.query_by_label("Done: Morning coffee, Today").is_some());
    assert!(
        h.query_by_label("Done: Morning coffee, Tomorrow").is_none(),
        "listed once, on its next day"
    );
    click(&mut h, "Done: Morning coffee, Today");
    assert!(h.query_by_label("Done: Morning coffee, Today").is_none());
    assert!(
        h.query_by_label("Done: Morning coffee, Tomorrow").is_some(),
        "a ritual stays upcoming on its next days"
    );
    handle.shutdown();
}
