//! Sync on the wire: a reconnect after a week apart and a first full sync to a new device, through the real sans-IO sessions, bytes counted exactly as the transport sends them.

use std::io::Write as _;

use kintsugi_core::automerge::{ActorId, AutoCommit, ChangeHash};
use kintsugi_core::{Command, DocKind, Model};
use kintsugi_service::dataset::Dataset;
use kintsugi_sync::session::{DocAccess, DocName, Frame, Scope, Session};

use crate::table::Measure;

/// Changes each side makes while apart: a week of typing pauses.
pub const WEEK_CHANGES: usize = 500;

/// A device's documents, lent to a session.
pub struct Docs(pub Model);

impl DocAccess for Docs {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(self.0.doc_mut(kind(name)))
    }
}

fn kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

/// What one exchange cost.
#[derive(Debug, Default)]
pub struct Exchange {
    /// One-way flights until both sides held the same heads of every document in scope.
    pub flights_to_converge: usize,
    /// One-way flights until neither side had anything more to send.
    pub flights: usize,
    /// Bytes of every frame, length prefixes included, both directions.
    pub bytes: usize,
}

impl Exchange {
    /// Round trips until converged: both sides send at once, so two flights make one.
    pub fn round_trips(&self) -> usize {
        self.flights_to_converge.div_ceil(2)
    }
}

fn converged(scope: Scope, da: &mut Docs, db: &mut Docs) -> bool {
    scope.docs().into_iter().all(|d| {
        let a = da.doc(d).map(|x| x.get_heads());
        let b = db.doc(d).map(|x| x.get_heads());
        a == b
    })
}

/// Runs two sessions until neither has anything to send. Both sides send at once; one flight
/// is everything either side sends before it hears the other's answer.
pub fn exchange(a: &mut Session, da: &mut Docs, b: &mut Session, db: &mut Docs) -> Exchange {
    let scope = a.scope();
    let wire = |frames: &[Frame]| -> Vec<Vec<u8>> { frames.iter().map(Frame::encode).collect() };
    let mut first_b = a.start();
    first_b.extend(a.poll(da));
    let mut first_a = b.start();
    first_a.extend(b.poll(db));
    let mut to_b = wire(&first_b);
    let mut to_a = wire(&first_a);
    let mut x = Exchange {
        flights: 1,
        ..Exchange::default()
    };
    x.bytes = to_b.iter().chain(&to_a).map(Vec::len).sum();
    for _ in 0..200 {
        for bytes in to_b.drain(..) {
            b.receive(Frame::decode(&bytes).expect("our frames decode"), db)
                .expect("an honest peer's frame is accepted");
        }
        for bytes in to_a.drain(..) {
            a.receive(Frame::decode(&bytes).expect("our frames decode"), da)
                .expect("an honest peer's frame is accepted");
        }
        if x.flights_to_converge == 0 && converged(scope, da, db) {
            x.flights_to_converge = x.flights;
        }
        to_a = wire(&b.poll(db));
        to_b = wire(&a.poll(da));
        if to_a.is_empty() && to_b.is_empty() {
            break;
        }
        x.flights += 1;
        x.bytes += to_b.iter().chain(&to_a).map(Vec::len).sum::<usize>();
    }
    assert!(converged(scope, da, db), "the sessions went quiet apart");
    x
}

/// Bytes of `bytes` deflated: the least any sync could send of them.
pub fn deflated_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory").len()
}

fn open(bytes: Option<&[u8]>, private: Option<&[u8]>, who: &kintsugi_core::PartnerId) -> Model {
    Model::open(bytes, private, who.clone(), ActorId::random()).expect("the data set opens")
}

/// One keystroke batch per change, as the window commits them at typing pauses.
pub fn type_apart(m: &mut Model, n: usize, word: &str, t0: i64) {
    for i in 0..n {
        let t = t0 + i as i64 * 60_000;
        m.apply(
            Command::SpliceSection {
                section: "conflict".into(),
                pos: 0,
                delete: 0,
                insert: word.into(),
            },
            t,
        )
        .expect("a splice at 0 applies");
        m.commit(t);
    }
}

/// A first full sync to a brand-new own device (both documents): the exchange and the
/// compacted size of what it had to carry.
pub fn first_full_sync(mut mine: Docs, who: &kintsugi_core::PartnerId) -> (Exchange, usize) {
    let mut fresh = Docs(open(None, None, who));
    let compacted = mine.0.doc_mut(DocKind::Couple).save().len()
        + mine.0.doc_mut(DocKind::Private).save().len();
    let mut sa = Session::new([1; 32], Scope::OwnDevice, []);
    let mut sb = Session::new([2; 32], Scope::OwnDevice, []);
    let x = exchange(&mut sa, &mut mine, &mut sb, &mut fresh);
    (x, compacted)
}

/// Two partners' devices in sync, apart while each makes `n` changes, then reconnecting with
/// the sync states both kept: the exchange and the deflated size of the changes each lacked.
pub fn reconnect_after(a: &mut Docs, b: &mut Docs, n: usize) -> (Exchange, usize) {
    let mut sa = Session::new([1; 32], Scope::Partner, []);
    let mut sb = Session::new([2; 32], Scope::Partner, []);
    exchange(&mut sa, a, &mut sb, b);
    let (states_a, states_b) = (sa.sync_states(), sb.sync_states());
    let common: Vec<ChangeHash> = a.0.doc_mut(DocKind::Couple).get_heads();
    let t0 = 1_900_000_000_000;
    type_apart(&mut a.0, n, "sam ", t0);
    type_apart(&mut b.0, n, "alex ", t0);
    let mut missing = a.0.doc_mut(DocKind::Couple).save_after(&common);
    missing.extend(b.0.doc_mut(DocKind::Couple).save_after(&common));
    let mut sa = Session::new([1; 32], Scope::Partner, states_a);
    let mut sb = Session::new([2; 32], Scope::Partner, states_b);
    let x = exchange(&mut sa, a, &mut sb, b);
    (x, deflated_len(&missing))
}

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let mine = Docs(open(Some(&ds.couple), Some(&ds.private), &ds.me));
    let (first, compacted) = first_full_sync(mine, &ds.me);
    let first_ratio = first.bytes as f64 / compacted as f64;

    let mut a = Docs(open(Some(&ds.couple), Some(&ds.private), &ds.me));
    let mut b = Docs(open(
        Some(&ds.partner_couple),
        Some(&ds.partner_private),
        &ds.partner,
    ));
    let (week, missing) = reconnect_after(&mut a, &mut b, WEEK_CHANGES);
    let week_ratio = week.bytes as f64 / missing as f64;
    vec![
        Measure::new(
            "reconnect after a week apart: round trips",
            "≤ 2",
            format!(
                "{} ({} flights until quiet)",
                week.round_trips(),
                week.flights
            ),
            Some(week.round_trips() <= 2),
        ),
        Measure::new(
            "reconnect: wire bytes / deflated missing changes",
            "≤ 1.2×",
            format!(
                "{week_ratio:.2}× ({:.1} / {:.1} KiB)",
                week.bytes as f64 / 1024.0,
                missing as f64 / 1024.0
            ),
            Some(week_ratio <= 1.2),
        ),
        Measure::new(
            "first full sync: wire bytes / compacted size",
            "≤ 1.1×",
            format!(
                "{first_ratio:.2}× ({:.1} / {:.1} KiB)",
                first.bytes as f64 / 1024.0,
                compacted as f64 / 1024.0
            ),
            Some(first_ratio <= 1.1),
        ),
    ]
}
