//! What every capability's `apply` shares: the documents it may change and the checks on input.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};

use crate::command::Command;
use crate::ids::{ItemId, PartnerId, parse_date};
use crate::model::CoreError;
use crate::read::Rd;
use crate::schema::{ITEM_VERSION, MAX_TEXT_CHARS};

/// The two documents as one command may change them, and who is writing. Holding only these
/// (not the `Model`) keeps commit and rollback out of the capabilities' reach.
pub(crate) struct WriteDocs<'a> {
    pub couple: &'a mut AutoCommit,
    pub private: &'a mut AutoCommit,
    pub me: &'a PartnerId,
    /// This device's key, when the model was handed one (the service always does): what a
    /// device writes that the partner must not be able to guess is derived from it.
    pub signer: Option<&'a dyn crate::authorship::Signer>,
}

impl WriteDocs<'_> {
    /// An item of the couple document that the local partner wrote (only its author may change it).
    pub fn own_item(
        &self,
        map: &str,
        id: &ItemId,
        what: &'static str,
        author_key: &str,
    ) -> Result<ObjId, CoreError> {
        let (obj, mine) = self.authored_item(map, id, what, author_key)?;
        if !mine {
            return Err(invalid(format!(
                "only the person who wrote this {what} can change it"
            )));
        }
        Ok(obj)
    }

    /// An item the other partner wrote (acknowledging one's own would mean nothing).
    pub fn partners_item(
        &self,
        map: &str,
        id: &ItemId,
        what: &'static str,
        author_key: &str,
    ) -> Result<ObjId, CoreError> {
        let (obj, mine) = self.authored_item(map, id, what, author_key)?;
        if mine {
            return Err(invalid(format!(
                "a {what} is acknowledged by the other partner, not by its author"
            )));
        }
        Ok(obj)
    }

    /// An existing couple item, and whether the local partner is its author.
    fn authored_item(
        &self,
        map: &str,
        id: &ItemId,
        what: &'static str,
        author_key: &str,
    ) -> Result<(ObjId, bool), CoreError> {
        let obj = item(self.couple, map, id, what)?;
        let rd = Rd {
            doc: self.couple,
            obj: obj.clone(),
            place: format!("{map}/{id}"),
        };
        let mine = rd.str(author_key)? == self.me.0;
        Ok((obj, mine))
    }
}

pub(crate) fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

pub(crate) fn not_found(what: &'static str, id: &ItemId) -> CoreError {
    CoreError::NotFound {
        what,
        id: id.0.clone(),
    }
}

/// A command the dispatcher sent to the wrong capability: a bug in this crate, refused rather
/// than panicking in the vault's worker.
pub(crate) fn misrouted(cmd: &Command, capability: &str) -> CoreError {
    invalid(format!(
        "{capability} cannot apply {cmd:?} (a bug in Kintsugi; nothing was changed)"
    ))
}

/// A top-level map of a document (created at genesis).
pub(crate) fn top(doc: &AutoCommit, key: &str) -> Result<ObjId, CoreError> {
    Ok(Rd::root_map(doc, key)?.obj)
}

/// An existing item of a top-level map.
pub(crate) fn item(
    doc: &AutoCommit,
    map: &str,
    id: &ItemId,
    what: &'static str,
) -> Result<ObjId, CoreError> {
    let root = Rd::root_map(doc, map)?;
    match doc.get(&root.obj, id.0.as_str())? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        Some(_) => Err(crate::read::ItemError::new(
            format!("{map}/{id}"),
            "has the wrong type (expected a map)",
        )
        .into()),
        None => Err(not_found(what, id)),
    }
}

/// A fresh item map under a random key, stamped with the schema version.
pub(crate) fn new_item(
    doc: &mut AutoCommit,
    parent: &ObjId,
    id: &ItemId,
) -> Result<ObjId, CoreError> {
    if doc.get(parent, id.0.as_str())?.is_some() {
        return Err(invalid(format!("an item with id {id} already exists")));
    }
    let obj = doc.put_object(parent, id.0.as_str(), ObjType::Map)?;
    doc.put(&obj, "v", ITEM_VERSION)?;
    Ok(obj)
}

/// The map at `key`, created if absent. Only for keys a single partner writes.
pub(crate) fn ensure_map(
    doc: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
) -> Result<ObjId, CoreError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Ok(doc.put_object(parent, key, ObjType::Map)?),
    }
}

/// The Text object at `key`; an entry from a buggy peer that holds a plain string is upgraded.
pub(crate) fn text_obj(
    doc: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
) -> Result<ObjId, CoreError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Text), obj)) => Ok(obj),
        Some((Value::Scalar(s), _)) if s.as_str().is_some() => {
            let old = s.as_str().unwrap_or_default().to_owned();
            let obj = doc.put_object(parent, key, ObjType::Text)?;
            doc.splice_text(&obj, 0, 0, &old)?;
            Ok(obj)
        }
        None => Ok(doc.put_object(parent, key, ObjType::Text)?),
        Some(_) => Err(invalid(format!(
            "the field '{key}' is not text and cannot be edited"
        ))),
    }
}

pub(crate) fn splice_checked(
    doc: &mut AutoCommit,
    text: &ObjId,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), CoreError> {
    let len = doc.length(text);
    if pos > len || delete > len - pos {
        return Err(invalid(format!(
            "edit at {pos}+{delete} is outside the text ({len} characters)"
        )));
    }
    if len - delete + insert.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "the text would be longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    doc.splice_text(text, pos, delete as isize, insert)?;
    Ok(())
}

pub(crate) fn put_opt_str(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    v: Option<&str>,
) -> Result<(), CoreError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => doc.put(obj, key, s)?,
        None => doc.put(obj, key, automerge::ScalarValue::Null)?,
    }
    Ok(())
}

pub(crate) fn put_opt_u8(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    v: Option<u8>,
) -> Result<(), CoreError> {
    match v {
        Some(n) => doc.put(obj, key, n as i64)?,
        None => doc.put(obj, key, automerge::ScalarValue::Null)?,
    }
    Ok(())
}

pub(crate) fn short_text(s: &str, what: &str) -> Result<String, CoreError> {
    let t = s.trim();
    nonempty(t, what)?;
    if t.chars().count() > 500 {
        return Err(invalid(format!("{what} is longer than 500 characters")));
    }
    Ok(t.to_owned())
}

pub(crate) fn nonempty(s: &str, what: &str) -> Result<(), CoreError> {
    if s.trim().is_empty() {
        Err(invalid(format!("{what} is empty")))
    } else {
        Ok(())
    }
}

pub(crate) fn long_text(s: &str, what: &str) -> Result<(), CoreError> {
    if s.chars().count() > MAX_TEXT_CHARS {
        Err(invalid(format!(
            "{what} is longer than {MAX_TEXT_CHARS} characters"
        )))
    } else {
        Ok(())
    }
}

pub(crate) fn date_text(s: &str) -> Result<String, CoreError> {
    parse_date(s)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| invalid(format!("'{s}' is not a date like 2026-11-24")))
}
