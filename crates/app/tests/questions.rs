//! The questions screen through AccessKit: a question asked in one window, answered in the partner's, asked again ("I need to hear this again") and answered again, with every answer kept and the waiting group first.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId};
use kintsugi_service::now_ms;

mod common;
use common::{click, deliver, open, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn top(h: &Harness<'_, KintsugiApp>, label: &str) -> f32 {
    h.get_by_label(label).rect().top()
}

const ASKED: &str = "Did you see her again after you told me it was over?";
const FIRST: &str = "Yes, once, in March. We had coffee and I ended it there.";
const SECOND: &str =
    "Once more, in March, for coffee. I ended it that day and I have not seen her since.";

#[test]
fn asked_answered_asked_again_and_answered_again_keeps_every_answer() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    drop(vault(db.path(), Some(("Alex", "Sam"))));
    let again = format!("I need to hear this again: {ASKED}");
    let answer_box = format!("Your answer to: {ASKED}");
    let send = format!("Send my answer: {ASKED}");

    // Sam asks.
    let (ha, mut a) = open(da.path());
    click(&mut a, "Questions");
    assert!(shows(&a, "No questions yet"));
    assert!(
        a.query_by_role_and_label(Role::Button, "Ask Alex")
            .is_some_and(|b| b.accesskit_node().is_disabled()),
        "nothing to ask yet"
    );
    type_into(&mut a, "Your question", ASKED);
    click(&mut a, "Ask Alex");
    let v = view(&a);
    assert_eq!(v.questions.len(), 1);
    assert_eq!(v.questions[0].text, ASKED);
    assert_eq!(
        a.get_by_label("Your question").value().as_deref(),
        Some(""),
        "the box is cleared once asked"
    );
    assert!(a.query_by_label("Waiting for an answer (1)").is_some());
    assert!(a.query_by_label("Waiting for Alex's answer.").is_some());
    // Sam cannot answer their own question, and there is nothing to ask again yet.
    assert!(a.query_by_label(&answer_box).is_none());
    assert!(a.query_by_role_and_label(Role::Button, &again).is_none());
    ha.shutdown();
    drop(a);

    // Alex answers.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Questions");
    assert!(b.query_by_label(ASKED).is_some());
    assert!(b.query_by_label("Sam asked").is_some());
    assert!(b.query_by_label("Waiting for an answer (1)").is_some());
    assert!(shows(&b, "Sam is waiting for your answer to one question"));
    type_into(&mut b, &answer_box, FIRST);
    click(&mut b, &send);
    let v = view(&b);
    assert_eq!(v.questions[0].answers.len(), 1);
    assert_eq!(v.questions[0].answers[0].text, FIRST);
    assert!(!v.questions[0].is_waiting());
    assert!(b.query_by_label("Waiting for an answer (0)").is_some());
    assert!(b.query_by_label("Answered (1)").is_some());
    assert!(b.query_by_label(FIRST).is_some());
    assert!(b.query_by_label("Alex answered").is_some());
    assert!(
        b.query_by_label(&answer_box).is_none(),
        "the box closes once answered"
    );
    hb.shutdown();
    drop(b);

    // Sam reads it and needs to hear it again.
    deliver(db.path(), da.path());
    let (ha, mut a) = open(da.path());
    click(&mut a, "Questions");
    assert!(a.query_by_label(FIRST).is_some());
    assert!(a.query_by_label("Waiting for an answer (0)").is_some());
    click(&mut a, &again);
    let v = view(&a);
    assert_eq!(v.questions[0].asked_again.len(), 1);
    assert!(v.questions[0].is_waiting());
    assert_eq!(v.questions[0].answers.len(), 1, "the first answer is kept");
    assert!(a.query_by_label("Waiting for an answer (1)").is_some());
    assert!(
        a.query_by_label("Sam asked again: I need to hear this again.")
            .is_some()
    );
    assert!(a.query_by_label(FIRST).is_some());
    assert!(a.query_by_role_and_label(Role::Button, &again).is_none());
    ha.shutdown();
    drop(a);

    // Alex sees it asked again, without judgement, and answers again.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Questions");
    assert!(b.query_by_label("Waiting for an answer (1)").is_some());
    assert!(shows(&b, "Sam needs to hear this again"));
    assert!(
        b.query_by_label(FIRST).is_some(),
        "the earlier answer stays in view"
    );
    type_into(&mut b, &answer_box, SECOND);
    click(&mut b, &send);
    assert!(b.query_by_label("Waiting for an answer (0)").is_some());
    hb.shutdown();
    drop(b);

    // Sam sees the whole thread in order: the question, the first answer, asking again, the
    // second answer.
    deliver(db.path(), da.path());
    let (ha, mut a) = open(da.path());
    click(&mut a, "Questions");
    let v = view(&a);
    let q = &v.questions[0];
    assert_eq!(
        q.answers
            .iter()
            .map(|x| x.text.as_str())
            .collect::<Vec<_>>(),
        [FIRST, SECOND]
    );
    assert!(!q.is_waiting());
    assert!(a.query_by_label("Waiting for an answer (0)").is_some());
    assert!(a.query_by_label("Answered (1)").is_some());
    let (t_q, t_1, t_again, t_2) = (
        top(&a, ASKED),
        top(&a, FIRST),
        top(&a, "Sam asked again: I need to hear this again."),
        top(&a, SECOND),
    );
    assert!(
        t_q < t_1 && t_1 < t_again && t_again < t_2,
        "in the order it happened"
    );
    assert_eq!(a.query_all_by_label("Alex answered").count(), 2);
    // Sam may ask again as often as needed.
    assert!(a.query_by_role_and_label(Role::Button, &again).is_some());
    ha.shutdown();
}

#[test]
fn questions_waiting_for_an_answer_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Alex", "Sam")));
    let (old, new) = (ItemId::random(), ItemId::random());
    let t = now_ms() - 3_600_000;
    v.apply(
        Command::AskQuestion {
            id: old.clone(),
            text: "Who else knew?".into(),
        },
        t,
    )
    .unwrap();
    v.apply(
        Command::AnswerQuestion {
            question: old,
            id: ItemId::random(),
            text: "Only my brother.".into(),
        },
        t + 1000,
    )
    .unwrap();
    // Asked after the other was answered: the list puts it first anyway, under its own title.
    v.apply(
        Command::AskQuestion {
            id: new,
            text: "Why did you delete the messages?".into(),
        },
        t + 2000,
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);

    let (handle, mut h) = open(dir.path());
    click(&mut h, "Questions");
    let waiting = top(&h, "Waiting for an answer (1)");
    let open_q = top(&h, "Why did you delete the messages?");
    let answered = top(&h, "Answered (1)");
    let done_q = top(&h, "Who else knew?");
    assert!(waiting < open_q && open_q < answered && answered < done_q);
    // Asked by Alex here, so Alex waits; nobody is asked to answer their own question.
    assert!(h.query_by_label("Waiting for Sam's answer.").is_some());
    assert!(!shows(&h, "is waiting for your answer"));
    handle.shutdown();
}
