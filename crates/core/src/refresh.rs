//! Reading the view again after a change: only the items whose objects the new changes touched are read from the documents; the rest come from the previous read.
//!
//! After years of use a whole read takes seconds (automerge lookups cost microseconds each, and
//! there are thousands of entries), while one change touches one or two items. Which items is
//! found from the changes themselves: every op names the object it writes, and that object's
//! path up to the root names the top-level map and the item. Anything the scan cannot place
//! makes the whole read happen, so the result always equals a whole read (a property test
//! compares the two after random edits and merges).

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, OpId};
use automerge::{AutoCommit, ChangeHash, Prop, ReadDoc};

use crate::model::DocKind;

/// Above this many new changes a whole read is as quick as placing them one by one.
const MAX_SCANNED_CHANGES: usize = 2_000;

/// What changed since the items were last read.
#[derive(Default)]
pub(crate) struct Dirty {
    pub all: bool,
    /// Top-level maps written as a whole (created, replaced).
    pub maps: HashSet<(DocKind, String)>,
    /// Items (a top-level map's entries) written anywhere inside.
    pub items: HashSet<(DocKind, String, String)>,
}

impl Dirty {
    /// Whether anything in the named top-level maps of `kind`'s document changed.
    pub fn touches(&self, kind: DocKind, maps: &[&str]) -> bool {
        self.all
            || maps
                .iter()
                .any(|m| self.maps.contains(&(kind, (*m).to_owned())) || self.any_item_in(kind, m))
    }

    fn add(&mut self, other: &Dirty) {
        self.all |= other.all;
        self.maps.extend(other.maps.iter().cloned());
        self.items.extend(other.items.iter().cloned());
    }

    fn everything() -> Dirty {
        Dirty {
            all: true,
            ..Dirty::default()
        }
    }

    pub fn map_is_dirty(&self, kind: DocKind, map: &str) -> bool {
        self.all || self.maps.contains(&(kind, map.to_owned()))
    }

    /// Whether any item of `map` changed (the set is small: what one round of changes touched).
    pub fn any_item_in(&self, kind: DocKind, map: &str) -> bool {
        self.all || self.items.iter().any(|(k, m, _)| *k == kind && m == map)
    }

    pub fn item_is_dirty(&self, kind: DocKind, map: &str, item: &str) -> bool {
        self.items
            .contains(&(kind, map.to_owned(), item.to_owned()))
    }
}

/// One top-level map as last read: each item's result, and the whole result in order.
pub(crate) struct CachedMap {
    /// Item key → `Result<T, ItemError>`.
    pub items: HashMap<String, Box<dyn Any + Send>>,
    /// `(Vec<T>, Vec<ItemError>)`: returned as is while nothing under the map changed.
    pub whole: Box<dyn Any + Send>,
}

/// Writers that act on what changed since they last ran (besides the view).
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    /// Revealing sealed check-ins (`checkins::reveal`).
    Reveal = 0,
    /// Copying shared journal entries (`journal::publish_shares`).
    Shares = 1,
}

/// The items of the last read, and the heads they were read at.
#[derive(Default)]
pub(crate) struct ItemCache {
    /// Per (document, top-level map): item key → `Result<T, ItemError>` of that map's reader.
    pub maps: RefCell<HashMap<(DocKind, &'static str), CachedMap>>,
    pub dirty: RefCell<Dirty>,
    /// What changed since each [`Reader`] last took it.
    pending: [Dirty; 2],
    /// Heads of the committed changes the cached items reflect, per document (None: nothing
    /// read yet).
    seen: [Option<Vec<ChangeHash>>; 2],
}

fn slot(kind: DocKind) -> usize {
    match kind {
        DocKind::Couple => 0,
        DocKind::Private => 1,
    }
}

impl ItemCache {
    /// Forget everything: the next read is whole (a new identity, a rolled-back merge…).
    pub fn clear(&mut self) {
        *self = ItemCache::default();
    }

    /// Marks what the changes made since the last read touched. `doc` must have no pending
    /// ops (they are in no change yet); the caller reads whole instead.
    pub fn scan(&mut self, kind: DocKind, doc: &mut AutoCommit) {
        let heads = doc.get_heads();
        let seen = &mut self.seen[slot(kind)];
        if seen.as_ref() == Some(&heads) {
            return;
        }
        let mut fresh = Dirty::default();
        match seen.take() {
            None => fresh = Dirty::everything(),
            // Heads this document does not have: it was replaced, not changed.
            Some(before) if before.iter().any(|h| doc.get_change_by_hash(h).is_none()) => {
                fresh = Dirty::everything()
            }
            Some(before) => {
                let changes = doc.get_changes(&before);
                if changes.len() > MAX_SCANNED_CHANGES {
                    fresh = Dirty::everything();
                } else {
                    let mut places: HashMap<OpId, Option<Place>> = HashMap::new();
                    'changes: for change in &changes {
                        for op in change.decode().operations {
                            if !mark(doc, kind, &op.obj, &op.key, &mut places, &mut fresh) {
                                fresh = Dirty::everything();
                                break 'changes;
                            }
                        }
                    }
                }
            }
        }
        *seen = Some(heads);
        self.dirty.get_mut().add(&fresh);
        for p in &mut self.pending {
            p.add(&fresh);
        }
    }

    /// What changed since `reader` last took it (scan first).
    pub fn take(&mut self, reader: Reader) -> Dirty {
        std::mem::take(&mut self.pending[reader as usize])
    }

    /// Gives back what `reader` took but could not act on.
    pub fn give_back(&mut self, reader: Reader, d: Dirty) {
        self.pending[reader as usize].add(&d);
    }

    /// After a read: what was dirty has been read again.
    pub fn settle(&self) {
        let mut d = self.dirty.borrow_mut();
        *d = Dirty::default();
    }
}

/// Where an object sits.
#[derive(Clone)]
enum Place {
    /// It is a top-level map: the op's key is the item.
    Map(String),
    /// Inside an item of a top-level map.
    Item(String, String),
    /// Somewhere that is read as a whole (under a top-level list).
    Whole(String),
}

/// Marks what one op wrote. False when it cannot be placed (then everything is read).
fn mark(
    doc: &AutoCommit,
    kind: DocKind,
    obj: &ObjectId,
    key: &Key,
    places: &mut HashMap<OpId, Option<Place>>,
    dirty: &mut Dirty,
) -> bool {
    let id = match obj {
        ObjectId::Root => {
            return match key {
                Key::Map(k) => {
                    dirty.maps.insert((kind, k.to_string()));
                    true
                }
                Key::Seq(_) => false,
            };
        }
        ObjectId::Id(id) => id,
    };
    let place = places
        .entry(id.clone())
        .or_insert_with(|| place_of(doc, id))
        .clone();
    match (place, key) {
        (None, _) => return false,
        (Some(Place::Item(map, item)), _) => {
            dirty.items.insert((kind, map, item));
        }
        (Some(Place::Map(map)), Key::Map(item)) => {
            dirty.items.insert((kind, map, item.to_string()));
        }
        (Some(Place::Map(map) | Place::Whole(map)), _) => {
            dirty.maps.insert((kind, map));
        }
    }
    true
}

fn place_of(doc: &AutoCommit, id: &OpId) -> Option<Place> {
    let exid = doc
        .import_obj(&format!("{}@{}", id.counter(), id.actor()))
        .ok()?;
    // From the object up to the root: the last step is (root, top-level key), the one before
    // it (top-level object, item key).
    let path: Vec<Prop> = doc.parents(&exid).ok()?.map(|p| p.prop).collect();
    let map = match path.last()? {
        Prop::Map(k) => k.to_string(),
        Prop::Seq(_) => return None,
    };
    Some(match path.len() {
        1 => Place::Map(map),
        n => match &path[n - 2] {
            Prop::Map(k) => Place::Item(map, k.to_string()),
            Prop::Seq(_) => Place::Whole(map),
        },
    })
}
