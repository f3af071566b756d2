//! Hard moments in the data: breaks both devices agree on, one plan written by both, questions,
//! and the excuse checker's table.

use kintsugi_core::*;

mod common;
use common::{device, partner_of, set_up};

fn merge(a: &mut Model, b: &mut Model) {
    a.commit(1);
    b.commit(1);
    let mut bc = b.doc_mut(DocKind::Couple).fork();
    a.doc_mut(DocKind::Couple).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(DocKind::Couple).fork();
    b.doc_mut(DocKind::Couple).merge(&mut ac).unwrap();
}

fn couple() -> (Model, Model) {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let mut b = partner_of(&mut a, &pb);
    set_up(&mut b, "Alex", "Sam");
    merge(&mut a, &mut b);
    (a, b)
}

const MIN: i64 = 60_000;
const T: i64 = 1_796_000_000_000;

fn start(m: &mut Model, id: &str, at: i64, minutes: i64) -> Result<(), CoreError> {
    m.apply(
        Command::StartBreak {
            id: ItemId(id.into()),
            ends_at: at + minutes * MIN,
            note: "too heated".into(),
        },
        at,
    )
}

#[test]
fn a_break_has_one_end_time_on_both_devices_and_either_may_extend_or_end_it() {
    let (mut a, mut b) = couple();
    start(&mut a, "br1", T, 20).unwrap();
    let err = start(&mut a, "br2", T + MIN, 20).unwrap_err();
    assert!(err.to_string().contains("already running"), "{err}");
    merge(&mut a, &mut b);
    let now = T + 5 * MIN;
    let end_a = a.view().current_break(now).unwrap().ends_at;
    assert_eq!(b.view().current_break(now).unwrap().ends_at, end_a);
    assert_eq!(end_a, T + 20 * MIN);
    // Both extend at once: both count.
    for m in [&mut a, &mut b] {
        m.apply(
            Command::ExtendBreak {
                id: "br1".into(),
                minutes: 10,
            },
            now,
        )
        .unwrap();
    }
    merge(&mut a, &mut b);
    let v = b.view();
    let br = v.current_break(now).unwrap();
    assert_eq!(br.ends_at, T + 40 * MIN);
    assert_eq!(br.extensions.len(), 2);
    assert_eq!(a.view().breaks, v.breaks);
    // One ends early while the other extends: it is ended, the extension kept in its history.
    let later = T + 30 * MIN;
    a.apply(Command::EndBreak { id: "br1".into() }, later)
        .unwrap();
    b.apply(
        Command::ExtendBreak {
            id: "br1".into(),
            minutes: 5,
        },
        later,
    )
    .unwrap();
    merge(&mut a, &mut b);
    for m in [&a, &b] {
        let v = m.view();
        assert!(v.current_break(later + 1).is_none());
        let br = &v.breaks[0];
        assert_eq!(br.ended.as_ref().map(|e| e.1), Some(later));
        assert_eq!(br.extensions.len(), 3);
        assert_eq!(
            v.just_ended_break(later + MIN, 30 * MIN).map(|b| &b.id),
            Some(&ItemId("br1".into()))
        );
    }
    assert!(
        b.apply(Command::EndBreak { id: "br1".into() }, later + MIN)
            .unwrap_err()
            .to_string()
            .contains("already over")
    );
}

#[test]
fn two_breaks_started_at_once_show_as_the_same_one_on_both() {
    let (mut a, mut b) = couple();
    start(&mut a, "from-a", T, 20).unwrap();
    start(&mut b, "from-b", T, 60).unwrap();
    merge(&mut a, &mut b);
    let now = T + MIN;
    let (va, vb) = (a.view(), b.view());
    assert_eq!(va.current_break(now).unwrap().id, ItemId("from-b".into()));
    assert_eq!(vb.current_break(now).unwrap().id, ItemId("from-b".into()));
    // Ending the shown one leaves the other running, on both.
    a.apply(
        Command::EndBreak {
            id: "from-b".into(),
        },
        now,
    )
    .unwrap();
    merge(&mut a, &mut b);
    assert_eq!(
        b.view().current_break(now + 1).unwrap().id,
        ItemId("from-a".into())
    );
}

#[test]
fn breaks_refuse_what_makes_no_sense() {
    let (mut a, _) = couple();
    assert!(start(&mut a, "past", T, -1).is_err());
    assert!(start(&mut a, "long", T, 49 * 60).is_err());
    start(&mut a, "ok", T, 20).unwrap();
    for minutes in [0, 721] {
        assert!(
            a.apply(
                Command::ExtendBreak {
                    id: "ok".into(),
                    minutes
                },
                T
            )
            .is_err()
        );
    }
    // Once over by time, a new one may start.
    start(&mut a, "next", T + 21 * MIN, 20).unwrap();
}

#[test]
fn both_partners_write_one_reassurance_plan() {
    let (mut a, mut b) = couple();
    let splice = |m: &mut Model, pos, text: &str| {
        m.apply(
            Command::SpliceReassurancePlan {
                pos,
                delete: 0,
                insert: text.into(),
            },
            2,
        )
        .unwrap();
    };
    splice(&mut a, 0, "Stay in the room. ");
    merge(&mut a, &mut b);
    // Concurrent typing at both ends keeps both.
    splice(&mut a, 0, "Hold my hand. ");
    splice(&mut b, 18, "Tell me where you are.");
    merge(&mut a, &mut b);
    let plan = a.view().reassurance_plan;
    assert_eq!(plan, b.view().reassurance_plan);
    assert_eq!(
        plan,
        "Hold my hand. Stay in the room. Tell me where you are."
    );
    assert!(
        Command::SpliceReassurancePlan {
            pos: 0,
            delete: 0,
            insert: String::new()
        }
        .is_typing()
    );
    assert!(
        a.apply(
            Command::SpliceReassurancePlan {
                pos: 999,
                delete: 0,
                insert: "x".into()
            },
            3
        )
        .is_err()
    );
}

#[test]
fn a_question_waits_until_answered_after_its_last_asking() {
    let (mut a, mut b) = couple();
    a.apply(
        Command::AskQuestion {
            id: "q".into(),
            text: "Where were you?".into(),
        },
        10,
    )
    .unwrap();
    merge(&mut a, &mut b);
    assert!(b.view().questions[0].is_waiting());
    b.apply(
        Command::AnswerQuestion {
            question: "q".into(),
            id: "a1".into(),
            text: "At my sister's.".into(),
        },
        20,
    )
    .unwrap();
    merge(&mut a, &mut b);
    assert!(!a.view().questions[0].is_waiting());
    a.apply(Command::AskAgain { id: "q".into() }, 30).unwrap();
    merge(&mut a, &mut b);
    let q = b.view().questions[0].clone();
    assert!(q.is_waiting());
    assert_eq!(q.answers.len(), 1, "earlier answers are kept");
}

/// Phrase in, marks out: what is flagged and what must not be.
#[test]
fn the_excuse_checker_marks_what_it_should_and_nothing_else() {
    let table: &[(&str, &[&str])] = &[
        ("I lied, but I am sorry.", &["but"]),
        (
            "If you hadn't pushed me, I would not have.",
            &["If you hadn't"],
        ),
        ("You always check my phone.", &["You always"]),
        ("you never listen", &["you never"]),
        ("I'm sorry you feel that way.", &["I'm sorry you feel"]),
        ("I was just tired.", &["I was just"]),
        (
            "I\u{2019}m sorry you feel hurt",
            &["I\u{2019}m sorry you feel"],
        ),
        ("BUT it was late", &["BUT"]),
        // Never flagged: inside other words, quoted speech, plain apologies.
        ("I ate the butter and read your rebuttal.", &[]),
        ("She said \"but you promised\" and she was right.", &[]),
        (
            "You told me \u{201C}you always do this\u{201D}, and I heard it.",
            &[],
        ),
        ("I lied to you about Tuesday. I am sorry.", &[]),
        ("I was justified in nothing.", &[]),
    ];
    for (text, expected) in table {
        let found: Vec<String> = check_apology(text).into_iter().map(|f| f.found).collect();
        assert_eq!(found, *expected, "in {text:?}");
    }
    let f = &check_apology("Sorry. But I was just tired.")[..];
    assert_eq!(f.iter().map(|f| f.at).collect::<Vec<_>>(), [7, 11]);
    assert!(
        f.iter()
            .all(|f| !f.suggestion.is_empty() && !f.why.is_empty())
    );
}
