//! Prints open-store → documents loaded → first-frame figures for one year of use by two partners,
//! the same bytes through a bare automerge load, and the latency of a durable keystroke batch.
//!
//! `cargo bench -p kintsugi-service --bench open_store` (set KINTSUGI_BENCH_DAYS to change the span).

use std::time::{Duration, Instant};

use kintsugi_core::automerge::{ActorId, Automerge};
use kintsugi_core::{Command, DailyAnswers, DocKind, ItemId, LogStatus, Model, PartnerId, WinKind};
use kintsugi_service::{Vault, now_ms};
use kintsugi_store::{DocKey, Store};

/// Characters typed between two commits: about what a person types before a 250 ms pause.
const BATCH: usize = 12;

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
fn type_into(vault: &mut Vault, target: &Target, text: &str, start: usize, t: &mut i64) {
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

enum Target {
    Entry(ItemId),
    Section(String),
}

fn main() {
    let days: i64 = std::env::var("KINTSUGI_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365);
    let dir = tempfile::tempdir().expect("temp dir");
    let gen_start = Instant::now();
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
    let view = vault.view();
    println!(
        "data set: {days} days, {} journal entries, {} check-ins, {} agreement sections, generated in {:.1} s",
        view.journal.len(),
        view.daily_checkins.len(),
        view.agreement.len(),
        gen_start.elapsed().as_secs_f64()
    );
    for key in DocKey::ALL {
        let s = vault.store().doc_stats(key).unwrap();
        println!(
            "  {:<8} snapshot {:>8} B, {:>4} chunks {:>8} B",
            key.name(),
            s.snapshot_bytes,
            s.chunk_count,
            s.chunk_bytes
        );
    }

    // Keystroke batch commit latency: one batch of typing applied, then the durable save.
    let id = view.journal[0].id.clone();
    let mut lat = Vec::new();
    for i in 0..400 {
        for j in 0..BATCH {
            vault
                .apply(
                    Command::SpliceJournalText {
                        id: id.clone(),
                        pos: i * BATCH + j,
                        delete: 0,
                        insert: "x".into(),
                    },
                    now_ms(),
                )
                .unwrap();
        }
        let s = Instant::now();
        vault.save(now_ms()).unwrap();
        lat.push(s.elapsed());
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    drop(vault);

    // Cold open, repeated: store open → documents loaded (automerge) → first frame's view.
    let runs = 7;
    let (mut open, mut load, mut model, mut first, mut bare) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t0 = Instant::now();
        let store = Store::open(dir.path()).unwrap();
        let t1 = Instant::now();
        let c = store.load_doc(DocKey::Couple).unwrap().unwrap();
        let p = store.load_doc(DocKey::Private).unwrap().unwrap();
        let t2 = Instant::now();
        let m = Model::open(Some(&c), Some(&p), PartnerId::random(), ActorId::random()).unwrap();
        let t3 = Instant::now();
        let v = m.view();
        let t4 = Instant::now();
        assert_eq!(v.journal.len(), days as usize);
        open.push(t1 - t0);
        load.push(t2 - t1);
        model.push(t3 - t2);
        first.push(t4 - t0);
        let b0 = Instant::now();
        let _ = Automerge::load(&c).unwrap();
        let _ = Automerge::load(&p).unwrap();
        bare.push(b0.elapsed());
        drop(store);
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let (open, load, model, first, bare) = (
        med(&mut open),
        med(&mut load),
        med(&mut model),
        med(&mut first),
        med(&mut bare),
    );
    println!("\nopen to first frame (median of {runs} cold opens):");
    println!("  store open            {open:>8.2} ms");
    println!("  documents read (redb) {load:>8.2} ms");
    println!("  automerge load        {model:>8.2} ms");
    println!("  first-frame data      {first:>8.2} ms  (open + read + load + view)");
    println!("  bare Automerge::load  {bare:>8.2} ms  (same bytes)");
    println!("  ratio first-frame / bare load: {:.2}", first / bare);
    println!(
        "\nkeystroke batch ({BATCH} chars) durable commit, {} batches:",
        lat.len()
    );
    println!(
        "  p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3
    );
}
