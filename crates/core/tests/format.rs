//! The changes that define the documents' format are pinned: genesis and every migration.
//!
//! Genesis is the identity of every store. If this test fails, a change to `schema.rs` (a map
//! added to `COUPLE_MAPS`, a template title, the genesis `schema` value…) or to a released
//! migration would make every existing store refuse to open. Grow the schema with a new
//! migration in `migrate.rs` instead, then append its hash here.

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{DocKind, Model, PartnerId, format_hashes};

const COUPLE: &[&str] = &[
    "903ec632c090d6d4396264acb9e4ef90f2021417077954effd6cf781c799a33a",
    // Schema 2: checkin_seals.
    "4f7a32b20aacc46d817cad1f4c6e46e157ffad0ebdfa252e026e82feb2357690",
    // Schema 3: breaks, reassurance_plan.
    "0988382c844ad4cd394508cd42c159c8dd06630413070f6a580064903312cc0a",
    // Schema 4: checkin_notes, actor_claims, enrolled_devices.
    "13185bb64590f61b22b32cf76151a23ac1dd6eb63b5f49f87c4d1501fa391db2",
];
const PRIVATE: &[&str] = &[
    "e2e1ec0c4b946724afb02993410e1bcc44db771ff43be791ed984bde177f3db8",
    // Schema 2: sealed_checkins, reminders.
    "8fd995dbfb9f2eda4cb1c52e2a488ba2c8d475076cc21b4df2a64d2271629005",
];

fn pinned(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Couple => COUPLE,
        DocKind::Private => PRIVATE,
    }
}

#[test]
fn format_changes_are_pinned() {
    for kind in DocKind::ALL {
        assert_eq!(format_hashes(kind), pinned(kind), "{kind:?}");
    }
}

/// A new device's documents start with exactly the pinned changes, in order.
#[test]
fn a_fresh_device_starts_from_the_pinned_changes() {
    let mut model = Model::open(None, None, PartnerId("p".into()), ActorId::random()).unwrap();
    for kind in DocKind::ALL {
        let changes: Vec<String> = model
            .doc_mut(kind)
            .get_changes(&[])
            .iter()
            .map(|c| c.hash().to_string())
            .collect();
        assert_eq!(changes, pinned(kind), "{kind:?}");
    }
}
