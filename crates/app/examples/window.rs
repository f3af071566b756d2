//! Opens the window on a data directory (a fresh temporary one by default), optionally with a
//! few sample entries: `cargo run -p kintsugi-app --example window -- [DIR] [--demo]`.

use std::path::PathBuf;

use kintsugi_core::{Command, DailyAnswers, DocKind, ItemId};
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
    let mut theirs = alex.model_mut().doc_mut(DocKind::Couple).fork();
    vault
        .model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)?;
    vault.mark_changed();
    vault.save(now)?;
    Ok(())
}
