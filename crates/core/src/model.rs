//! The local partner's two documents and the commands that change them.

use std::cell::RefCell;
use std::sync::Arc;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, AutomergeError, ROOT, ReadDoc};

use crate::authorship::{self, Authorship, Checked, DeviceKey, Signer, Trust, Writers};
use crate::command::Command;
use crate::features::{
    self, View, agreement, apologies, breaks, checkins, commitments, disclosures, journal, profile,
    questions, reminders, rituals, self_care, therapy, triggers, wins,
};
use crate::ids::{PartnerId, Timestamp};
use crate::read::{ItemError, ReadDocs};
use crate::refresh::{ItemCache, Reader};
use crate::schema::{SCHEMA_VERSION, couple_genesis, private_genesis};
use crate::write::{WriteDocs, invalid};

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

/// Both documents of the local partner, opened with this device's actor.
pub struct Model {
    couple: AutoCommit,
    private: AutoCommit,
    me: PartnerId,
    /// The items of the last [`Model::refresh_view`], reused while the changes since do not
    /// touch them.
    items: ItemCache,
    /// Heads of each document as its store holds it (couple, private): set at open, moved on
    /// by [`Model::mark_saved`]. Automerge's own cursor starts empty after a load, so its first
    /// incremental save would write the whole history again as loose changes (14 MB for a
    /// ten-year journal whose compact save is 1 MB).
    saved: [Vec<automerge::ChangeHash>; 2],
    /// The latest time this device gave the model; the view's date checks go by it.
    now: Option<Timestamp>,
    /// The private document was rebuilt or replaced by a newer lineage (`erase.rs`): its store
    /// must be replaced whole, in a fresh file, not appended to.
    private_rewritten: bool,
    /// The keys this device trusts first hand; None reads every author as written (a model
    /// no device key was handed to: tests of other things, tools).
    trust: Option<Trust>,
    /// This device's key: with it every commit signs the claim for this device's actor.
    signer: Option<Arc<dyn Signer>>,
    /// Signatures and claims already checked.
    checked: RefCell<Checked>,
    /// The authorship the cached items were read with, and whether any showed as unverified.
    read_with: Option<(Authorship, bool)>,
}

/// The automerge author of a partner's changes: the partner id's bytes.
pub(crate) fn author_of(me: &PartnerId) -> automerge::Author<'static> {
    automerge::Author::from(me.0.as_bytes().to_vec())
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
        let (couple_bytes, private_bytes) = (couple.is_some(), private.is_some());
        let mut couple = match couple {
            Some(bytes) => load_checked(bytes, couple_genesis(), "couple")?,
            None => couple_genesis(),
        };
        let mut private = match private {
            Some(bytes) => load_checked(bytes, private_genesis(), "private")?,
            None => private_genesis(),
        };
        // What is stored is what was loaded; genesis and migrations below are not stored yet.
        let stored = |doc: &mut AutoCommit, loaded: bool| {
            if loaded { doc.get_heads() } else { Vec::new() }
        };
        let saved = [
            stored(&mut couple, couple_bytes),
            stored(&mut private, private_bytes),
        ];
        // Before the device's own actor is set: migrations are written by their fixed actor,
        // identical on every device, so two devices upgraded apart share one container.
        crate::migrate::upgrade(&mut couple, DocKind::Couple, crate::migrate::MIGRATIONS)?;
        crate::migrate::upgrade(&mut private, DocKind::Private, crate::migrate::MIGRATIONS)?;
        // Every change then carries its partner as automerge's author, so a text's history can
        // say who wrote an edit even where the edit itself records no name (the plan).
        for doc in [&mut couple, &mut private] {
            doc.set_author(Some(author_of(&me)));
            doc.set_actor(actor.clone());
        }
        Ok(Model {
            couple,
            private,
            me,
            items: ItemCache::default(),
            saved,
            now: None,
            private_rewritten: false,
            trust: None,
            signer: None,
            checked: RefCell::default(),
            read_with: None,
        })
    }

    /// Tells the model the time before a read, for the view's date checks (a seal for a day
    /// that has not come counts for nothing). Core has no clock; the caller's is used.
    pub fn tell_time(&mut self, now: Timestamp) {
        self.saw_time(now);
    }

    /// The view's date checks go by the latest time this device has given: a commit at an
    /// older time (a clock set back) can only make them more lenient, never hide what showed.
    fn saw_time(&mut self, now: Timestamp) {
        self.now = Some(self.now.map_or(now, |seen| seen.max(now)));
    }

    /// Hands in the keys authorship is verified with and this device's own key, which signs
    /// the claims of its actors from now on. On the first open by a version that verifies,
    /// records which changes were written before (they keep the author they name) and signs
    /// the actors of this partner's private document, which only their own devices write.
    /// Writes and commits; the caller saves.
    pub fn set_authorship(
        &mut self,
        trust: Trust,
        signer: Arc<dyn Signer>,
        now: Timestamp,
    ) -> Result<(), CoreError> {
        self.commit(now);
        if !authorship::has_before(&self.private) {
            // A store never saved holds nothing written before: verification starts with it.
            let stored = !self.saved[DocKind::Couple as usize].is_empty();
            authorship::mark_before(&mut self.couple, &mut self.private, stored)?;
            if stored {
                authorship::claim_legacy(&mut self.couple, &mut self.private, &self.me, &signer)?;
            }
        }
        self.trust = Some(trust);
        self.signer = Some(signer);
        self.commit(now);
        self.items.clear();
        self.read_with = None;
        Ok(())
    }

    /// Replaces the keys trusted first hand (a device paired or unpaired).
    pub fn set_trust(&mut self, trust: Trust) {
        self.trust = Some(trust);
    }

    /// Who verifiably wrote what, as this device reads it now.
    pub fn authorship(&self) -> Authorship {
        match &self.trust {
            Some(t) => authorship::read(
                &self.couple,
                &self.private,
                &self.me,
                t,
                &mut self.checked.borrow_mut(),
            ),
            None => Authorship::default(),
        }
    }

    /// Signs into the couple document that `device` (just paired with this one) belongs to
    /// `member`, so the devices of both partners that never met it learn its key. The caller
    /// commits and saves.
    pub fn enrol_device(
        &mut self,
        device: &DeviceKey,
        member: &PartnerId,
        now: Timestamp,
    ) -> Result<(), CoreError> {
        let Some(signer) = self.signer.clone() else {
            return Ok(());
        };
        self.commit(now);
        authorship::enrol(&mut self.couple, device, member, now, &signer)?;
        self.commit(now);
        Ok(())
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
        // A fresh actor goes with the new author: automerge ties each actor to one author.
        for kind in DocKind::ALL {
            let doc = self.doc_mut(kind);
            doc.set_author(Some(author_of(&me)));
            doc.set_actor(ActorId::random());
        }
        self.me = me;
        // Readers may depend on who "me" is: read everything again.
        self.items.clear();
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

    /// A copy of the couple document as committed, for reading its history elsewhere (off the
    /// UI thread) while this model goes on taking edits. An open typing batch is left out.
    pub fn couple_doc(&self) -> automerge::Automerge {
        let mut copy = self.couple.clone();
        copy.rollback();
        copy.document().clone()
    }

    /// Edits applied but not yet committed (typing between pauses).
    /// The changes of `kind` not yet in its store, as one incremental chunk (empty when
    /// there are none), and the heads the store will then hold. Pass the heads to
    /// [`Model::mark_saved`] once the chunk is durable; until then the same changes come again.
    pub fn unsaved_changes(&mut self, kind: DocKind) -> (Vec<u8>, Vec<automerge::ChangeHash>) {
        let i = kind as usize;
        let saved = self.saved[i].clone();
        let doc = self.doc_mut(kind);
        let heads = doc.get_heads();
        let bytes = if heads == saved {
            Vec::new()
        } else {
            doc.save_after(&saved)
        };
        (bytes, heads)
    }

    /// The store now holds `kind` up to `heads` (a chunk appended, or a whole snapshot).
    pub fn mark_saved(&mut self, kind: DocKind, heads: Vec<automerge::ChangeHash>) {
        self.saved[kind as usize] = heads;
    }

    /// Whether the private document was rebuilt (or replaced by a newer lineage) since the
    /// store last held it: the store must then replace it whole, leaving no old bytes behind.
    pub fn private_rewritten(&self) -> bool {
        self.private_rewritten
    }

    /// The store now holds the rebuilt private document whole, up to `heads`.
    pub fn mark_private_replaced(&mut self, heads: Vec<automerge::ChangeHash>) {
        self.private_rewritten = false;
        self.saved[DocKind::Private as usize] = heads;
    }

    /// Puts a rebuilt private document in place of the old one. Nothing of it is stored yet.
    pub(crate) fn replace_private(&mut self, doc: AutoCommit) {
        self.private = doc;
        self.saved[DocKind::Private as usize] = Vec::new();
        self.private_rewritten = true;
        self.items.clear();
    }

    pub fn has_pending(&self) -> bool {
        self.couple.pending_ops() > 0 || self.private.pending_ops() > 0
    }

    /// Closes the open transactions into one change per document; returns which changed.
    /// Keystrokes are batched this way: one change per typing pause, not per character.
    pub fn commit(&mut self, now: Timestamp) -> Vec<DocKind> {
        self.saw_time(now);
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
        if changed.contains(&DocKind::Couple) {
            self.claim_own(now);
        }
        changed
    }

    /// Signs the claim for this device's actor up to its change just committed, as a change of
    /// its own (a claim cannot cover the change that holds it).
    fn claim_own(&mut self, now: Timestamp) {
        let Some(signer) = self.signer.clone() else {
            return;
        };
        let actor = self.couple.get_actor().clone();
        // A claim that cannot be written leaves the change unverified: shown as such, not lost.
        if matches!(
            authorship::claim(&mut self.couple, &actor, &self.me, &signer),
            Ok(true)
        ) {
            self.couple
                .commit_with(CommitOptions::default().with_time(now));
        }
    }

    /// Applies one command. On error nothing of the command remains in the documents.
    ///
    /// AutoCommit can only roll back its whole open transaction, so a discrete action (anything
    /// but typing) first closes the typing batch before it, and a failed command then rolls back
    /// only its own ops. Typing splices validate before they write.
    pub fn apply(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        self.saw_time(now);
        if !cmd.is_typing() {
            self.commit(now);
        }
        let before = (self.couple.pending_ops(), self.private.pending_ops());
        let restore = matches!(cmd, Command::RestoreText { .. });
        let result = self.apply_inner(cmd, now);
        if restore && result.is_ok() {
            // A restore is its own change, named, so the history shows it as a restore rather
            // than as more typing of whoever restored.
            self.couple.commit_with(
                CommitOptions::default()
                    .with_time(now)
                    .with_message(crate::history::RESTORE_MESSAGE),
            );
            self.claim_own(now);
        }
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

    /// Routes each command to the capability that owns it.
    fn apply_inner(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        use Command as C;
        let d = &mut WriteDocs {
            couple: &mut self.couple,
            private: &mut self.private,
            me: &self.me,
            signer: self.signer.as_deref(),
        };
        match cmd {
            c @ (C::SetUp { .. } | C::SetNames { .. }) => profile::apply(d, c, now),
            c @ (C::AddJournalEntry { .. }
            | C::UpdateJournalMeta { .. }
            | C::SpliceJournalText { .. }
            | C::DeleteJournalEntry { .. }
            | C::ShareJournalEntry { .. }
            | C::UnshareJournalEntry { .. }) => journal::apply(d, c, now),
            c @ (C::AddSection { .. }
            | C::RenameSection { .. }
            | C::SpliceSection { .. }
            | C::DeleteSection { .. }
            | C::RestoreText { .. }
            | C::SetSectionReviewDate { .. }
            | C::RecordSectionReview { .. }
            | C::AffirmAgreement) => agreement::apply(d, c, now),
            c @ (C::SaveDailyCheckIn { .. }
            | C::SaveWeeklyCheckIn { .. }
            | C::AddCheckInNote { .. }) => checkins::apply(d, c, now),
            c @ (C::AddCommitment { .. }
            | C::SetCommitmentState { .. }
            | C::LogCommitment { .. }
            | C::AcknowledgeCommitmentLog { .. }) => commitments::apply(d, c, now),
            c @ (C::AddDisclosure { .. } | C::AcknowledgeDisclosure { .. }) => {
                disclosures::apply(d, c, now)
            }
            c @ (C::RaiseTrigger { .. }
            | C::AcknowledgeTrigger { .. }
            | C::SetReassurancePlan { .. }
            | C::SpliceReassurancePlan { .. }) => triggers::apply(d, c, now),
            c @ (C::StartBreak { .. } | C::ExtendBreak { .. } | C::EndBreak { .. }) => {
                breaks::apply(d, c, now)
            }
            c @ (C::AskQuestion { .. } | C::AskAgain { .. } | C::AnswerQuestion { .. }) => {
                questions::apply(d, c, now)
            }
            c @ C::AddWin { .. } => wins::apply(d, c, now),
            c @ (C::AddRitual { .. } | C::SetRitualDone { .. } | C::MarkRitualDone { .. }) => {
                rituals::apply(d, c, now)
            }
            c @ (C::SaveApologyDraft { .. }
            | C::DeleteApologyDraft { .. }
            | C::ShareApology { .. }) => apologies::apply(d, c, now),
            c @ (C::AddTherapyTopic { .. } | C::SetTherapyTopicDiscussed { .. }) => {
                therapy::apply(d, c, now)
            }
            c @ (C::AddSelfCare { .. } | C::RemoveSelfCare { .. }) => self_care::apply(d, c, now),
            c @ C::SetReminders { .. } => reminders::apply(d, c, now),
        }
    }

    /// Writes the copies of shared journal entries into the couple document, brings them up to
    /// date with their private originals, and removes copies of entries no longer shared.
    /// Call only while a partner's device is connected: until then a shared entry leaves no
    /// trace in the couple document, so unsharing it in time means it never travels. Writes
    /// nothing when the copies are current. Returns whether anything changed.
    pub fn publish_shares(&mut self, now: Timestamp) -> Result<bool, CoreError> {
        let Some(taken) = self.take_changed(Reader::Shares, journal::shares_may_be_due) else {
            return Ok(false);
        };
        let result = self.publish_shares_now(now);
        if result.is_err() {
            self.items.give_back(Reader::Shares, taken);
        }
        result
    }

    /// What changed since `reader` last ran, if `relevant` says it may have work; None when
    /// it has none. With typing open nothing can be known: everything counts as changed.
    fn take_changed(
        &mut self,
        reader: Reader,
        relevant: fn(&crate::refresh::Dirty) -> bool,
    ) -> Option<crate::refresh::Dirty> {
        if self.has_pending() {
            return Some(crate::refresh::Dirty::default());
        }
        self.items.scan(DocKind::Couple, &mut self.couple);
        self.items.scan(DocKind::Private, &mut self.private);
        let taken = self.items.take(reader);
        relevant(&taken).then_some(taken)
    }

    fn publish_shares_now(&mut self, now: Timestamp) -> Result<bool, CoreError> {
        let (entries, copies) = self.read_cached(|r| {
            let mut errors = Vec::new();
            (
                journal::entries(r, &mut errors),
                journal::copies(r, &mut errors),
            )
        });
        journal::publish_shares(
            &mut WriteDocs {
                couple: &mut self.couple,
                private: &mut self.private,
                me: &self.me,
                signer: self.signer.as_deref(),
            },
            &entries,
            &copies,
            now,
        )
    }

    /// Runs `f` over the documents with the item cache brought up to date, so it reads only
    /// what changed (`refresh.rs`); with typing open, over the documents alone.
    fn read_cached<T>(&mut self, f: impl FnOnce(&ReadDocs<'_>) -> T) -> T {
        let cached = !self.has_pending();
        if cached {
            self.items.scan(DocKind::Couple, &mut self.couple);
            self.items.scan(DocKind::Private, &mut self.private);
        }
        // Cached items carry the authors they were read with: read them again when a verdict
        // may have changed (a key trusted or a claim arriving after what it covers).
        let auth = self.authorship();
        let stale = match &self.read_with {
            Some((before, unverified)) => {
                before.verdicts() != auth.verdicts() || (*unverified && *before != auth)
            }
            None => true,
        };
        if stale {
            self.items.clear();
        }
        let writers = Writers::new(auth);
        let out = f(&ReadDocs {
            couple: &self.couple,
            private: &self.private,
            me: &self.me,
            now: self.now,
            cache: cached.then_some(&self.items),
            writers: &writers,
        });
        let unverified =
            writers.unverified.get() || (!stale && self.read_with.as_ref().is_some_and(|r| r.1));
        self.read_with = Some((writers.auth, unverified));
        out
    }

    /// Reveals sealed check-ins whose day or week both partners have now answered: my answers
    /// wait in my private document until the partner's seal arrives, then are copied into the
    /// couple document. Call after changes from another device merged. Writes nothing when
    /// nothing is due; the caller commits. Returns whether anything changed.
    pub fn reveal_checkins(&mut self, now: Timestamp) -> Result<bool, CoreError> {
        // Its own transaction, so a failure rolls back only what it wrote.
        self.commit(now);
        let Some(taken) = self.take_changed(Reader::Reveal, checkins::reveal_may_be_due) else {
            return Ok(false);
        };
        let result = checkins::reveal(
            &mut WriteDocs {
                couple: &mut self.couple,
                private: &mut self.private,
                me: &self.me,
                signer: self.signer.as_deref(),
            },
            now,
        );
        if result.is_err() {
            if self.couple.pending_ops() > 0 {
                self.couple.rollback();
            }
            self.items.give_back(Reader::Reveal, taken);
        }
        result
    }

    /// The same view as [`Model::view`], reading again only the items that changes since the
    /// previous call touched (`refresh.rs`); the window's worker calls it after every change.
    /// With typing not yet committed (its ops are in no change) it reads everything.
    pub fn refresh_view(&mut self) -> View {
        if self.has_pending() {
            return self.view();
        }
        let v = self.read_cached(read_view_with);
        self.items.settle();
        v
    }

    /// Reads both documents into one view. Unreadable items are listed in `errors`.
    pub fn view(&self) -> View {
        self.read_view(None)
    }

    fn read_view(&self, cache: Option<&ItemCache>) -> View {
        read_view_with(&ReadDocs {
            couple: &self.couple,
            private: &self.private,
            me: &self.me,
            now: self.now,
            cache,
            writers: &Writers::new(self.authorship()),
        })
    }
}

/// Reads both documents into one view, through the item cache if `r` has one.
fn read_view_with(r: &ReadDocs<'_>) -> View {
    let mut errors = Vec::new();
    let mut v = View {
        me: Some(r.me.clone()),
        ..View::default()
    };
    if let Some(e) = newer_schema(r.couple, "couple").or(newer_schema(r.private, "private")) {
        errors.push(e);
    }
    features::read_view(r, &mut v, &mut errors);
    authorship::settle_partner(r, &mut v);
    v.authorship = r.writers.auth.clone();
    v.errors = errors;
    v
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

/// Loads a private document received whole (a newer lineage from an own device), checked
/// like a stored one, with migrations this build knows added.
pub(crate) fn load_private(bytes: &[u8]) -> Result<AutoCommit, CoreError> {
    let mut doc = load_checked(bytes, private_genesis(), "private")?;
    crate::migrate::upgrade(&mut doc, DocKind::Private, crate::migrate::MIGRATIONS)?;
    Ok(doc)
}

/// A document-wide notice when a newer Kintsugi raised the document's schema.
fn newer_schema(doc: &AutoCommit, name: &str) -> Option<ItemError> {
    let found = match doc.get(ROOT, "schema") {
        Ok(Some((v, _))) => v.as_u64()?,
        _ => return None,
    };
    (found > SCHEMA_VERSION).then(|| {
        ItemError::newer(
            name,
            format!(
                "was updated on another device by a newer version of Kintsugi (schema {found}; this one reads {SCHEMA_VERSION}); parts of it may not show: update Kintsugi to see this"
            ),
        )
    })
}
