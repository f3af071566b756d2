//! Prints how fast an agreement section's history is with 50,000 keystroke edits by both partners: loading it, listing its edit sessions, opening an old wording and restoring it.
//!
//! `cargo bench --locked -p kintsugi-service --bench history`. The generated document is cached
//! under `target/bench-data/` with its parameters in the file name, so a second run skips
//! generation (set KINTSUGI_BENCH_KEYSTROKES to change the size; delete the file to rebuild).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kintsugi_core::automerge::{ActorId, Automerge};
use kintsugi_core::{
    Command, DocKind, Model, PartnerId, TextTarget, Timestamp, text_history, wording_at,
};

/// Bumped whenever the generator changes, so an old cache file is not measured as a new one.
const GENERATOR: u32 = 1;
const SEED: u64 = 0x5eed_2026;
const SECTION: &str = "boundaries";
/// The first keystroke's time (2026-05-28).
const START: Timestamp = 1_780_000_000_000;
/// Timed repetitions of each measurement; the median is printed.
const RUNS: usize = 5;

const WORDS: &[&str] = &[
    "we", "agree", "to", "tell", "each", "other", "when", "a", "message", "from", "them",
    "arrives", "phones", "stay", "open", "on", "the", "table", "no", "deleting", "chats", "check",
    "in", "before", "late", "evenings", "out", "and", "say", "where", "we", "are", "honest",
    "even", "if", "it", "is", "hard", "review", "this", "together", "monthly",
];

/// A small deterministic generator (no dependency): the same seed builds the same document.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One partner's device: its own replica, where its cursor is and what it is about to type.
struct Device {
    model: Model,
    cursor: usize,
    pending: Vec<char>,
}

impl Device {
    fn len(&mut self) -> usize {
        self.model
            .view()
            .agreement
            .iter()
            .find(|s| s.id == SECTION)
            .map_or(0, |s| s.body.chars().count())
    }

    /// One keystroke at the cursor: mostly typing, some backspaces, now and then a selected
    /// run deleted at once.
    fn keystroke(&mut self, rng: &mut Rng, len: &mut usize, t: Timestamp) {
        self.cursor = self.cursor.min(*len);
        let roll = rng.next() % 100;
        let (pos, delete, insert) = if roll < 80 || *len == 0 {
            if self.pending.is_empty() {
                let w = WORDS[rng.next() as usize % WORDS.len()];
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
        self.model
            .apply(
                Command::SpliceSection {
                    section: SECTION.into(),
                    pos,
                    delete,
                    insert: insert.clone(),
                },
                t,
            )
            .expect("a splice inside the text");
        let added = insert.chars().count();
        *len = *len - delete + added;
        self.cursor = pos + added;
    }
}

/// Merges each replica into the other, as a sync does.
fn sync(a: &mut Device, b: &mut Device) {
    let mut theirs = b.model.doc_mut(DocKind::Couple).fork();
    a.model.doc_mut(DocKind::Couple).merge(&mut theirs).unwrap();
    let mut mine = a.model.doc_mut(DocKind::Couple).fork();
    b.model.doc_mut(DocKind::Couple).merge(&mut mine).unwrap();
}

/// Both partners edit the section in sessions of typing batches (a commit per batch, like the
/// window's 250 ms pauses), syncing after each session; one session in five has both typing at
/// once, merged only now and then. Returns the couple document's bytes and the keystrokes.
fn generate(keystrokes: usize) -> Vec<u8> {
    let mut rng = Rng(SEED);
    let mut t = START;
    let open = |bytes: Option<&[u8]>| {
        Model::open(bytes, None, PartnerId::random(), ActorId::random()).expect("open")
    };
    let mut a = Device {
        model: open(None),
        cursor: 0,
        pending: Vec::new(),
    };
    let set_up = |m: &mut Model, me: &str, them: &str, t| {
        m.apply(
            Command::SetUp {
                my_name: me.into(),
                partner_name: them.into(),
            },
            t,
        )
        .unwrap();
        m.commit(t);
    };
    set_up(&mut a.model, "Sam", "Alex", t);
    let bytes = a.model.doc_mut(DocKind::Couple).save();
    let mut b = Device {
        model: open(Some(&bytes)),
        cursor: 0,
        pending: Vec::new(),
    };
    set_up(&mut b.model, "Alex", "Sam", t);
    sync(&mut a, &mut b);

    let mut done = 0;
    let mut sessions = 0;
    while done < keystrokes {
        sessions += 1;
        let both = rng.chance(20);
        let first_a = rng.chance(50);
        let session_keys = rng.range(200, 2_000) as usize;
        let mut typed = 0;
        let (mut len_a, mut len_b) = (a.len(), b.len());
        while typed < session_keys && done < keystrokes {
            // Whose batch: the session's writer, or either when both are typing.
            let on_a = if both { rng.chance(50) } else { first_a };
            let (dev, len) = if on_a {
                (&mut a, &mut len_a)
            } else {
                (&mut b, &mut len_b)
            };
            if rng.chance(30) {
                dev.cursor = rng.range(0, *len as u64) as usize;
            }
            let batch = rng.range(1, 24) as usize;
            for _ in 0..batch.min(keystrokes - done) {
                t += rng.range(80, 250) as i64;
                dev.keystroke(&mut rng, len, t);
                done += 1;
                typed += 1;
            }
            dev.model.commit(t);
            t += rng.range(300, 8_000) as i64;
            // Typing at once, the devices meet now and then (live sync), else only at the end.
            if both && rng.chance(15) {
                sync(&mut a, &mut b);
                len_a = a.len();
                len_b = b.len();
            }
        }
        sync(&mut a, &mut b);
        // Next session hours to days later.
        t += rng.range(3_600_000, 2 * 86_400_000) as i64;
    }
    let len = a.len();
    println!(
        "generated: {done} keystrokes in {sessions} writing sessions, section now {len} characters"
    );
    a.model.doc_mut(DocKind::Couple).save()
}

fn cache_path(keystrokes: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-data").join(format!(
        "history-{SECTION}-k{keystrokes}-seed{SEED:x}-gen{GENERATOR}.automerge"
    ))
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

/// Runs `f` `RUNS` times; the median in ms and the last result.
fn timed<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let s = Instant::now();
        last = Some(f());
        times.push(s.elapsed());
    }
    (median(times), last.expect("RUNS > 0"))
}

fn main() {
    let keystrokes: usize = std::env::var("KINTSUGI_BENCH_KEYSTROKES")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(50_000);
    let path = cache_path(keystrokes);
    let bytes = match std::fs::read(&path) {
        Ok(b) => {
            println!("data set: {} (cached)", path.display());
            b
        }
        Err(_) => {
            let s = Instant::now();
            let b = generate(keystrokes);
            println!(
                "data set: generated in {:.1} s, cached as {}",
                s.elapsed().as_secs_f64(),
                path.display()
            );
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("create the cache directory");
            }
            std::fs::write(&path, &b).expect("write the cache");
            b
        }
    };
    let target = TextTarget::Section(SECTION.into());

    let (load_ms, doc) = timed(|| Automerge::load(&bytes).expect("load"));
    let (open_ms, _) = timed(|| {
        Model::open(Some(&bytes), None, PartnerId::random(), ActorId::random()).expect("open")
    });
    let (save_ms, saved) = timed(|| doc.save());
    let metas = doc.get_changes_meta(&[]);
    let mut times: Vec<Timestamp> = metas.iter().map(|m| m.timestamp).collect();
    times.sort_unstable();
    let middle = times[times.len() / 2];
    println!("document: {} B saved, {} changes", saved.len(), metas.len());
    drop(metas);

    // Cold: the first query on a freshly loaded document (what a window opening the history
    // pays); warm: the same query again on that document.
    let cold = |f: &dyn Fn(&Automerge)| {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let fresh = Automerge::load(&bytes).expect("load");
            let s = Instant::now();
            f(&fresh);
            times.push(s.elapsed());
        }
        median(times)
    };
    let history_cold = cold(&|d| {
        text_history(d, &target).expect("history");
    });
    let at_cold = cold(&|d| {
        wording_at(d, &target, middle).expect("wording");
    });
    let (history_ms, history) = timed(|| text_history(&doc, &target).expect("history"));
    let (at_ms, old) = timed(|| wording_at(&doc, &target, middle).expect("wording"));
    // Restore on a fresh replica each time: the splices from now to then, and their commit.
    let mut restore = Vec::new();
    let mut restored_len = 0;
    for _ in 0..RUNS {
        let mut m =
            Model::open(Some(&bytes), None, PartnerId::random(), ActorId::random()).unwrap();
        let now = times[times.len() - 1] + 60_000;
        let s = Instant::now();
        m.apply(
            Command::RestoreText {
                target: target.clone(),
                at: middle,
            },
            now,
        )
        .expect("restore");
        m.commit(now);
        restore.push(s.elapsed());
        let body = m
            .view()
            .agreement
            .into_iter()
            .find(|s| s.id == SECTION)
            .map(|s| s.body)
            .unwrap_or_default();
        assert_eq!(body, old, "the restore brings back the old wording");
        restored_len = body.chars().count();
    }
    let restore_ms = median(restore);
    let changes: usize = history.sessions.iter().map(|s| s.changes).sum();

    println!(
        "\nsection '{SECTION}', {keystrokes} keystroke edits by both partners (median of {RUNS}):"
    );
    println!("  Automerge::load            {load_ms:>9.2} ms");
    println!("  Model::open (load+checks)  {open_ms:>9.2} ms");
    println!("  save                       {save_ms:>9.2} ms");
    println!(
        "  text_history (list), cold  {history_cold:>9.2} ms  {} sessions over {changes} changes",
        history.sessions.len()
    );
    println!("  text_history (list), warm  {history_ms:>9.2} ms");
    println!(
        "  wording_at (middle), cold  {at_cold:>9.2} ms  {} characters then",
        old.chars().count()
    );
    println!("  wording_at (middle), warm  {at_ms:>9.2} ms");
    println!(
        "  RestoreText apply+commit   {restore_ms:>9.2} ms  back to {restored_len} characters (cold)"
    );
}
