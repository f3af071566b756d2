//! One year of daily use by two partners, generated the way the window writes it.

#![allow(dead_code)]

use std::time::Instant;

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{Command, DailyAnswers, DocKind, ItemId, LogStatus, Model, PartnerId, WinKind};
use kintsugi_service::Vault;

/// Characters typed between two commits: about what a person types before a 250 ms pause.
pub const BATCH: usize = 12;

const WORDS: &[&str] = &[
    "today", "I", "felt", "the", "walk", "helped", "we", "talked", "about", "trust", "and", "it",
    "was", "hard", "but", "honest", "tea", "after", "work", "quiet", "evening", "I", "need",
    "patience", "with", "myself", "small", "steps", "you", "listened",
];

fn prose(seed: &mut u64, chars: usize) -> String {
    let mut s = String::new();
    while s.len() < chars {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(WORDS[(*seed >> 33) as usize % WORDS.len()]);
        s.push(' ');
    }
    s
}

/// Types `text` into a journal entry or section in batches, saving durably after each batch
/// like the window's worker does.
pub fn type_into(vault: &mut Vault, target: &Target, text: &str, start: usize, t: &mut i64) {
    let chars: Vec<char> = text.chars().collect();
    for (i, chunk) in chars.chunks(BATCH).enumerate() {
        let pos = start + i * BATCH;
        for (j, c) in chunk.iter().enumerate() {
            *t += 150;
            let insert = c.to_string();
            let cmd = match target {
                Target::Entry(id) => Command::SpliceJournalText {
                    id: id.clone(),
                    pos: pos + j,
                    delete: 0,
                    insert,
                },
                Target::Section(s) => Command::SpliceSection {
                    section: s.clone(),
                    pos: pos + j,
                    delete: 0,
                    insert,
                },
            };
            vault.apply(cmd, *t).expect("valid splice");
        }
        vault.save(*t).expect("save");
    }
}

pub enum Target {
    Entry(ItemId),
    Section(String),
}

/// The generated data: this device's vault (on disk in `dir`) and the partner's device.
pub struct Year {
    pub dir: tempfile::TempDir,
    pub vault: Vault,
    pub partner: Model,
    pub days: i64,
    pub seconds: f64,
}

pub fn days_from_env() -> i64 {
    std::env::var("KINTSUGI_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365)
}

pub fn generate(days: i64) -> Year {
    let gen_start = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (PartnerId::random(), PartnerId::random());
    let mut vault = Vault::open(dir.path()).expect("open");
    let mut t = 1_700_000_000_000i64;
    vault
        .apply(
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            t,
        )
        .unwrap();
    vault.save(t).unwrap();
    let _ = a;
    // The partner's device: their own couple-document replica, merged in weekly as sync would.
    let couple = vault.model_mut().doc_mut(DocKind::Couple).save();
    let mut partner = Model::open(Some(&couple), None, b.clone(), ActorId::random()).unwrap();
    partner
        .apply(
            Command::SetUp {
                my_name: "Alex".into(),
                partner_name: "Sam".into(),
            },
            t,
        )
        .unwrap();
    let commitment = ItemId::random();
    vault
        .apply(
            Command::AddCommitment {
                id: commitment.clone(),
                text: "Home by 6 on weekdays".into(),
                rhythm: kintsugi_core::Rhythm::Weekdays,
                start: "2025-11-24".into(),
            },
            t,
        )
        .unwrap();
    let mut seed = 42u64;
    let start_date = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    for day in 0..days {
        let date = (start_date + chrono::Days::new(day as u64)).to_string();
        t += 86_400_000;
        // My journal entry, typed.
        let id = ItemId::random();
        vault
            .apply(
                Command::AddJournalEntry {
                    id: id.clone(),
                    date: date.clone(),
                    mood: Some((day % 5 + 1) as u8),
                    tags: vec!["daily".into()],
                    text: String::new(),
                    prompt: None,
                },
                t,
            )
            .unwrap();
        let len = 250 + (day as usize * 37) % 500;
        type_into(
            &mut vault,
            &Target::Entry(id.clone()),
            &prose(&mut seed, len),
            0,
            &mut t,
        );
        if day % 30 == 0 {
            vault.apply(Command::ShareJournalEntry { id }, t).unwrap();
        }
        // Both daily check-ins.
        let answers = DailyAnswers {
            mood: (day % 5 + 1) as u8,
            connection: ((day + 2) % 5 + 1) as u8,
            safety: ((day + 3) % 5 + 1) as u8,
            high: prose(&mut seed, 30),
            low: prose(&mut seed, 30),
            need: prose(&mut seed, 40),
        };
        vault
            .apply(
                Command::SaveDailyCheckIn {
                    date: date.clone(),
                    answers: answers.clone(),
                },
                t,
            )
            .unwrap();
        partner
            .apply(
                Command::SaveDailyCheckIn {
                    date: date.clone(),
                    answers,
                },
                t,
            )
            .unwrap();
        vault
            .apply(
                Command::LogCommitment {
                    id: commitment.clone(),
                    date: date.clone(),
                    status: if day % 9 == 0 {
                        LogStatus::DisclosedBeforeAsked
                    } else {
                        LogStatus::Kept
                    },
                    note: String::new(),
                },
                t,
            )
            .unwrap();
        if day % 7 == 3 {
            partner
                .apply(
                    Command::RaiseTrigger {
                        id: ItemId::random(),
                        note: prose(&mut seed, 40),
                    },
                    t,
                )
                .unwrap();
            vault
                .apply(
                    Command::AddWin {
                        id: ItemId::random(),
                        kind: WinKind::Appreciation,
                        text: prose(&mut seed, 60),
                    },
                    t,
                )
                .unwrap();
        }
        // The agreement is reworked a couple of times a week, by both.
        if day % 3 == 0 {
            let section =
                ["boundaries", "transparency", "conflict"][(day as usize / 3) % 3].to_string();
            let body_len = vault
                .view()
                .agreement
                .iter()
                .find(|s| s.id == section)
                .map_or(0, |s| s.body.chars().count());
            type_into(
                &mut vault,
                &Target::Section(section.clone()),
                &prose(&mut seed, 80),
                body_len,
                &mut t,
            );
            partner
                .apply(
                    Command::SpliceSection {
                        section,
                        pos: 0,
                        delete: 0,
                        insert: prose(&mut seed, 40),
                    },
                    t,
                )
                .unwrap();
        }
        vault.save(t).unwrap();
        if day % 7 == 6 {
            partner.commit(t);
            let mut theirs = partner.doc_mut(DocKind::Couple).fork();
            vault
                .model_mut()
                .doc_mut(DocKind::Couple)
                .merge(&mut theirs)
                .unwrap();
            vault.mark_changed();
            vault.save(t).unwrap();
            let mut mine = vault.model_mut().doc_mut(DocKind::Couple).fork();
            partner.doc_mut(DocKind::Couple).merge(&mut mine).unwrap();
        }
    }
    Year {
        dir,
        vault,
        partner,
        days,
        seconds: gen_start.elapsed().as_secs_f64(),
    }
}
