//! `Model::refresh_view` (re-reading only the items that changes touched) always equals a whole `Model::view`: through a year of every capability, and through random edits, deletions, shares and merges between two devices.

mod common;
#[path = "common/year.rs"]
mod year;

use kintsugi_core::automerge::ActorId;
use kintsugi_core::*;
use proptest::prelude::*;
use year::{ap, ms};

/// Both reads, compared whole (the view has no PartialEq: its JSON is what every screen uses).
fn assert_same(m: &mut Model, when: &str) {
    let refreshed = serde_json::to_value(m.refresh_view()).unwrap();
    let whole = serde_json::to_value(m.view()).unwrap();
    assert!(
        refreshed == whole,
        "{when}: the refreshed view differs from a whole read"
    );
}

#[test]
fn a_year_of_every_capability_reads_the_same_refreshed_and_whole() {
    let (mut a, mut b) = year::couple("2026-01-05");
    assert_same(&mut a, "set up");
    assert_same(&mut b, "set up");
    for (tag, date) in [
        ("JAN", "2026-01-12"),
        ("FEB", "2026-02-09"),
        ("MAR", "2026-03-09"),
    ] {
        year::month(&mut a, &mut b, tag, date);
        assert_same(&mut a, tag);
        assert_same(&mut b, tag);
        // An old entry edited after it was cached, then deleted.
        let old = a.view().journal.last().unwrap().id.clone();
        ap(
            &mut a,
            Command::SpliceJournalText {
                id: old.clone(),
                pos: 0,
                delete: 1,
                insert: "Edited: ".into(),
            },
            ms(date),
        );
        assert_same(&mut a, "an old entry edited");
        ap(&mut a, Command::DeleteJournalEntry { id: old }, ms(date));
        assert_same(&mut a, "an old entry deleted");
        year::sync(&mut a, &mut b, ms(date));
        assert_same(&mut a, "synced");
        assert_same(&mut b, "synced");
    }
    // Typing not yet committed is read whole, and still equal.
    let id = a.view().journal[0].id.clone();
    a.apply(
        Command::SpliceJournalText {
            id,
            pos: 0,
            delete: 0,
            insert: "typing… ".into(),
        },
        ms("2026-03-10"),
    )
    .unwrap();
    assert_same(&mut a, "open typing");
    a.commit(ms("2026-03-10"));
    assert_same(&mut a, "typing committed");
}

#[derive(Clone, Debug)]
enum Step {
    Write { on_b: bool, n: u8, text: String },
    Edit { on_b: bool, n: u8, text: String },
    Delete { on_b: bool, n: u8 },
    Share { n: u8, share: bool },
    CheckIn { on_b: bool, day: u8, mood: u8 },
    Win { on_b: bool, text: String },
    Section { on_b: bool, text: String },
    Sync,
    Refresh { on_b: bool },
}

fn step() -> impl Strategy<Value = Step> {
    let text = "[a-z ]{1,12}";
    prop_oneof![
        (any::<bool>(), 0u8..6, text).prop_map(|(on_b, n, text)| Step::Write { on_b, n, text }),
        (any::<bool>(), 0u8..6, text).prop_map(|(on_b, n, text)| Step::Edit { on_b, n, text }),
        (any::<bool>(), 0u8..6).prop_map(|(on_b, n)| Step::Delete { on_b, n }),
        (0u8..6, any::<bool>()).prop_map(|(n, share)| Step::Share { n, share }),
        (any::<bool>(), 0u8..4, 1u8..=5).prop_map(|(on_b, day, mood)| Step::CheckIn {
            on_b,
            day,
            mood
        }),
        (any::<bool>(), text).prop_map(|(on_b, text)| Step::Win { on_b, text }),
        (any::<bool>(), text).prop_map(|(on_b, text)| Step::Section { on_b, text }),
        Just(Step::Sync),
        any::<bool>().prop_map(|on_b| Step::Refresh { on_b }),
    ]
}

fn on<'m>(a: &'m mut Model, b: &'m mut Model, on_b: bool) -> &'m mut Model {
    if on_b { b } else { a }
}

/// Applies one step; refusals (an entry that is not there) are fine, as in the window.
fn run(a: &mut Model, b: &mut Model, s: &Step, t: Timestamp) {
    let apply = |m: &mut Model, cmd: Command| {
        let _ = m.apply(cmd, t);
        m.commit(t);
    };
    // Each device's own ids: two partners never write the same journal entry.
    let entry = |on_b: bool, n: u8| ItemId::from(format!("entry-{on_b}-{n}").as_str());
    match s.clone() {
        Step::Write { on_b, n, text } => apply(
            on(a, b, on_b),
            Command::AddJournalEntry {
                id: entry(on_b, n),
                date: "2026-03-01".into(),
                mood: None,
                tags: vec![],
                text,
                prompt: None,
            },
        ),
        Step::Edit { on_b, n, text } => apply(
            on(a, b, on_b),
            Command::SpliceJournalText {
                id: entry(on_b, n),
                pos: 0,
                delete: 0,
                insert: text,
            },
        ),
        Step::Delete { on_b, n } => apply(
            on(a, b, on_b),
            Command::DeleteJournalEntry { id: entry(on_b, n) },
        ),
        Step::Share { n, share } => apply(
            a,
            if share {
                Command::ShareJournalEntry {
                    id: entry(false, n),
                }
            } else {
                Command::UnshareJournalEntry {
                    id: entry(false, n),
                }
            },
        ),
        Step::CheckIn { on_b, day, mood } => apply(
            on(a, b, on_b),
            Command::SaveDailyCheckIn {
                date: format!("2026-03-0{}", day + 1),
                answers: DailyAnswers {
                    mood,
                    connection: mood,
                    safety: mood,
                    high: String::new(),
                    low: String::new(),
                    need: String::new(),
                },
            },
        ),
        Step::Win { on_b, text } => apply(
            on(a, b, on_b),
            Command::AddWin {
                id: ItemId::random(),
                kind: WinKind::Appreciation,
                text,
            },
        ),
        Step::Section { on_b, text } => apply(
            on(a, b, on_b),
            Command::SpliceSection {
                section: "boundaries".into(),
                pos: 0,
                delete: 0,
                insert: text,
            },
        ),
        Step::Sync => year::sync(a, b, t),
        Step::Refresh { on_b } => {
            let _ = on(a, b, on_b).refresh_view();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("KINTSUGI_PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24)
    ))]
    #[test]
    fn random_edits_and_merges_read_the_same_refreshed_and_whole(steps in prop::collection::vec(step(), 1..40)) {
        let (sam, alex) = (PartnerId::random(), PartnerId::random());
        let mut a = Model::open(None, None, sam, ActorId::random()).unwrap();
        ap(&mut a, Command::SetUp { my_name: "Sam".into(), partner_name: "Alex".into() }, 1);
        let couple = a.doc_mut(DocKind::Couple).save();
        let mut b = Model::open(Some(&couple), None, alex, ActorId::random()).unwrap();
        ap(&mut b, Command::SetUp { my_name: "Alex".into(), partner_name: "Sam".into() }, 1);
        for (i, s) in steps.iter().enumerate() {
            let t = 1_000 + i as i64;
            run(&mut a, &mut b, s, t);
            assert_same(&mut a, &format!("after step {i}: {s:?}"));
            assert_same(&mut b, &format!("after step {i}: {s:?}"));
            if matches!(s, Step::Sync) {
                // Reveals and shares run only where changes may have made them due: a device
                // opened afresh (which checks everything) must find nothing left to do.
                for m in [&mut a, &mut b] {
                    let mut fresh = common::second_device(m);
                    prop_assert!(!fresh.reveal_checkins(t).unwrap(), "a reveal was skipped");
                    prop_assert!(!fresh.publish_shares(t).unwrap(), "a share was skipped");
                }
            }
        }
    }
}
