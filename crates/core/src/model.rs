//! The local partner's two documents and the commands that change them.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, Value};
use sha2::{Digest, Sha256};

use crate::command::{ApologyFields, Command};
use crate::ids::{ItemId, PartnerId, Timestamp, parse_date};
use crate::read::{ItemError, Rd};
use crate::schema::{MAX_TEXT_CHARS, SCHEMA_VERSION, couple_genesis, private_genesis};
use crate::views::*;

/// Which of the two documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// Shared by both partners' devices.
    Couple,
    /// One partner's own; travels only between that partner's devices.
    Private,
}

impl DocKind {
    pub const ALL: [DocKind; 2] = [DocKind::Couple, DocKind::Private];
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Couple => "couple",
            DocKind::Private => "private",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("this is not a Kintsugi {expected} document")]
    WrongKind { expected: &'static str },
    #[error(
        "this {doc} document was written by a newer version of Kintsugi (schema {found}; this version reads {SCHEMA_VERSION}). Update Kintsugi to open it; nothing was changed"
    )]
    NewerSchema { doc: &'static str, found: u64 },
    #[error("the document could not be read: {0}")]
    Automerge(#[from] AutomergeError),
    /// The command itself is wrong (empty text, a mood of 9…): said to the person as is.
    #[error("{0}")]
    Invalid(String),
    #[error("there is no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Unreadable(#[from] ItemError),
}

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

/// Both documents of the local partner, opened with this device's actor.
pub struct Model {
    couple: AutoCommit,
    private: AutoCommit,
    me: PartnerId,
}

impl Model {
    /// Opens the documents from their stored bytes, or from genesis when never stored.
    /// `actor` must be this device's own: two devices sharing one would corrupt the merge.
    pub fn open(
        couple: Option<&[u8]>,
        private: Option<&[u8]>,
        me: PartnerId,
        actor: ActorId,
    ) -> Result<Model, CoreError> {
        let mut couple = match couple {
            Some(bytes) => load_checked(bytes, couple_genesis(), "couple")?,
            None => couple_genesis(),
        };
        let mut private = match private {
            Some(bytes) => load_checked(bytes, private_genesis(), "private")?,
            None => private_genesis(),
        };
        couple.set_actor(actor.clone());
        private.set_actor(actor);
        Ok(Model {
            couple,
            private,
            me,
        })
    }

    pub fn me(&self) -> &PartnerId {
        &self.me
    }

    /// Becomes another partner identity: for a second own device joining before it was set up,
    /// so its journal is the same partner's. Refused once this device has written anything as
    /// itself, because those items would be orphaned under the old id.
    pub fn adopt_identity(&mut self, me: PartnerId) -> Result<(), CoreError> {
        if self.me == me {
            return Ok(());
        }
        let v = self.view();
        let mine = |by: &PartnerId| by == &self.me;
        if v.is_set_up()
            || !v.journal.is_empty()
            || v.members.iter().any(|m| mine(&m.id))
            || v.daily_checkins.iter().any(|c| mine(&c.by))
        {
            return Err(invalid(
                "this device is already set up for someone; only a device that has not been set up can join as your own second device",
            ));
        }
        self.me = me;
        Ok(())
    }

    pub fn doc(&self, kind: DocKind) -> &AutoCommit {
        match kind {
            DocKind::Couple => &self.couple,
            DocKind::Private => &self.private,
        }
    }

    pub fn doc_mut(&mut self, kind: DocKind) -> &mut AutoCommit {
        match kind {
            DocKind::Couple => &mut self.couple,
            DocKind::Private => &mut self.private,
        }
    }

    /// Edits applied but not yet committed (typing between pauses).
    pub fn has_pending(&self) -> bool {
        self.couple.pending_ops() > 0 || self.private.pending_ops() > 0
    }

    /// Closes the open transactions into one change per document; returns which changed.
    /// Keystrokes are batched this way: one change per typing pause, not per character.
    pub fn commit(&mut self, now: Timestamp) -> Vec<DocKind> {
        let mut changed = Vec::new();
        for kind in DocKind::ALL {
            let doc = self.doc_mut(kind);
            if doc.pending_ops() > 0
                && doc
                    .commit_with(CommitOptions::default().with_time(now))
                    .is_some()
            {
                changed.push(kind);
            }
        }
        changed
    }

    /// Applies one command. On error nothing of the command remains in the documents.
    ///
    /// AutoCommit can only roll back its whole open transaction, so a discrete action (anything
    /// but typing) first closes the typing batch before it, and a failed command then rolls back
    /// only its own ops. Typing splices validate before they write.
    pub fn apply(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        let typing = matches!(
            cmd,
            Command::SpliceJournalText { .. } | Command::SpliceSection { .. }
        );
        if !typing {
            self.commit(now);
        }
        let before = (self.couple.pending_ops(), self.private.pending_ops());
        let result = self.apply_inner(cmd, now);
        if result.is_err() {
            for (kind, n) in [(DocKind::Couple, before.0), (DocKind::Private, before.1)] {
                let doc = self.doc_mut(kind);
                if doc.pending_ops() != n {
                    doc.rollback();
                }
            }
        }
        result
    }

    fn apply_inner(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        let me = self.me.0.clone();
        match cmd {
            Command::SetUp {
                my_name,
                partner_name,
            }
            | Command::SetNames {
                my_name,
                partner_name,
            } => {
                let my_name = short_text(&my_name, "Your name")?;
                let partner_name = short_text(&partner_name, "Your partner's name")?;
                let profile = top(&self.private, "profile")?;
                self.private.put(&profile, "partner_id", me.as_str())?;
                self.private.put(&profile, "my_name", my_name.as_str())?;
                self.private
                    .put(&profile, "partner_name", partner_name.as_str())?;
                let members = top(&self.couple, "members")?;
                let m = ensure_map(&mut self.couple, &members, &me)?;
                self.couple.put(&m, "v", SCHEMA_VERSION)?;
                self.couple.put(&m, "name", my_name.as_str())?;
            }

            Command::AddJournalEntry {
                id,
                date,
                mood,
                tags,
                text,
                prompt,
            } => {
                let date = date_text(&date)?;
                check_mood(mood)?;
                let tags = clean_tags(tags)?;
                long_text(&text, "The entry")?;
                let journal = top(&self.private, "journal")?;
                let e = new_item(&mut self.private, &journal, &id)?;
                self.private.put(&e, "date", date.as_str())?;
                put_opt_u8(&mut self.private, &e, "mood", mood)?;
                put_tags(&mut self.private, &e, &tags)?;
                let t = self.private.put_object(&e, "text", ObjType::Text)?;
                self.private.splice_text(&t, 0, 0, &text)?;
                put_opt_str(&mut self.private, &e, "prompt", prompt.as_deref())?;
                self.private.put(&e, "created_at", now)?;
                self.private.put(&e, "updated_at", now)?;
                self.private.put(&e, "shared", false)?;
            }
            Command::UpdateJournalMeta {
                id,
                date,
                mood,
                tags,
                prompt,
            } => {
                let date = date_text(&date)?;
                check_mood(mood)?;
                let tags = clean_tags(tags)?;
                let e = item(&self.private, "journal", &id, "journal entry")?;
                self.private.put(&e, "date", date.as_str())?;
                put_opt_u8(&mut self.private, &e, "mood", mood)?;
                put_tags(&mut self.private, &e, &tags)?;
                put_opt_str(&mut self.private, &e, "prompt", prompt.as_deref())?;
                self.private.put(&e, "updated_at", now)?;
            }
            Command::SpliceJournalText {
                id,
                pos,
                delete,
                insert,
            } => {
                let e = item(&self.private, "journal", &id, "journal entry")?;
                let t = text_obj(&mut self.private, &e, "text")?;
                splice_checked(&mut self.private, &t, pos, delete, &insert)?;
                self.private.put(&e, "updated_at", now)?;
            }
            Command::DeleteJournalEntry { id } => {
                item(&self.private, "journal", &id, "journal entry")?;
                let journal = top(&self.private, "journal")?;
                self.private.delete(&journal, id.0.as_str())?;
                let shared = top(&self.couple, "shared_entries")?;
                if self.couple.get(&shared, id.0.as_str())?.is_some() {
                    self.couple.delete(&shared, id.0.as_str())?;
                }
            }
            Command::ShareJournalEntry { id } => {
                // Only the intent: the copy enters the couple document in `publish_shares`,
                // when a partner's device is connected. Automerge keeps history, so a copy
                // written now and unshared before any sync would still travel, deleted but
                // readable, at the next sync.
                let e = item(&self.private, "journal", &id, "journal entry")?;
                self.private.put(&e, "shared", true)?;
            }
            Command::UnshareJournalEntry { id } => {
                let e = item(&self.private, "journal", &id, "journal entry")?;
                self.private.put(&e, "shared", false)?;
                let shared = top(&self.couple, "shared_entries")?;
                if self.couple.get(&shared, id.0.as_str())?.is_some() {
                    self.couple.delete(&shared, id.0.as_str())?;
                }
            }

            Command::AddSection { id, title } => {
                let title = short_text(&title, "The section title")?;
                let agreement = top(&self.couple, "agreement")?;
                let order = Rd::root_map(&self.couple, "agreement")?
                    .items()
                    .filter_map(|(_, s)| s.ok()?.opt_i64("order").ok().flatten())
                    .max()
                    .unwrap_or(0)
                    + 1;
                let s = new_item(&mut self.couple, &agreement, &id)?;
                self.couple.put(&s, "kind", "custom")?;
                self.couple.put(&s, "title", title.as_str())?;
                self.couple.put(&s, "order", order)?;
                self.couple.put_object(&s, "body", ObjType::Text)?;
                mark_edited(&mut self.couple, &s, &me, now)?;
            }
            Command::RenameSection { section, title } => {
                let title = short_text(&title, "The section title")?;
                let s = section_obj(&self.couple, &section)?;
                self.couple.put(&s, "title", title.as_str())?;
                mark_edited(&mut self.couple, &s, &me, now)?;
            }
            Command::SpliceSection {
                section,
                pos,
                delete,
                insert,
            } => {
                let s = section_obj(&self.couple, &section)?;
                let t = text_obj(&mut self.couple, &s, "body")?;
                splice_checked(&mut self.couple, &t, pos, delete, &insert)?;
                mark_edited(&mut self.couple, &s, &me, now)?;
            }
            Command::DeleteSection { section } => {
                section_obj(&self.couple, &section)?;
                let agreement = top(&self.couple, "agreement")?;
                self.couple.delete(&agreement, section.as_str())?;
            }
            Command::AffirmAgreement => {
                let digest = agreement_digest(&read_sections(&self.couple, &mut Vec::new()));
                let affirmations = top(&self.couple, "affirmations")?;
                let a = self
                    .couple
                    .put_object(&affirmations, me.as_str(), ObjType::Map)?;
                self.couple.put(&a, "v", SCHEMA_VERSION)?;
                self.couple.put(&a, "at", now)?;
                self.couple.put(&a, "digest", digest.as_str())?;
            }
            Command::SetReassurancePlan { text } => {
                long_text(&text, "The reassurance plan")?;
                let r = top(&self.couple, "reassurance")?;
                self.couple.put(&r, me.as_str(), text.as_str())?;
            }

            Command::SaveDailyCheckIn { date, answers } => {
                let date = date_text(&date)?;
                for (v, what) in [
                    (answers.mood, "Mood"),
                    (answers.connection, "Connection"),
                    (answers.safety, "Safety"),
                ] {
                    if !(1..=5).contains(&v) {
                        return Err(invalid(format!("{what} must be between 1 and 5")));
                    }
                }
                for t in [&answers.high, &answers.low, &answers.need] {
                    long_text(t, "An answer")?;
                }
                // One key per person and day: both partners answering the same day never collide.
                let map = top(&self.couple, "daily_checkins")?;
                let c = self
                    .couple
                    .put_object(&map, format!("{date}/{me}"), ObjType::Map)?;
                self.couple.put(&c, "v", SCHEMA_VERSION)?;
                self.couple.put(&c, "date", date.as_str())?;
                self.couple.put(&c, "by", me.as_str())?;
                self.couple.put(&c, "mood", answers.mood as i64)?;
                self.couple
                    .put(&c, "connection", answers.connection as i64)?;
                self.couple.put(&c, "safety", answers.safety as i64)?;
                self.couple.put(&c, "high", answers.high.trim())?;
                self.couple.put(&c, "low", answers.low.trim())?;
                self.couple.put(&c, "need", answers.need.trim())?;
                self.couple.put(&c, "at", now)?;
            }
            Command::SaveWeeklyCheckIn { week, answers } => {
                if !is_week(&week) {
                    return Err(invalid(format!("'{week}' is not a week like 2026-W48")));
                }
                for t in [
                    &answers.how_it_went,
                    &answers.agreements,
                    &answers.commitments,
                    &answers.wins,
                    &answers.for_therapy,
                ] {
                    long_text(t, "An answer")?;
                }
                let map = top(&self.couple, "weekly_checkins")?;
                let c = self
                    .couple
                    .put_object(&map, format!("{week}/{me}"), ObjType::Map)?;
                self.couple.put(&c, "v", SCHEMA_VERSION)?;
                self.couple.put(&c, "week", week.as_str())?;
                self.couple.put(&c, "by", me.as_str())?;
                self.couple
                    .put(&c, "how_it_went", answers.how_it_went.trim())?;
                self.couple
                    .put(&c, "agreements", answers.agreements.trim())?;
                self.couple
                    .put(&c, "commitments", answers.commitments.trim())?;
                self.couple.put(&c, "wins", answers.wins.trim())?;
                self.couple
                    .put(&c, "for_therapy", answers.for_therapy.trim())?;
                self.couple.put(&c, "at", now)?;
            }

            Command::AddCommitment { id, text } => {
                let text = short_text(&text, "The commitment")?;
                let map = top(&self.couple, "commitments")?;
                let c = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&c, "by", me.as_str())?;
                self.couple.put(&c, "text", text.as_str())?;
                self.couple.put(&c, "created_at", now)?;
                self.couple.put(&c, "active", true)?;
                self.couple.put_object(&c, "log", ObjType::Map)?;
            }
            Command::SetCommitmentActive { id, active } => {
                let c = self.own_item("commitments", &id, "commitment", "by")?;
                self.couple.put(&c, "active", active)?;
            }
            Command::LogCommitment {
                id,
                date,
                status,
                note,
            } => {
                let date = date_text(&date)?;
                long_text(&note, "The note")?;
                let c = self.own_item("commitments", &id, "commitment", "by")?;
                let log = ensure_map(&mut self.couple, &c, "log")?;
                let l = self.couple.put_object(&log, date.as_str(), ObjType::Map)?;
                self.couple.put(&l, "v", SCHEMA_VERSION)?;
                self.couple.put(&l, "status", status.as_str())?;
                self.couple.put(&l, "note", note.trim())?;
                self.couple.put(&l, "at", now)?;
            }
            Command::AcknowledgeCommitmentLog { id, date } => {
                let c = self.partners_item("commitments", &id, "commitment", "by")?;
                let log = Rd {
                    doc: &self.couple,
                    obj: c,
                    place: format!("commitments/{id}"),
                }
                .map("log")?
                .map(&date)?
                .obj;
                self.couple.put(&log, "acknowledged_by", me.as_str())?;
                self.couple.put(&log, "acknowledged_at", now)?;
            }

            Command::AddDisclosure {
                id,
                text,
                before_asked,
            } => {
                long_text(&text, "The disclosure")?;
                nonempty(&text, "The disclosure")?;
                let map = top(&self.couple, "disclosures")?;
                let d = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&d, "by", me.as_str())?;
                self.couple.put(&d, "text", text.trim())?;
                self.couple.put(&d, "before_asked", before_asked)?;
                self.couple.put(&d, "at", now)?;
            }
            Command::AcknowledgeDisclosure { id, response } => {
                long_text(&response, "The response")?;
                let d = self.partners_item("disclosures", &id, "disclosure", "by")?;
                self.couple.put(&d, "acknowledged_at", now)?;
                self.couple.put(&d, "response", response.trim())?;
            }
            Command::RaiseTrigger { id, note } => {
                long_text(&note, "The note")?;
                let map = top(&self.couple, "triggers")?;
                let t = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&t, "by", me.as_str())?;
                self.couple.put(&t, "note", note.trim())?;
                self.couple.put(&t, "at", now)?;
            }
            Command::AcknowledgeTrigger { id } => {
                let t = self.partners_item("triggers", &id, "trigger", "by")?;
                self.couple.put(&t, "acknowledged_at", now)?;
            }
            Command::AskQuestion { id, text } => {
                let text = short_text(&text, "The question")?;
                let map = top(&self.couple, "questions")?;
                let q = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&q, "asked_by", me.as_str())?;
                self.couple.put(&q, "text", text.as_str())?;
                self.couple.put(&q, "at", now)?;
                self.couple.put_object(&q, "asked_again", ObjType::Map)?;
                self.couple.put_object(&q, "answers", ObjType::Map)?;
            }
            Command::AskAgain { id } => {
                let q = self.own_item("questions", &id, "question", "asked_by")?;
                let again = ensure_map(&mut self.couple, &q, "asked_again")?;
                self.couple.put(&again, ItemId::random().0.as_str(), now)?;
            }
            Command::AnswerQuestion { question, id, text } => {
                long_text(&text, "The answer")?;
                nonempty(&text, "The answer")?;
                let q = item(&self.couple, "questions", &question, "question")?;
                let answers = ensure_map(&mut self.couple, &q, "answers")?;
                let a = new_item(&mut self.couple, &answers, &id)?;
                self.couple.put(&a, "by", me.as_str())?;
                self.couple.put(&a, "text", text.trim())?;
                self.couple.put(&a, "at", now)?;
            }

            Command::AddWin { id, kind, text } => {
                long_text(&text, "The note")?;
                nonempty(&text, "The note")?;
                let map = top(&self.couple, "wins")?;
                let w = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&w, "by", me.as_str())?;
                self.couple.put(&w, "kind", kind.as_str())?;
                self.couple.put(&w, "text", text.trim())?;
                self.couple.put(&w, "at", now)?;
            }
            Command::AddRitual {
                id,
                kind,
                title,
                date,
            } => {
                let title = short_text(&title, "The title")?;
                let date = date.as_deref().map(date_text).transpose()?;
                let map = top(&self.couple, "rituals")?;
                let r = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&r, "by", me.as_str())?;
                self.couple.put(&r, "kind", kind.as_str())?;
                self.couple.put(&r, "title", title.as_str())?;
                put_opt_str(&mut self.couple, &r, "date", date.as_deref())?;
            }
            Command::SetRitualDone { id, done } => {
                let r = item(&self.couple, "rituals", &id, "plan")?;
                if done {
                    self.couple.put(&r, "done_at", now)?;
                } else {
                    self.couple
                        .put(&r, "done_at", automerge::ScalarValue::Null)?;
                }
            }
            Command::SaveApologyDraft { id, fields } => {
                check_apology_fields(&fields)?;
                let map = top(&self.private, "apology_drafts")?;
                let d = ensure_map(&mut self.private, &map, &id.0)?;
                self.private.put(&d, "v", SCHEMA_VERSION)?;
                put_apology(&mut self.private, &d, &fields)?;
                self.private.put(&d, "at", now)?;
            }
            Command::DeleteApologyDraft { id } => {
                item(&self.private, "apology_drafts", &id, "apology draft")?;
                let map = top(&self.private, "apology_drafts")?;
                self.private.delete(&map, id.0.as_str())?;
            }
            Command::ShareApology { id } => {
                let fields = {
                    let d = Rd::root_map(&self.private, "apology_drafts")?
                        .map(&id.0)
                        .map_err(|_| not_found("apology draft", &id))?;
                    read_apology_fields(&d)?
                };
                nonempty(&fields.what_i_did, "What you did")?;
                let map = top(&self.couple, "apologies")?;
                let a = ensure_map(&mut self.couple, &map, &id.0)?;
                self.couple.put(&a, "v", SCHEMA_VERSION)?;
                self.couple.put(&a, "by", me.as_str())?;
                put_apology(&mut self.couple, &a, &fields)?;
                self.couple.put(&a, "at", now)?;
            }
            Command::AddTherapyTopic { id, text } => {
                let text = short_text(&text, "The topic")?;
                let map = top(&self.couple, "therapy_topics")?;
                let t = new_item(&mut self.couple, &map, &id)?;
                self.couple.put(&t, "by", me.as_str())?;
                self.couple.put(&t, "text", text.as_str())?;
                self.couple.put(&t, "at", now)?;
                self.couple.put(&t, "discussed", false)?;
            }
            Command::SetTherapyTopicDiscussed { id, discussed } => {
                let t = item(&self.couple, "therapy_topics", &id, "therapy topic")?;
                self.couple.put(&t, "discussed", discussed)?;
            }
            Command::AddSelfCare { id, text } => {
                let text = short_text(&text, "The self-care idea")?;
                let map = top(&self.private, "self_care")?;
                let s = new_item(&mut self.private, &map, &id)?;
                self.private.put(&s, "text", text.as_str())?;
            }
            Command::RemoveSelfCare { id } => {
                item(&self.private, "self_care", &id, "self-care idea")?;
                let map = top(&self.private, "self_care")?;
                self.private.delete(&map, id.0.as_str())?;
            }
        }
        Ok(())
    }

    /// An item of the couple document that the local partner wrote (only its author may change it).
    fn own_item(
        &self,
        map: &str,
        id: &ItemId,
        what: &'static str,
        author_key: &str,
    ) -> Result<ObjId, CoreError> {
        let obj = item(&self.couple, map, id, what)?;
        let rd = Rd {
            doc: &self.couple,
            obj: obj.clone(),
            place: format!("{map}/{id}"),
        };
        if rd.str(author_key)? != self.me.0 {
            return Err(invalid(format!(
                "only the person who wrote this {what} can change it"
            )));
        }
        Ok(obj)
    }

    /// An item the other partner wrote (acknowledging one's own would mean nothing).
    fn partners_item(
        &self,
        map: &str,
        id: &ItemId,
        what: &'static str,
        author_key: &str,
    ) -> Result<ObjId, CoreError> {
        let obj = item(&self.couple, map, id, what)?;
        let rd = Rd {
            doc: &self.couple,
            obj: obj.clone(),
            place: format!("{map}/{id}"),
        };
        if rd.str(author_key)? == self.me.0 {
            return Err(invalid(format!(
                "a {what} is acknowledged by the other partner, not by its author"
            )));
        }
        Ok(obj)
    }

    /// Writes the copies of shared journal entries into the couple document, brings them up to
    /// date with their private originals, and removes copies of entries no longer shared.
    /// Call only while a partner's device is connected: until then a shared entry leaves no
    /// trace in the couple document, so unsharing it in time means it never travels. Writes
    /// nothing when the copies are current. Returns whether anything changed.
    pub fn publish_shares(&mut self, now: Timestamp) -> Result<bool, CoreError> {
        let before = self.couple.pending_ops();
        let entries = collect(
            &self.private,
            "journal",
            &mut Vec::new(),
            read_journal_entry,
        );
        let shared = top(&self.couple, "shared_entries")?;
        for entry in entries {
            let existing = match self.couple.get(&shared, entry.id.0.as_str())? {
                Some((Value::Object(ObjType::Map), copy)) => Some(copy),
                _ => None,
            };
            match (entry.shared, existing) {
                (false, Some(_)) => self.couple.delete(&shared, entry.id.0.as_str())?,
                (false, None) => {}
                (true, existing) => {
                    let copy = match existing {
                        Some(c) => c,
                        None => {
                            let c = new_item(&mut self.couple, &shared, &entry.id)?;
                            self.couple.put(&c, "by", self.me.0.as_str())?;
                            self.couple.put(&c, "shared_at", now)?;
                            c
                        }
                    };
                    self.refresh_copy(&copy, &entry)?;
                }
            }
        }
        Ok(self.couple.pending_ops() != before)
    }

    /// Puts only what differs: rewriting equal values would make a change, and a sync, every
    /// time shares are published.
    fn refresh_copy(&mut self, copy: &ObjId, entry: &JournalEntry) -> Result<(), CoreError> {
        let current = {
            let rd = Rd {
                doc: &self.couple,
                obj: copy.clone(),
                place: format!("shared_entries/{}", entry.id),
            };
            (
                rd.opt_str("date").ok().flatten(),
                rd.opt_scale("mood", 5).ok().flatten(),
                rd.strings("tags").ok(),
                rd.opt_str("prompt").ok().flatten(),
            )
        };
        if current.0.as_deref() != Some(entry.date.as_str()) {
            self.couple.put(copy, "date", entry.date.as_str())?;
        }
        if current.1 != entry.mood {
            put_opt_u8(&mut self.couple, copy, "mood", entry.mood)?;
        }
        if current.2.as_ref() != Some(&entry.tags) {
            put_tags(&mut self.couple, copy, &entry.tags)?;
        }
        if current.3 != entry.prompt {
            put_opt_str(&mut self.couple, copy, "prompt", entry.prompt.as_deref())?;
        }
        let t = text_obj(&mut self.couple, copy, "text")?;
        if self.couple.text(&t)? != entry.text {
            self.couple.update_text(&t, &entry.text)?;
        }
        Ok(())
    }

    /// Reads both documents into one view. Unreadable items are listed in `errors`.
    pub fn view(&self) -> View {
        let mut errors = Vec::new();
        let mut v = View {
            me: Some(self.me.clone()),
            ..View::default()
        };
        if let Some(e) =
            newer_schema(&self.couple, "couple").or(newer_schema(&self.private, "private"))
        {
            errors.push(e);
        }
        if let Ok(profile) = Rd::root_map(&self.private, "profile") {
            v.my_name = profile.str_or_empty("my_name").unwrap_or_default();
            v.partner_name = profile.str_or_empty("partner_name").unwrap_or_default();
        }
        v.members = collect(&self.couple, "members", &mut errors, |id, m| {
            Ok(Member {
                id: PartnerId(id.to_owned()),
                name: m.str_or_empty("name")?,
            })
        });
        v.partner = v
            .members
            .iter()
            .find(|m| m.id != self.me)
            .map(|m| m.id.clone());
        v.journal = collect(&self.private, "journal", &mut errors, read_journal_entry);
        v.journal
            .sort_by(|a, b| (&b.date, b.created_at).cmp(&(&a.date, a.created_at)));
        v.agreement = read_sections(&self.couple, &mut errors);
        v.agreement_digest = agreement_digest(&v.agreement);
        let digest = v.agreement_digest.clone();
        v.affirmations = collect(&self.couple, "affirmations", &mut errors, |id, a| {
            let d = a.str("digest")?;
            Ok(Affirmation {
                by: PartnerId(id.to_owned()),
                at: a.i64("at")?,
                current: d == digest,
                digest: d,
            })
        });
        v.daily_checkins = collect(&self.couple, "daily_checkins", &mut errors, |_, c| {
            Ok(DailyCheckIn {
                date: c.str("date")?,
                by: PartnerId(c.str("by")?),
                mood: c.scale("mood", 5)?,
                connection: c.scale("connection", 5)?,
                safety: c.scale("safety", 5)?,
                high: c.str_or_empty("high")?,
                low: c.str_or_empty("low")?,
                need: c.str_or_empty("need")?,
                at: c.i64("at")?,
            })
        });
        v.daily_checkins
            .sort_by(|a, b| (&b.date, b.at).cmp(&(&a.date, a.at)));
        v.weekly_checkins = collect(&self.couple, "weekly_checkins", &mut errors, |_, c| {
            Ok(WeeklyCheckIn {
                week: c.str("week")?,
                by: PartnerId(c.str("by")?),
                how_it_went: c.str_or_empty("how_it_went")?,
                agreements: c.str_or_empty("agreements")?,
                commitments: c.str_or_empty("commitments")?,
                wins: c.str_or_empty("wins")?,
                for_therapy: c.str_or_empty("for_therapy")?,
                at: c.i64("at")?,
            })
        });
        v.weekly_checkins
            .sort_by(|a, b| (&b.week, b.at).cmp(&(&a.week, a.at)));
        v.commitments = collect(&self.couple, "commitments", &mut errors, |id, c| {
            let mut log = Vec::new();
            if let Ok(l) = c.map("log") {
                for (date, entry) in l.items() {
                    let e = entry?;
                    let status = e.str("status")?;
                    log.push(CommitmentLog {
                        status: LogStatus::parse(&status).ok_or_else(|| {
                            ItemError::new(e.place(), format!("has an unknown status '{status}'"))
                        })?,
                        date,
                        note: e.str_or_empty("note")?,
                        at: e.i64("at")?,
                        acknowledged_by: e.opt_str("acknowledged_by")?.map(PartnerId),
                        acknowledged_at: e.opt_i64("acknowledged_at")?,
                    });
                }
            }
            log.sort_by(|a, b| b.date.cmp(&a.date));
            Ok(Commitment {
                id: ItemId(id.to_owned()),
                by: PartnerId(c.str("by")?),
                text: c.str("text")?,
                created_at: c.i64("created_at")?,
                active: c.bool_or("active", true)?,
                log,
            })
        });
        v.commitments.sort_by_key(|c| c.created_at);
        v.disclosures = collect(&self.couple, "disclosures", &mut errors, |id, d| {
            Ok(Disclosure {
                id: ItemId(id.to_owned()),
                by: PartnerId(d.str("by")?),
                text: d.str("text")?,
                before_asked: d.bool_or("before_asked", false)?,
                at: d.i64("at")?,
                acknowledged_at: d.opt_i64("acknowledged_at")?,
                response: d.str_or_empty("response")?,
            })
        });
        v.disclosures.sort_by_key(|x| std::cmp::Reverse(x.at));
        v.triggers = collect(&self.couple, "triggers", &mut errors, |id, t| {
            Ok(Trigger {
                id: ItemId(id.to_owned()),
                by: PartnerId(t.str("by")?),
                note: t.str_or_empty("note")?,
                at: t.i64("at")?,
                acknowledged_at: t.opt_i64("acknowledged_at")?,
            })
        });
        v.triggers.sort_by_key(|x| std::cmp::Reverse(x.at));
        v.questions = collect(&self.couple, "questions", &mut errors, |id, q| {
            let mut asked_again = Vec::new();
            if let Ok(a) = q.map("asked_again") {
                for k in a.keys() {
                    if let Some(t) = a.opt_i64(&k)? {
                        asked_again.push(t);
                    }
                }
            }
            asked_again.sort();
            let mut answers = Vec::new();
            if let Ok(a) = q.map("answers") {
                for (aid, ans) in a.items() {
                    let ans = ans?;
                    answers.push(Answer {
                        id: ItemId(aid),
                        by: PartnerId(ans.str("by")?),
                        text: ans.str("text")?,
                        at: ans.i64("at")?,
                    });
                }
            }
            answers.sort_by_key(|a| a.at);
            Ok(Question {
                id: ItemId(id.to_owned()),
                asked_by: PartnerId(q.str("asked_by")?),
                text: q.str("text")?,
                at: q.i64("at")?,
                asked_again,
                answers,
            })
        });
        v.questions.sort_by_key(|x| std::cmp::Reverse(x.at));
        v.wins = collect(&self.couple, "wins", &mut errors, |id, w| {
            let kind = w.str("kind")?;
            Ok(Win {
                id: ItemId(id.to_owned()),
                by: PartnerId(w.str("by")?),
                kind: WinKind::parse(&kind).ok_or_else(|| {
                    ItemError::new(w.place(), format!("has an unknown kind '{kind}'"))
                })?,
                text: w.str("text")?,
                at: w.i64("at")?,
            })
        });
        v.wins.sort_by_key(|x| std::cmp::Reverse(x.at));
        v.rituals = collect(&self.couple, "rituals", &mut errors, |id, r| {
            let kind = r.str("kind")?;
            Ok(Ritual {
                id: ItemId(id.to_owned()),
                by: PartnerId(r.str("by")?),
                kind: RitualKind::parse(&kind).ok_or_else(|| {
                    ItemError::new(r.place(), format!("has an unknown kind '{kind}'"))
                })?,
                title: r.str("title")?,
                date: r.opt_str("date")?,
                done_at: r.opt_i64("done_at")?,
            })
        });
        v.rituals.sort_by(|a, b| a.date.cmp(&b.date));
        v.apologies = collect(&self.couple, "apologies", &mut errors, |id, a| {
            read_apology(id, a, PartnerId(a.str("by")?))
        });
        v.apology_drafts = collect(&self.private, "apology_drafts", &mut errors, |id, a| {
            read_apology(id, a, self.me.clone())
        });
        v.therapy_topics = collect(&self.couple, "therapy_topics", &mut errors, |id, t| {
            Ok(TherapyTopic {
                id: ItemId(id.to_owned()),
                by: PartnerId(t.str("by")?),
                text: t.str("text")?,
                at: t.i64("at")?,
                discussed: t.bool_or("discussed", false)?,
            })
        });
        v.therapy_topics.sort_by_key(|t| t.at);
        v.shared_entries = collect(&self.couple, "shared_entries", &mut errors, |id, e| {
            Ok(SharedEntry {
                id: ItemId(id.to_owned()),
                by: PartnerId(e.str("by")?),
                date: e.str("date")?,
                mood: e.opt_scale("mood", 5)?,
                tags: e.strings("tags")?,
                text: e.str_or_empty("text")?,
                prompt: e.opt_str("prompt")?,
                shared_at: e.i64("shared_at")?,
            })
        });
        v.shared_entries.sort_by(|a, b| b.date.cmp(&a.date));
        v.self_care = collect(&self.private, "self_care", &mut errors, |id, s| {
            Ok(SelfCareItem {
                id: ItemId(id.to_owned()),
                text: s.str("text")?,
            })
        });
        if let Ok(r) = Rd::root_map(&self.couple, "reassurance") {
            for k in r.keys() {
                match r.str(&k) {
                    Ok(text) => v.reassurance_plans.push(ReassurancePlan {
                        by: PartnerId(k),
                        text,
                    }),
                    Err(e) => errors.push(e),
                }
            }
        }
        v.errors = errors;
        v
    }
}

/// Loads a stored document and checks it is ours: it must contain our genesis change. The
/// current `kind` value is not the test: any paired device can overwrite it, and a store must
/// not stop opening because a partner's device (buggy or hostile) did.
fn load_checked(
    bytes: &[u8],
    mut genesis: AutoCommit,
    name: &'static str,
) -> Result<AutoCommit, CoreError> {
    let doc = AutoCommit::load(bytes)?;
    let ours = genesis
        .get_heads()
        .iter()
        .all(|h| doc.get_change_by_hash(h).is_some());
    if !ours {
        return Err(CoreError::WrongKind { expected: name });
    }
    Ok(doc)
}

/// A document-wide notice when a newer Kintsugi raised the document's schema.
fn newer_schema(doc: &AutoCommit, name: &str) -> Option<ItemError> {
    let found = match doc.get(ROOT, "schema") {
        Ok(Some((v, _))) => v.as_u64()?,
        _ => return None,
    };
    (found > SCHEMA_VERSION).then(|| {
        ItemError::new(
            name,
            format!(
                "document schema {found} is newer than this Kintsugi ({SCHEMA_VERSION}); some items may not show until you update"
            ),
        )
    })
}

fn collect<T>(
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

fn read_journal_entry(id: &str, e: &Rd<'_>) -> Result<JournalEntry, ItemError> {
    Ok(JournalEntry {
        id: ItemId(id.to_owned()),
        date: e.str("date")?,
        mood: e.opt_scale("mood", 5)?,
        tags: e.strings("tags")?,
        text: e.str_or_empty("text")?,
        prompt: e.opt_str("prompt")?,
        created_at: e.i64("created_at")?,
        updated_at: e.i64("updated_at")?,
        shared: e.bool_or("shared", false)?,
    })
}

fn read_sections(doc: &AutoCommit, errors: &mut Vec<ItemError>) -> Vec<Section> {
    let mut sections = collect(doc, "agreement", errors, |id, s| {
        Ok(Section {
            id: id.to_owned(),
            kind: s.str_or_empty("kind")?,
            title: s.str("title")?,
            body: s.str_or_empty("body")?,
            order: s.opt_i64("order")?.unwrap_or(i64::MAX),
            edited_by: s.opt_str("edited_by")?.map(PartnerId),
            edited_at: s.opt_i64("edited_at")?,
        })
    });
    sections.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    sections
}

/// What an affirmation is bound to: the titles and wording of every section, in order.
fn agreement_digest(sections: &[Section]) -> String {
    let mut h = Sha256::new();
    for s in sections {
        for part in [s.id.as_str(), s.title.as_str(), s.body.as_str()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
    }
    hex::encode(&h.finalize()[..16])
}

fn read_apology_fields(a: &Rd<'_>) -> Result<ApologyFields, ItemError> {
    Ok(ApologyFields {
        what_i_did: a.str_or_empty("what_i_did")?,
        impact: a.str_or_empty("impact")?,
        regret: a.str_or_empty("regret")?,
        will_do_differently: a.str_or_empty("will_do_differently")?,
    })
}

fn read_apology(id: &str, a: &Rd<'_>, by: PartnerId) -> Result<Apology, ItemError> {
    let f = read_apology_fields(a)?;
    Ok(Apology {
        id: ItemId(id.to_owned()),
        by,
        what_i_did: f.what_i_did,
        impact: f.impact,
        regret: f.regret,
        will_do_differently: f.will_do_differently,
        at: a.i64("at")?,
    })
}

fn put_apology(doc: &mut AutoCommit, obj: &ObjId, f: &ApologyFields) -> Result<(), CoreError> {
    doc.put(obj, "what_i_did", f.what_i_did.as_str())?;
    doc.put(obj, "impact", f.impact.as_str())?;
    doc.put(obj, "regret", f.regret.as_str())?;
    doc.put(obj, "will_do_differently", f.will_do_differently.as_str())?;
    Ok(())
}

fn check_apology_fields(f: &ApologyFields) -> Result<(), CoreError> {
    for t in [&f.what_i_did, &f.impact, &f.regret, &f.will_do_differently] {
        long_text(t, "The apology")?;
    }
    Ok(())
}

fn not_found(what: &'static str, id: &ItemId) -> CoreError {
    CoreError::NotFound {
        what,
        id: id.0.clone(),
    }
}

/// A top-level map of a document (created at genesis).
fn top(doc: &AutoCommit, key: &str) -> Result<ObjId, CoreError> {
    Ok(Rd::root_map(doc, key)?.obj)
}

/// An existing agreement section.
fn section_obj(doc: &AutoCommit, section: &str) -> Result<ObjId, CoreError> {
    item(
        doc,
        "agreement",
        &ItemId(section.to_owned()),
        "agreement section",
    )
}

/// "Last edited by/when" of an agreement section, written with every change to it.
fn mark_edited(doc: &mut AutoCommit, s: &ObjId, me: &str, now: i64) -> Result<(), CoreError> {
    doc.put(s, "edited_by", me)?;
    doc.put(s, "edited_at", now)?;
    Ok(())
}

/// An existing item of a top-level map.
fn item(doc: &AutoCommit, map: &str, id: &ItemId, what: &'static str) -> Result<ObjId, CoreError> {
    let root = Rd::root_map(doc, map)?;
    match doc.get(&root.obj, id.0.as_str())? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        Some(_) => {
            Err(ItemError::new(format!("{map}/{id}"), "has the wrong type (expected a map)").into())
        }
        None => Err(not_found(what, id)),
    }
}

/// A fresh item map under a random key, stamped with the schema version.
fn new_item(doc: &mut AutoCommit, parent: &ObjId, id: &ItemId) -> Result<ObjId, CoreError> {
    if doc.get(parent, id.0.as_str())?.is_some() {
        return Err(invalid(format!("an item with id {id} already exists")));
    }
    let obj = doc.put_object(parent, id.0.as_str(), ObjType::Map)?;
    doc.put(&obj, "v", SCHEMA_VERSION)?;
    Ok(obj)
}

/// The map at `key`, created if absent. Only for keys a single partner writes.
fn ensure_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId, CoreError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Ok(doc.put_object(parent, key, ObjType::Map)?),
    }
}

/// The Text object at `key`; an entry from a buggy peer that holds a plain string is upgraded.
fn text_obj(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId, CoreError> {
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

fn splice_checked(
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

fn put_opt_str(
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

fn put_opt_u8(
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

fn put_tags(doc: &mut AutoCommit, obj: &ObjId, tags: &[String]) -> Result<(), CoreError> {
    let list = doc.put_object(obj, "tags", ObjType::List)?;
    for (i, t) in tags.iter().enumerate() {
        doc.insert(&list, i, t.as_str())?;
    }
    Ok(())
}

fn short_text(s: &str, what: &str) -> Result<String, CoreError> {
    let t = s.trim();
    nonempty(t, what)?;
    if t.chars().count() > 500 {
        return Err(invalid(format!("{what} is longer than 500 characters")));
    }
    Ok(t.to_owned())
}

fn nonempty(s: &str, what: &str) -> Result<(), CoreError> {
    if s.trim().is_empty() {
        Err(invalid(format!("{what} is empty")))
    } else {
        Ok(())
    }
}

fn long_text(s: &str, what: &str) -> Result<(), CoreError> {
    if s.chars().count() > MAX_TEXT_CHARS {
        Err(invalid(format!(
            "{what} is longer than {MAX_TEXT_CHARS} characters"
        )))
    } else {
        Ok(())
    }
}

fn check_mood(mood: Option<u8>) -> Result<(), CoreError> {
    match mood {
        Some(m) if !(1..=5).contains(&m) => Err(invalid("Mood must be between 1 and 5")),
        _ => Ok(()),
    }
}

fn date_text(s: &str) -> Result<String, CoreError> {
    parse_date(s)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| invalid(format!("'{s}' is not a date like 2026-11-24")))
}

fn is_week(s: &str) -> bool {
    let Some((y, w)) = s.split_once("-W") else {
        return false;
    };
    y.len() == 4
        && y.chars().all(|c| c.is_ascii_digit())
        && w.len() == 2
        && matches!(w.parse::<u8>(), Ok(1..=53))
}

fn clean_tags(tags: Vec<String>) -> Result<Vec<String>, CoreError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').to_lowercase();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > 50 {
            return Err(invalid(format!(
                "The tag '{t}' is longer than 50 characters"
            )));
        }
        out.push(t);
    }
    if out.len() > 30 {
        return Err(invalid("An entry can have at most 30 tags"));
    }
    Ok(out)
}
