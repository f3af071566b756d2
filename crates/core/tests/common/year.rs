//! A couple's months of everything, for the export tests: each month's items carry its tag (`MAR-DISCLOSURE`), so a test can tell which period an exported text came from.

#![allow(dead_code)]

use kintsugi_core::automerge::ActorId;
use kintsugi_core::*;

/// The export's section headings, in order (the private journal only with `own_private`).
pub const SECTIONS: [&str; 15] = [
    "Our agreement",
    "Check-ins",
    "Commitments",
    "Shared journal entries",
    "Disclosures",
    "Triggers",
    "Reassurance plan",
    "Breaks",
    "Questions and answers",
    "Wins and appreciation",
    "Time together",
    "Apologies",
    "Therapy topics",
    "Self-care",
    "My private journal",
];

/// What each month writes: every section of the export, one marker each. The agreement and the
/// plan are texts whose current wording holds every month's typing; their markers show up as
/// "changes within the period" only for the month they were typed in.
pub const MARKERS: &[&str] = &[
    "AGREEMENT",
    "PLAN",
    "DAILY-SAM",
    "DAILY-ALEX",
    "WEEKLY-SAM",
    "WEEKLY-ALEX",
    "LOG",
    "SHARED",
    "DISCLOSURE",
    "TRIGGER",
    "BREAK",
    "QUESTION",
    "ANSWER",
    "WIN",
    "RITUAL",
    "APOLOGY",
    "TOPIC",
    "JOURNAL",
];

/// Noon UTC of a `YYYY-MM-DD`, in ms.
pub fn ms(date: &str) -> Timestamp {
    parse_date(date)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// Exchanges the couple documents both ways.
pub fn sync(a: &mut Model, b: &mut Model, t: Timestamp) {
    a.commit(t);
    b.commit(t);
    let mut bc = b.doc_mut(DocKind::Couple).fork();
    a.doc_mut(DocKind::Couple).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(DocKind::Couple).fork();
    b.doc_mut(DocKind::Couple).merge(&mut ac).unwrap();
    for m in [&mut *a, &mut *b] {
        m.publish_shares(t).unwrap();
        m.reveal_checkins(t).unwrap();
        m.commit(t);
    }
    // What the last round wrote (shared copies, revealed answers) travels too.
    let mut bc = b.doc_mut(DocKind::Couple).fork();
    a.doc_mut(DocKind::Couple).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(DocKind::Couple).fork();
    b.doc_mut(DocKind::Couple).merge(&mut ac).unwrap();
}

/// Sam's device (returned first) and Alex's, set up and paired, with one commitment each and a
/// recurring ritual from `start`, and Sam's self-care list.
pub fn couple(start: &str) -> (Model, Model) {
    let (sam, alex) = (PartnerId::random(), PartnerId::random());
    let mut a = Model::open(None, None, sam, ActorId::random()).unwrap();
    let t = ms(start) - 86_400_000;
    ap(
        &mut a,
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
        t,
    );
    let couple = a.doc_mut(DocKind::Couple).save();
    let mut b = Model::open(Some(&couple), None, alex, ActorId::random()).unwrap();
    ap(
        &mut b,
        Command::SetUp {
            my_name: "Alex".into(),
            partner_name: "Sam".into(),
        },
        t,
    );
    for (m, who) in [(&mut a, "sam"), (&mut b, "alex")] {
        ap(
            m,
            Command::AddCommitment {
                id: format!("commit-{who}").as_str().into(),
                text: format!("Home by six ({who})"),
                rhythm: Rhythm::Daily,
                start: start.into(),
            },
            t,
        );
    }
    ap(
        &mut a,
        Command::AddRitual {
            id: "coffee".into(),
            kind: RitualKind::Ritual,
            title: "Morning coffee together".into(),
            date: Some(start.into()),
            rhythm: Some(Rhythm::Daily),
        },
        t,
    );
    ap(
        &mut a,
        Command::AddSelfCare {
            id: "breathe".into(),
            text: "Breathe out slowly".into(),
        },
        t,
    );
    sync(&mut a, &mut b, t);
    (a, b)
}

/// Applies a command and commits it at `t` (as the worker does), so history has that time.
pub fn ap(m: &mut Model, cmd: Command, t: Timestamp) {
    let what = format!("{cmd:?}");
    m.apply(cmd, t).unwrap_or_else(|e| panic!("{what}: {e}"));
    m.commit(t);
}

fn id(tag: &str, what: &str) -> ItemId {
    format!("{}-{}", tag.to_lowercase(), what.to_lowercase())
        .as_str()
        .into()
}

/// Everything of one day, `date`, every item tagged `tag` (e.g. "MAR"); both check-ins of the
/// day answered, so both are revealed.
pub fn month(a: &mut Model, b: &mut Model, tag: &str, date: &str) {
    let t = ms(date);
    let m = |s: &str| format!("{tag}-{s}");
    let section = a.view().agreement[0].id.clone();
    ap(
        a,
        Command::SpliceSection {
            section,
            pos: 0,
            delete: 0,
            insert: format!("{} ", m("AGREEMENT")),
        },
        t,
    );
    ap(
        b,
        Command::SpliceReassurancePlan {
            pos: 0,
            delete: 0,
            insert: format!("{} ", m("PLAN")),
        },
        t,
    );
    let week = week_of(parse_date(date).unwrap());
    for (dev, who) in [(&mut *a, "SAM"), (&mut *b, "ALEX")] {
        ap(
            dev,
            Command::SaveDailyCheckIn {
                date: date.into(),
                answers: DailyAnswers {
                    mood: 3,
                    connection: 4,
                    safety: 4,
                    high: m(&format!("DAILY-{who}")),
                    low: "tired".into(),
                    need: "a walk".into(),
                },
            },
            t,
        );
        ap(
            dev,
            Command::SaveWeeklyCheckIn {
                week: week.clone(),
                answers: WeeklyAnswers {
                    how_it_went: m(&format!("WEEKLY-{who}")),
                    ..WeeklyAnswers::default()
                },
            },
            t,
        );
    }
    ap(
        a,
        Command::LogCommitment {
            id: "commit-sam".into(),
            date: date.into(),
            status: LogStatus::Kept,
            note: m("LOG"),
        },
        t,
    );
    ap(
        a,
        Command::AddJournalEntry {
            id: id(tag, "shared"),
            date: date.into(),
            mood: Some(4),
            tags: vec!["us".into()],
            text: m("SHARED"),
            prompt: None,
        },
        t,
    );
    ap(
        a,
        Command::ShareJournalEntry {
            id: id(tag, "shared"),
        },
        t,
    );
    ap(
        a,
        Command::AddJournalEntry {
            id: id(tag, "journal"),
            date: date.into(),
            mood: Some(2),
            tags: vec![],
            text: m("JOURNAL"),
            prompt: Some("What do I need right now?".into()),
        },
        t,
    );
    ap(
        b,
        Command::AddDisclosure {
            id: id(tag, "disclosure"),
            text: m("DISCLOSURE"),
            before_asked: true,
        },
        t,
    );
    ap(
        a,
        Command::RaiseTrigger {
            id: id(tag, "trigger"),
            note: m("TRIGGER"),
        },
        t,
    );
    ap(
        b,
        Command::StartBreak {
            id: id(tag, "break"),
            ends_at: t + 1_200_000,
            note: m("BREAK"),
        },
        t,
    );
    ap(
        b,
        Command::EndBreak {
            id: id(tag, "break"),
        },
        t + 60_000,
    );
    ap(
        a,
        Command::AskQuestion {
            id: id(tag, "question"),
            text: m("QUESTION"),
        },
        t,
    );
    sync(a, b, t + 60_000);
    ap(
        b,
        Command::AnswerQuestion {
            question: id(tag, "question"),
            id: id(tag, "answer"),
            text: m("ANSWER"),
        },
        t + 120_000,
    );
    ap(
        b,
        Command::AddWin {
            id: id(tag, "win"),
            kind: WinKind::Appreciation,
            text: m("WIN"),
        },
        t,
    );
    ap(
        a,
        Command::AddRitual {
            id: id(tag, "ritual"),
            kind: RitualKind::DateNight,
            title: m("RITUAL"),
            date: Some(date.into()),
            rhythm: None,
        },
        t,
    );
    ap(
        a,
        Command::MarkRitualDone {
            id: "coffee".into(),
            on: date.into(),
            done: true,
        },
        t,
    );
    ap(
        b,
        Command::SaveApologyDraft {
            id: id(tag, "apology"),
            fields: ApologyFields {
                what_i_did: m("APOLOGY"),
                impact: "You felt alone".into(),
                regret: "I regret it".into(),
                will_do_differently: "Call when I am late".into(),
            },
        },
        t,
    );
    ap(
        b,
        Command::ShareApology {
            id: id(tag, "apology"),
        },
        t,
    );
    ap(
        a,
        Command::AddTherapyTopic {
            id: id(tag, "topic"),
            text: m("TOPIC"),
            from: Some("question".into()),
        },
        t,
    );
    sync(a, b, t + 180_000);
}
