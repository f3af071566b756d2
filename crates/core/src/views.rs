//! Plain read views of the documents: what the UI draws and the CLI prints.

use serde::Serialize;

use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::read::ItemError;

/// Everything the local partner can see, read from both documents at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct View {
    pub me: Option<PartnerId>,
    pub my_name: String,
    /// The name the local partner uses for the other partner.
    pub partner_name: String,
    /// The other partner's id once their device has written to the couple document.
    pub partner: Option<PartnerId>,
    pub members: Vec<Member>,
    pub journal: Vec<JournalEntry>,
    pub agreement: Vec<Section>,
    pub affirmations: Vec<Affirmation>,
    /// Digest of the agreement text as it stands now; an affirmation of another digest is outdated.
    pub agreement_digest: String,
    pub daily_checkins: Vec<DailyCheckIn>,
    pub weekly_checkins: Vec<WeeklyCheckIn>,
    pub commitments: Vec<Commitment>,
    pub disclosures: Vec<Disclosure>,
    pub triggers: Vec<Trigger>,
    pub questions: Vec<Question>,
    pub wins: Vec<Win>,
    pub rituals: Vec<Ritual>,
    pub apologies: Vec<Apology>,
    pub apology_drafts: Vec<Apology>,
    pub therapy_topics: Vec<TherapyTopic>,
    pub shared_entries: Vec<SharedEntry>,
    pub self_care: Vec<SelfCareItem>,
    pub reassurance_plans: Vec<ReassurancePlan>,
    /// Items that could not be read (wrong type, too large, newer version). Shown, never fatal.
    pub errors: Vec<ItemError>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Member {
    pub id: PartnerId,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JournalEntry {
    pub id: ItemId,
    pub date: String,
    /// 1 (very low) ..= 5 (very good).
    pub mood: Option<u8>,
    pub tags: Vec<String>,
    pub text: String,
    pub prompt: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// True while a copy of the entry lives in the couple document.
    pub shared: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Section {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub order: i64,
    pub edited_by: Option<PartnerId>,
    pub edited_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Affirmation {
    pub by: PartnerId,
    pub at: Timestamp,
    pub digest: String,
    /// False once the agreement text changed after this affirmation.
    pub current: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DailyCheckIn {
    pub date: String,
    pub by: PartnerId,
    pub mood: u8,
    pub connection: u8,
    pub safety: u8,
    pub high: String,
    pub low: String,
    pub need: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WeeklyCheckIn {
    pub week: String,
    pub by: PartnerId,
    pub how_it_went: String,
    pub agreements: String,
    pub commitments: String,
    pub wins: String,
    pub for_therapy: String,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogStatus {
    Kept,
    Missed,
    /// Missed, but told before being asked: counted as a trust win.
    DisclosedBeforeAsked,
}

impl LogStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LogStatus::Kept => "kept",
            LogStatus::Missed => "missed",
            LogStatus::DisclosedBeforeAsked => "disclosed_before_asked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kept" => Some(LogStatus::Kept),
            "missed" => Some(LogStatus::Missed),
            "disclosed_before_asked" => Some(LogStatus::DisclosedBeforeAsked),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Commitment {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub created_at: Timestamp,
    pub active: bool,
    pub log: Vec<CommitmentLog>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CommitmentLog {
    pub date: String,
    pub status: LogStatus,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_by: Option<PartnerId>,
    pub acknowledged_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Disclosure {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub before_asked: bool,
    pub at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub response: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Trigger {
    pub id: ItemId,
    pub by: PartnerId,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Question {
    pub id: ItemId,
    pub asked_by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    /// Each time the question was asked again.
    pub asked_again: Vec<Timestamp>,
    pub answers: Vec<Answer>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Answer {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WinKind {
    TrustWin,
    HonestMoment,
    Appreciation,
}

impl WinKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WinKind::TrustWin => "trust_win",
            WinKind::HonestMoment => "honest_moment",
            WinKind::Appreciation => "appreciation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trust_win" => Some(WinKind::TrustWin),
            "honest_moment" => Some(WinKind::HonestMoment),
            "appreciation" => Some(WinKind::Appreciation),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Win {
    pub id: ItemId,
    pub by: PartnerId,
    pub kind: WinKind,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RitualKind {
    Ritual,
    DateNight,
    Project,
}

impl RitualKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RitualKind::Ritual => "ritual",
            RitualKind::DateNight => "date_night",
            RitualKind::Project => "project",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ritual" => Some(RitualKind::Ritual),
            "date_night" => Some(RitualKind::DateNight),
            "project" => Some(RitualKind::Project),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Ritual {
    pub id: ItemId,
    pub by: PartnerId,
    pub kind: RitualKind,
    pub title: String,
    pub date: Option<String>,
    pub done_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Apology {
    pub id: ItemId,
    pub by: PartnerId,
    pub what_i_did: String,
    pub impact: String,
    pub regret: String,
    pub will_do_differently: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TherapyTopic {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub at: Timestamp,
    pub discussed: bool,
}

/// A journal entry its author chose to share: a copy living in the couple document.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SharedEntry {
    pub id: ItemId,
    pub by: PartnerId,
    pub date: String,
    pub mood: Option<u8>,
    pub tags: Vec<String>,
    pub text: String,
    pub prompt: Option<String>,
    pub shared_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SelfCareItem {
    pub id: ItemId,
    pub text: String,
}

/// What a partner asks for when they are triggered, shown on the other's device.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReassurancePlan {
    pub by: PartnerId,
    pub text: String,
}

impl JournalEntry {
    /// Search as the journal offers it: `query`, ignoring case and surrounding space, in the
    /// text, a tag or the prompt. An empty query matches every entry.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim().to_lowercase();
        q.is_empty()
            || self.text.to_lowercase().contains(&q)
            || self.tags.iter().any(|t| t.to_lowercase().contains(&q))
            || self
                .prompt
                .as_deref()
                .is_some_and(|p| p.to_lowercase().contains(&q))
    }
}

impl View {
    /// The other partner's display name, falling back to what they call themselves.
    pub fn name_of(&self, id: &PartnerId) -> String {
        if self.me.as_ref() == Some(id) {
            return self.my_name.clone();
        }
        if !self.partner_name.is_empty() {
            return self.partner_name.clone();
        }
        self.members
            .iter()
            .find(|m| &m.id == id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| "your partner".to_owned())
    }

    /// Both answers of one day: mine and the partner's, each if present.
    pub fn daily_pair(&self, date: &str) -> (Option<&DailyCheckIn>, Option<&DailyCheckIn>) {
        let mine = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) == self.me.as_ref());
        let theirs = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) != self.me.as_ref());
        (mine, theirs)
    }

    pub fn is_set_up(&self) -> bool {
        !self.my_name.is_empty()
    }
}
