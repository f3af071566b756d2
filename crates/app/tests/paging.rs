//! Long lists draw a page at a time: the newest journal entries first, "Show earlier entries" for the rest, each row still found by its label, and a search looks through every entry, not only the page shown.

use chrono::Duration;
use egui::Role;
use egui_kittest::kittest::Queryable;
use kintsugi_core::{Command, ItemId};
use kintsugi_service::{now_ms, today_local};

mod common;
use common::{click, open, set_text, vault};

/// More than one page (20) and less than two.
const ENTRIES: i64 = 27;

fn row(day: i64) -> String {
    let date = (today_local() - Duration::days(day)).format("%Y-%m-%d");
    format!("Open entry of {date}: Day {day} of the long stretch")
}

#[test]
fn the_journal_shows_the_newest_page_then_earlier_entries_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    for day in 0..ENTRIES {
        v.apply(
            Command::AddJournalEntry {
                id: ItemId::random(),
                date: (today_local() - Duration::days(day))
                    .format("%Y-%m-%d")
                    .to_string(),
                mood: None,
                tags: vec![],
                text: format!("Day {day} of the long stretch"),
                prompt: None,
            },
            now_ms(),
        )
        .unwrap();
    }
    v.save(now_ms()).unwrap();
    drop(v);

    let (handle, mut h) = open(dir.path());
    assert!(h.query_by_label(&row(0)).is_some(), "the newest is shown");
    assert!(
        h.query_by_label(&row(19)).is_some(),
        "a whole page is shown"
    );
    assert!(h.query_by_label(&row(20)).is_none(), "the next page waits");

    click(&mut h, "Show earlier entries");
    assert!(h.query_by_label(&row(ENTRIES - 1)).is_some(), "the oldest");
    assert!(
        h.query_by_role_and_label(Role::Button, "Show earlier entries")
            .is_none(),
        "nothing more to show"
    );

    // A search finds an old entry however far down it is, and only the matching ones.
    set_text(&mut h, "Search your entries", "day 25 ");
    assert!(h.query_by_label(&row(25)).is_some());
    assert!(h.query_by_label(&row(0)).is_none());
    handle.shutdown();
}
