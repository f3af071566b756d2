//! Kintsugi's domain: the automerge document schema, typed commands and read views; no I/O.
//!
//! Two kinds of document exist. The *couple* document is shared by both partners' devices; the
//! *private* document belongs to one partner and only ever travels between that partner's own
//! devices. [`Model`] holds one of each for the local partner and is the only way the rest of the
//! program changes them.

mod command;
mod export;
mod features;
mod ids;
mod migrate;
mod model;
mod read;
mod schema;
mod text;
mod write;

pub use command::{ApologyFields, Command, DailyAnswers, WeeklyAnswers};
pub use export::{ExportFormat, ExportScope, export};
pub use features::*;
pub use ids::{ItemId, PartnerId, Timestamp, parse_date, week_of, week_of as iso_week};
pub use migrate::format_hashes;
pub use model::{CoreError, DocKind, Model};
pub use read::ItemError;
pub use schema::{
    GENESIS_SCHEMA, ITEM_VERSION, MAX_TEXT_CHARS, SCHEMA_VERSION, SectionTemplate, journal_prompts,
    section_templates,
};
pub use text::{Splice, splice_between};

/// Re-exported so callers name automerge types through the one crate that defines the schema.
pub use automerge;
