//! Erasing deleted private items from history: rebuilding the private document, and adopting a newer rebuild.
//!
//! Automerge keeps every op, so a deleted journal entry stays readable in the document's
//! history. Erasing it means a new document: genesis, the migrations, and ONE change (a fresh
//! actor) that writes the current state. That starts a new *lineage*, named by root scalars of
//! the private document: `erase_epoch` (how many rebuilds), `erase_id` (random, tells two
//! rebuilds made apart from each other) and `erased` (every `map/item` key ever deleted, never
//! any text), plus `erase_base` (the heads the rebuild started from, hashes only). Own devices
//! compare lineages before syncing the private document (`kintsugi_sync` calls it an opaque
//! token; a greater one supersedes); the one behind takes the newer document whole and replays
//! what it changed since the two last agreed, item by item ([`Model::adopt_private`]).

use std::collections::{BTreeMap, BTreeSet};

use automerge::hydrate::{Map as HMap, Value as HValue};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};

use crate::model::{CoreError, DocKind, Model};
use crate::schema::private_genesis;

const EPOCH: &str = "erase_epoch";
const ID: &str = "erase_id";
const ERASED: &str = "erased";
const BASE: &str = "erase_base";

/// Root keys that describe the document, never an item a person wrote.
const OWN_KEYS: &[&str] = &["kind", "schema", EPOCH, ID, ERASED, BASE];

/// The lineage token of a private document: empty before its first rebuild, else the epoch
/// (8 bytes, big endian) and the rebuild's random id. Compared as bytes, a greater one is newer.
pub(crate) fn lineage(doc: &AutoCommit) -> Vec<u8> {
    let epoch = match doc.get(ROOT, EPOCH) {
        Ok(Some((v, _))) => v.as_u64().unwrap_or(0),
        _ => 0,
    };
    if epoch == 0 {
        return Vec::new();
    }
    let mut out = epoch.to_be_bytes().to_vec();
    if let Ok(Some((v, _))) = doc.get(ROOT, ID)
        && let Some(b) = v.as_bytes()
    {
        out.extend_from_slice(b);
    }
    out
}

fn epoch_of(doc: &AutoCommit) -> u64 {
    match doc.get(ROOT, EPOCH) {
        Ok(Some((v, _))) => v.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// The `map/item` keys a document says were erased.
fn erased_of(doc: &AutoCommit) -> BTreeSet<String> {
    match doc.get(ROOT, ERASED) {
        Ok(Some((v, _))) => v
            .as_str()
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        _ => BTreeSet::new(),
    }
}

/// The heads a document's rebuild started from (hashes this device may or may not hold).
fn base_of(doc: &AutoCommit) -> Vec<ChangeHash> {
    match doc.get(ROOT, BASE) {
        Ok(Some((v, _))) => v
            .as_bytes()
            .map(|b| {
                b.chunks_exact(32)
                    .filter_map(|c| ChangeHash::try_from(c).ok())
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Every `map/item` key ever written under a top-level map and not there now: what deleting
/// left in history. Reads every change once.
fn deleted_items(doc: &mut AutoCommit) -> BTreeSet<String> {
    let mut maps: BTreeMap<String, String> = BTreeMap::new();
    for key in doc.keys(ROOT).collect::<Vec<_>>() {
        if let Ok(Some((automerge::Value::Object(ObjType::Map), id))) = doc.get(ROOT, &key) {
            maps.insert(id.to_string(), key);
        }
    }
    let mut ever = BTreeSet::new();
    for change in doc.get_changes(&[]) {
        for op in change.decode().operations {
            let automerge::legacy::ObjectId::Id(obj) = &op.obj else {
                continue;
            };
            let automerge::legacy::Key::Map(item) = &op.key else {
                continue;
            };
            let name = format!("{}@{}", obj.counter(), obj.actor());
            if let Some(map) = maps.get(&name) {
                ever.insert((map.clone(), item.to_string()));
            }
        }
    }
    ever.into_iter()
        .filter(|(map, item)| {
            doc.get(ROOT, map.as_str())
                .ok()
                .flatten()
                .is_none_or(|(_, m)| doc.get(&m, item.as_str()).ok().flatten().is_none())
        })
        .map(|(map, item)| format!("{map}/{item}"))
        .collect()
}

/// Genesis plus the migrations, the start of every private document.
fn fresh_private() -> Result<AutoCommit, CoreError> {
    let mut doc = private_genesis();
    crate::migrate::upgrade(&mut doc, DocKind::Private, crate::migrate::MIGRATIONS)?;
    Ok(doc)
}

/// A random id for a rebuild (an actor id is 16 random bytes).
fn random_id() -> Vec<u8> {
    ActorId::random().to_bytes().to_vec()
}

/// Writes the rebuild's lineage scalars.
fn put_lineage(
    doc: &mut AutoCommit,
    epoch: u64,
    erased: &BTreeSet<String>,
    base: &[ChangeHash],
) -> Result<(), CoreError> {
    doc.put(ROOT, EPOCH, epoch)?;
    doc.put(ROOT, ID, random_id())?;
    let lines: Vec<&str> = erased.iter().map(String::as_str).collect();
    doc.put(ROOT, ERASED, lines.join("\n"))?;
    let base: Vec<u8> = base.iter().flat_map(|h| h.0).collect();
    doc.put(ROOT, BASE, base)?;
    Ok(())
}

/// The item maps of a hydrated root: every top-level map but the document's own keys.
fn item_maps(root: &HMap) -> BTreeMap<String, HMap> {
    root.iter()
        .filter(|(k, _)| !OWN_KEYS.contains(&k.as_str()))
        .filter_map(|(k, v)| match &v.value {
            HValue::Map(m) => Some((k.clone(), m.clone())),
            _ => None,
        })
        .collect()
}

fn hydrate_root(doc: &AutoCommit, heads: Option<&[ChangeHash]>) -> Result<HMap, CoreError> {
    match doc.hydrate(ROOT, heads)? {
        HValue::Map(m) => Ok(m),
        _ => Err(CoreError::WrongKind {
            expected: "private",
        }),
    }
}

/// Sets `key` of `obj` in `doc` to `value`: objects are created whole, scalars put.
fn put_value(
    doc: &mut AutoCommit,
    obj: &automerge::ObjId,
    key: &str,
    value: &HValue,
) -> Result<(), CoreError> {
    match value {
        HValue::Scalar(s) => doc.put(obj, key, s.clone())?,
        other => {
            doc.batch_create_object(obj, key, other, false)?;
        }
    }
    Ok(())
}

/// Three-way merge of a text both sides changed since `base`, by automerge's own text merge.
fn merge_text(base: &str, mine: &str, theirs: &str) -> Result<String, CoreError> {
    let mut a = AutoCommit::new();
    let t = a.put_object(ROOT, "t", ObjType::Text)?;
    a.update_text(&t, base)?;
    a.commit();
    let mut b = a.fork();
    a.update_text(&t, mine)?;
    b.update_text(&t, theirs)?;
    a.merge(&mut b)?;
    Ok(a.text(&t)?)
}

/// A stand-in for the common version of an item when no common point is known: texts their
/// longest common subsequence (so what either side inserted is kept, never dropped), any other
/// field taken as unchanged here (the newer document's value stands).
fn guess_common(mine: &HValue, theirs: &HValue) -> HValue {
    match (mine, theirs) {
        (HValue::Text(m), HValue::Text(t)) => {
            let (m, t) = (m.to_string(), t.to_string());
            HValue::Text(automerge::hydrate::Text::new(
                automerge::TextEncoding::UnicodeCodePoint,
                common_subsequence(&m, &t),
            ))
        }
        (HValue::Map(m), HValue::Map(t)) => {
            let mut out = m.clone();
            for (k, v) in m.iter() {
                if let (Some(tv), Some(slot)) = (t.get(k), out.get_mut(k)) {
                    *slot = guess_common(&v.value, tv);
                }
            }
            HValue::Map(out)
        }
        _ => mine.clone(),
    }
}

/// A longest common subsequence of `a` and `b` (automerge's own text diff finds it): the text
/// both grew from, as far as can be told without history, so each side's insertions survive a
/// merge over it.
fn common_subsequence(a: &str, b: &str) -> String {
    let mut doc = AutoCommit::new();
    let Ok(t) = doc.put_object(ROOT, "t", ObjType::Text) else {
        return String::new();
    };
    if doc.update_text(&t, a).is_err() {
        return String::new();
    }
    let before = doc.get_heads();
    if doc.update_text(&t, b).is_err() {
        return String::new();
    }
    let after = doc.get_heads();
    // Every character of `a`, marked kept until a patch deletes it; inserted ones unmarked.
    let mut chars: Vec<(char, bool)> = a.chars().map(|c| (c, true)).collect();
    for patch in doc.diff(&before, &after) {
        match patch.action {
            automerge::PatchAction::SpliceText { index, value, .. } => {
                let index = index.min(chars.len());
                let inserted: Vec<(char, bool)> =
                    value.make_string().chars().map(|c| (c, false)).collect();
                chars.splice(index..index, inserted);
            }
            automerge::PatchAction::DeleteSeq { index, length } => {
                let start = index.min(chars.len());
                let end = (index + length).min(chars.len());
                chars.drain(start..end);
            }
            _ => {}
        }
    }
    chars
        .into_iter()
        .filter(|(_, kept)| *kept)
        .map(|(c, _)| c)
        .collect()
}

fn text_of(v: Option<&HValue>) -> Option<String> {
    match v {
        Some(HValue::Text(t)) => Some(t.to_string()),
        _ => None,
    }
}

impl Model {
    /// This device's private lineage token (see the module docs); empty before any rebuild.
    pub fn private_lineage(&self) -> Vec<u8> {
        lineage(self.doc(DocKind::Private))
    }

    /// Rebuilds the private document from its current state without history: genesis, the
    /// migrations and one change under a fresh actor holding every item as it reads now (same
    /// item ids, same field values, texts written anew). Deleted items leave no byte behind in
    /// the new document. Starts a new lineage, one epoch above the old, that own devices adopt
    /// when they next sync. The caller must then replace the stored document whole
    /// ([`Model::private_rewritten`]). Open typing is committed first.
    pub fn erase_private_history(&mut self, now: crate::Timestamp) -> Result<(), CoreError> {
        self.commit(now);
        let old = self.doc_mut(DocKind::Private);
        let mut erased = erased_of(old);
        erased.extend(deleted_items(old));
        let epoch = epoch_of(old) + 1;
        let base = old.get_heads();
        let root = hydrate_root(old, None)?;
        let mut fresh = fresh_private()?;
        self.fill_rebuilt(&mut fresh, &root, epoch, &erased, &base, now)?;
        self.replace_private(fresh);
        Ok(())
    }

    /// Writes `root`'s items and the lineage into a fresh document as one change by a fresh
    /// actor of this partner.
    fn fill_rebuilt(
        &self,
        fresh: &mut AutoCommit,
        root: &HMap,
        epoch: u64,
        erased: &BTreeSet<String>,
        base: &[ChangeHash],
        now: crate::Timestamp,
    ) -> Result<(), CoreError> {
        fresh.set_author(Some(crate::model::author_of(self.me())));
        fresh.set_actor(ActorId::random());
        for (key, v) in root.iter() {
            if OWN_KEYS.contains(&key.as_str()) {
                continue;
            }
            match (&v.value, fresh.get(ROOT, key.as_str())?) {
                // A container from genesis or a migration: keep the shared object, fill it.
                (HValue::Map(items), Some((automerge::Value::Object(ObjType::Map), obj))) => {
                    for (item, iv) in items.iter() {
                        put_value(fresh, &obj, item, &iv.value)?;
                    }
                }
                (value, _) => put_value(fresh, &ROOT, key, value)?,
            }
        }
        // A newer device's schema (a root scalar) is kept as it was.
        if let Some(s) = root.get("schema") {
            put_value(fresh, &ROOT, "schema", s)?;
        }
        put_lineage(fresh, epoch, erased, base)?;
        fresh.commit_with(CommitOptions::default().with_time(now));
        Ok(())
    }

    /// Takes a newer lineage's private document (`theirs`, whole) in place of ours and replays
    /// onto it, item by item, what this device changed since `agreed` (heads both devices held
    /// when they last synced; hashes this device lacks are ignored, the newer document's own
    /// rebuild base is added). Items the newer document erased stay erased, even if edited
    /// here meanwhile; items created here survive; a text both sides edited is merged. If this
    /// device had erased items the newer document still holds, it erases them and rebuilds
    /// again (a lineage above theirs). Returns false, changing nothing, when `theirs` is not
    /// newer than ours.
    pub fn adopt_private(
        &mut self,
        theirs: &[u8],
        agreed: &[ChangeHash],
        now: crate::Timestamp,
    ) -> Result<bool, CoreError> {
        self.commit(now);
        let mut new = crate::model::load_private(theirs)?;
        let ours = self.doc_mut(DocKind::Private);
        if lineage(&new) <= lineage(ours) {
            return Ok(false);
        }
        let their_erased = erased_of(&new);
        let mut base: Vec<ChangeHash> = agreed
            .iter()
            .chain(base_of(&new).iter())
            .filter(|h| ours.get_change_by_hash(h).is_some())
            .copied()
            .collect();
        base.sort();
        base.dedup();
        let mine_now = item_maps(&hydrate_root(ours, None)?);
        // Without a common point nothing is known to be ours alone: only items the newer
        // document lacks and never erased are replayed.
        let mine_base = if base.is_empty() {
            BTreeMap::new()
        } else {
            item_maps(&hydrate_root(ours, Some(&base))?)
        };
        let mut my_erased = erased_of(ours);
        my_erased.extend(deleted_items(ours));
        new.set_author(Some(crate::model::author_of(self.me())));
        new.set_actor(ActorId::random());
        let empty = HMap::default();
        for (map, now_items) in &mine_now {
            let base_items = mine_base.get(map).unwrap_or(&empty);
            let Some((automerge::Value::Object(ObjType::Map), target)) =
                new.get(ROOT, map.as_str())?
            else {
                continue;
            };
            let keys: BTreeSet<&String> = now_items.keys().chain(base_items.keys()).collect();
            for key in keys {
                let cur = now_items.get(key);
                let was = base_items.get(key);
                if cur == was || their_erased.contains(&format!("{map}/{key}")) {
                    continue;
                }
                let there = match new.get(&target, key.as_str())? {
                    // A plain value there (a profile name, a reminder time): ours, like any
                    // other value both sides changed.
                    Some((automerge::Value::Scalar(_), _)) => {
                        if let Some(c) = cur {
                            put_value(&mut new, &target, key, c)?;
                        }
                        continue;
                    }
                    there => there.map(|(_, id)| id),
                };
                match (was, cur, there) {
                    // Deleted here: our own erasure, handled below.
                    (_, None, _) => {}
                    // Created here.
                    (None, Some(c), None) => put_value(&mut new, &target, key, c)?,
                    // Deleted (erased) on the newer side: our edits to it are dropped.
                    (Some(_), Some(_), None) => {}
                    (was, Some(c), Some(obj)) => {
                        let theirs_now = new.hydrate(&obj, None)?;
                        let guessed;
                        let was = match was {
                            Some(w) => w,
                            None => {
                                guessed = guess_common(c, &theirs_now);
                                &guessed
                            }
                        };
                        merge_item(&mut new, &target, key, &obj, was, c, &theirs_now)?;
                    }
                }
            }
        }
        new.commit_with(CommitOptions::default().with_time(now));
        // What this device erased and the newer document still holds goes too, by another
        // rebuild above both lineages.
        let mut still: BTreeSet<String> = BTreeSet::new();
        for path in my_erased.difference(&their_erased) {
            if let Some((map, item)) = path.split_once('/')
                && let Some((_, m)) = new.get(ROOT, map)?
                && new.get(&m, item)?.is_some()
            {
                new.delete(&m, item)?;
                still.insert(path.clone());
            }
        }
        if still.is_empty() {
            self.replace_private(new);
        } else {
            new.commit_with(CommitOptions::default().with_time(now));
            let mut erased = their_erased;
            erased.extend(my_erased);
            erased.extend(deleted_items(&mut new));
            let epoch = epoch_of(&new) + 1;
            let base = new.get_heads();
            let root = hydrate_root(&new, None)?;
            let mut fresh = fresh_private()?;
            self.fill_rebuilt(&mut fresh, &root, epoch, &erased, &base, now)?;
            self.replace_private(fresh);
        }
        Ok(true)
    }
}

/// Replays one item's changes since `was` (ours now `cur`) onto the newer document's `obj`
/// (now `theirs`): fields only we changed take our value, fields both changed merge (texts)
/// or take ours (other values).
fn merge_item(
    doc: &mut AutoCommit,
    parent: &automerge::ObjId,
    key: &str,
    obj: &automerge::ObjId,
    was: &HValue,
    cur: &HValue,
    theirs: &HValue,
) -> Result<(), CoreError> {
    if theirs == was {
        // Untouched there: ours as a whole (texts by diff, so the object stays).
        return match doc.update_object(obj, cur) {
            Ok(()) => Ok(()),
            Err(_) => put_value(doc, parent, key, cur),
        };
    }
    let (HValue::Map(was), HValue::Map(cur), HValue::Map(theirs)) = (was, cur, theirs) else {
        return match (cur, theirs) {
            (HValue::Text(c), HValue::Text(t)) => {
                let merged = merge_text(
                    &text_of(Some(was)).unwrap_or_default(),
                    &c.to_string(),
                    &t.to_string(),
                )?;
                doc.update_text(obj, merged)?;
                Ok(())
            }
            _ => put_value(doc, parent, key, cur),
        };
    };
    let fields: BTreeSet<&String> = cur.keys().chain(was.keys()).collect();
    for f in fields {
        let (w, c, t) = (was.get(f), cur.get(f), theirs.get(f));
        if w == c || c == t {
            continue;
        }
        match c {
            None => {
                if t == w {
                    doc.delete(obj, f.as_str())?;
                }
            }
            Some(c) => match (w, t, doc.get(obj, f.as_str())?) {
                (Some(HValue::Text(w)), Some(HValue::Text(t)), Some((_, field)))
                    if matches!(c, HValue::Text(_)) =>
                {
                    let merged = merge_text(
                        &w.to_string(),
                        &text_of(Some(c)).unwrap_or_default(),
                        &t.to_string(),
                    )?;
                    doc.update_text(&field, merged)?;
                }
                _ => put_value(doc, obj, f, c)?,
            },
        }
    }
    Ok(())
}
