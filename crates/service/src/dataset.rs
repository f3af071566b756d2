//! Years of two partners' use, generated in memory from a seed, cached under `target/`, and installed into a fresh store: the data the benchmarks and the perf example measure.
//!
//! Everything is written through the core's commands, as the window writes it: journals and the
//! agreement are typed in keystroke batches (one change per typing pause), each device under its
//! own actor, and the two devices' couple documents meet once a week the way a sync merges them
//! (then reveal the week's check-ins and publish shared entries, as the worker does). No store is
//! touched while generating: the documents live in two `Model`s and are saved once at the end.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kintsugi_core::automerge::{ActorId, ChangeHash, ROOT, ReadDoc};
use kintsugi_core::{
    Command, CommitmentState, DailyAnswers, DocKind, ItemId, LogStatus, Model, PartnerId, Rhythm,
    Timestamp, WeeklyAnswers, WinKind, week_of,
};
use kintsugi_store::{DocKey, Store};

use crate::vault::VaultError;

/// Bumped whenever the generator's output changes, so an old cache file is never measured as
/// a new one (it is part of the file name and of the file's header).
pub const GENERATOR_VERSION: u32 = 2;

/// The store setting `Vault::open` reads this device's partner id from (vault.rs).
const SETTING_PARTNER: &str = "partner_id";

/// The last day of every data set: the data ends "now", so screens that count from today see
/// the recent past, not an empty one.
const END_DATE: (i32, u32, u32) = (2026, 11, 29);

/// What to generate. Counts not named here follow from `days` at issue 12's rates (daily
/// check-ins both, weekly both, ~2,000 commitment logs per ten years, triggers, questions…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub days: u32,
    pub seed: u64,
    /// Keystrokes (typed characters and deletions) in the agreement, by both partners.
    pub agreement_edits: u32,
    /// Journal entries written on the measured device (its private journal).
    pub journal_entries: u32,
}

impl Spec {
    const SEED: u64 = 0x6b69_6e74_7375_6769;

    /// One year, every count a tenth of [`Spec::ten_years`].
    pub fn one_year() -> Spec {
        Spec {
            days: 365,
            seed: Spec::SEED,
            agreement_edits: 5_000,
            journal_entries: 700,
        }
    }

    /// Ten years: issue 12's numbers.
    pub fn ten_years() -> Spec {
        Spec {
            days: 3_650,
            seed: Spec::SEED,
            agreement_edits: 50_000,
            journal_entries: 7_000,
        }
    }

    /// The cache file's name: every parameter and the generator version.
    pub fn file_name(&self) -> String {
        format!(
            "dataset-d{}-j{}-a{}-seed{:x}-gen{}.bin",
            self.days, self.journal_entries, self.agreement_edits, self.seed, GENERATOR_VERSION
        )
    }

    /// Commitment log entries: 2,000 per ten years.
    fn commitment_logs(&self) -> u32 {
        (self.days as u64 * 2_000 / 3_650) as u32
    }

    /// Journal entries the partner writes on their own device (about one a week).
    fn partner_entries(&self) -> u32 {
        self.days / 7
    }
}

/// The generated documents of both devices.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub spec: Spec,
    pub me: PartnerId,
    pub partner: PartnerId,
    /// The measured device's documents (automerge `save()`).
    pub couple: Vec<u8>,
    pub private: Vec<u8>,
    /// The partner's device.
    pub partner_couple: Vec<u8>,
    pub partner_private: Vec<u8>,
    /// Zero when read from the cache.
    pub generated_in: Duration,
}

/// A small deterministic generator (no dependency): splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// 32 hex digits, like `ItemId::random` and `PartnerId::random`.
    fn hex_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
    fn item(&mut self) -> ItemId {
        ItemId(self.hex_id())
    }
    fn actor(&mut self) -> ActorId {
        let mut bytes = Vec::with_capacity(16);
        bytes.extend_from_slice(&self.next().to_be_bytes());
        bytes.extend_from_slice(&self.next().to_be_bytes());
        ActorId::from(bytes)
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.next() as usize % words.len()]
    }
    /// A check-in answer: a few words.
    fn short(&mut self) -> String {
        let n = self.range(10, 60) as usize;
        self.prose(n)
    }
    /// About `chars` characters of plain words.
    fn prose(&mut self, chars: usize) -> String {
        let mut s = String::new();
        while s.len() < chars {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(self.pick(WORDS));
        }
        s
    }
}

const WORDS: &[&str] = &[
    "today", "I", "felt", "the", "walk", "helped", "we", "talked", "about", "trust", "and", "it",
    "was", "hard", "but", "honest", "tea", "after", "work", "quiet", "evening", "I", "need",
    "patience", "with", "myself", "small", "steps", "you", "listened", "agree", "to", "tell",
    "each", "other", "when", "a", "message", "arrives", "phones", "stay", "open", "on", "table",
    "check", "in", "before", "late", "say", "where", "are", "even", "if", "is", "review",
    "together", "monthly",
];

/// Agreement sections (the genesis templates) and how often each is reworked, in percent.
const SECTIONS: &[(&str, u64)] = &[
    ("boundaries", 35),
    ("transparency", 25),
    ("commitments", 15),
    ("conflict", 15),
    ("therapy", 5),
    ("review", 5),
];

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// One partner's device while generating: its documents, its own clock and typing position.
struct Device {
    model: Model,
    t: Timestamp,
    cursor: usize,
    pending: Vec<char>,
}

impl Device {
    fn apply(&mut self, cmd: Command) {
        if let Err(e) = self.model.apply(cmd, self.t) {
            panic!("a generator command was refused: {e}");
        }
    }

    /// Moves this device's clock to `at` unless it is already later (typing ran over).
    fn at(&mut self, at: Timestamp) {
        self.t = self.t.max(at);
    }

    /// Length of a section's text on this device, read straight from the document (no view).
    fn section_len(&self, section: &str) -> usize {
        let doc = self.model.doc(DocKind::Couple);
        let obj = |parent, key: &str| doc.get(&parent, key).ok().flatten().map(|(_, o)| o);
        obj(ROOT, "agreement")
            .and_then(|a| obj(a, section))
            .and_then(|s| obj(s, "body"))
            .map_or(0, |b| doc.length(&b))
    }

    /// Types `len` characters of prose at the end of a new journal entry, in batches (one
    /// change per pause), with the odd backspace, as the window's text box sends them.
    fn type_entry(&mut self, rng: &mut Rng, id: &ItemId, len: usize) {
        let text: Vec<char> = rng.prose(len).chars().collect();
        let mut pos = 0usize;
        let mut i = 0;
        while i < text.len() {
            let batch = rng.range(4, 20) as usize;
            for _ in 0..batch {
                if i >= text.len() {
                    break;
                }
                self.t += rng.range(80, 250) as i64;
                let (p, delete, insert) = if pos > 0 && rng.chance(4) {
                    (pos - 1, 1, String::new())
                } else {
                    i += 1;
                    (pos, 0, text[i - 1].to_string())
                };
                self.apply(Command::SpliceJournalText {
                    id: id.clone(),
                    pos: p,
                    delete,
                    insert: insert.clone(),
                });
                pos = p + insert.len();
            }
            self.model.commit(self.t);
            self.t += rng.range(300, 6_000) as i64;
        }
    }

    /// One keystroke in a section at this device's cursor: mostly typing, some backspaces,
    /// now and then a selected run deleted at once.
    fn keystroke(&mut self, rng: &mut Rng, section: &str, len: &mut usize) {
        self.cursor = self.cursor.min(*len);
        self.t += rng.range(80, 250) as i64;
        let roll = rng.next() % 100;
        let (pos, delete, insert) = if roll < 80 || *len == 0 {
            if self.pending.is_empty() {
                let w = rng.pick(WORDS);
                self.pending = format!("{w} ").chars().rev().collect();
            }
            let c = self.pending.pop().expect("filled above");
            (self.cursor, 0, c.to_string())
        } else if roll < 95 && self.cursor > 0 {
            (self.cursor - 1, 1, String::new())
        } else {
            let pos = self.cursor.min(*len - 1);
            let n = (rng.range(2, 14) as usize).min(*len - pos);
            (pos, n, String::new())
        };
        let added = insert.len();
        self.apply(Command::SpliceSection {
            section: section.into(),
            pos,
            delete,
            insert,
        });
        *len = *len - delete + added;
        self.cursor = pos + added;
    }
}

/// The two devices and the heads their couple documents last agreed on.
struct Couple {
    a: Device,
    b: Device,
    synced: Vec<ChangeHash>,
}

impl Couple {
    /// Exchanges the couple documents' changes since the last meeting, both ways, as a sync
    /// session does (only the missing changes travel).
    fn exchange(&mut self) {
        self.a.model.commit(self.a.t);
        self.b.model.commit(self.b.t);
        let from_a = self
            .a
            .model
            .doc_mut(DocKind::Couple)
            .save_after(&self.synced);
        let from_b = self
            .b
            .model
            .doc_mut(DocKind::Couple)
            .save_after(&self.synced);
        let a = self.a.model.doc_mut(DocKind::Couple);
        a.load_incremental(&from_b).expect("partner's changes");
        let heads = a.get_heads();
        let b = self.b.model.doc_mut(DocKind::Couple);
        b.load_incremental(&from_a).expect("my changes");
        debug_assert_eq!(heads, b.get_heads());
        self.synced = heads;
    }

    /// The devices meet: shares published (only on a device that shared something new:
    /// publishing writes nothing otherwise, and reads every journal entry), changes exchanged,
    /// check-ins revealed on both, and what the reveal wrote exchanged too: what the worker does
    /// while two devices are connected.
    fn meet(&mut self, publish: [bool; 2]) {
        for (d, publish) in [&mut self.a, &mut self.b].into_iter().zip(publish) {
            if publish {
                d.model.publish_shares(d.t).expect("publish shares");
            }
        }
        self.exchange();
        let mut revealed = false;
        for d in [&mut self.a, &mut self.b] {
            revealed |= d.model.reveal_checkins(d.t).expect("reveal");
            d.model.commit(d.t);
        }
        if revealed {
            self.exchange();
        }
    }
}

/// Items one device wrote that the other acknowledges or answers once it has seen them.
#[derive(Default)]
struct Outbox {
    triggers: Vec<ItemId>,
    questions: Vec<ItemId>,
    disclosures: Vec<ItemId>,
    /// (commitment, date) of logs the partner acknowledges.
    logs: Vec<(ItemId, String)>,
}

/// Generates the data set; the same spec (seed included) always gives the same bytes.
pub fn generate(spec: &Spec) -> Dataset {
    let started = Instant::now();
    let mut rng = Rng(spec.seed);
    let me = PartnerId(rng.hex_id());
    let partner = PartnerId(rng.hex_id());
    let end = NaiveDate::from_ymd_opt(END_DATE.0, END_DATE.1, END_DATE.2).expect("valid date");
    let start = end - chrono::Days::new(spec.days.saturating_sub(1) as u64);
    let day0: Timestamp = start
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis();
    let open = |who: &PartnerId, actor| {
        Model::open(None, None, who.clone(), actor).expect("a fresh model opens")
    };
    let (actor_a, actor_b) = (rng.actor(), rng.actor());
    let mut c = Couple {
        a: Device {
            model: open(&me, actor_a),
            t: day0,
            cursor: 0,
            pending: Vec::new(),
        },
        b: Device {
            model: open(&partner, actor_b),
            t: day0,
            cursor: 0,
            pending: Vec::new(),
        },
        synced: Vec::new(),
    };
    c.a.apply(Command::SetUp {
        my_name: "Sam".into(),
        partner_name: "Alex".into(),
    });
    c.b.apply(Command::SetUp {
        my_name: "Alex".into(),
        partner_name: "Sam".into(),
    });
    c.a.apply(Command::SetReassurancePlan {
        text: "Tell me where you are; we talk it through that evening.".into(),
    });
    for d in [&mut c.a, &mut c.b] {
        for _ in 0..3 {
            let id = rng.item();
            let text = rng.prose(30);
            d.apply(Command::AddSelfCare { id, text });
        }
    }
    c.meet([false; 2]);

    let logs_total = spec.commitment_logs();
    let partner_entries = spec.partner_entries();
    // A new commitment every two years; the one before is retired.
    let mut commitment: Option<ItemId> = None;
    let (mut out_a, mut out_b) = (Outbox::default(), Outbox::default());
    let mut agreement_done = 0u32;
    // Whether each device shared an entry since the devices last met.
    let mut shared = [false; 2];
    let mut last_progress = Instant::now();
    let days = (spec.days as u64).max(1);
    // How many of `total` fall on day `d`, spread evenly over the days.
    let share = |total: u64, d: u64| (d + 1) * total / days - d * total / days;
    for d in 0..days {
        let date = start + chrono::Days::new(d);
        let date_s = date.to_string();
        let midnight = day0 + d as i64 * DAY_MS;

        // Commitments: a new one every two years (the old retired), then the day's log.
        if d % 730 == 0 {
            c.a.at(midnight + 7 * HOUR_MS);
            if let Some(old) = commitment.take() {
                c.a.apply(Command::SetCommitmentState {
                    id: old,
                    state: CommitmentState::Retired,
                    date: date_s.clone(),
                });
            }
            let id = rng.item();
            let text = format!("Commitment {}: {}", d / 730 + 1, rng.prose(40));
            c.a.apply(Command::AddCommitment {
                id: id.clone(),
                text,
                rhythm: if d % 1460 == 0 {
                    Rhythm::Daily
                } else {
                    Rhythm::Weekdays
                },
                start: date_s.clone(),
            });
            commitment = Some(id);
        }

        // My journal entries of the day, typed in the morning; some shared.
        c.a.at(midnight + 7 * HOUR_MS);
        for _ in 0..share(spec.journal_entries as u64, d) {
            let id = rng.item();
            c.a.apply(Command::AddJournalEntry {
                id: id.clone(),
                date: date_s.clone(),
                mood: Some(rng.range(1, 5) as u8),
                tags: vec![rng.pick(&["daily", "trust", "therapy", "work"]).into()],
                text: String::new(),
                prompt: None,
            });
            let len = rng.range(80, 700) as usize;
            c.a.type_entry(&mut rng, &id, len);
            // Sharing comes in spells (one week in four), as after a talk about an entry.
            if (d / 7) % 4 == 0 && rng.chance(25) {
                c.a.apply(Command::ShareJournalEntry { id });
                shared[0] = true;
            }
        }
        // The partner's journal, on their own device.
        c.b.at(midnight + 8 * HOUR_MS);
        for _ in 0..share(partner_entries as u64, d) {
            let id = rng.item();
            c.b.apply(Command::AddJournalEntry {
                id: id.clone(),
                date: date_s.clone(),
                mood: Some(rng.range(1, 5) as u8),
                tags: vec!["daily".into()],
                text: String::new(),
                prompt: None,
            });
            let len = rng.range(80, 700) as usize;
            c.b.type_entry(&mut rng, &id, len);
            if rng.chance(20) {
                c.b.apply(Command::ShareJournalEntry { id });
                shared[1] = true;
            }
        }

        // Commitment log: ~2,000 in ten years, mostly kept.
        if share(logs_total as u64, d) > 0
            && let Some(id) = &commitment
        {
            c.a.at(midnight + 19 * HOUR_MS);
            let roll = rng.next() % 100;
            let status = if roll < 85 {
                LogStatus::Kept
            } else if roll < 93 {
                LogStatus::Missed
            } else {
                LogStatus::DisclosedBeforeAsked
            };
            let note = if status == LogStatus::Kept {
                String::new()
            } else {
                rng.prose(50)
            };
            c.a.apply(Command::LogCommitment {
                id: id.clone(),
                date: date_s.clone(),
                status,
                note,
            });
            if status != LogStatus::Kept {
                out_a.logs.push((id.clone(), date_s.clone()));
            }
        }

        // Triggers, questions, wins, disclosures: a few a week between them.
        c.b.at(midnight + 12 * HOUR_MS);
        c.a.at(midnight + 12 * HOUR_MS);
        if rng.chance(11) {
            let id = rng.item();
            let note = rng.prose(60);
            c.b.apply(Command::RaiseTrigger {
                id: id.clone(),
                note,
            });
            out_b.triggers.push(id);
        }
        if rng.chance(4) {
            let id = rng.item();
            let note = rng.prose(60);
            c.a.apply(Command::RaiseTrigger {
                id: id.clone(),
                note,
            });
            out_a.triggers.push(id);
        }
        if rng.chance(8) {
            let id = rng.item();
            let text = format!("{}?", rng.prose(50));
            c.b.apply(Command::AskQuestion {
                id: id.clone(),
                text,
            });
            out_b.questions.push(id);
        }
        if rng.chance(3) {
            let id = rng.item();
            let text = rng.prose(120);
            c.a.apply(Command::AddDisclosure {
                id: id.clone(),
                text,
                before_asked: rng.chance(70),
            });
            out_a.disclosures.push(id);
        }
        for dev in [&mut c.a, &mut c.b] {
            if rng.chance(15) {
                let kind = [
                    WinKind::TrustWin,
                    WinKind::HonestMoment,
                    WinKind::Appreciation,
                ][rng.next() as usize % 3];
                let id = rng.item();
                let text = rng.prose(60);
                dev.apply(Command::AddWin { id, kind, text });
            }
        }

        // The agreement: sessions of keystrokes by one or both, spread over the years.
        let target = ((d + 1) * spec.agreement_edits as u64 / days) as u32;
        let last_day = d + 1 == days;
        while agreement_done < spec.agreement_edits
            && ((agreement_done < target && rng.chance(30)) || last_day)
        {
            c.a.at(midnight + 20 * HOUR_MS);
            c.b.at(midnight + 20 * HOUR_MS);
            let keys = (rng.range(100, 1_500) as u32).min(spec.agreement_edits - agreement_done);
            agreement_done += agreement_session(&mut c, &mut rng, keys);
        }

        // Check-ins in the evening, in either order.
        c.a.at(midnight + 21 * HOUR_MS);
        c.b.at(midnight + 21 * HOUR_MS + rng.range(0, HOUR_MS as u64) as i64);
        let weekly = d % 7 == 6;
        for dev in [&mut c.a, &mut c.b] {
            let answers = DailyAnswers {
                mood: rng.range(1, 5) as u8,
                connection: rng.range(1, 5) as u8,
                safety: rng.range(1, 5) as u8,
                high: rng.short(),
                low: rng.short(),
                need: rng.short(),
            };
            dev.apply(Command::SaveDailyCheckIn {
                date: date_s.clone(),
                answers,
            });
            if weekly {
                let answers = WeeklyAnswers {
                    how_it_went: rng.prose(120),
                    agreements: rng.prose(60),
                    commitments: rng.prose(60),
                    wins: rng.prose(60),
                    for_therapy: if rng.chance(20) {
                        rng.prose(50)
                    } else {
                        String::new()
                    },
                };
                dev.apply(Command::SaveWeeklyCheckIn {
                    week: week_of(date),
                    answers,
                });
            }
        }

        // Once a week the devices meet; the other side then answers what it saw.
        if weekly || last_day {
            c.a.at(midnight + 22 * HOUR_MS);
            c.b.at(midnight + 22 * HOUR_MS);
            c.meet(std::mem::take(&mut shared));
            answer(&mut c.b, &mut rng, &mut out_a);
            answer(&mut c.a, &mut rng, &mut out_b);
            if last_day {
                c.meet([false; 2]);
            }
        }

        if last_progress.elapsed() > Duration::from_secs(10) || (d + 1) % 365 == 0 {
            last_progress = Instant::now();
            eprintln!(
                "dataset: day {}/{} ({:.0}%), {:.1} s",
                d + 1,
                days,
                (d + 1) as f64 * 100.0 / days as f64,
                started.elapsed().as_secs_f64()
            );
        }
    }

    let save = |d: &mut Device, kind| d.model.doc_mut(kind).save();
    let ds = Dataset {
        spec: spec.clone(),
        me,
        partner,
        couple: save(&mut c.a, DocKind::Couple),
        private: save(&mut c.a, DocKind::Private),
        partner_couple: save(&mut c.b, DocKind::Couple),
        partner_private: save(&mut c.b, DocKind::Private),
        generated_in: started.elapsed(),
    };
    eprintln!(
        "dataset: {} days generated in {:.1} s (couple {:.1} MiB, private {:.1} MiB)",
        spec.days,
        ds.generated_in.as_secs_f64(),
        ds.couple.len() as f64 / 1048576.0,
        ds.private.len() as f64 / 1048576.0
    );
    ds
}

/// The partner acknowledges triggers, disclosures and missed logs, and answers questions.
fn answer(dev: &mut Device, rng: &mut Rng, outbox: &mut Outbox) {
    for id in std::mem::take(&mut outbox.triggers) {
        dev.apply(Command::AcknowledgeTrigger { id });
    }
    for id in std::mem::take(&mut outbox.disclosures) {
        let response = rng.prose(40);
        dev.apply(Command::AcknowledgeDisclosure { id, response });
    }
    for (id, date) in std::mem::take(&mut outbox.logs) {
        let note = rng.prose(30);
        dev.apply(Command::AcknowledgeCommitmentLog { id, date, note });
    }
    for question in std::mem::take(&mut outbox.questions) {
        let id = rng.item();
        let text = rng.prose(150);
        dev.apply(Command::AnswerQuestion { question, id, text });
    }
}

/// One writing session on one section: one partner types, or (one session in five) both at
/// once, their devices meeting now and then as a live sync would. Returns the keystrokes.
fn agreement_session(c: &mut Couple, rng: &mut Rng, keys: u32) -> u32 {
    let roll = rng.next() % 100;
    let mut acc = 0;
    let section = SECTIONS
        .iter()
        .find(|(_, p)| {
            acc += p;
            roll < acc
        })
        .map_or("boundaries", |(s, _)| s);
    let both = rng.chance(20);
    let first_a = rng.chance(50);
    let (mut len_a, mut len_b) = (c.a.section_len(section), c.b.section_len(section));
    let mut typed = 0;
    while typed < keys {
        let on_a = if both { rng.chance(50) } else { first_a };
        let (dev, len) = if on_a {
            (&mut c.a, &mut len_a)
        } else {
            (&mut c.b, &mut len_b)
        };
        if rng.chance(30) {
            dev.cursor = rng.range(0, *len as u64) as usize;
        }
        let batch = (rng.range(1, 24) as u32).min(keys - typed);
        for _ in 0..batch {
            dev.keystroke(rng, section, len);
        }
        typed += batch;
        dev.model.commit(dev.t);
        dev.t += rng.range(300, 8_000) as i64;
        if both && rng.chance(15) {
            c.exchange();
            len_a = c.a.section_len(section);
            len_b = c.b.section_len(section);
        }
    }
    if both {
        c.exchange();
    }
    typed
}

/// The workspace's `target/` directory: `CARGO_TARGET_DIR` when set, else the one next to the
/// workspace's `Cargo.toml`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Where [`cached`] keeps a spec's data set.
pub fn cache_path(spec: &Spec) -> PathBuf {
    target_dir().join("bench-data").join(spec.file_name())
}

/// The data set from the cache, generated (and cached) when absent or damaged. While another
/// process generates the same file, waits for it rather than generating it twice.
pub fn cached(spec: &Spec) -> Dataset {
    let path = cache_path(spec);
    if let Some(ds) = read_file(&path, spec) {
        return ds;
    }
    let lock = path.with_extension("lock");
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    loop {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                break;
            }
            Err(_) => {
                // Another process is generating: wait for its file, unless that process is
                // gone (killed midway) or the lock is older than any generation takes.
                let stale = |lock: &Path| {
                    let owner_gone = fs::read_to_string(lock)
                        .ok()
                        .and_then(|pid| pid.trim().parse::<u32>().ok())
                        .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                    let old = fs::metadata(lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                        .is_none_or(|age| age > Duration::from_secs(30 * 60));
                    (cfg!(target_os = "linux") && owner_gone) || old
                };
                if stale(&lock) {
                    let _ = fs::remove_file(&lock);
                    continue;
                }
                eprintln!(
                    "dataset: waiting for another process generating {}",
                    path.display()
                );
                while lock.exists() && !stale(&lock) {
                    std::thread::sleep(Duration::from_secs(1));
                }
                if let Some(ds) = read_file(&path, spec) {
                    return ds;
                }
            }
        }
    }
    eprintln!("dataset: generating {}", path.display());
    let ds = generate(spec);
    if let Err(e) = write_file(&path, &ds) {
        eprintln!("dataset: could not cache {}: {e}", path.display());
    }
    let _ = fs::remove_file(&lock);
    ds
}

const MAGIC: &[u8; 16] = b"kintsugi-dataset";

/// FNV-1a over the payload: enough to catch a damaged or half-written file.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn encode(ds: &Dataset) -> Vec<u8> {
    let mut body = Vec::new();
    for n in [
        ds.spec.days,
        ds.spec.agreement_edits,
        ds.spec.journal_entries,
    ] {
        body.extend_from_slice(&n.to_le_bytes());
    }
    body.extend_from_slice(&ds.spec.seed.to_le_bytes());
    for blob in [
        ds.me.0.as_bytes(),
        ds.partner.0.as_bytes(),
        &ds.couple,
        &ds.private,
        &ds.partner_couple,
        &ds.partner_private,
    ] {
        body.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        body.extend_from_slice(blob);
    }
    let mut out = Vec::with_capacity(body.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&GENERATOR_VERSION.to_le_bytes());
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn decode(bytes: &[u8], spec: &Spec) -> Option<Dataset> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (version, rest) = rest.split_at_checked(4)?;
    if u32::from_le_bytes(version.try_into().ok()?) != GENERATOR_VERSION {
        return None;
    }
    let (sum, body) = rest.split_at_checked(8)?;
    if u64::from_le_bytes(sum.try_into().ok()?) != checksum(body) {
        return None;
    }
    let mut r = body;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = r.split_at_checked(n)?;
        r = tail;
        Some(head)
    };
    let mut u32_ = || Some(u32::from_le_bytes(take(4)?.try_into().ok()?));
    let (days, agreement_edits, journal_entries) = (u32_()?, u32_()?, u32_()?);
    let seed = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let found = Spec {
        days,
        seed,
        agreement_edits,
        journal_entries,
    };
    if &found != spec {
        return None;
    }
    let mut blob = || -> Option<Vec<u8>> {
        let n = u64::from_le_bytes(take(8)?.try_into().ok()?);
        Some(take(usize::try_from(n).ok()?)?.to_vec())
    };
    let me = PartnerId(String::from_utf8(blob()?).ok()?);
    let partner = PartnerId(String::from_utf8(blob()?).ok()?);
    let ds = Dataset {
        spec: found,
        me,
        partner,
        couple: blob()?,
        private: blob()?,
        partner_couple: blob()?,
        partner_private: blob()?,
        generated_in: Duration::ZERO,
    };
    take(1).is_none().then_some(ds)
}

/// Reads a cached data set; `None` when absent, damaged, short or for another spec.
pub fn read_file(path: &Path, spec: &Spec) -> Option<Dataset> {
    decode(&fs::read(path).ok()?, spec)
}

/// Writes a data set whole or not at all (a temporary file renamed into place).
pub fn write_file(path: &Path, ds: &Dataset) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(&encode(ds))?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)
}

/// A fresh store in `data_dir` holding the measured device's documents (as compacted
/// snapshots) and its partner id: `Vault::open(data_dir)` then opens it as that device.
pub fn install(ds: &Dataset, data_dir: &Path) -> Result<(), VaultError> {
    install_docs(data_dir, &ds.me, &ds.couple, &ds.private)
}

/// The same for the partner's device.
pub fn install_partner(ds: &Dataset, data_dir: &Path) -> Result<(), VaultError> {
    install_docs(
        data_dir,
        &ds.partner,
        &ds.partner_couple,
        &ds.partner_private,
    )
}

fn install_docs(
    data_dir: &Path,
    me: &PartnerId,
    couple: &[u8],
    private: &[u8],
) -> Result<(), VaultError> {
    let store = Store::open(data_dir)?;
    store.compact(DocKey::Couple, couple)?;
    store.compact(DocKey::Private, private)?;
    store.put_setting(SETTING_PARTNER, me.0.as_bytes())?;
    store.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vault;

    fn small() -> Spec {
        Spec {
            days: 14,
            seed: 7,
            agreement_edits: 200,
            journal_entries: 16,
        }
    }

    #[test]
    fn generation_is_deterministic_and_installs_with_the_expected_counts() {
        let spec = small();
        let ds = generate(&spec);
        let again = generate(&spec);
        assert_eq!(ds.me, again.me);
        assert_eq!(ds.couple, again.couple, "couple document differs");
        assert_eq!(ds.private, again.private, "private document differs");
        assert_eq!(ds.partner_couple, again.partner_couple);
        assert_eq!(ds.partner_private, again.partner_private);

        let dir = tempfile::tempdir().unwrap();
        install(&ds, dir.path()).unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        assert_eq!(vault.me(), &ds.me);
        let v = vault.view();
        assert!(v.errors.is_empty(), "{:?}", v.errors);
        assert_eq!(v.my_name, "Sam");
        assert_eq!(v.partner.as_ref(), Some(&ds.partner));
        assert_eq!(v.journal.len(), 16);
        assert!(v.journal.iter().all(|e| e.text.len() >= 60), "typed");
        // Every day both partners' check-ins, revealed by the last meeting.
        assert_eq!(v.daily_checkins.len(), 28);
        assert!(v.daily_checkins.iter().all(|c| !c.sealed));
        assert_eq!(v.weekly_checkins.len(), 4);
        let logs: usize = v.commitments.iter().map(|c| c.log.len()).sum();
        assert_eq!(logs, spec.commitment_logs() as usize);
        let typed: usize = v.agreement.iter().map(|s| s.body.len()).sum();
        assert!(typed > 20, "the agreement was typed: {typed} characters");

        // The partner's device holds the same couple document after the last meeting.
        let dir_b = tempfile::tempdir().unwrap();
        install_partner(&ds, dir_b.path()).unwrap();
        let b = Vault::open(dir_b.path()).unwrap();
        assert_eq!(b.me(), &ds.partner);
        assert_eq!(b.view().daily_checkins.len(), 28);
        assert_eq!(b.view().agreement_digest, v.agreement_digest);
    }

    #[test]
    fn the_cache_file_round_trips_and_a_damaged_one_is_refused() {
        let spec = Spec {
            days: 3,
            agreement_edits: 20,
            journal_entries: 2,
            ..small()
        };
        let ds = generate(&spec);
        let other = generate(&Spec {
            seed: 8,
            ..spec.clone()
        });
        assert_ne!(ds.couple, other.couple, "the seed changes the data");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(spec.file_name());
        write_file(&path, &ds).unwrap();
        let back = read_file(&path, &spec).expect("reads back");
        assert_eq!(back.generated_in, Duration::ZERO);
        assert_eq!(
            Dataset {
                generated_in: ds.generated_in,
                ..back
            },
            ds
        );
        assert!(
            read_file(
                &path,
                &Spec {
                    days: 4,
                    ..spec.clone()
                }
            )
            .is_none()
        );
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(read_file(&path, &spec).is_none(), "short");
        let mut flipped = bytes.clone();
        let at = flipped.len() / 2;
        flipped[at] ^= 1;
        fs::write(&path, &flipped).unwrap();
        assert!(read_file(&path, &spec).is_none(), "damaged");
        fs::write(&path, &bytes).unwrap();
        assert!(read_file(&path, &spec).is_some());
    }
}
