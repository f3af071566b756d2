//! Opens the window on a data directory (a fresh temporary one by default), optionally with a
//! few sample entries: `cargo run -p kintsugi-app --example window -- [DIR] [--demo]`. With
//! `--demo --hard`, Alex has just said "I'm triggered" and started a break.

use std::path::PathBuf;

use chrono::Datelike;
use kintsugi_core::{Command, CommitmentState, DailyAnswers, DocKind, ItemId, LogStatus, Rhythm};
use kintsugi_service::{Vault, now_ms, spawn, today_local};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|a| a == "--demo");
    let tmp = tempfile::tempdir()?;
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    let mut vault = Vault::open(&dir)?;
    if demo {
        seed(&mut vault)?;
    }
    let label = dir.display().to_string();
    kintsugi_app::run(spawn(vault), &label)?;
    Ok(())
}

/// Two people's first week, written the way the app would write it.
fn seed(vault: &mut Vault) -> Result<(), Box<dyn std::error::Error>> {
    let today = today_local();
    let day = |back: i64| {
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    let now = now_ms();
    let apply = |v: &mut Vault, c: Command| v.apply(c, now);
    apply(
        vault,
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
    )?;
    let entries = [
        (
            day(0),
            Some(3),
            vec!["evening"],
            "We talked for an hour after dinner without it turning into a fight.\nI noticed I could listen without defending myself.",
            Some("What did I notice today that helped?"),
        ),
        (
            day(1),
            Some(2),
            vec!["therapy", "hard day"],
            "Therapy was hard today. I want to bring up the phone agreement next time.",
            None,
        ),
        (
            day(3),
            Some(4),
            vec!["walk"],
            "A long walk by the river. Alex held my hand for the first time in weeks.",
            Some("When did I feel closest to my partner this week?"),
        ),
    ];
    let mut first = None;
    for (date, mood, tags, text, prompt) in entries {
        let id = ItemId::random();
        first.get_or_insert(id.clone());
        apply(
            vault,
            Command::AddJournalEntry {
                id,
                date,
                mood,
                tags: tags.into_iter().map(String::from).collect(),
                text: text.into(),
                prompt: prompt.map(String::from),
            },
        )?;
    }
    if let Some(id) = first {
        apply(vault, Command::ShareJournalEntry { id })?;
    }
    apply(
        vault,
        Command::SpliceSection {
            section: "conflict".into(),
            pos: 0,
            delete: 0,
            insert: "When a talk gets too heated, either of us can ask for a 20-minute break. \
                     We come back to it the same day."
                .into(),
        },
    )?;
    vault.save(now)?;

    // The partner's device, merged in as sync would deliver it.
    let other = tempfile::tempdir()?;
    let mut alex = Vault::open(other.path())?;
    // Paired, as only paired devices exchange documents: each verifies the other's authors.
    vault.pair_with(&alex, "Alex's phone", now)?;
    alex.pair_with(vault, "Sam's laptop", now)?;
    alex.apply(
        Command::SetUp {
            my_name: "Alex".into(),
            partner_name: "Sam".into(),
        },
        now,
    )?;
    alex.apply(
        Command::SaveDailyCheckIn {
            date: day(1),
            answers: DailyAnswers {
                mood: 3,
                connection: 3,
                safety: 3,
                high: "Sam told me about the message before I asked.".into(),
                low: "I still check the phone in my head.".into(),
                need: "Text me when you leave work.".into(),
            },
        },
        now,
    )?;
    seed_commitments(vault, &mut alex)?;
    seed_together(vault, &mut alex)?;
    seed_repair(vault, &mut alex)?;
    seed_hard_moments(vault, &mut alex)?;
    alex.save(now)?;
    vault.apply(
        Command::SaveDailyCheckIn {
            date: day(1),
            answers: DailyAnswers {
                mood: 2,
                connection: 3,
                safety: 4,
                high: "The walk home together.".into(),
                low: "Therapy felt heavy.".into(),
                need: "A quiet evening.".into(),
            },
        },
        now,
    )?;
    // Today Alex answered first; Sam answers once Alex's seal is here, so both are shown and
    // final, and Alex adds a later thought after reading Sam's.
    alex.apply(
        Command::SaveDailyCheckIn {
            date: day(0),
            answers: DailyAnswers {
                mood: 3,
                connection: 4,
                safety: 3,
                high: "Breakfast without phones.".into(),
                low: "A call I didn't expect.".into(),
                need: "Tell me who it was, tonight.".into(),
            },
        },
        now,
    )?;
    alex.save(now)?;
    let exchange = |from: &mut Vault, to: &mut Vault| -> Result<(), Box<dyn std::error::Error>> {
        // Both saved first, as the worker saves every command: the save commits and signs the
        // claims that let the other device verify who wrote what (a merge would commit open
        // changes without them).
        from.save(now)?;
        to.save(now)?;
        let mut theirs = from.model_mut().doc_mut(DocKind::Couple).fork();
        to.model_mut().doc_mut(DocKind::Couple).merge(&mut theirs)?;
        to.model_mut().reveal_checkins(now)?;
        to.mark_changed();
        to.save(now)?;
        Ok(())
    };
    exchange(&mut alex, vault)?;
    vault.apply(
        Command::SaveDailyCheckIn {
            date: day(0),
            answers: DailyAnswers {
                mood: 4,
                connection: 4,
                safety: 4,
                high: "You told me about the call before I asked.".into(),
                low: String::new(),
                need: "Dinner together.".into(),
            },
        },
        now,
    )?;
    vault.save(now)?;
    exchange(vault, &mut alex)?;
    alex.apply(
        Command::AddCheckInNote {
            id: ItemId::random(),
            weekly: false,
            period: day(0),
            text: "Reading yours, I realise I was more anxious than I said.".into(),
        },
        now,
    )?;
    alex.save(now)?;
    exchange(&mut alex, vault)?;
    Ok(())
}

/// Commitments of both, logged over several weeks (mostly kept, a few missed, some told before
/// being asked, a few days not logged), one paused, and some days acknowledged by the other.
fn seed_commitments(sam: &mut Vault, alex: &mut Vault) -> Result<(), Box<dyn std::error::Error>> {
    let today = today_local();
    let now = now_ms();
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    // A log is written on its own day, so "logged on …" reads true.
    let at = |d: chrono::NaiveDate| now - (today - d).num_days() * 86_400_000;
    let days_since = |weeks: i64| {
        let start = today - chrono::Duration::weeks(weeks);
        (0..=(today - start).num_days()).map(move |i| (i, start + chrono::Duration::days(i)))
    };

    let home = ItemId::random();
    let start = today - chrono::Duration::weeks(20);
    sam.apply(
        Command::AddCommitment {
            id: home.clone(),
            text: "Home by 6 on weekdays".into(),
            rhythm: Rhythm::Weekdays,
            start: ymd(start),
        },
        at(start),
    )?;
    for (i, day) in days_since(20) {
        if day >= today || !Rhythm::Weekdays.falls_on(day) {
            continue;
        }
        let (status, note) = match i {
            _ if i % 23 == 4 => (LogStatus::Missed, "Lost track of time at work."),
            _ if i % 17 == 9 => (
                LogStatus::DisclosedBeforeAsked,
                "The meeting ran over; I called you before I left.",
            ),
            _ if i % 29 == 13 => continue,
            _ if i % 11 == 2 => (LogStatus::Kept, "Home at 5:40, we cooked together."),
            _ => (LogStatus::Kept, ""),
        };
        sam.apply(
            Command::LogCommitment {
                id: home.clone(),
                date: ymd(day),
                status,
                note: note.into(),
            },
            at(day),
        )?;
    }

    let phone = ItemId::random();
    let start = today - chrono::Duration::weeks(9);
    let paused = today - chrono::Duration::days(10);
    sam.apply(
        Command::AddCommitment {
            id: phone.clone(),
            text: "Phone on the table at dinner".into(),
            rhythm: Rhythm::days(vec![
                chrono::Weekday::Mon,
                chrono::Weekday::Wed,
                chrono::Weekday::Fri,
            ]),
            start: ymd(start),
        },
        at(start),
    )?;
    for (i, day) in days_since(9) {
        if day >= paused
            || !matches!(
                day.weekday(),
                chrono::Weekday::Mon | chrono::Weekday::Wed | chrono::Weekday::Fri
            )
        {
            continue;
        }
        let status = if i % 13 == 5 {
            LogStatus::Missed
        } else {
            LogStatus::Kept
        };
        sam.apply(
            Command::LogCommitment {
                id: phone.clone(),
                date: ymd(day),
                status,
                note: String::new(),
            },
            at(day),
        )?;
    }
    sam.apply(
        Command::SetCommitmentState {
            id: phone,
            state: CommitmentState::Paused,
            date: ymd(paused),
        },
        at(paused),
    )?;

    let quiet = ItemId::random();
    let start = today - chrono::Duration::weeks(6);
    alex.apply(
        Command::AddCommitment {
            id: quiet.clone(),
            text: "Say what I need instead of going quiet".into(),
            rhythm: Rhythm::Daily,
            start: ymd(start),
        },
        at(start),
    )?;
    for (i, day) in days_since(6) {
        if day >= today || i % 9 == 4 {
            continue;
        }
        let status = if i % 10 == 7 {
            LogStatus::Missed
        } else {
            LogStatus::Kept
        };
        alex.apply(
            Command::LogCommitment {
                id: quiet.clone(),
                date: ymd(day),
                status,
                note: String::new(),
            },
            at(day),
        )?;
    }

    // Each device receives the other's commitments (saved first: the save signs the claims
    // that let the other device verify who wrote them), then acknowledges some recent days.
    sam.save(now)?;
    alex.save(now)?;
    let mut theirs = sam.model_mut().doc_mut(DocKind::Couple).fork();
    alex.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)?;
    let mut theirs = alex.model_mut().doc_mut(DocKind::Couple).fork();
    sam.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)?;
    let view = sam.view();
    for (vault, id, notes) in [
        (
            &mut *alex,
            &home,
            ["Thank you for calling ahead.", "", "Seen, thank you"],
        ),
        (&mut *sam, &quiet, ["", "I noticed. Thank you.", ""]),
    ] {
        let Some(c) = view.commitments.iter().find(|c| &c.id == id) else {
            continue;
        };
        for (n, l) in c.log.iter().take(8).skip(1).enumerate() {
            let note = if l.status == LogStatus::DisclosedBeforeAsked {
                "Thank you for telling me before I had to ask."
            } else {
                notes[n % 3]
            };
            let day = kintsugi_core::parse_date(&l.date).unwrap_or(today);
            vault.apply(
                Command::AcknowledgeCommitmentLog {
                    id: id.clone(),
                    date: l.date.clone(),
                    note: note.into(),
                },
                at(day) + 3_600_000,
            )?;
        }
    }
    sam.mark_changed();
    Ok(())
}

/// Disclosures (one answered, one waiting for Sam's answer), wins of both, last week's weekly
/// check-in answered by both, this week's answered by Alex only, and Sam's reminder times.
fn seed_together(sam: &mut Vault, alex: &mut Vault) -> Result<(), Box<dyn std::error::Error>> {
    use kintsugi_core::{ReminderSettings, WeeklyAnswers, WinKind, iso_week};
    let now = now_ms();
    let ago = |days: i64, hours: i64| now - days * 86_400_000 - hours * 3_600_000;
    let exchange = |from: &mut Vault, to: &mut Vault| -> Result<(), Box<dyn std::error::Error>> {
        // Both saved first, as the worker saves every command: the save commits and signs the
        // claims that let the other device verify who wrote what (a merge would commit open
        // changes without them).
        from.save(now)?;
        to.save(now)?;
        let mut theirs = from.model_mut().doc_mut(DocKind::Couple).fork();
        to.model_mut().doc_mut(DocKind::Couple).merge(&mut theirs)?;
        to.model_mut().reveal_checkins(now)?;
        to.mark_changed();
        Ok(())
    };

    let told = ItemId::random();
    sam.apply(
        Command::AddDisclosure {
            id: told.clone(),
            text: "She messaged me on Thursday. I didn't answer, and I'm telling you before \
                   you have to wonder."
                .into(),
            before_asked: true,
        },
        ago(3, 2),
    )?;
    sam.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::TrustWin,
            text: "You told me where you were going on Saturday without me asking.".into(),
        },
        ago(2, 5),
    )?;
    exchange(sam, alex)?;
    alex.apply(
        Command::AcknowledgeDisclosure {
            id: told,
            response: "That was hard to read. I'm glad I heard it from you.".into(),
        },
        ago(3, 0),
    )?;
    alex.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::Appreciation,
            text: "Thank you for cooking on Tuesday when I came home so tired.".into(),
        },
        ago(1, 4),
    )?;
    alex.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::HonestMoment,
            text: "You said you were scared instead of going quiet.".into(),
        },
        ago(0, 6),
    )?;
    alex.apply(
        Command::AddDisclosure {
            id: ItemId::random(),
            text: "I read your messages on Sunday while you were in the shower. I'm sorry. \
                   I want to ask you instead."
                .into(),
            before_asked: true,
        },
        ago(0, 3),
    )?;

    let this_week = iso_week(today_local());
    let last_week = iso_week(today_local() - chrono::Duration::weeks(1));
    alex.apply(
        Command::SaveWeeklyCheckIn {
            week: last_week.clone(),
            answers: WeeklyAnswers {
                how_it_went: "Better than the week before. Wednesday was hard.".into(),
                agreements: "The phone rule worked. The 20-minute break helped once.".into(),
                commitments: "You were home on time every day but one, and you called.".into(),
                wins: "The walk by the river.".into(),
                for_therapy: "Why evenings are still the hardest part for me.".into(),
            },
        },
        ago(6, 0),
    )?;
    exchange(alex, sam)?;
    sam.apply(
        Command::SaveWeeklyCheckIn {
            week: last_week,
            answers: WeeklyAnswers {
                how_it_went: "Steadier. I noticed I defend myself less.".into(),
                agreements: "I'd like to review the social media section together.".into(),
                commitments: "Kept all but Thursday.".into(),
                wins: "Alex laughed at dinner on Friday.".into(),
                for_therapy: "How to talk about the affair without it ending in a fight.".into(),
            },
        },
        ago(6, 0) + 3_600_000,
    )?;
    exchange(sam, alex)?;
    alex.apply(
        Command::SaveWeeklyCheckIn {
            week: this_week,
            answers: WeeklyAnswers {
                how_it_went: "Calmer. I still check your phone in my head.".into(),
                ..Default::default()
            },
        },
        ago(0, 1),
    )?;
    alex.mark_changed();

    let time = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0);
    sam.apply(
        Command::SetReminders {
            settings: ReminderSettings {
                daily: time(8, 0),
                weekly: time(18, 0).map(|t| (chrono::Weekday::Sun, t)),
                evening_log: time(21, 0),
            },
        },
        now,
    )?;
    Ok(())
}

/// Hard moments: the reassurance plan, triggers of both over the last weeks (most answered),
/// Sam's own self-care list; with `--hard`, Alex's trigger just now and a break Alex started.
fn seed_hard_moments(sam: &mut Vault, alex: &mut Vault) -> Result<(), Box<dyn std::error::Error>> {
    use kintsugi_core::Trigger;
    let now = now_ms();
    let ago = |days: i64, hours: i64| now - days * 86_400_000 - hours * 3_600_000;
    let exchange = |from: &mut Vault, to: &mut Vault| -> Result<(), Box<dyn std::error::Error>> {
        // Both saved first, as the worker saves every command: the save commits and signs the
        // claims that let the other device verify who wrote what (a merge would commit open
        // changes without them).
        from.save(now)?;
        to.save(now)?;
        let mut theirs = from.model_mut().doc_mut(DocKind::Couple).fork();
        to.model_mut().doc_mut(DocKind::Couple).merge(&mut theirs)?;
        to.mark_changed();
        Ok(())
    };
    sam.apply(
        Command::SpliceReassurancePlan {
            pos: 0,
            delete: 0,
            insert: "Tell me you're here and that you're not going anywhere.\n\
                     Sit with me. Don't explain or defend yet; we can talk once I'm calmer.\n\
                     Answer my questions honestly, even if you have answered them before.\n\
                     If one of us needs a break, we take 20 minutes and come back."
                .into(),
        },
        ago(20, 0),
    )?;
    for text in ["Walk outside for ten minutes", "Call my sister"] {
        sam.apply(
            Command::AddSelfCare {
                id: ItemId::random(),
                text: text.into(),
            },
            now,
        )?;
    }
    let alex_moments = [
        (48, "A message notification at dinner."),
        (41, ""),
        (33, "The restaurant where it started."),
        (30, ""),
        (19, "Your phone was face down again."),
        (12, ""),
        (4, "A song on the radio."),
    ];
    for (days, note) in alex_moments {
        alex.apply(
            Command::RaiseTrigger {
                id: ItemId::random(),
                note: note.into(),
            },
            ago(days, 3),
        )?;
    }
    sam.apply(
        Command::RaiseTrigger {
            id: ItemId::random(),
            note: "When you went quiet for the whole evening.".into(),
        },
        ago(9, 5),
    )?;
    exchange(alex, sam)?;
    exchange(sam, alex)?;
    // Each answers the other's moments a few minutes later, all but some.
    let answer = |v: &mut Vault, skip: usize| -> Result<(), Box<dyn std::error::Error>> {
        let view = v.view();
        let me = view.me;
        let theirs: Vec<Trigger> = view
            .triggers
            .into_iter()
            .filter(|t| Some(&t.by) != me.as_ref())
            .collect();
        for (n, t) in theirs.into_iter().enumerate() {
            if n % 4 != skip {
                v.apply(Command::AcknowledgeTrigger { id: t.id }, t.at + 6 * 60_000)?;
            }
        }
        Ok(())
    };
    answer(sam, 2)?;
    answer(alex, 9)?;
    exchange(sam, alex)?;
    exchange(alex, sam)?;
    if std::env::args().any(|a| a == "--hard") {
        alex.apply(
            Command::RaiseTrigger {
                id: ItemId::random(),
                note: "The argument about the phone bill. My chest is tight.".into(),
            },
            now - 60_000,
        )?;
        alex.apply(
            Command::StartBreak {
                id: ItemId::random(),
                ends_at: now + 15 * 60_000,
                note: "I want to come back to this. I need to breathe first.".into(),
            },
            now - 5 * 60_000,
        )?;
        alex.mark_changed();
    }
    Ok(())
}

/// Questions (one answered, asked again and waiting for Sam), an apology draft of Sam's with an
/// excuse in it, and an apology Alex shared.
fn seed_repair(sam: &mut Vault, alex: &mut Vault) -> Result<(), Box<dyn std::error::Error>> {
    use kintsugi_core::ApologyFields;
    let now = now_ms();
    let ago = |days: i64, hours: i64| now - days * 86_400_000 - hours * 3_600_000;
    let exchange = |from: &mut Vault, to: &mut Vault| -> Result<(), Box<dyn std::error::Error>> {
        // Both saved first, as the worker saves every command: the save commits and signs the
        // claims that let the other device verify who wrote what (a merge would commit open
        // changes without them).
        from.save(now)?;
        to.save(now)?;
        let mut theirs = from.model_mut().doc_mut(DocKind::Couple).fork();
        to.model_mut().doc_mut(DocKind::Couple).merge(&mut theirs)?;
        to.mark_changed();
        Ok(())
    };
    let (again, answered) = (ItemId::random(), ItemId::random());
    alex.apply(
        Command::AskQuestion {
            id: again.clone(),
            text: "Did you see her again after you told me it was over?".into(),
        },
        ago(4, 3),
    )?;
    alex.apply(
        Command::AskQuestion {
            id: answered.clone(),
            text: "Who else knew while it was going on?".into(),
        },
        ago(3, 1),
    )?;
    exchange(alex, sam)?;
    sam.apply(
        Command::AnswerQuestion {
            question: again.clone(),
            id: ItemId::random(),
            text: "Once, in March, for coffee. I ended it there.".into(),
        },
        ago(4, 1),
    )?;
    sam.apply(
        Command::AnswerQuestion {
            question: answered,
            id: ItemId::random(),
            text: "Only my brother. I asked him not to tell you, and I'm sorry I put him there."
                .into(),
        },
        ago(2, 20),
    )?;
    exchange(sam, alex)?;
    alex.apply(Command::AskAgain { id: again }, ago(0, 2))?;
    let apology = ItemId::random();
    alex.apply(
        Command::SaveApologyDraft {
            id: apology.clone(),
            fields: ApologyFields {
                what_i_did: "I read your messages on Sunday while you were in the shower.".into(),
                impact: "It took away the trust you are trying to rebuild with me.".into(),
                regret: "I'm sorry I went behind your back instead of asking you.".into(),
                will_do_differently: "When I'm scared, I will ask you, out loud.".into(),
            },
        },
        ago(0, 4),
    )?;
    alex.apply(Command::ShareApology { id: apology }, ago(0, 3))?;
    exchange(alex, sam)?;
    sam.apply(
        Command::SaveApologyDraft {
            id: ItemId::random(),
            fields: ApologyFields {
                what_i_did: "I lied to you about where I was on Friday nights, but I was \
                             confused back then."
                    .into(),
                impact: "You stopped believing what I say.".into(),
                ..Default::default()
            },
        },
        ago(1, 0),
    )?;
    Ok(())
}
