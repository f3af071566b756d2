//! The shape of both documents, their deterministic genesis, and the limits on what is read.
//!
//! Both documents start from a *genesis* change written with a fixed actor and time, so every
//! device creates byte-identical top-level containers. Two devices that set up apart and later
//! pair therefore share the same `agreement`, `journal`, … objects and merge item by item; were
//! each to create its own, automerge would keep one container and hide the other's contents.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};

/// The `schema` value the genesis change writes. Frozen: genesis is the identity of every store,
/// and changing one byte of it would make every existing store refuse to open.
pub const GENESIS_SCHEMA: u64 = 1;

/// The document `schema` this build writes and fully understands: genesis, advanced by each
/// migration in [`crate::migrate`]. A document with a higher one came from a newer Kintsugi.
pub const SCHEMA_VERSION: u64 = crate::migrate::latest_schema(crate::migrate::MIGRATIONS);

/// The shape of one item (a journal entry, a check-in…), stamped on each as `v`. Raised only when
/// an existing kind of item changes incompatibly, not when a migration adds containers: an older
/// device then still reads every item it knows and marks only the newer ones.
pub const ITEM_VERSION: u64 = 1;

/// Longest text (in characters) accepted in one field, from the UI or from a peer. A journal
/// entry of this size is a short book; anything larger is a bug or hostile, and is shown as an
/// unreadable item instead of being loaded into the window.
pub const MAX_TEXT_CHARS: usize = 200_000;

pub(crate) const COUPLE_KIND: &str = "kintsugi/couple";
pub(crate) const PRIVATE_KIND: &str = "kintsugi/private";

/// Top-level maps of the couple document. `devices` is unused (it once mapped actors to
/// partners; actors are now fresh per open) and stays only because changing this list changes
/// the genesis change every device must share.
pub(crate) const COUPLE_MAPS: &[&str] = &[
    "members",
    "devices",
    "agreement",
    "affirmations",
    "daily_checkins",
    "weekly_checkins",
    "commitments",
    "disclosures",
    "triggers",
    "questions",
    "wins",
    "rituals",
    "apologies",
    "therapy_topics",
    "shared_entries",
    "reassurance",
];

/// Top-level maps of the private document.
pub(crate) const PRIVATE_MAPS: &[&str] = &["profile", "journal", "apology_drafts", "self_care"];

/// One of the agreement's standard sections, with starter wording a couple can adopt.
#[derive(Clone, Copy, Debug)]
pub struct SectionTemplate {
    pub kind: &'static str,
    pub title: &'static str,
    pub starter: &'static str,
}

const TEMPLATES: &[SectionTemplate] = &[
    SectionTemplate {
        kind: "boundaries",
        title: "Boundaries",
        starter: include_str!("../../../assets/templates/boundaries.md"),
    },
    SectionTemplate {
        kind: "transparency",
        title: "Transparency",
        starter: include_str!("../../../assets/templates/transparency.md"),
    },
    SectionTemplate {
        kind: "commitments",
        title: "Commitments",
        starter: include_str!("../../../assets/templates/commitments.md"),
    },
    SectionTemplate {
        kind: "conflict",
        title: "How we handle conflict",
        starter: include_str!("../../../assets/templates/conflict.md"),
    },
    SectionTemplate {
        kind: "therapy",
        title: "Therapy plan",
        starter: include_str!("../../../assets/templates/therapy.md"),
    },
    SectionTemplate {
        kind: "review",
        title: "Review of temporary measures",
        starter: include_str!("../../../assets/templates/review.md"),
    },
];

pub fn section_templates() -> &'static [SectionTemplate] {
    TEMPLATES
}

/// Journal prompts written for this situation, one per line of `assets/prompts.txt`.
pub fn journal_prompts() -> impl Iterator<Item = &'static str> {
    include_str!("../../../assets/prompts.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

fn genesis_doc(kind: &str, maps: &[&str], extra: impl FnOnce(&mut AutoCommit)) -> AutoCommit {
    // Actor 0x00…01 and time 0 make the genesis change identical on every device.
    let mut doc = AutoCommit::new().with_actor(ActorId::from(
        vec![0u8; 15].into_iter().chain([1]).collect::<Vec<u8>>(),
    ));
    doc.put(ROOT, "kind", kind).expect("fresh doc");
    doc.put(ROOT, "schema", GENESIS_SCHEMA).expect("fresh doc");
    for m in maps {
        doc.put_object(ROOT, *m, ObjType::Map).expect("fresh doc");
    }
    extra(&mut doc);
    doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
    doc
}

pub(crate) fn couple_genesis() -> AutoCommit {
    genesis_doc(COUPLE_KIND, COUPLE_MAPS, |doc| {
        let (_, agreement) = doc
            .get(ROOT, "agreement")
            .expect("fresh doc")
            .expect("just created");
        for (order, t) in TEMPLATES.iter().enumerate() {
            let s = doc
                .put_object(&agreement, t.kind, ObjType::Map)
                .expect("fresh doc");
            doc.put(&s, "kind", t.kind).expect("fresh doc");
            doc.put(&s, "title", t.title).expect("fresh doc");
            doc.put(&s, "order", order as i64).expect("fresh doc");
            doc.put_object(&s, "body", ObjType::Text)
                .expect("fresh doc");
        }
    })
}

pub(crate) fn private_genesis() -> AutoCommit {
    genesis_doc(PRIVATE_KIND, PRIVATE_MAPS, |_| {})
}

/// The fixed actors of genesis (`…01`) and of the migrations (`…02`): every device writes
/// their changes alike, so they are nobody's.
pub(crate) fn is_format_actor(actor: &ActorId) -> bool {
    let b = actor.to_bytes();
    b.len() == 16 && b[..15].iter().all(|x| *x == 0)
}
