//! Every change a person can make, as one typed command; the UI and CLI send these, never ops.

use crate::features::{
    CommitmentState, LogStatus, ReminderSettings, ReviewOutcome, Rhythm, RitualKind, WinKind,
};
use crate::history::TextTarget;
use crate::ids::{ItemId, Timestamp};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DailyAnswers {
    pub mood: u8,
    pub connection: u8,
    pub safety: u8,
    pub high: String,
    pub low: String,
    pub need: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct WeeklyAnswers {
    pub how_it_went: String,
    pub agreements: String,
    pub commitments: String,
    pub wins: String,
    pub for_therapy: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ApologyFields {
    pub what_i_did: String,
    pub impact: String,
    pub regret: String,
    pub will_do_differently: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// First run: my name, and the name I use for my partner.
    SetUp {
        my_name: String,
        partner_name: String,
    },
    SetNames {
        my_name: String,
        partner_name: String,
    },

    // Private journal.
    AddJournalEntry {
        id: ItemId,
        date: String,
        mood: Option<u8>,
        tags: Vec<String>,
        text: String,
        prompt: Option<String>,
    },
    /// Date, mood, tags and prompt; the text changes only through splices.
    UpdateJournalMeta {
        id: ItemId,
        date: String,
        mood: Option<u8>,
        tags: Vec<String>,
        prompt: Option<String>,
    },
    SpliceJournalText {
        id: ItemId,
        pos: usize,
        delete: usize,
        insert: String,
    },
    DeleteJournalEntry {
        id: ItemId,
    },
    /// Copies the entry into the couple document; the partner's devices receive it.
    ShareJournalEntry {
        id: ItemId,
    },
    /// Removes the shared copy from the couple document from now on.
    UnshareJournalEntry {
        id: ItemId,
    },

    // Agreement.
    AddSection {
        id: ItemId,
        title: String,
    },
    RenameSection {
        section: String,
        title: String,
    },
    SpliceSection {
        section: String,
        pos: usize,
        delete: usize,
        insert: String,
    },
    DeleteSection {
        section: String,
    },
    /// Brings back the wording a section (or the plan) had at `at`, as a new edit: splices from
    /// the wording now to the wording then, so history keeps both and the partner merges it.
    RestoreText {
        target: TextTarget,
        at: Timestamp,
    },
    /// A temporary measure's review date (`YYYY-MM-DD`), or none.
    SetSectionReviewDate {
        section: String,
        date: Option<String>,
    },
    /// The couple reviewed a section: kept, changed or ended; `next` is the next review date.
    RecordSectionReview {
        id: ItemId,
        section: String,
        outcome: ReviewOutcome,
        note: String,
        next: Option<String>,
    },
    /// Binds my affirmation to the agreement text as it stands now.
    AffirmAgreement,
    /// The old per-partner plan; kept so earlier data and callers still work.
    SetReassurancePlan {
        text: String,
    },
    /// Typing in the one reassurance plan both partners write.
    SpliceReassurancePlan {
        pos: usize,
        delete: usize,
        insert: String,
    },

    // Check-ins.
    SaveDailyCheckIn {
        date: String,
        answers: DailyAnswers,
    },
    SaveWeeklyCheckIn {
        week: String,
        answers: WeeklyAnswers,
    },
    /// A later thought on a day's (or, `weekly`, a week's) answers once both partners' answers
    /// are shown; the answers themselves are then final.
    AddCheckInNote {
        id: ItemId,
        weekly: bool,
        period: String,
        text: String,
    },

    // Commitments.
    AddCommitment {
        id: ItemId,
        text: String,
        rhythm: Rhythm,
        /// The first day it counts (today, where the person lives).
        start: String,
    },
    /// Pause, resume or retire, from `date` on. Retired is final.
    SetCommitmentState {
        id: ItemId,
        state: CommitmentState,
        date: String,
    },
    LogCommitment {
        id: ItemId,
        date: String,
        status: LogStatus,
        note: String,
    },
    AcknowledgeCommitmentLog {
        id: ItemId,
        date: String,
        note: String,
    },

    // Disclosures, triggers, questions.
    AddDisclosure {
        id: ItemId,
        text: String,
        before_asked: bool,
    },
    AcknowledgeDisclosure {
        id: ItemId,
        response: String,
    },
    RaiseTrigger {
        id: ItemId,
        note: String,
    },
    AcknowledgeTrigger {
        id: ItemId,
    },
    AskQuestion {
        id: ItemId,
        text: String,
    },
    AskAgain {
        id: ItemId,
    },
    AnswerQuestion {
        question: ItemId,
        id: ItemId,
        text: String,
    },

    // Wins, time together, apologies, therapy.
    AddWin {
        id: ItemId,
        kind: WinKind,
        text: String,
    },
    AddRitual {
        id: ItemId,
        kind: RitualKind,
        title: String,
        /// A one-off's day, or the first day of a recurring ritual.
        date: Option<String>,
        /// None: a one-off.
        rhythm: Option<Rhythm>,
    },
    /// Marks (or unmarks) a one-off plan on its own date.
    SetRitualDone {
        id: ItemId,
        done: bool,
    },
    /// Either partner marks a plan done on a day (a recurring ritual once per day).
    MarkRitualDone {
        id: ItemId,
        on: String,
        done: bool,
    },
    SaveApologyDraft {
        id: ItemId,
        fields: ApologyFields,
    },
    DeleteApologyDraft {
        id: ItemId,
    },
    /// Publishes a draft to the couple document.
    ShareApology {
        id: ItemId,
    },
    AddTherapyTopic {
        id: ItemId,
        text: String,
        /// Where it came from, in words ("question", "trigger 2026-11-20").
        from: Option<String>,
    },
    SetTherapyTopicDiscussed {
        id: ItemId,
        discussed: bool,
    },
    AddSelfCare {
        id: ItemId,
        text: String,
    },
    RemoveSelfCare {
        id: ItemId,
    },
    // Breaks.
    /// Refused while another break runs; `ends_at` is absolute (ms since the epoch, UTC).
    StartBreak {
        id: ItemId,
        ends_at: Timestamp,
        note: String,
    },
    ExtendBreak {
        id: ItemId,
        minutes: u32,
    },
    EndBreak {
        id: ItemId,
    },
    /// My reminder times; private, travels only to my own devices.
    SetReminders {
        settings: ReminderSettings,
    },
}

impl Command {
    /// Keystrokes in a text box. They join the open typing batch (committed at a pause) instead
    /// of closing it, so a paragraph is one change, not one per character.
    pub fn is_typing(&self) -> bool {
        matches!(
            self,
            Command::SpliceJournalText { .. }
                | Command::SpliceSection { .. }
                | Command::SpliceReassurancePlan { .. }
        )
    }
}
