//! Seven months of a couple's check-ins, triggers, commitments and disclosures in two data directories, then the window on the first: how the progress screenshot is made.

// `cargo run -p kintsugi-app --example progress_demo -- SAM_DIR ALEX_DIR [--window]`
//
// Both directories must be new. Sam's and Alex's devices are "synced" by merging their couple
// documents directly (as the window tests do), so the check-ins both answered are revealed.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use kintsugi_core::{Command, DailyAnswers, DocKind, ItemId, LogStatus, Rhythm};
use kintsugi_service::{Vault, now_ms, today_local};

/// A small fixed-seed generator: the same pictures every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn noon(d: NaiveDate) -> i64 {
    d.and_hms_opt(12, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

fn key(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn scale(x: f64) -> u8 {
    x.round().clamp(1.0, 5.0) as u8
}

fn apply(v: &mut Vault, cmd: Command, at: i64) {
    v.apply(cmd, at).expect("apply");
}

fn set_up(dir: &Path, me: &str, partner: &str) -> Vault {
    let mut v = Vault::open(dir).expect("open");
    apply(
        &mut v,
        Command::SetUp {
            my_name: me.into(),
            partner_name: partner.into(),
        },
        1,
    );
    v
}

/// What a sync delivers: `from`'s couple document merged into `into`, then the reveal.
fn deliver(from: &Path, into: &Path) {
    let mut src = Vault::open(from).expect("open sender");
    let mut dst = Vault::open(into).expect("open receiver");
    // Paired, as only paired devices exchange documents: each verifies the other's authors.
    dst.pair_with(&src, "partner", now_ms()).expect("pair");
    src.pair_with(&dst, "partner", now_ms()).expect("pair");
    let mut theirs = src.model_mut().doc_mut(DocKind::Couple).fork();
    dst.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)
        .expect("merge");
    dst.mark_changed();
    let now = now_ms();
    dst.model_mut().reveal_checkins(now).expect("reveal");
    dst.save(now).expect("save");
}

fn fill(sam_dir: &Path, alex_dir: &Path) {
    let mut sam = set_up(sam_dir, "Sam", "Alex");
    let mut alex = set_up(alex_dir, "Alex", "Sam");
    let today = today_local();
    let days = 200;
    let first = today - Duration::days(days);
    let mut rng = Lcg(20_261_202);
    let commitment = ItemId::random();
    apply(
        &mut sam,
        Command::AddCommitment {
            id: commitment.clone(),
            text: "Text when I leave work".into(),
            rhythm: Rhythm::Weekdays,
            start: key(first),
        },
        noon(first),
    );
    for i in 0..days {
        let d = first + Duration::days(i);
        let at = noon(d);
        // Slowly better, with good and bad days along the way.
        let t = i as f64 / days as f64;
        let both = rng.next() < 0.8;
        if both {
            let sam_mood = 2.0 + 2.0 * t + (rng.next() - 0.5) * 2.2;
            let alex_mood = 1.8 + 1.9 * t + (rng.next() - 0.5) * 2.4;
            for (v, mood, conn) in [
                (&mut sam, sam_mood, sam_mood + 0.3),
                (&mut alex, alex_mood, alex_mood - 0.2),
            ] {
                let safety = 2.2 + 2.0 * t + (rng.next() - 0.5) * 1.5;
                apply(
                    v,
                    Command::SaveDailyCheckIn {
                        date: key(d),
                        answers: DailyAnswers {
                            mood: scale(mood),
                            connection: scale(conn),
                            safety: scale(safety),
                            high: String::new(),
                            low: String::new(),
                            need: String::new(),
                        },
                    },
                    at,
                );
            }
        }
        // Fewer triggers as the weeks go by.
        if rng.next() < 0.35 * (1.0 - 0.8 * t) {
            apply(
                &mut alex,
                Command::RaiseTrigger {
                    id: ItemId::random(),
                    note: String::new(),
                },
                at,
            );
        }
        if Rhythm::Weekdays.falls_on(d) && d < today {
            let r = rng.next();
            let status = if r < 0.72 + 0.2 * t {
                Some(LogStatus::Kept)
            } else if r < 0.9 {
                Some(LogStatus::DisclosedBeforeAsked)
            } else if r < 0.95 {
                Some(LogStatus::Missed)
            } else {
                None
            };
            if let Some(status) = status {
                apply(
                    &mut sam,
                    Command::LogCommitment {
                        id: commitment.clone(),
                        date: key(d),
                        status,
                        note: String::new(),
                    },
                    at,
                );
            }
        }
        if rng.next() < 0.06 + 0.06 * t {
            apply(
                &mut sam,
                Command::AddDisclosure {
                    id: ItemId::random(),
                    text: "I had a message from them today; I did not answer.".into(),
                    before_asked: true,
                },
                at,
            );
        }
    }
    sam.save(now_ms()).expect("save");
    alex.save(now_ms()).expect("save");
    drop((sam, alex));
    deliver(alex_dir, sam_dir);
    deliver(sam_dir, alex_dir);
    deliver(alex_dir, sam_dir);
    // Sam has seen the triggers: no notice over the screen.
    let mut sam = Vault::open(sam_dir).expect("open");
    for t in sam.view().triggers {
        apply(&mut sam, Command::AcknowledgeTrigger { id: t.id }, now_ms());
    }
    sam.save(now_ms()).expect("save");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dirs: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    let [sam, alex] = dirs.as_slice() else {
        eprintln!("usage: progress_demo SAM_DIR ALEX_DIR [--window]");
        std::process::exit(2);
    };
    fill(sam, alex);
    if args.iter().any(|a| a == "--window") {
        let handle = kintsugi_service::spawn(Vault::open(sam).expect("open"));
        if let Err(e) = kintsugi_app::run(handle, &sam.display().to_string()) {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
