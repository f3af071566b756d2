//! Property: three devices editing concurrently over hostile delivery converge, lose no saved edit and leak nothing private.

// Devices: A1 and A2 belong to partner A (own devices, scope `OwnDevice`), B1 to partner B; both A
// devices talk to B1 with scope `Partner`. Each device is a real `Vault` in its own directory, so
// a crash is a real reopen from the store. Sessions are driven directly (no network): frames are
// delayed, reordered, duplicated and dropped, links are cut and reopened (with or without the
// persisted sync states), devices crash and lose what they had not saved. At the end everyone
// reconnects and syncs until quiet. Checked:
// - devices sharing a document hold identical heads and identical views of it;
// - every edit a device had durably saved is present (every inserted text marker is unique);
// - no private text of one partner reaches the other partner's devices, in frames or documents;
// - a restore (a section or the plan brought back to its wording at an earlier time) gives
//   exactly that wording on the device that made it, and is merged by the others like any edit.
//   Markers a restore removed or brought back are left out of the lost/erased checks: bringing
//   back erased text and taking away later text is what a restore is for.
//
// Cases: `KINTSUGI_PROPTEST_CASES` (default 24). The summary line printed at the end is read by
// the `figures` example.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;

use kintsugi_core::automerge::sync::{self as amsync};
use kintsugi_core::automerge::{AutoCommit, Change, ScalarValue};
use kintsugi_core::{
    ApologyFields, Command, DailyAnswers, DocKind, ItemId, LogStatus, RitualKind, TextTarget, View,
    WinKind, wording_at,
};
use kintsugi_service::{Vault, VaultDocs};
use kintsugi_sync::session::{DocAccess, DocName, Frame, Scope, Session, SessionEvent};
use proptest::prelude::*;

const A1: usize = 0;
const A2: usize = 1;
const B1: usize = 2;
const NAMES: [&str; 3] = ["A1", "A2", "B1"];
/// (device, device, scope) of every link.
const LINKS: [(usize, usize, Scope); 3] = [
    (A1, A2, Scope::OwnDevice),
    (A1, B1, Scope::Partner),
    (A2, B1, Scope::Partner),
];
const SECTIONS: [&str; 3] = ["boundaries", "conflict", "review"];
/// The `place` of a marker typed into the shared reassurance plan.
const PLAN: &str = "⟨reassurance plan⟩";
/// Bounded final sync: many more rounds than three devices ever need.
const FINAL_ROUNDS: usize = 200;
/// The world's clock at the first op (ms since the epoch); restores pick a time after it.
const START: i64 = 1_800_000_000_000;

fn partner_of(dev: usize) -> usize {
    if dev == B1 { 1 } else { 0 }
}

fn dev_id(dev: usize) -> [u8; 32] {
    [dev as u8 + 1; 32]
}

fn kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

fn name(kind: DocKind) -> DocName {
    match kind {
        DocKind::Couple => DocName::Couple,
        DocKind::Private => DocName::Private,
    }
}

struct Access<'a>(&'a mut Vault);

/// The worker's own document access (`VaultDocs`): lineages included, so a device that
/// erased a deleted entry is met by the other own device taking its rebuilt document.
impl DocAccess for Access<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(self.0.model_mut().doc_mut(kind(name)))
    }

    fn lineage(&mut self, name: DocName) -> Option<Vec<u8>> {
        VaultDocs(self.0).lineage(name)
    }

    fn supersede(
        &mut self,
        name: DocName,
        document: &[u8],
        agreed: &[kintsugi_core::automerge::ChangeHash],
    ) -> Result<(), String> {
        VaultDocs(self.0).supersede(name, document, agreed)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Delivery {
    InOrder,
    Reorder,
    Duplicate,
    Drop,
}

#[derive(Clone, Debug)]
pub enum Op {
    /// Insert a unique marker (or filler) into a shared agreement section.
    TypeSection {
        dev: u8,
        section: u8,
        at: u16,
        filler: bool,
    },
    /// Delete filler characters only.
    EraseFiller {
        dev: u8,
        section: u8,
        at: u16,
        len: u8,
    },
    /// Delete one whole marker the device can see; it must stay deleted everywhere.
    EraseMarker {
        dev: u8,
        section: u8,
        pick: u16,
    },
    AddSection {
        dev: u8,
    },
    NewEntry {
        dev: u8,
    },
    TypeEntry {
        dev: u8,
        pick: u8,
        at: u16,
    },
    Share {
        dev: u8,
        pick: u8,
    },
    Unshare {
        dev: u8,
        pick: u8,
    },
    DeleteEntry {
        dev: u8,
        pick: u8,
    },
    /// Days 0..3 are in the past; day 3 has not come (it must be refused).
    CheckIn {
        dev: u8,
        day: u8,
        mood: u8,
    },
    /// A later thought on one of the past days: taken only once both partners answered it.
    CheckInNote {
        dev: u8,
        day: u8,
    },
    Misc {
        dev: u8,
        what: u8,
        pick: u16,
    },
    /// Restore a section (0..3) or the plan (3) to its wording at a time `back` picks between
    /// the start and now.
    Restore {
        dev: u8,
        target: u8,
        back: u16,
    },
    Save {
        dev: u8,
    },
    Crash {
        dev: u8,
    },
    Poll {
        dev: u8,
    },
    Deliver {
        link: u8,
        to_b: bool,
        how: Delivery,
        n: u8,
    },
    Cut {
        link: u8,
        persist: bool,
    },
    Connect {
        link: u8,
        resume: bool,
    },
}

pub fn op() -> impl Strategy<Value = Op> {
    let d = 0u8..3;
    prop_oneof![
        6 => (d.clone(), 0u8..3, any::<u16>(), prop::bool::weighted(0.3))
            .prop_map(|(dev, section, at, filler)| Op::TypeSection { dev, section, at, filler }),
        1 => (d.clone(), 0u8..3, any::<u16>(), 1u8..4)
            .prop_map(|(dev, section, at, len)| Op::EraseFiller { dev, section, at, len }),
        1 => (d.clone(), 0u8..3, any::<u16>())
            .prop_map(|(dev, section, pick)| Op::EraseMarker { dev, section, pick }),
        1 => d.clone().prop_map(|dev| Op::AddSection { dev }),
        2 => d.clone().prop_map(|dev| Op::NewEntry { dev }),
        3 => (d.clone(), any::<u8>(), any::<u16>())
            .prop_map(|(dev, pick, at)| Op::TypeEntry { dev, pick, at }),
        1 => (d.clone(), any::<u8>()).prop_map(|(dev, pick)| Op::Share { dev, pick }),
        1 => (d.clone(), any::<u8>()).prop_map(|(dev, pick)| Op::Unshare { dev, pick }),
        1 => (d.clone(), any::<u8>()).prop_map(|(dev, pick)| Op::DeleteEntry { dev, pick }),
        2 => (d.clone(), 0u8..4, 1u8..6).prop_map(|(dev, day, mood)| Op::CheckIn { dev, day, mood }),
        1 => (d.clone(), 0u8..3).prop_map(|(dev, day)| Op::CheckInNote { dev, day }),
        3 => (d.clone(), any::<u8>(), any::<u16>())
            .prop_map(|(dev, what, pick)| Op::Misc { dev, what, pick }),
        2 => (d.clone(), 0u8..4, any::<u16>())
            .prop_map(|(dev, target, back)| Op::Restore { dev, target, back }),
        2 => d.clone().prop_map(|dev| Op::Save { dev }),
        1 => d.clone().prop_map(|dev| Op::Crash { dev }),
        4 => d.clone().prop_map(|dev| Op::Poll { dev }),
        10 => (0u8..3, any::<bool>(), prop_oneof![
                6 => Just(Delivery::InOrder),
                1 => Just(Delivery::Reorder),
                1 => Just(Delivery::Duplicate),
                1 => Just(Delivery::Drop),
            ], 1u8..4)
            .prop_map(|(link, to_b, how, n)| Op::Deliver { link, to_b, how, n }),
        1 => (0u8..3, any::<bool>()).prop_map(|(link, persist)| Op::Cut { link, persist }),
        2 => (0u8..3, prop::bool::weighted(0.7))
            .prop_map(|(link, resume)| Op::Connect { link, resume }),
    ]
}

/// A live connection: one session per side and the frames in flight each way.
struct Conn {
    sa: Session,
    sb: Session,
    to_a: VecDeque<Vec<u8>>,
    to_b: VecDeque<Vec<u8>>,
}

/// A piece of text a device wrote, to be found (or not) at the end.
#[derive(Clone, Debug)]
struct Marker {
    text: String,
    /// Section id, or journal entry id.
    place: String,
    dev: usize,
    /// Index of the op that wrote it, to order it against shares.
    at_op: usize,
    /// For private markers: whether the entry was shared on the writing device at that moment.
    shared_when_written: bool,
    acked: bool,
}

#[derive(Default)]
struct Tracker {
    section_markers: Vec<Marker>,
    erased_markers: BTreeSet<String>,
    /// Private texts (journal, self-care, apology drafts): by owning partner.
    private_markers: Vec<Marker>,
    /// (entry or draft id, op index) of every successful share.
    shares: Vec<(String, usize)>,
    deleted_entries: BTreeSet<String>,
    /// Items added by a saved command: (view list, id).
    items: Vec<(&'static str, String, usize, bool)>,
    /// Markers a restore took away or brought back (see the module comment).
    restore_touched: BTreeSet<String>,
    /// Every acked check-in answer per (date, partner).
    checkins: BTreeMap<(String, usize), Vec<u8>>,
    /// Check-ins taken for a day that had not come (each one breaks the rule).
    future_checkins: usize,
    /// Every note taken: (text, date). Notes are shared: every device must end with each.
    checkin_notes: Vec<(String, String)>,
    /// A unique answer of every check-in: (text, device, date or week, weekly).
    sealed_highs: Vec<(String, usize, String, bool)>,
    /// Commands applied on a device since its last save (indices into the lists above).
    pending: [Vec<Pending>; 3],
    counter: usize,
}

#[derive(Clone)]
enum Pending {
    Erase(String),
    Section(usize),
    Private(usize),
    Item(usize),
}

struct World {
    dirs: Vec<tempfile::TempDir>,
    vaults: Vec<Option<Vault>>,
    conns: [Option<Conn>; 3],
    /// Every frame body (decoded to its text content) a device received, per receiving device.
    received: [Vec<String>; 3],
    /// Frames for the private document that reached a device of the other partner.
    private_frames_to_partner: usize,
    scope_violations: usize,
    session_errors: usize,
    /// Restores applied, and those that did not give the wording of their time.
    restores: usize,
    bad_restores: usize,
    t: Tracker,
    now: i64,
}

pub fn run_case(ops: &[Op]) -> Outcome {
    let mut w = World::new();
    for (i, op) in ops.iter().enumerate() {
        w.step(i, op);
    }
    w.finish()
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    pub divergences: usize,
    pub lost_edits: usize,
    pub resurrected: usize,
    pub leaks: usize,
    pub session_errors: usize,
    pub scope_violations: usize,
    pub acked_edits: usize,
    pub frames: usize,
    pub restores: usize,
}

impl World {
    fn new() -> World {
        let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut vaults: Vec<Option<Vault>> = dirs
            .iter()
            .map(|d| Some(Vault::open(d.path()).unwrap()))
            .collect();
        let a = vaults[A1].as_ref().unwrap().me().clone();
        // A2 joins as A's own second device before it is set up (the real pairing flow).
        vaults[A2].as_mut().unwrap().adopt_identity(a).unwrap();
        // Paired along every link, as pairing records them: only paired devices exchange
        // documents, and each device verifies authors against its paired devices' keys.
        for (x, y, _) in LINKS {
            for (me, other) in [(x, y), (y, x)] {
                let [v, o] = vaults.get_disjoint_mut([me, other]).expect("two devices");
                let (v, o) = (v.as_mut().unwrap(), o.as_ref().unwrap());
                v.pair_with(o, NAMES[other], 1).unwrap();
            }
        }
        for (dev, (me, them)) in [(A1, ("Ana", "Ben")), (B1, ("Ben", "Ana"))] {
            let v = vaults[dev].as_mut().unwrap();
            v.apply(
                Command::SetUp {
                    my_name: me.into(),
                    partner_name: them.into(),
                },
                1,
            )
            .unwrap();
            v.save(1).unwrap();
        }
        World {
            dirs,
            vaults,
            conns: [None, None, None],
            received: Default::default(),
            private_frames_to_partner: 0,
            scope_violations: 0,
            session_errors: 0,
            restores: 0,
            bad_restores: 0,
            t: Tracker::default(),
            now: START,
        }
    }

    fn vault(&mut self, dev: usize) -> &mut Vault {
        self.vaults[dev].as_mut().expect("open")
    }

    fn marker(&mut self, dev: usize, private: bool) -> String {
        self.t.counter += 1;
        // Non-ASCII brackets and an astral character: positions are code points, not bytes.
        if private {
            format!("⟪P{}𝄞{}⟫", NAMES[dev], self.t.counter)
        } else {
            format!("⟦S{}·{}⟧", NAMES[dev], self.t.counter)
        }
    }

    /// A fresh private marker, recorded as written by `dev` into `place` at op `at_op`;
    /// returns its text and its index for `Pending::Private`.
    fn private_marker(
        &mut self,
        dev: usize,
        place: &str,
        at_op: usize,
        shared: bool,
    ) -> (String, usize) {
        let text = self.marker(dev, true);
        let idx = self.t.private_markers.len();
        self.t.private_markers.push(Marker {
            text: text.clone(),
            place: place.to_owned(),
            dev,
            at_op,
            shared_when_written: shared,
            acked: false,
        });
        (text, idx)
    }

    /// Applies a command; typing stays unsaved (like the worker between pauses), anything else
    /// is saved at once. Returns whether it was applied.
    fn apply(&mut self, dev: usize, cmd: Command, pending: Option<Pending>) -> bool {
        self.now += 1_000;
        let now = self.now;
        let typing = cmd.is_typing();
        if self.vault(dev).apply(cmd, now).is_err() {
            return false;
        }
        if let Some(p) = pending {
            self.t.pending[dev].push(p);
        }
        if !typing {
            self.save(dev);
        }
        true
    }

    fn save(&mut self, dev: usize) {
        let now = self.now;
        self.vault(dev).save(now).expect("save");
        for p in std::mem::take(&mut self.t.pending[dev]) {
            match p {
                Pending::Erase(text) => {
                    self.t.erased_markers.insert(text);
                }
                Pending::Section(i) => self.t.section_markers[i].acked = true,
                Pending::Private(i) => self.t.private_markers[i].acked = true,
                Pending::Item(i) => self.t.items[i].3 = true,
            }
        }
    }

    fn body(&mut self, dev: usize, section: &str) -> Option<String> {
        self.vault(dev)
            .view()
            .agreement
            .into_iter()
            .find(|s| s.id == section)
            .map(|s| s.body)
    }

    fn sections(&mut self, dev: usize) -> Vec<String> {
        let mut ids: Vec<String> = SECTIONS.iter().map(|s| s.to_string()).collect();
        for s in self.vault(dev).view().agreement {
            if s.kind == "custom" {
                ids.push(s.id);
            }
        }
        ids
    }

    fn journal(&mut self, dev: usize) -> Vec<kintsugi_core::JournalEntry> {
        let mut j = self.vault(dev).view().journal;
        j.sort_by(|a, b| a.id.cmp(&b.id));
        j
    }

    fn step(&mut self, i: usize, op: &Op) {
        match *op {
            Op::TypeSection {
                dev,
                section,
                at,
                filler,
            } => {
                let dev = dev as usize;
                let ids = self.sections(dev);
                let sid = ids[section as usize % ids.len()].clone();
                let Some(body) = self.body(dev, &sid) else {
                    return;
                };
                let pos = pick_boundary(&body, at);
                let text = if filler {
                    "··".to_owned()
                } else {
                    self.marker(dev, false)
                };
                let idx = self.t.section_markers.len();
                let cmd = Command::SpliceSection {
                    section: sid.clone(),
                    pos,
                    delete: 0,
                    insert: text.clone(),
                };
                let pending = (!filler).then_some(Pending::Section(idx));
                // Recorded first: a command that saves at once acks it inside `apply`.
                self.t.section_markers.push(Marker {
                    text,
                    place: sid,
                    dev,
                    at_op: i,
                    shared_when_written: true,
                    acked: false,
                });
                if !self.apply(dev, cmd, pending) || filler {
                    self.t.section_markers.pop();
                }
            }
            Op::EraseFiller {
                dev,
                section,
                at,
                len,
            } => {
                let dev = dev as usize;
                let sid = SECTIONS[section as usize % SECTIONS.len()];
                let Some(body) = self.body(dev, sid) else {
                    return;
                };
                let runs = filler_runs(&body);
                if runs.is_empty() {
                    return;
                }
                let (start, n) = runs[at as usize % runs.len()];
                let del = (len as usize).min(n);
                self.apply(
                    dev,
                    Command::SpliceSection {
                        section: sid.into(),
                        pos: start,
                        delete: del,
                        insert: String::new(),
                    },
                    None,
                );
            }
            Op::EraseMarker { dev, section, pick } => {
                let dev = dev as usize;
                let sid = SECTIONS[section as usize % SECTIONS.len()];
                let Some(body) = self.body(dev, sid) else {
                    return;
                };
                let spans = marker_spans(&body, '⟦', '⟧');
                if spans.is_empty() {
                    return;
                }
                let (start, end) = spans[pick as usize % spans.len()];
                let text: String = body.chars().skip(start).take(end - start).collect();
                // Only a saved erase must hold: a crash may undo an unsaved one.
                self.apply(
                    dev,
                    Command::SpliceSection {
                        section: sid.into(),
                        pos: start,
                        delete: end - start,
                        insert: String::new(),
                    },
                    Some(Pending::Erase(text)),
                );
            }
            Op::AddSection { dev } => {
                let dev = dev as usize;
                let id = ItemId::random();
                let idx = self.t.items.len();
                self.t.items.push(("agreement", id.0.clone(), dev, false));
                self.apply(
                    dev,
                    Command::AddSection {
                        id,
                        title: format!("Custom by {}", NAMES[dev]),
                    },
                    Some(Pending::Item(idx)),
                );
            }
            Op::NewEntry { dev } => {
                let dev = dev as usize;
                let id = ItemId::random();
                let (text, idx) = self.private_marker(dev, &id.0, i, false);
                if !self.apply(
                    dev,
                    Command::AddJournalEntry {
                        id,
                        date: "2026-11-24".into(),
                        mood: Some(3),
                        tags: vec!["night".into()],
                        text,
                        prompt: None,
                    },
                    Some(Pending::Private(idx)),
                ) {
                    self.t.private_markers.pop();
                }
            }
            Op::TypeEntry { dev, pick, at } => {
                let dev = dev as usize;
                let j = self.journal(dev);
                if j.is_empty() {
                    return;
                }
                let e = &j[pick as usize % j.len()];
                let pos = pick_boundary(&e.text, at);
                let (id, shared) = (e.id.clone(), e.shared);
                let (text, idx) = self.private_marker(dev, &id.0, i, shared);
                if !self.apply(
                    dev,
                    Command::SpliceJournalText {
                        id,
                        pos,
                        delete: 0,
                        insert: text,
                    },
                    Some(Pending::Private(idx)),
                ) {
                    self.t.private_markers.pop();
                }
            }
            Op::Share { dev, pick } | Op::Unshare { dev, pick } | Op::DeleteEntry { dev, pick } => {
                let dev = dev as usize;
                let j = self.journal(dev);
                if j.is_empty() {
                    return;
                }
                let id = j[pick as usize % j.len()].id.clone();
                let cmd = match op {
                    Op::Share { .. } => Command::ShareJournalEntry { id: id.clone() },
                    Op::Unshare { .. } => Command::UnshareJournalEntry { id: id.clone() },
                    _ => Command::DeleteJournalEntry { id: id.clone() },
                };
                let share = matches!(op, Op::Share { .. });
                let delete = matches!(op, Op::DeleteEntry { .. });
                if self.apply(dev, cmd, None) {
                    if share {
                        self.t.shares.push((id.0, i));
                    } else if delete {
                        self.t.deleted_entries.insert(id.0);
                    }
                }
            }
            Op::CheckIn { dev, day: 3, mood } => {
                // A week after the device's clock: refused, in the data as in the window.
                let date = chrono::DateTime::from_timestamp_millis(self.now + 7 * 86_400_000)
                    .expect("a time")
                    .format("%Y-%m-%d")
                    .to_string();
                let cmd = Command::SaveDailyCheckIn {
                    date,
                    answers: DailyAnswers {
                        mood,
                        connection: 3,
                        safety: 4,
                        high: format!("future #{i}#"),
                        low: String::new(),
                        need: String::new(),
                    },
                };
                if self.apply(dev as usize, cmd, None) {
                    self.t.future_checkins += 1;
                }
            }
            Op::CheckInNote { dev, day } => {
                let date = format!("2026-11-2{}", day + 1);
                let text = format!("later note {} #{i}#", NAMES[dev as usize]);
                let cmd = Command::AddCheckInNote {
                    id: ItemId::random(),
                    weekly: false,
                    period: date.clone(),
                    text: text.clone(),
                };
                if self.apply(dev as usize, cmd, None) {
                    self.t.checkin_notes.push((text, date));
                }
            }
            Op::CheckIn { dev, day, mood } => {
                let dev = dev as usize;
                let date = format!("2026-11-2{}", day + 1);
                let cmd = Command::SaveDailyCheckIn {
                    date: date.clone(),
                    answers: DailyAnswers {
                        mood,
                        connection: 3,
                        safety: 4,
                        high: format!("sealed high {} #{i}#", NAMES[dev]),
                        low: String::new(),
                        need: String::new(),
                    },
                };
                if self.apply(dev, cmd, None) {
                    self.t.sealed_highs.push((
                        format!("sealed high {} #{i}#", NAMES[dev]),
                        dev,
                        date.clone(),
                        false,
                    ));
                    self.t
                        .checkins
                        .entry((date, partner_of(dev)))
                        .or_default()
                        .push(mood);
                }
            }
            Op::Misc { dev, what, pick } => self.misc(i, dev as usize, what, pick),
            Op::Restore { dev, target, back } => self.restore(dev as usize, target, back),
            Op::Save { dev } => self.save(dev as usize),
            Op::Crash { dev } => self.crash(dev as usize),
            Op::Poll { dev } => {
                let dev = dev as usize;
                for (l, &(a, b, _)) in LINKS.iter().enumerate() {
                    if a == dev || b == dev {
                        self.poll(l, a == dev);
                    }
                }
            }
            Op::Deliver { link, to_b, how, n } => {
                for _ in 0..n {
                    self.deliver(link as usize, to_b, how);
                }
            }
            Op::Cut { link, persist } => self.cut(link as usize, persist),
            Op::Connect { link, resume } => self.connect(link as usize, resume),
        }
    }

    fn misc(&mut self, i: usize, dev: usize, what: u8, pick: u16) {
        let view = self.vault(dev).view();
        let nth = |n: usize| pick as usize % n.max(1);
        let id = ItemId::random();
        let mut added: Option<&'static str> = None;
        let cmd = match what % 26 {
            0 => {
                added = Some("commitments");
                Command::AddCommitment {
                    id: id.clone(),
                    text: format!("commitment {}", NAMES[dev]),
                    rhythm: kintsugi_core::Rhythm::Daily,
                    start: "2026-11-20".into(),
                }
            }
            1 if !view.commitments.is_empty() => Command::LogCommitment {
                id: view.commitments[nth(view.commitments.len())].id.clone(),
                date: "2026-11-24".into(),
                status: LogStatus::DisclosedBeforeAsked,
                note: "told first".into(),
            },
            2 if !view.commitments.is_empty() => Command::AcknowledgeCommitmentLog {
                id: view.commitments[nth(view.commitments.len())].id.clone(),
                date: "2026-11-24".into(),
                note: "thank you".into(),
            },
            3 => {
                added = Some("disclosures");
                Command::AddDisclosure {
                    id: id.clone(),
                    text: "I saw them at work".into(),
                    before_asked: true,
                }
            }
            4 if !view.disclosures.is_empty() => Command::AcknowledgeDisclosure {
                id: view.disclosures[nth(view.disclosures.len())].id.clone(),
                response: "thank you for telling me".into(),
            },
            5 => {
                added = Some("questions");
                Command::AskQuestion {
                    id: id.clone(),
                    text: "where were you?".into(),
                }
            }
            6 if !view.questions.is_empty() => Command::AnswerQuestion {
                question: view.questions[nth(view.questions.len())].id.clone(),
                id: id.clone(),
                text: "at my sister's".into(),
            },
            7 if !view.questions.is_empty() => Command::AskAgain {
                id: view.questions[nth(view.questions.len())].id.clone(),
            },
            8 => {
                added = Some("wins");
                Command::AddWin {
                    id: id.clone(),
                    kind: WinKind::Appreciation,
                    text: "made tea".into(),
                }
            }
            9 => {
                added = Some("rituals");
                Command::AddRitual {
                    id: id.clone(),
                    kind: RitualKind::DateNight,
                    title: "walk".into(),
                    date: Some("2026-11-28".into()),
                    rhythm: None,
                }
            }
            10 => {
                added = Some("triggers");
                Command::RaiseTrigger {
                    id: id.clone(),
                    note: "song on the radio".into(),
                }
            }
            11 => {
                // Self-care is private: its text must stay on this partner's devices.
                let (text, idx) = self.private_marker(dev, &id.0, i, false);
                if !self.apply(
                    dev,
                    Command::AddSelfCare { id, text },
                    Some(Pending::Private(idx)),
                ) {
                    self.t.private_markers.pop();
                }
                return;
            }
            12 => {
                let (text, idx) = self.private_marker(dev, &id.0, i, false);
                let cmd = Command::SaveApologyDraft {
                    id,
                    fields: ApologyFields {
                        what_i_did: text,
                        ..ApologyFields::default()
                    },
                };
                if !self.apply(dev, cmd, Some(Pending::Private(idx))) {
                    self.t.private_markers.pop();
                }
                return;
            }
            13 if !view.apology_drafts.is_empty() => {
                let d = view.apology_drafts[nth(view.apology_drafts.len())]
                    .id
                    .clone();
                if self.apply(dev, Command::ShareApology { id: d.clone() }, None) {
                    self.t.shares.push((d.0, i));
                }
                return;
            }
            14 => {
                added = Some("therapy_topics");
                Command::AddTherapyTopic {
                    id: id.clone(),
                    text: "trust after travel".into(),
                    from: None,
                }
            }
            15 => Command::AffirmAgreement,
            16 if !view.commitments.is_empty() => Command::SetCommitmentState {
                id: view.commitments[nth(view.commitments.len())].id.clone(),
                state: match pick % 5 {
                    0 => kintsugi_core::CommitmentState::Retired,
                    1 | 2 => kintsugi_core::CommitmentState::Paused,
                    _ => kintsugi_core::CommitmentState::Active,
                },
                date: "2026-11-25".into(),
            },
            17 => {
                let week = format!("2026-W4{}", pick % 3 + 7);
                // Closed by "#": marker 3 must not match inside marker 30.
                let text = format!("sealed week {} #{i}#", NAMES[dev]);
                let cmd = Command::SaveWeeklyCheckIn {
                    week: week.clone(),
                    answers: kintsugi_core::WeeklyAnswers {
                        how_it_went: text.clone(),
                        for_therapy: format!("topic {} #{i}#", NAMES[dev]),
                        ..Default::default()
                    },
                };
                if self.apply(dev, cmd, None) {
                    let topic = format!("topic {} #{i}#", NAMES[dev]);
                    self.t.sealed_highs.push((topic, dev, week.clone(), true));
                    self.t.sealed_highs.push((text, dev, week, true));
                }
                return;
            }
            18 => Command::SetReminders {
                settings: kintsugi_core::ReminderSettings {
                    daily: kintsugi_core::parse_time(&format!("{:02}:00", pick % 24)),
                    weekly: kintsugi_core::parse_weekly("sun@18:30"),
                    evening_log: None,
                },
            },
            // Breaks: started apart on both partners' devices, extended and ended concurrently;
            // an extension or end with no break running tries an old one (refused), or starts one.
            20..=22 => {
                let running = view.current_break(self.now + 1_000).map(|b| b.id.clone());
                let old = (!view.breaks.is_empty() && pick.is_multiple_of(4))
                    .then(|| view.breaks[nth(view.breaks.len())].id.clone());
                match (what % 26, running.or(old)) {
                    (21, Some(b)) => Command::ExtendBreak {
                        id: b,
                        minutes: u32::from(pick % 30) + 1,
                    },
                    (22, Some(b)) => Command::EndBreak { id: b },
                    _ => {
                        added = Some("breaks");
                        let minutes = if pick.is_multiple_of(3) {
                            1
                        } else {
                            5 + i64::from(pick % 60)
                        };
                        Command::StartBreak {
                            id: id.clone(),
                            ends_at: self.now + 1_000 + minutes * 60_000,
                            note: format!("break of {}", NAMES[dev]),
                        }
                    }
                }
            }
            // The shared reassurance plan: both partners typing into one text at once.
            23 | 24 => {
                let plan = view.reassurance_plan.clone();
                let pos = pick_boundary(&plan, pick.rotate_left(7));
                let filler = pick.is_multiple_of(4);
                let text = if filler {
                    "··".to_owned()
                } else {
                    self.marker(dev, false)
                };
                let idx = self.t.section_markers.len();
                self.t.section_markers.push(Marker {
                    text: text.clone(),
                    place: PLAN.into(),
                    dev,
                    at_op: i,
                    shared_when_written: true,
                    acked: false,
                });
                let cmd = Command::SpliceReassurancePlan {
                    pos,
                    delete: 0,
                    insert: text,
                };
                let pending = (!filler).then_some(Pending::Section(idx));
                if !self.apply(dev, cmd, pending) || filler {
                    self.t.section_markers.pop();
                }
                return;
            }
            25 => {
                let runs = filler_runs(&view.reassurance_plan);
                if runs.is_empty() {
                    return;
                }
                let (start, n) = runs[nth(runs.len())];
                Command::SpliceReassurancePlan {
                    pos: start,
                    delete: n.min(usize::from(pick % 3) + 1),
                    insert: String::new(),
                }
            }
            _ => Command::SetReassurancePlan {
                text: format!("plan of {}", NAMES[dev]),
            },
        };
        let pending = added.map(|list| {
            self.t.items.push((list, id.0.clone(), dev, false));
            Pending::Item(self.t.items.len() - 1)
        });
        if !self.apply(dev, cmd, pending) && added.is_some() {
            self.t.items.pop();
        }
    }

    /// The text a restore targets, as the device shows it now.
    fn text_of(&mut self, dev: usize, target: &TextTarget) -> String {
        match target {
            TextTarget::Plan => self.vault(dev).view().reassurance_plan,
            TextTarget::Section(id) => self.body(dev, id).unwrap_or_default(),
        }
    }

    /// A partner brings a text back to its wording at an earlier time.
    fn restore(&mut self, dev: usize, target: u8, back: u16) {
        let target = match SECTIONS.get(usize::from(target)) {
            Some(s) => TextTarget::Section((*s).to_owned()),
            None => TextTarget::Plan,
        };
        let at = START + (self.now - START) * i64::from(back) / i64::from(u16::MAX);
        // A restore closes the open typing batch first, like any discrete command; closing it
        // here, at the moment the restore is applied, lets the test read the wording then from
        // the same history the restore reads.
        let now = self.now + 1_000;
        self.vault(dev).model_mut().commit(now);
        let doc = self
            .vault(dev)
            .model_mut()
            .doc_mut(DocKind::Couple)
            .document();
        let Ok(expected) = wording_at(doc, &target, at) else {
            return;
        };
        let before = self.text_of(dev, &target);
        let cmd = Command::RestoreText {
            target: target.clone(),
            at,
        };
        if !self.apply(dev, cmd, None) {
            return;
        }
        self.restores += 1;
        let after = self.text_of(dev, &target);
        if after != expected {
            eprintln!(
                "restore on {} of {target:?} to {at}: got {after:?}, the wording then was {expected:?}",
                NAMES[dev]
            );
            self.bad_restores += 1;
        }
        for text in [&before, &after] {
            for (st, end) in marker_spans(text, '⟦', '⟧') {
                let m: String = text.chars().skip(st).take(end - st).collect();
                self.t.restore_touched.insert(m);
            }
        }
    }

    /// The process dies: unsaved edits and live sessions are gone; the store reopens.
    fn crash(&mut self, dev: usize) {
        for (l, &(a, b, _)) in LINKS.iter().enumerate() {
            if a == dev || b == dev {
                // The peer notices the closed connection and keeps its sync state.
                if let Some(c) = self.conns[l].take() {
                    let (peer, s) = if b == dev { (a, &c.sa) } else { (b, &c.sb) };
                    persist(self.vaults[peer].as_ref().unwrap(), dev, s);
                }
            }
        }
        self.t.pending[dev].clear();
        self.vaults[dev] = None;
        self.vaults[dev] = Some(Vault::open(self.dirs[dev].path()).expect("reopen after crash"));
    }

    fn connect(&mut self, l: usize, resume: bool) {
        if self.conns[l].is_some() {
            return;
        }
        let (a, b, scope) = LINKS[l];
        let load = |v: &Vault, peer: usize| -> Vec<(DocName, Vec<u8>)> {
            if !resume {
                return Vec::new();
            }
            v.load_sync_states(&dev_id(peer))
                .into_iter()
                .map(|(k, s)| (name(k), s))
                .collect()
        };
        let mut sa = Session::new(dev_id(a), scope, load(self.vaults[a].as_ref().unwrap(), b))
            .expect_peer(dev_id(b));
        let mut sb = Session::new(dev_id(b), scope, load(self.vaults[b].as_ref().unwrap(), a))
            .expect_peer(dev_id(a));
        let mut to_b: VecDeque<Vec<u8>> = sa.start().iter().map(Frame::encode).collect();
        to_b.extend(
            sa.poll(&mut Access(self.vaults[a].as_mut().unwrap()))
                .iter()
                .map(Frame::encode),
        );
        let mut to_a: VecDeque<Vec<u8>> = sb.start().iter().map(Frame::encode).collect();
        to_a.extend(
            sb.poll(&mut Access(self.vaults[b].as_mut().unwrap()))
                .iter()
                .map(Frame::encode),
        );
        self.conns[l] = Some(Conn { sa, sb, to_a, to_b });
    }

    fn cut(&mut self, l: usize, persist_states: bool) {
        if let Some(c) = self.conns[l].take()
            && persist_states
        {
            let (a, b, _) = LINKS[l];
            persist(self.vaults[a].as_ref().unwrap(), b, &c.sa);
            persist(self.vaults[b].as_ref().unwrap(), a, &c.sb);
        }
    }

    fn poll(&mut self, l: usize, side_a: bool) {
        let (a, b, _) = LINKS[l];
        let Some(c) = self.conns[l].as_mut() else {
            return;
        };
        if side_a {
            let out = c.sa.poll(&mut Access(self.vaults[a].as_mut().unwrap()));
            c.to_b.extend(out.iter().map(Frame::encode));
        } else {
            let out = c.sb.poll(&mut Access(self.vaults[b].as_mut().unwrap()));
            c.to_a.extend(out.iter().map(Frame::encode));
        }
    }

    /// Delivers one frame of link `l` the way `how` says; returns whether one was taken.
    fn deliver(&mut self, l: usize, to_b: bool, how: Delivery) -> bool {
        let (a, b, _) = LINKS[l];
        let (receiver, sender) = if to_b { (b, a) } else { (a, b) };
        let Some(c) = self.conns[l].as_mut() else {
            return false;
        };
        let q = if to_b { &mut c.to_b } else { &mut c.to_a };
        let bytes = match how {
            Delivery::InOrder => q.pop_front(),
            Delivery::Reorder => {
                let n = q.len();
                if n == 0 { None } else { q.remove(n - 1) }
            }
            Delivery::Duplicate => q.front().cloned(),
            Delivery::Drop => {
                q.pop_front();
                return true;
            }
        };
        let Some(bytes) = bytes else {
            return false;
        };
        let frame = Frame::decode(&bytes).expect("our own frames decode");
        if let Frame::Sync {
            doc: DocName::Private,
            ..
        }
        | Frame::Supersede {
            doc: DocName::Private,
            ..
        } = &frame
            && partner_of(receiver) != partner_of(sender)
        {
            self.private_frames_to_partner += 1;
        }
        self.received[receiver].push(frame_text(&bytes, &frame));
        let now = self.now;
        let session = if to_b { &mut c.sb } else { &mut c.sa };
        let vault = self.vaults[receiver].as_mut().unwrap();
        let result = session.receive(frame, &mut Access(vault));
        match result {
            Ok(events) => {
                for ev in events {
                    match ev {
                        SessionEvent::DocChanged(_) => {
                            // As the worker does after a merge: the partner's seal may have
                            // arrived, and my sealed answers for that day go out.
                            if vault.model_mut().reveal_checkins(now).unwrap() {
                                vault.model_mut().commit(now);
                            }
                            vault.mark_changed()
                        }
                        SessionEvent::ScopeViolation { .. } => self.scope_violations += 1,
                        // The transport persists states when in sync; so do we.
                        SessionEvent::InSync => persist(vault, sender, session),
                        SessionEvent::PeerHello { .. } => {}
                    }
                }
                let out = session.poll(&mut Access(vault));
                let back = if to_b { &mut c.to_a } else { &mut c.to_b };
                back.extend(out.iter().map(Frame::encode));
            }
            Err(e) => {
                // The transport closes the connection without saving states.
                if std::env::var_os("KINTSUGI_CONVERGENCE_DEBUG").is_some() {
                    eprintln!("session error: {e}");
                }
                self.session_errors += 1;
                self.conns[l] = None;
            }
        }
        true
    }

    /// Everyone saves, reconnects with their persisted states and syncs until quiet; then checks.
    fn finish(mut self) -> Outcome {
        for l in 0..LINKS.len() {
            self.cut(l, true);
        }
        let mut quiet = false;
        for round in 0..FINAL_ROUNDS {
            for l in 0..LINKS.len() {
                if self.conns[l].is_none() {
                    // A session that failed is retried, as the transport redials.
                    self.connect(l, round % 2 == 0);
                }
            }
            let mut moved = false;
            for l in 0..LINKS.len() {
                self.poll(l, true);
                self.poll(l, false);
                while self.deliver(l, true, Delivery::InOrder) {
                    moved = true;
                }
                while self.deliver(l, false, Delivery::InOrder) {
                    moved = true;
                }
            }
            if !moved {
                quiet = true;
                break;
            }
        }
        for dev in 0..3 {
            self.save(dev);
        }
        let mut out = Outcome {
            session_errors: self.session_errors,
            scope_violations: self.scope_violations,
            frames: self.received.iter().map(Vec::len).sum(),
            restores: self.restores,
            // A restore that did not bring back the wording of its time diverges from it.
            divergences: self.bad_restores,
            ..Outcome::default()
        };
        if !quiet {
            eprintln!("no quiet after {FINAL_ROUNDS} rounds");
            out.divergences += 1;
        }
        // Everything held now must also be what a restart finds.
        let before: Vec<_> = (0..3).map(|d| self.heads(d)).collect();
        for dev in 0..3 {
            self.vaults[dev] = None;
            self.vaults[dev] = Some(Vault::open(self.dirs[dev].path()).unwrap());
        }
        for (dev, heads) in before.iter().enumerate() {
            if *heads != self.heads(dev) {
                eprintln!("{}: heads changed across a clean restart", NAMES[dev]);
                out.divergences += 1;
            }
        }
        self.check(&mut out);
        out
    }

    fn heads(&mut self, dev: usize) -> Vec<Vec<String>> {
        DocKind::ALL
            .iter()
            .map(|k| {
                let mut h: Vec<String> = self
                    .vault(dev)
                    .model_mut()
                    .doc_mut(*k)
                    .get_heads()
                    .iter()
                    .map(|h| h.to_string())
                    .collect();
                h.sort();
                h
            })
            .collect()
    }

    fn check(&mut self, out: &mut Outcome) {
        let views: Vec<View> = (0..3).map(|d| self.vault(d).view()).collect();
        let heads: Vec<_> = (0..3).map(|d| self.heads(d)).collect();
        // Couple document: all three; private: A1 and A2.
        for dev in [A2, B1] {
            if heads[dev][0] != heads[A1][0] {
                eprintln!("couple heads differ between A1 and {}", NAMES[dev]);
                out.divergences += 1;
            }
            if couple_part(&views[dev]) != couple_part(&views[A1]) {
                eprintln!("couple view differs between A1 and {}", NAMES[dev]);
                out.divergences += 1;
            }
        }
        if heads[A1][1] != heads[A2][1] || private_part(&views[A1]) != private_part(&views[A2]) {
            eprintln!("A's private document differs between A1 and A2");
            out.divergences += 1;
        }
        for (dev, v) in views.iter().enumerate() {
            if !v.errors.is_empty() {
                eprintln!("{}: unreadable items {:?}", NAMES[dev], v.errors);
                out.divergences += 1;
            }
        }

        // Every saved section marker is in its section on every device, unless erased.
        for m in &self.t.section_markers {
            if !m.acked
                || self.t.erased_markers.contains(&m.text)
                || self.t.restore_touched.contains(&m.text)
            {
                continue;
            }
            out.acked_edits += 1;
            for (dev, v) in views.iter().enumerate() {
                let found = if m.place == PLAN {
                    v.reassurance_plan.contains(&m.text)
                } else {
                    v.agreement
                        .iter()
                        .any(|s| s.id == m.place && s.body.contains(&m.text))
                };
                if !found {
                    eprintln!(
                        "lost: {} (typed on {}) missing on {}",
                        m.text, NAMES[m.dev], NAMES[dev]
                    );
                    out.lost_edits += 1;
                }
            }
        }
        for text in self.t.erased_markers.difference(&self.t.restore_touched) {
            for (dev, v) in views.iter().enumerate() {
                if v.agreement.iter().any(|s| s.body.contains(text.as_str())) {
                    eprintln!("erased {text} is back on {}", NAMES[dev]);
                    out.resurrected += 1;
                }
            }
        }
        // Saved private markers: on every device of their partner (unless the entry is gone).
        for m in &self.t.private_markers {
            if !m.acked || self.t.deleted_entries.contains(&m.place) {
                continue;
            }
            out.acked_edits += 1;
            for dev in 0..3 {
                if partner_of(dev) != partner_of(m.dev) {
                    continue;
                }
                let v = &views[dev];
                let found = v.journal.iter().any(|e| e.text.contains(&m.text))
                    || v.self_care.iter().any(|s| s.text.contains(&m.text))
                    || v.apology_drafts
                        .iter()
                        .any(|a| a.what_i_did.contains(&m.text));
                if !found {
                    eprintln!(
                        "lost: private {} (written on {}) missing on {}",
                        m.text, NAMES[m.dev], NAMES[dev]
                    );
                    out.lost_edits += 1;
                }
            }
        }
        for (list, id, dev, acked) in &self.t.items {
            if !acked {
                continue;
            }
            out.acked_edits += 1;
            for (d, v) in views.iter().enumerate() {
                let json = serde_json::to_value(v).unwrap();
                let found = json[*list]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["id"] == id.as_str()));
                if !found {
                    eprintln!(
                        "lost: {list}/{id} (from {}) missing on {}",
                        NAMES[*dev], NAMES[d]
                    );
                    out.lost_edits += 1;
                }
            }
        }
        // Check-ins: mine on my devices; the partner's only once both answered that day (as
        // the partner's own devices hold it at the end), otherwise only "answered".
        let own_dev = |partner: usize| if partner == 0 { A1 } else { B1 };
        if self.t.future_checkins > 0 {
            eprintln!(
                "{} check-ins taken for a day that had not come",
                self.t.future_checkins
            );
            out.divergences += self.t.future_checkins;
        }
        for (text, date) in &self.t.checkin_notes {
            out.acked_edits += 1;
            for (dev, v) in views.iter().enumerate() {
                if !v.notes_for(date, false).iter().any(|n| &n.text == text) {
                    eprintln!("note {text:?} on {date} missing on {}", NAMES[dev]);
                    out.lost_edits += 1;
                }
            }
        }
        for ((date, partner), moods) in &self.t.checkins {
            out.acked_edits += 1;
            let me = views[own_dev(*partner)].me.clone();
            let other = own_dev(1 - partner);
            let other_answered = views[other].daily_pair(date).0.is_some();
            for (dev, v) in views.iter().enumerate() {
                let got = v
                    .daily_checkins
                    .iter()
                    .find(|c| &c.date == date && Some(&c.by) == me.as_ref());
                let mine = partner_of(dev) == *partner;
                match got {
                    Some(c) if (mine || other_answered) && moods.contains(&c.mood) => {
                        if c.sealed == other_answered {
                            eprintln!(
                                "check-in {date} of partner {partner} on {}: sealed={} although the other answered={other_answered} ({:?})",
                                NAMES[dev], c.sealed, v.errors
                            );
                            out.divergences += 1;
                        }
                    }
                    Some(_) if !mine && !other_answered => {
                        eprintln!(
                            "LEAK: sealed check-in {date} of partner {partner} shown on {}",
                            NAMES[dev]
                        );
                        out.leaks += 1;
                    }
                    None if !mine && !other_answered => {
                        if !v.partner_answered(date, false) {
                            eprintln!(
                                "{}: does not see that {date} was answered ({:?})",
                                NAMES[dev], v.errors
                            );
                            out.divergences += 1;
                        }
                    }
                    other => {
                        eprintln!(
                            "check-in {date} of partner {partner} on {}: {other:?}, written {moods:?}",
                            NAMES[dev]
                        );
                        out.lost_edits += 1;
                    }
                }
            }
        }

        // Privacy: a private text written while unshared, and not shared by anyone afterwards,
        // must never reach the other partner: not in a frame, not in a document.
        let mut doc_text: [String; 3] = Default::default();
        for (dev, text) in doc_text.iter_mut().enumerate() {
            for k in DocKind::ALL {
                let doc = self.vault(dev).model_mut().doc_mut(k);
                *text += &doc_dump(doc);
            }
        }
        let forbidden: Vec<&Marker> = self
            .t
            .private_markers
            .iter()
            .filter(|m| {
                !m.shared_when_written
                    && !self
                        .t
                        .shares
                        .iter()
                        .any(|(id, at)| id == &m.place && *at > m.at_op)
            })
            .collect();
        for m in forbidden {
            for dev in 0..3 {
                if partner_of(dev) == partner_of(m.dev) {
                    continue;
                }
                let in_frames = self.received[dev].iter().any(|f| f.contains(&m.text));
                if in_frames || doc_text[dev].contains(&m.text) {
                    eprintln!(
                        "LEAK: {} of {} reached {} (frames: {in_frames})",
                        m.text, NAMES[m.dev], NAMES[dev]
                    );
                    out.leaks += 1;
                }
            }
        }
        // A sealed answer reaches the other partner only if that partner answered the day too.
        for (text, dev, period, weekly) in &self.t.sealed_highs {
            let other = if partner_of(*dev) == 0 { B1 } else { A1 };
            let other_answered = if *weekly {
                views[other].weekly_pair(period).0.is_some()
            } else {
                views[other].daily_pair(period).0.is_some()
            };
            if other_answered {
                continue;
            }
            for to in 0..3 {
                if partner_of(to) == partner_of(*dev) {
                    continue;
                }
                let in_frames = self.received[to].iter().any(|f| f.contains(text.as_str()));
                if in_frames || doc_text[to].contains(text.as_str()) {
                    eprintln!(
                        "LEAK: sealed {text} reached {} (frames: {in_frames})",
                        NAMES[to]
                    );
                    out.leaks += 1;
                }
            }
        }
        // B1 never holds A's private document, nor A devices B's.
        let b_journal: BTreeSet<_> = views[B1].journal.iter().map(|e| &e.id).collect();
        let a_journal: BTreeSet<_> = views[A1].journal.iter().map(|e| &e.id).collect();
        if b_journal.intersection(&a_journal).next().is_some() {
            eprintln!("LEAK: a journal entry is in both partners' private documents");
            out.leaks += 1;
        }
        out.leaks += self.private_frames_to_partner;
    }
}

fn persist(v: &Vault, peer: usize, s: &Session) {
    for (d, bytes) in s.sync_states() {
        v.save_sync_state(&dev_id(peer), kind(d), &bytes);
    }
}

/// The couple-document parts of a view, comparable across devices and partners.
fn couple_part(v: &View) -> serde_json::Value {
    let mut j = serde_json::to_value(v).unwrap();
    // My own sealed answers come from my private document.
    for list in ["daily_checkins", "weekly_checkins"] {
        if let Some(a) = j[list].as_array_mut() {
            a.retain(|c| c["sealed"] != true);
        }
    }
    let keys = [
        "members",
        "agreement",
        "affirmations",
        "agreement_digest",
        "daily_checkins",
        "weekly_checkins",
        "checkin_seals",
        "commitments",
        "disclosures",
        "triggers",
        "questions",
        "wins",
        "rituals",
        "apologies",
        "therapy_topics",
        "shared_entries",
        "reassurance_plans",
        "reassurance_plan",
        "breaks",
    ];
    keys.iter()
        .map(|k| (k.to_string(), j[*k].clone()))
        .collect()
}

fn private_part(v: &View) -> serde_json::Value {
    let j = serde_json::to_value(v).unwrap();
    [
        "my_name",
        "partner_name",
        "journal",
        "apology_drafts",
        "self_care",
        "daily_checkins",
        "weekly_checkins",
        "reminders",
    ]
    .iter()
    .map(|k| (k.to_string(), j[*k].clone()))
    .collect()
}

/// Code-point spans `[start, end)` of every `open…close` marker in `s`.
fn marker_spans(s: &str, open: char, close: char) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in s.chars().enumerate() {
        if c == open {
            start = Some(i);
        } else if c == close
            && let Some(st) = start.take()
        {
            spans.push((st, i + 1));
        }
    }
    spans
}

/// A position in `s` that is not inside any marker, chosen by `at`.
fn pick_boundary(s: &str, at: u16) -> usize {
    let mut inside = vec![false; s.chars().count() + 1];
    for (open, close) in [('⟦', '⟧'), ('⟪', '⟫')] {
        for (st, end) in marker_spans(s, open, close) {
            for x in inside.iter_mut().take(end).skip(st + 1) {
                *x = true;
            }
        }
    }
    let ok: Vec<usize> = (0..inside.len()).filter(|i| !inside[*i]).collect();
    ok[at as usize % ok.len()]
}

/// Runs of filler (outside markers): (start, length).
fn filler_runs(s: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = s.chars().collect();
    let mut inside = vec![false; chars.len()];
    for (st, end) in marker_spans(s, '⟦', '⟧') {
        for x in inside.iter_mut().take(end).skip(st) {
            *x = true;
        }
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !inside[i] && chars[i] == '·' {
            let st = i;
            while i < chars.len() && !inside[i] && chars[i] == '·' {
                i += 1;
            }
            runs.push((st, i - st));
        } else {
            i += 1;
        }
    }
    runs
}

/// Every string value written by `change`, in op order, separated by NUL.
fn change_text(change: &Change, out: &mut String) {
    for op in change.decode().operations {
        match op.primitive_value() {
            Some(ScalarValue::Str(s)) => out.push_str(&s),
            _ => out.push('\0'),
        }
    }
    out.push('\0');
}

/// Text content of a whole document's history (deleted text included: history keeps it).
fn doc_dump(doc: &mut AutoCommit) -> String {
    let mut out = String::new();
    for c in doc.get_changes(&[]) {
        change_text(&c, &mut out);
    }
    out
}

/// Text content of one frame: its raw bytes, plus every string in the changes it carries
/// (change chunks may be compressed, so the raw bytes alone could hide a leak).
fn frame_text(bytes: &[u8], frame: &Frame) -> String {
    let mut out = String::from_utf8_lossy(bytes).into_owned();
    if let Frame::Sync { message, .. } = frame
        && let Ok(msg) = amsync::Message::decode(message)
    {
        // One entry may hold several chunks back to back (automerge's V2 message joins changes).
        for chunk in msg.changes.iter().flat_map(split_chunks) {
            if let Ok(c) = Change::try_from(chunk) {
                change_text(&c, &mut out);
            } else if let Ok(mut d) = AutoCommit::load(chunk) {
                out += &doc_dump(&mut d);
            }
        }
    }
    // A whole document of a newer lineage, for an own device.
    if let Frame::Supersede { document, .. } = frame
        && let Ok(mut d) = AutoCommit::load(document)
    {
        out += &doc_dump(&mut d);
    }
    out
}

/// The automerge chunks in `bytes`: magic and checksum (8 bytes), type, LEB128 length, data.
fn split_chunks(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() > 9 {
        let (mut len, mut at, mut shift) = (0usize, 9, 0);
        while let Some(&b) = bytes.get(at) {
            len |= usize::from(b & 0x7f) << shift;
            at += 1;
            shift += 7;
            if b & 0x80 == 0 || shift > 56 {
                break;
            }
        }
        let Some(end) = at.checked_add(len).filter(|&e| e <= bytes.len()) else {
            out.push(bytes);
            break;
        };
        out.push(&bytes[..end]);
        bytes = &bytes[end..];
    }
    out
}

static TOTALS: Mutex<Option<HashMap<&'static str, usize>>> = Mutex::new(None);

fn add(o: &Outcome) {
    let mut t = TOTALS.lock().unwrap();
    let t = t.get_or_insert_with(HashMap::new);
    for (k, v) in [
        ("cases", 1),
        ("divergences", o.divergences),
        ("lost_edits", o.lost_edits),
        ("resurrected", o.resurrected),
        ("leaks", o.leaks),
        ("acked_edits", o.acked_edits),
        ("frames", o.frames),
        ("session_errors", o.session_errors),
        ("scope_violations", o.scope_violations),
        ("restores", o.restores),
    ] {
        *t.entry(k).or_default() += v;
    }
}

pub fn cases() -> u32 {
    std::env::var("KINTSUGI_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

struct PrintTotals;

impl Drop for PrintTotals {
    fn drop(&mut self) {
        let t = TOTALS.lock().unwrap().clone().unwrap_or_default();
        let g = |k: &str| t.get(k).copied().unwrap_or(0);
        // One line, parsed by the figures example.
        println!(
            "CONVERGENCE cases={} divergences={} lost_edits={} resurrected={} leaks={} acked_edits={} frames={} session_errors={} scope_violations={} restores={}",
            g("cases"),
            g("divergences"),
            g("lost_edits"),
            g("resurrected"),
            g("leaks"),
            g("acked_edits"),
            g("frames"),
            g("session_errors"),
            g("scope_violations"),
            g("restores"),
        );
    }
}

#[test]
fn devices_converge_keep_saved_edits_and_leak_nothing() {
    let _print = PrintTotals;
    let config = ProptestConfig {
        cases: cases(),
        // Failures are reproduced from the printed seed; the test writes no regression file.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in prop::collection::vec(op(), 10..140))| {
        let o = run_case(&ops);
        add(&o);
        prop_assert_eq!(o.divergences, 0, "divergence");
        prop_assert_eq!(o.lost_edits, 0, "lost saved edits");
        prop_assert_eq!(o.resurrected, 0, "erased text came back");
        prop_assert_eq!(o.leaks, 0, "private data reached the other partner");
        prop_assert_eq!(o.scope_violations, 0, "an honest peer sent out of scope");
    });
}

/// Regression (found by the property above): B1's unsaved typing went out in a sync message,
/// B1 was killed before saving, reopened under the same actor and typed again. Its new change
/// reused the lost change's sequence number, so A1 refused every later change of B1 ("duplicate
/// seq") and the couple split for good. Fixed by a fresh actor on every `Vault::open`.
#[test]
fn a_crash_after_sending_unsaved_typing_does_not_split_the_couple() {
    let type_on = |dev| Op::TypeSection {
        dev,
        section: 0,
        at: 0,
        filler: false,
    };
    let deliver = |to_b| Op::Deliver {
        link: 1,
        to_b,
        how: Delivery::InOrder,
        n: 2,
    };
    let ops = [
        type_on(0),
        Op::Connect {
            link: 1,
            resume: false,
        },
        deliver(false),
        type_on(2),
        deliver(true),
        deliver(false),
        Op::Crash { dev: 2 },
        type_on(0),
        type_on(2),
        type_on(0),
    ];
    let o = run_case(&ops);
    assert_eq!(
        (o.divergences, o.lost_edits, o.session_errors),
        (0, 0, 0),
        "{o:?}"
    );
}
