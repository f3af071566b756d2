//! Kintsugi's domain: the automerge document schema, typed commands and read views; no I/O.
//!
//! Two kinds of document exist. The *couple* document is shared by both partners' devices; the
//! *private* document belongs to one partner and only ever travels between that partner's own
//! devices. [`Model`] holds one of each for the local partner and is the only way the rest of the
//! program changes them.

pub mod authorship;
mod command;
mod erase;
mod export;
mod features;
mod history;
mod ids;
mod migrate;
mod model;
pub mod progress;
mod read;
mod refresh;
mod schema;
mod text;
mod write;

pub use authorship::{Authorship, DeviceKey, Enrolment, Signer, Trust, UNVERIFIED, Writer};
pub use command::{ApologyFields, Command, DailyAnswers, WeeklyAnswers};
pub use export::{ExportFormat, ExportScope, escape_html, export, export_document};
pub use features::*;
pub use history::{
    EditSession, SESSION_GAP_MS, TextHistory, TextTarget, text_history, text_history_verified,
    wording_after, wording_at,
};
pub use ids::{ItemId, PartnerId, Timestamp, parse_date, week_of, week_of as iso_week};
pub use migrate::format_hashes;
pub use model::{CoreError, DocKind, Model};
pub use progress::{Progress, Range, progress};
pub use read::ItemError;
pub use schema::{
    GENESIS_SCHEMA, ITEM_VERSION, MAX_TEXT_CHARS, SCHEMA_VERSION, SectionTemplate, journal_prompts,
    section_templates,
};
pub use text::{Splice, splice_between, word_splices};

/// Re-exported so callers name automerge types through the one crate that defines the schema.
pub use automerge;
