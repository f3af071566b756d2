//! Defensive reading of document items: a wrong type, an oversized value or a newer item version
//! becomes an [`ItemError`] for that one item, never a panic and never a failed screen.

use std::any::Any;
use std::collections::HashMap;

use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use crate::authorship::Writers;
use crate::ids::PartnerId;
use crate::model::DocKind;
use crate::refresh::{CachedMap, ItemCache};
use crate::schema::{ITEM_VERSION, MAX_TEXT_CHARS};

/// The two documents as the view reads them, and whose view it is.
pub(crate) struct ReadDocs<'a> {
    pub couple: &'a AutoCommit,
    pub private: &'a AutoCommit,
    pub me: &'a PartnerId,
    /// The time this device last gave the model (a command, a commit or a reveal pass), for
    /// the checks that need today's date; None before any.
    pub now: Option<crate::ids::Timestamp>,
    /// The previous read's items, for [`collect_cached`]; None reads everything.
    pub cache: Option<&'a ItemCache>,
    /// Who verifiably wrote what: every author read goes through it.
    pub writers: &'a Writers,
}

/// One item that could not be read, and why, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{place}: {problem}")]
pub struct ItemError {
    /// Where in the document, e.g. `journal/3f2a…`.
    pub place: String,
    pub problem: String,
    /// Not damaged: written by a newer Kintsugi on another device. Kept untouched, and shown as
    /// "update to see this" rather than as an error.
    pub newer: bool,
}

impl ItemError {
    pub(crate) fn new(place: impl Into<String>, problem: impl Into<String>) -> Self {
        ItemError {
            place: place.into(),
            problem: problem.into(),
            newer: false,
        }
    }

    pub(crate) fn newer(place: impl Into<String>, problem: impl Into<String>) -> Self {
        ItemError {
            newer: true,
            ..ItemError::new(place, problem)
        }
    }
}

/// A map object in a document, with its path for error messages.
pub(crate) struct Rd<'a> {
    pub doc: &'a AutoCommit,
    pub obj: ObjId,
    pub place: String,
}

impl<'a> Rd<'a> {
    pub fn root_map(doc: &'a AutoCommit, key: &str) -> Result<Rd<'a>, ItemError> {
        Rd {
            doc,
            obj: automerge::ROOT,
            place: String::new(),
        }
        .map(key)
    }

    fn err(&self, key: &str, problem: impl Into<String>) -> ItemError {
        let place = if self.place.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{}", self.place, key)
        };
        ItemError::new(place, problem)
    }

    fn get(&self, key: &str) -> Result<Option<(Value<'a>, ObjId)>, ItemError> {
        self.doc
            .get(&self.obj, key)
            .map_err(|e| self.err(key, format!("cannot be read ({e})")))
    }

    /// A nested map.
    pub fn map(&self, key: &str) -> Result<Rd<'a>, ItemError> {
        match self.get(key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(Rd {
                doc: self.doc,
                obj: id,
                place: if self.place.is_empty() {
                    key.to_owned()
                } else {
                    format!("{}/{}", self.place, key)
                },
            }),
            Some(_) => Err(self.err(key, "has the wrong type (expected a map)")),
            None => Err(self.err(key, "is missing")),
        }
    }

    pub fn keys(&self) -> Vec<String> {
        self.doc.keys(&self.obj).collect()
    }

    /// Every entry of this map read as a map item, with per-item errors.
    pub fn items(&self) -> impl Iterator<Item = (String, Result<Rd<'a>, ItemError>)> + '_ {
        self.keys().into_iter().map(move |k| {
            let item = self.map(&k).and_then(|m| m.check_version().map(|()| m));
            (k, item)
        })
    }

    /// Items carry `v`; one written by a newer Kintsugi is shown as such instead of misread.
    pub fn check_version(&self) -> Result<(), ItemError> {
        match self.opt_u64("v")? {
            Some(v) if v > ITEM_VERSION => Err(ItemError::newer(
                self.place.clone(),
                format!(
                    "was written by a newer version of Kintsugi on another device (item version {v}, this one reads {ITEM_VERSION}); update Kintsugi to see this"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A string stored as a scalar or as a Text object.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, ItemError> {
        match self.get(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_str() {
                Some(v) if v.chars().count() <= MAX_TEXT_CHARS => Ok(Some(v.to_owned())),
                Some(_) => Err(self.err(key, too_long())),
                None => Err(self.err(key, "has the wrong type (expected text)")),
            },
            Some((Value::Object(ObjType::Text), id)) => {
                if self.doc.length(&id) > MAX_TEXT_CHARS {
                    return Err(self.err(key, too_long()));
                }
                self.doc
                    .text(&id)
                    .map(Some)
                    .map_err(|e| self.err(key, format!("cannot be read ({e})")))
            }
            Some(_) => Err(self.err(key, "has the wrong type (expected text)")),
        }
    }

    pub fn str(&self, key: &str) -> Result<String, ItemError> {
        self.opt_str(key)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    /// A text field that may be absent (reads as empty).
    pub fn str_or_empty(&self, key: &str) -> Result<String, ItemError> {
        Ok(self.opt_str(key)?.unwrap_or_default())
    }

    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, ItemError> {
        match self.get(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some((v @ Value::Scalar(_), _)) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err(key, "has the wrong type (expected a number)")),
            Some(_) => Err(self.err(key, "has the wrong type (expected a number)")),
        }
    }

    pub fn i64(&self, key: &str) -> Result<i64, ItemError> {
        self.opt_i64(key)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, ItemError> {
        match self.opt_i64(key)? {
            Some(v) if v < 0 => Err(self.err(key, "is negative")),
            other => Ok(other.map(|v| v as u64)),
        }
    }

    /// A score on a 1..=5 (or other small) scale.
    pub fn scale(&self, key: &str, max: u8) -> Result<u8, ItemError> {
        match self.i64(key)? {
            v if (1..=max as i64).contains(&v) => Ok(v as u8),
            v => Err(self.err(key, format!("is {v}, outside 1 to {max}"))),
        }
    }

    pub fn opt_scale(&self, key: &str, max: u8) -> Result<Option<u8>, ItemError> {
        match self.opt_i64(key)? {
            None => Ok(None),
            Some(_) => self.scale(key, max).map(Some),
        }
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ItemError> {
        match self.get(key)? {
            None => Ok(default),
            Some((v @ Value::Scalar(_), _)) => v
                .as_bool()
                .ok_or_else(|| self.err(key, "has the wrong type (expected yes/no)")),
            Some(_) => Err(self.err(key, "has the wrong type (expected yes/no)")),
        }
    }

    /// A list of short strings (tags).
    pub fn strings(&self, key: &str) -> Result<Vec<String>, ItemError> {
        match self.get(key)? {
            None => Ok(Vec::new()),
            Some((Value::Object(ObjType::List), id)) => {
                let n = self.doc.length(&id);
                if n > 1_000 {
                    return Err(self.err(key, format!("has {n} entries, more than 1000")));
                }
                (0..n)
                    .map(|i| match self.doc.get(&id, i) {
                        Ok(Some((v @ Value::Scalar(_), _))) => v
                            .as_str()
                            .filter(|s| s.chars().count() <= 200)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                self.err(key, "holds something that is not a short text")
                            }),
                        _ => Err(self.err(key, "holds something that is not a short text")),
                    })
                    .collect()
            }
            Some(_) => Err(self.err(key, "has the wrong type (expected a list)")),
        }
    }

    /// The member named at `key` as its author, if the op that wrote it was verifiably
    /// written by that member; else [`crate::authorship::UNVERIFIED`].
    pub fn author(&self, key: &str, w: &Writers) -> Result<PartnerId, ItemError> {
        self.opt_author(key, w)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    pub fn opt_author(&self, key: &str, w: &Writers) -> Result<Option<PartnerId>, ItemError> {
        let Some(claimed) = self.opt_str(key)? else {
            return Ok(None);
        };
        Ok(Some(self.author_of_field(key, &claimed, w)?))
    }

    /// `claimed` (a key naming its member, like an affirmation's) as the author, if the op that
    /// wrote this item's `key` was verifiably written by that member.
    pub fn author_of_field(
        &self,
        key: &str,
        claimed: &str,
        w: &Writers,
    ) -> Result<PartnerId, ItemError> {
        match self.get(key)? {
            Some((_, id)) => Ok(w.author(self.doc, claimed, &id)),
            None => Err(self.err(key, "is missing")),
        }
    }

    pub fn place(&self) -> &str {
        &self.place
    }
}

fn too_long() -> String {
    format!("is longer than {MAX_TEXT_CHARS} characters and was not loaded")
}

/// Every item of a top-level map; an item that cannot be read becomes one error, the rest are read.
pub(crate) fn collect<T>(
    doc: &AutoCommit,
    map: &str,
    errors: &mut Vec<ItemError>,
    read: impl Fn(&str, &Rd<'_>) -> Result<T, ItemError>,
) -> Vec<T> {
    let root = match Rd::root_map(doc, map) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (key, item) in root.items() {
        match item.and_then(|rd| read(&key, &rd)) {
            Ok(v) => out.push(v),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// [`collect`] over a large map of `r`'s `kind` document, reusing the previous read's result
/// for every item the changes since did not touch (`refresh.rs`). Only for readers whose
/// result depends on nothing but the item itself.
pub(crate) fn collect_cached<T: Clone + Send + 'static>(
    r: &ReadDocs<'_>,
    kind: DocKind,
    map: &'static str,
    errors: &mut Vec<ItemError>,
    read: impl Fn(&str, &Rd<'_>) -> Result<T, ItemError>,
) -> Vec<T> {
    let doc = match kind {
        DocKind::Couple => r.couple,
        DocKind::Private => r.private,
    };
    let Some(cache) = r.cache else {
        return collect(doc, map, errors, read);
    };
    let mut maps = cache.maps.borrow_mut();
    let dirty = cache.dirty.borrow();
    let before = maps.remove(&(kind, map));
    // Nothing under this map changed: the previous result as it was, without a lookup.
    if let Some(b) = &before
        && !dirty.map_is_dirty(kind, map)
        && !dirty.any_item_in(kind, map)
        && let Some(whole) = b.whole.downcast_ref::<(Vec<T>, Vec<ItemError>)>()
    {
        let (out, errs) = whole.clone();
        errors.extend(errs);
        maps.insert((kind, map), before.expect("checked above"));
        return out;
    }
    let mut before = match before {
        Some(b) if !dirty.map_is_dirty(kind, map) => b.items,
        _ => HashMap::new(),
    };
    let root = match Rd::root_map(doc, map) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut now: HashMap<String, Box<dyn Any + Send>> = HashMap::new();
    for key in root.keys() {
        let kept = if dirty.item_is_dirty(kind, map, &key) {
            None
        } else {
            before
                .remove(&key)
                .and_then(|b| b.downcast::<Result<T, ItemError>>().ok())
        };
        let result = match kept {
            Some(b) => *b,
            None => root
                .map(&key)
                .and_then(|m| m.check_version().map(|()| m))
                .and_then(|rd| read(&key, &rd)),
        };
        match &result {
            Ok(v) => out.push(v.clone()),
            Err(e) => errs.push(e.clone()),
        }
        now.insert(key, Box::new(result));
    }
    errors.extend(errs.iter().cloned());
    let whole: Box<dyn Any + Send> = Box::new((out.clone(), errs));
    maps.insert((kind, map), CachedMap { items: now, whole });
    out
}
