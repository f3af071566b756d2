//! The history of one shared text (an agreement section or the reassurance plan): who changed it in which edit sessions, the wording at any moment, and restoring an earlier wording as a new edit.
//!
//! Everything here is read from automerge's own change history, never from a log we keep: an
//! overwrite by a buggy or hostile device shows up (and can be undone) like any edit.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde::Serialize;

use crate::authorship::Authorship;
use crate::features::agreement::AGREEMENT;
use crate::features::triggers::PLAN;
use crate::ids::{PartnerId, Timestamp};
use crate::model::CoreError;
use crate::write::invalid;

/// The message of the change a restore writes (`Command::RestoreText`).
pub(crate) const RESTORE_MESSAGE: &str = "kintsugi: restore";

/// Edits by one partner closer together than this are one session.
pub const SESSION_GAP_MS: Timestamp = 10 * 60 * 1000;

/// Which shared text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum TextTarget {
    /// An agreement section, by its id.
    Section(String),
    /// The reassurance plan both partners write.
    Plan,
}

/// One partner's run of edits to the text, with what it added and took away.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EditSession {
    /// None when no change of the session said who wrote it (an old or foreign device).
    pub by: Option<PartnerId>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub changes: usize,
    /// A restore of an earlier wording (always a session of its own).
    pub restore: bool,
    /// Text the session typed and did not itself delete again; separate places joined by " … ".
    pub inserted: String,
    /// Text that stood before the session and that it deleted.
    pub removed: String,
    pub inserted_chars: usize,
    pub removed_chars: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextHistory {
    pub target: TextTarget,
    /// Oldest first, by when each session ended.
    pub sessions: Vec<EditSession>,
}

/// Separates text typed or deleted in different places of one session.
const GAP: &str = " … ";

impl TextTarget {
    /// The Text object as the document holds it now.
    pub(crate) fn obj<D: ReadDoc>(&self, doc: &D) -> Result<ObjId, CoreError> {
        let text = match self {
            TextTarget::Plan => doc.get(automerge::ROOT, PLAN)?,
            TextTarget::Section(id) => match doc.get(automerge::ROOT, AGREEMENT)? {
                Some((Value::Object(ObjType::Map), agreement)) => {
                    match doc.get(&agreement, id.as_str())? {
                        Some((Value::Object(ObjType::Map), s)) => doc.get(&s, "body")?,
                        _ => return Err(invalid(format!("there is no agreement section '{id}'"))),
                    }
                }
                _ => None,
            },
        };
        match text {
            Some((Value::Object(ObjType::Text), obj)) => Ok(obj),
            _ => Err(invalid(match self {
                TextTarget::Plan => "the reassurance plan has no text yet".to_owned(),
                TextTarget::Section(id) => format!("agreement section '{id}' has no text"),
            })),
        }
    }
}

/// An element of the text: its op counter and its actor's number in [`Actors`]. Small and
/// copied, where automerge's own `OpId` would clone its actor for every op of ten years.
type El = (u64, u32);

/// Numbers the actors met while reading.
#[derive(Default)]
struct Actors(HashMap<automerge::ActorId, u32>);

impl Actors {
    fn number(&mut self, actor: &automerge::ActorId) -> u32 {
        if let Some(&n) = self.0.get(actor) {
            return n;
        }
        let n = self.0.len() as u32;
        self.0.insert(actor.clone(), n);
        n
    }

    fn el(&mut self, id: &OpId) -> El {
        (id.0, self.number(&id.1))
    }

    /// The element an insertion was typed after; None at the start of the text.
    fn anchor(&mut self, after: &ElementId) -> Option<El> {
        match after {
            ElementId::Head => None,
            ElementId::Id(id) => Some(self.el(id)),
        }
    }
}

/// What one change did to the text.
struct TextChange {
    ts: Timestamp,
    seq: u64,
    restore: bool,
    by: Option<String>,
    /// Inserted elements: (element, the element it was typed after, its text).
    inserts: Vec<(El, Option<El>, String)>,
    deletes: Vec<El>,
}

/// Lists the edit sessions of the text, oldest first. Reads every change of the document once
/// (the cost grows with the whole history, so callers run it off the UI thread).
pub fn text_history(doc: &Automerge, target: &TextTarget) -> Result<TextHistory, CoreError> {
    text_history_verified(doc, target, &Authorship::default())
}

/// [`text_history`] with each session's author taken from who verifiably wrote its changes
/// (`View::authorship`): a change's own `edited_by` or automerge author counts only for
/// changes written before verification began.
pub fn text_history_verified(
    doc: &Automerge,
    target: &TextTarget,
    authors: &Authorship,
) -> Result<TextHistory, CoreError> {
    let obj = target.obj(doc)?;
    let wanted = match &obj {
        ObjId::Id(counter, actor, _) => OpId(*counter, actor.clone()),
        ObjId::Root => return Err(invalid("the root is not a text")),
    };
    // Every element ever typed: its text and the element it was typed after.
    let mut chars: HashMap<El, (String, Option<El>)> = HashMap::new();
    let mut actors = Actors::default();
    // Devices get a fresh actor per open; an actor that wrote "by" or "edited_by" anywhere
    // tells whose device it was, which names sessions of texts that do not record an author.
    let mut actor_partner: HashMap<automerge::ActorId, String> = HashMap::new();
    let mut touching: Vec<(automerge::ActorId, TextChange)> = Vec::new();
    for change in doc.get_changes(&[]) {
        let expanded = change.decode();
        let actor = expanded.actor_id.clone();
        let me = actors.number(&actor);
        let start = expanded.start_op.get();
        let mut tc = TextChange {
            ts: expanded.time,
            seq: expanded.seq,
            restore: expanded.message.as_deref() == Some(RESTORE_MESSAGE),
            by: None,
            inserts: Vec::new(),
            deletes: Vec::new(),
        };
        for (i, op) in expanded.operations.iter().enumerate() {
            if let (Key::Map(k), OpType::Put(ScalarValue::Str(p))) = (&op.key, &op.action)
                && (k == "edited_by" || k == "by")
            {
                actor_partner
                    .entry(actor.clone())
                    .or_insert_with(|| p.to_string());
                if k == "edited_by" {
                    tc.by = Some(p.to_string());
                }
            }
            if !is_obj(&op.obj, &wanted) {
                continue;
            }
            match (&op.action, &op.key) {
                (OpType::Put(v), Key::Seq(after)) if op.insert => {
                    let s = match v {
                        ScalarValue::Str(s) => s.to_string(),
                        _ => String::new(),
                    };
                    let id = (start + i as u64, me);
                    let after = actors.anchor(after);
                    chars.insert(id, (s.clone(), after));
                    tc.inserts.push((id, after, s));
                }
                (OpType::Delete, Key::Seq(ElementId::Id(gone))) => {
                    tc.deletes.push(actors.el(gone));
                }
                _ => {}
            }
        }
        if !tc.inserts.is_empty() || !tc.deletes.is_empty() {
            touching.push((actor, tc));
        }
    }
    // Causal order first (how `get_changes` lists them), then by time, so a skewed clock moves a
    // change only among its concurrent peers.
    let mut order: Vec<usize> = (0..touching.len()).collect();
    order.sort_by_key(|&i| (touching[i].1.ts, i));

    let mut sessions: Vec<Building> = Vec::new();
    let mut open: HashMap<Option<String>, usize> = HashMap::new();
    for i in order {
        let (actor, tc) = &touching[i];
        // automerge records the author once per actor (on its first change).
        let named = tc
            .by
            .clone()
            .or_else(|| {
                doc.get_author_for_actor(actor)
                    .and_then(|a| std::str::from_utf8(a.as_bytes()).ok().map(str::to_owned))
            })
            .or_else(|| actor_partner.get(actor).cloned());
        let by = authors.change_author(actor, tc.seq, named);
        let idx = match open.get(&by) {
            Some(&s)
                if !tc.restore
                    && !sessions[s].restore
                    && tc.ts - sessions[s].to <= SESSION_GAP_MS =>
            {
                s
            }
            _ => {
                let mut b = Building::new(by.clone(), tc.ts);
                b.restore = tc.restore;
                sessions.push(b);
                open.insert(by, sessions.len() - 1);
                sessions.len() - 1
            }
        };
        sessions[idx].add(tc);
    }
    let mut sessions: Vec<EditSession> = sessions.into_iter().map(|b| b.finish(&chars)).collect();
    // By when each ended: the wording after the last one is the wording now, even where one
    // partner's session spans the other's.
    sessions.sort_by_key(|s| (s.to, s.from));
    Ok(TextHistory {
        target: target.clone(),
        sessions,
    })
}

fn is_obj(obj: &ObjectId, wanted: &OpId) -> bool {
    matches!(obj, ObjectId::Id(id) if id == wanted)
}

struct Building {
    by: Option<String>,
    restore: bool,
    from: Timestamp,
    to: Timestamp,
    changes: usize,
    inserts: Vec<(El, Option<El>, String)>,
    deletes: Vec<El>,
}

impl Building {
    fn new(by: Option<String>, ts: Timestamp) -> Self {
        Building {
            by,
            restore: false,
            from: ts,
            to: ts,
            changes: 0,
            inserts: Vec::new(),
            deletes: Vec::new(),
        }
    }

    fn add(&mut self, tc: &TextChange) {
        self.to = self.to.max(tc.ts);
        self.from = self.from.min(tc.ts);
        self.changes += 1;
        self.inserts.extend(tc.inserts.iter().cloned());
        self.deletes.extend(tc.deletes.iter().cloned());
    }

    fn finish(self, chars: &HashMap<El, (String, Option<El>)>) -> EditSession {
        let deleted: HashSet<El> = self.deletes.iter().copied().collect();
        let mine: HashSet<El> = self.inserts.iter().map(|(id, _, _)| *id).collect();
        // Kept insertions in typing order; a new run starts where one was not typed right
        // after the previous character.
        let mut inserted = String::new();
        let mut inserted_chars = 0;
        let mut prev: Option<El> = None;
        for (id, after, s) in &self.inserts {
            if deleted.contains(id) {
                continue;
            }
            let follows = after.is_some() && *after == prev;
            if !inserted.is_empty() && !follows {
                inserted.push_str(GAP);
            }
            inserted.push_str(s);
            inserted_chars += s.chars().count();
            prev = Some(*id);
        }
        // Deleted text that stood before the session, in the order it was once typed.
        let mut gone: Vec<El> = self
            .deletes
            .iter()
            .copied()
            .filter(|d| !mine.contains(d))
            .collect();
        gone.sort_unstable();
        gone.dedup();
        let mut removed = String::new();
        let mut removed_chars = 0;
        let mut last: Option<El> = None;
        for id in gone {
            let Some((s, after)) = chars.get(&id) else {
                continue;
            };
            let adjacent = after.is_some() && *after == last;
            if !removed.is_empty() && !adjacent {
                removed.push_str(GAP);
            }
            removed.push_str(s);
            removed_chars += s.chars().count();
            last = Some(id);
        }
        EditSession {
            by: self.by.map(PartnerId),
            from: self.from,
            to: self.to,
            changes: self.changes,
            restore: self.restore,
            inserted,
            removed,
            inserted_chars,
            removed_chars,
        }
    }
}

/// The document's heads as they stood at `at`: every change made at or before then.
pub(crate) fn heads_at(metas: &[automerge::ChangeMetadata<'_>], at: Timestamp) -> Vec<ChangeHash> {
    let included: BTreeMap<ChangeHash, &[ChangeHash]> = metas
        .iter()
        .filter(|m| m.timestamp <= at)
        .map(|m| (m.hash, m.deps.as_slice()))
        .collect();
    let covered: HashSet<&ChangeHash> = included.values().flat_map(|d| d.iter()).collect();
    included
        .keys()
        .filter(|h| !covered.contains(h))
        .copied()
        .collect()
}

/// The wording as it stood at `at` (ms since the epoch); empty before the text existed.
pub fn wording_at(
    doc: &Automerge,
    target: &TextTarget,
    at: Timestamp,
) -> Result<String, CoreError> {
    let obj = target.obj(doc)?;
    let heads = heads_at(&doc.get_changes_meta(&[]), at);
    Ok(text_at_heads(doc, &obj, &heads))
}

/// The wording right after a session.
pub fn wording_after(
    doc: &Automerge,
    target: &TextTarget,
    session: &EditSession,
) -> Result<String, CoreError> {
    wording_at(doc, target, session.to)
}

/// The text at `heads`, or empty if the object did not exist then.
pub(crate) fn text_at_heads<D: ReadDoc>(doc: &D, obj: &ObjId, heads: &[ChangeHash]) -> String {
    if heads.is_empty() {
        return String::new();
    }
    doc.text_at(obj, heads).unwrap_or_default()
}
