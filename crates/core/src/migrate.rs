//! Schema growth after genesis: migration changes that every device writes byte for byte alike.
//!
//! A container added by a later version cannot simply be created by each device when it first
//! needs it: two devices upgraded apart would each create the same key concurrently, automerge
//! would keep one of the two objects, and everything written into the other would vanish from
//! view. A migration is instead built from the genesis change and the earlier migrations alone,
//! with a fixed actor and time, so every device makes the identical change (the same hash) and
//! a merge sees one change and one container.
//!
//! Rules for a migration (the pinned hashes in `crates/core/tests/format.rs` hold them):
//! - append only: never edit, reorder or remove a released migration;
//! - only create containers or set defaults; never touch items people wrote;
//! - depend on nothing but the chain before it (no clock, no random ids).

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, AutomergeError, Change, ROOT};

use crate::model::DocKind;
use crate::schema::{GENESIS_SCHEMA, couple_genesis, private_genesis};

/// One step of schema growth for one of the two documents.
#[derive(Clone, Copy)]
pub struct Migration {
    pub doc: DocKind,
    /// The document's `schema` after this step; strictly increasing along the list.
    pub to: u64,
    /// What it writes: new containers under the root, at most.
    pub ops: fn(&mut AutoCommit) -> Result<(), AutomergeError>,
}

/// Every released migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    // Schema 2 (check-ins sealed in the data, reminders): the couple document holds only a
    // seal per answered day or week; the answers wait in the private document until both
    // partners have answered. Reminder times are one partner's own.
    Migration {
        doc: DocKind::Couple,
        to: 2,
        ops: |d| add_root_maps(d, &["checkin_seals"]),
    },
    Migration {
        doc: DocKind::Private,
        to: 2,
        ops: |d| add_root_maps(d, &["sealed_checkins", "reminders"]),
    },
    // Schema 3 (hard moments): breaks both devices count down, and one reassurance plan both
    // partners write by splices, like an agreement section.
    Migration {
        doc: DocKind::Couple,
        to: 3,
        ops: |d| {
            add_root_maps(d, &["breaks"])?;
            d.put_object(ROOT, "reassurance_plan", automerge::ObjType::Text)
                .map(|_| ())
        },
    },
    // Schema 4 (promises that hold against the other device): notes added to a check-in after
    // both answers were revealed (answers themselves can no longer be replaced), signed claims
    // binding each automerge actor to the member and device that wrote with it, and the
    // devices each partner enrolled, so both partners see a new device when it is added.
    Migration {
        doc: DocKind::Couple,
        to: 4,
        ops: |d| add_root_maps(d, &["checkin_notes", "actor_claims", "enrolled_devices"]),
    },
];

/// A migration's usual body: new maps under the root.
fn add_root_maps(doc: &mut AutoCommit, keys: &[&str]) -> Result<(), AutomergeError> {
    for key in keys {
        doc.put_object(ROOT, *key, automerge::ObjType::Map)?;
    }
    Ok(())
}

/// The newest `schema` this build writes and fully reads.
pub const fn latest_schema(migrations: &[Migration]) -> u64 {
    match migrations.last() {
        Some(m) => m.to,
        None => GENESIS_SCHEMA,
    }
}

/// The migration actor: genesis uses …01, migrations …02, no device ever uses either.
fn migration_actor() -> ActorId {
    ActorId::from(vec![0u8; 15].into_iter().chain([2]).collect::<Vec<u8>>())
}

fn genesis(doc: DocKind) -> AutoCommit {
    match doc {
        DocKind::Couple => couple_genesis(),
        DocKind::Private => private_genesis(),
    }
}

/// The migration changes of one document, oldest first, built from genesis alone.
pub(crate) fn migration_changes(
    doc: DocKind,
    migrations: &[Migration],
) -> Result<Vec<Change>, AutomergeError> {
    let mut chain = genesis(doc).with_actor(migration_actor());
    let base = chain.get_heads();
    for m in migrations.iter().filter(|m| m.doc == doc) {
        (m.ops)(&mut chain)?;
        chain.put(ROOT, "schema", m.to)?;
        chain.commit_with(CommitOptions::default().with_time(0));
    }
    Ok(chain.get_changes(&base))
}

/// Adds the migration changes `target` lacks; returns how many. `target` must hold genesis.
pub(crate) fn upgrade(
    target: &mut AutoCommit,
    doc: DocKind,
    migrations: &[Migration],
) -> Result<usize, AutomergeError> {
    let missing: Vec<Change> = migration_changes(doc, migrations)?
        .into_iter()
        .filter(|c| target.get_change_by_hash(&c.hash()).is_none())
        .collect();
    let n = missing.len();
    if n > 0 {
        target.apply_changes(missing)?;
    }
    Ok(n)
}

/// The hashes of the changes that define a document's format: genesis, then every migration.
/// Pinned by a test: a different hash here means existing stores would no longer open.
pub fn format_hashes(doc: DocKind) -> Vec<String> {
    let mut hashes: Vec<String> = genesis(doc)
        .get_heads()
        .iter()
        .map(|h| h.to_string())
        .collect();
    let migrations = migration_changes(doc, MIGRATIONS).expect("released migrations apply");
    hashes.extend(migrations.iter().map(|c| c.hash().to_string()));
    hashes
}

#[cfg(test)]
mod tests {
    use automerge::{ObjId, ObjType, ReadDoc, Value};

    use super::*;
    use crate::{Command, ItemId, Model, PartnerId, WinKind};

    /// A migration's usual body: one new map under the root.
    fn add_root_map(doc: &mut AutoCommit, key: &str) -> Result<(), AutomergeError> {
        doc.put_object(ROOT, key, ObjType::Map).map(|_| ())
    }

    /// A stand-in for a later release: the released chain, then a `later` map in the couple
    /// document. (List every released migration here when one is added.)
    const WITH_BREAKS: &[Migration] = &[
        MIGRATIONS[0],
        MIGRATIONS[1],
        MIGRATIONS[2],
        MIGRATIONS[3],
        Migration {
            doc: DocKind::Couple,
            to: crate::schema::SCHEMA_VERSION + 1,
            ops: |d| add_root_map(d, "later"),
        },
    ];

    #[test]
    fn the_stand_in_extends_every_released_migration() {
        assert_eq!(WITH_BREAKS.len(), MIGRATIONS.len() + 1);
    }

    fn device(me: &str) -> Model {
        Model::open(None, None, PartnerId(me.into()), ActorId::random()).expect("fresh model")
    }

    fn win(m: &mut Model, id: &str) {
        let cmd = Command::AddWin {
            id: ItemId(id.into()),
            kind: WinKind::TrustWin,
            text: format!("win {id}"),
        };
        m.apply(cmd, 1).expect("win");
        m.commit(1);
    }

    fn later(doc: &AutoCommit) -> Option<ObjId> {
        match doc.get(ROOT, "later").expect("read") {
            Some((Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        }
    }

    /// Writes one item into `later`, as the later release's command would.
    fn add_break(m: &mut Model, key: &str) {
        let doc = m.doc_mut(DocKind::Couple);
        let b = later(doc).expect("the migration made the later map");
        let item = doc.put_object(&b, key, ObjType::Map).expect("item");
        doc.put(&item, "minutes", 20).expect("field");
        doc.commit();
    }

    fn break_keys(m: &Model) -> Vec<String> {
        let doc = m.doc(DocKind::Couple);
        later(doc)
            .map(|b| doc.keys(&b).collect())
            .unwrap_or_default()
    }

    fn sync(a: &mut Model, b: &mut Model) {
        let (da, db) = (a.doc_mut(DocKind::Couple), b.doc_mut(DocKind::Couple));
        da.merge(db).expect("merge");
        db.merge(da).expect("merge");
    }

    #[test]
    fn two_devices_upgraded_apart_keep_every_item() {
        let (mut a, mut b) = (device("alex"), device("sam"));
        win(&mut a, "wa");
        win(&mut b, "wb");
        for m in [&mut a, &mut b] {
            let n = upgrade(m.doc_mut(DocKind::Couple), DocKind::Couple, WITH_BREAKS).unwrap();
            assert_eq!(n, 1);
        }
        add_break(&mut a, "ba");
        add_break(&mut b, "bb");
        sync(&mut a, &mut b);
        for m in [&a, &b] {
            assert_eq!(break_keys(m), ["ba", "bb"]);
            let wins: Vec<_> = m.view().wins.into_iter().map(|w| w.id.0).collect();
            assert_eq!(wins.len(), 2, "{wins:?}");
        }
        let migration_changes = a
            .doc_mut(DocKind::Couple)
            .get_changes(&[])
            .iter()
            .filter(|c| c.actor_id() == &migration_actor())
            .count();
        let couple_steps = WITH_BREAKS
            .iter()
            .filter(|m| m.doc == DocKind::Couple)
            .count();
        assert_eq!(
            migration_changes, couple_steps,
            "both devices made the same changes"
        );
    }

    /// The control: containers created by each device on its own lose one side's items.
    #[test]
    fn containers_created_apart_hide_one_side() {
        let (mut a, mut b) = (device("alex"), device("sam"));
        for m in [&mut a, &mut b] {
            let doc = m.doc_mut(DocKind::Couple);
            add_root_map(doc, "later").unwrap();
            doc.commit();
        }
        add_break(&mut a, "ba");
        add_break(&mut b, "bb");
        sync(&mut a, &mut b);
        assert_eq!(
            break_keys(&a).len(),
            1,
            "automerge keeps one of the two maps"
        );
    }

    #[test]
    fn upgrading_twice_or_after_a_peer_adds_nothing() {
        let (mut a, mut b) = (device("alex"), device("sam"));
        let doc = a.doc_mut(DocKind::Couple);
        assert_eq!(upgrade(doc, DocKind::Couple, WITH_BREAKS).unwrap(), 1);
        assert_eq!(upgrade(doc, DocKind::Couple, WITH_BREAKS).unwrap(), 0);
        sync(&mut a, &mut b);
        let doc = b.doc_mut(DocKind::Couple);
        assert_eq!(upgrade(doc, DocKind::Couple, WITH_BREAKS).unwrap(), 0);
        let private = a.doc_mut(DocKind::Private);
        assert_eq!(upgrade(private, DocKind::Private, WITH_BREAKS).unwrap(), 0);
    }

    /// An older device keeps what it does not understand, tells the person, and reads the rest.
    #[test]
    fn an_older_device_keeps_the_newer_parts_and_shows_the_rest() {
        let (mut newer, mut older) = (device("alex"), device("sam"));
        upgrade(newer.doc_mut(DocKind::Couple), DocKind::Couple, WITH_BREAKS).unwrap();
        add_break(&mut newer, "ba");
        win(&mut newer, "w-new");
        win(&mut older, "w-old");
        sync(&mut newer, &mut older);

        let view = older.view();
        assert_eq!(view.wins.len(), 2, "items it knows are all shown");
        assert!(
            view.errors
                .iter()
                .any(|e| e.newer && e.problem.contains("update Kintsugi")),
            "{:?}",
            view.errors
        );
        // Saved and reopened by the older version, the newer parts are still there and travel on.
        let bytes = older.doc_mut(DocKind::Couple).save();
        let mut reopened = Model::open(
            Some(&bytes),
            None,
            PartnerId("sam".into()),
            ActorId::random(),
        )
        .unwrap();
        assert_eq!(break_keys(&reopened), ["ba"]);
        win(&mut reopened, "w-later");
        sync(&mut newer, &mut reopened);
        assert_eq!(break_keys(&newer), ["ba"]);
        assert_eq!(newer.view().wins.len(), 3);
    }
}
