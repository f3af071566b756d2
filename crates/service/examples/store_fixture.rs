//! Writes a store fixture: one partner's `kintsugi.redb` holding items of every kind from both partners.

// `cargo run --locked -p kintsugi-service --example store_fixture -- tests/fixtures/store-vN`
// (store-v1: schema 1, release 217752e; store-v2: schema 2, sealed check-ins and reminders;
// store-v3: schema 3, breaks and the shared reassurance plan; store-v4-encrypted: layout 2, the
// same data sealed under a passphrase, made with `-- tests/fixtures/store-v4-encrypted PASSPHRASE`,
// which writes the passphrase beside it in `passphrase.txt`; store-v5: schema 4, seals with
// digests, final answers with a later note)
//
// Every release that changes the documents' format commits the output of this example (run by
// *that* release) as a new `tests/fixtures/store-vN`; `crates/service/tests/fixtures.rs` makes
// every later version open each fixture and show the same data. Ids and times are fixed, so the
// data is the same on every run; the partner ids and actors are random, which the expected view
// records as they came out.

use std::path::{Path, PathBuf};

use kintsugi_core::{
    ApologyFields, Command, DailyAnswers, DocKind, ItemId, LogStatus, RitualKind, WeeklyAnswers,
    WinKind,
};
use kintsugi_service::{PeerRecord, Vault};

/// 2026-11-30 09:00 UTC, and a minute later for every step.
const T0: i64 = 1_796_029_200_000;

fn id(s: &str) -> ItemId {
    ItemId(s.to_owned())
}

struct Clock(i64);

impl Clock {
    fn next(&mut self) -> i64 {
        self.0 += 60_000;
        self.0
    }
}

fn apply(v: &mut Vault, t: &mut Clock, cmds: Vec<Command>) {
    for c in cmds {
        let now = t.next();
        v.apply(c.clone(), now)
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
    }
    v.save(t.next()).expect("save");
}

fn partner_a(v: &mut Vault, t: &mut Clock) {
    apply(
        v,
        t,
        vec![
            Command::SetUp {
                my_name: "Alex".into(),
                partner_name: "Sam".into(),
            },
            Command::AddJournalEntry {
                id: id("j-private"),
                date: "2026-11-28".into(),
                mood: Some(2),
                tags: vec!["fear".into(), "night".into()],
                text: "What am I afraid of? That this is all for show. Zürich ☕ — a private line."
                    .into(),
                prompt: Some("What am I afraid of?".into()),
            },
            Command::AddJournalEntry {
                id: id("j-shared"),
                date: "2026-11-29".into(),
                mood: Some(4),
                tags: vec!["walk".into()],
                text: "The walk helped. I noticed you waited for me.".into(),
                prompt: None,
            },
            Command::SpliceJournalText {
                id: id("j-shared"),
                pos: 0,
                delete: 3,
                insert: "Our".into(),
            },
            Command::ShareJournalEntry { id: id("j-shared") },
            Command::SpliceSection {
                section: "boundaries".into(),
                pos: 0,
                delete: 0,
                insert: "No contact with the colleague outside work.".into(),
            },
            Command::AddSection {
                id: id("s-money"),
                title: "Money".into(),
            },
            Command::SpliceSection {
                section: "s-money".into(),
                pos: 0,
                delete: 0,
                insert: "Shared account statements on the first Sunday.".into(),
            },
            Command::AffirmAgreement,
            Command::SetReassurancePlan {
                text: "Hold my hand, tell me where you are, stay in the room.".into(),
            },
            Command::SaveDailyCheckIn {
                date: "2026-11-29".into(),
                answers: DailyAnswers {
                    mood: 3,
                    connection: 2,
                    safety: 3,
                    high: "Coffee together".into(),
                    low: "A late message".into(),
                    need: "Tell me when you are late".into(),
                },
            },
            Command::SaveWeeklyCheckIn {
                week: "2026-W48".into(),
                answers: WeeklyAnswers {
                    how_it_went: "Better than last week".into(),
                    agreements: "The money section is new".into(),
                    commitments: "Kept most".into(),
                    wins: "The Thursday talk".into(),
                    for_therapy: "Late evenings".into(),
                },
            },
            // Alex alone answers the 30th: it stays sealed in Alex's private document.
            Command::SaveDailyCheckIn {
                date: "2026-11-30".into(),
                answers: DailyAnswers {
                    mood: 4,
                    connection: 4,
                    safety: 4,
                    high: "Sealed: only Alex answered this day".into(),
                    low: String::new(),
                    need: String::new(),
                },
            },
            Command::SetReminders {
                settings: kintsugi_core::ReminderSettings {
                    daily: kintsugi_core::parse_time("20:30"),
                    weekly: kintsugi_core::parse_weekly("sun@18:00"),
                    evening_log: kintsugi_core::parse_time("21:15"),
                },
            },
            Command::SpliceReassurancePlan {
                pos: 0,
                delete: 0,
                insert: "Stay in the room. Tell me where you are.".into(),
            },
            Command::StartBreak {
                id: id("br-1"),
                ends_at: T0 + 10 * 3_600_000,
                note: "We were both too loud".into(),
            },
            Command::ExtendBreak {
                id: id("br-1"),
                minutes: 20,
            },
            Command::EndBreak { id: id("br-1") },
            Command::AskQuestion {
                id: id("q-1"),
                text: "Where were you on the 3rd?".into(),
            },
            Command::AskAgain { id: id("q-1") },
            Command::AddWin {
                id: id("w-a"),
                kind: WinKind::Appreciation,
                text: "Thank you for the flowers.".into(),
            },
            Command::AddRitual {
                id: id("r-coffee"),
                kind: RitualKind::Ritual,
                title: "Morning coffee".into(),
                date: Some("2026-11-30".into()),
                rhythm: None,
            },
            Command::SetRitualDone {
                id: id("r-coffee"),
                done: true,
            },
            Command::AddTherapyTopic {
                id: id("t-1"),
                text: "How we argue at night".into(),
                from: None,
            },
            Command::AddSelfCare {
                id: id("sc-breathe"),
                text: "Breathe in four, out six".into(),
            },
            Command::AddSelfCare {
                id: id("sc-gone"),
                text: "Removed again".into(),
            },
            Command::RemoveSelfCare { id: id("sc-gone") },
            Command::SaveApologyDraft {
                id: id("ap-a-draft"),
                fields: ApologyFields {
                    what_i_did: "I went silent for two days".into(),
                    impact: "You felt shut out".into(),
                    regret: String::new(),
                    will_do_differently: String::new(),
                },
            },
            Command::RaiseTrigger {
                id: id("tr-1"),
                note: "The phone face down".into(),
            },
        ],
    );
}

fn partner_b(v: &mut Vault, t: &mut Clock) {
    apply(
        v,
        t,
        vec![
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            Command::AddJournalEntry {
                id: id("j-b-private"),
                date: "2026-11-29".into(),
                mood: Some(3),
                tags: vec![],
                text: "Sam's own page, never in Alex's store.".into(),
                prompt: None,
            },
            Command::SpliceSection {
                section: "transparency".into(),
                pos: 0,
                delete: 0,
                insert: "Phone open on the table when asked.".into(),
            },
            Command::SaveDailyCheckIn {
                date: "2026-11-29".into(),
                answers: DailyAnswers {
                    mood: 4,
                    connection: 3,
                    safety: 4,
                    high: "The walk".into(),
                    low: "Work".into(),
                    need: "Patience".into(),
                },
            },
            Command::AddCommitment {
                id: id("c-home"),
                text: "Home by 6 on weekdays".into(),
                rhythm: kintsugi_core::Rhythm::Weekdays,
                start: "2026-11-23".into(),
            },
            Command::LogCommitment {
                id: id("c-home"),
                date: "2026-11-27".into(),
                status: LogStatus::Kept,
                note: String::new(),
            },
            Command::LogCommitment {
                id: id("c-home"),
                date: "2026-11-28".into(),
                status: LogStatus::DisclosedBeforeAsked,
                note: "Train delayed; I texted first".into(),
            },
            Command::AddCommitment {
                id: id("c-paused"),
                text: "Meeting every Thursday".into(),
                rhythm: kintsugi_core::Rhythm::Days(vec![chrono::Weekday::Thu]),
                start: "2026-11-23".into(),
            },
            Command::SetCommitmentState {
                id: id("c-paused"),
                state: kintsugi_core::CommitmentState::Paused,
                date: "2026-11-28".into(),
            },
            Command::SaveWeeklyCheckIn {
                week: "2026-W48".into(),
                answers: WeeklyAnswers {
                    how_it_went: "Slow, but we talked".into(),
                    agreements: "Phone rule works".into(),
                    commitments: "One late evening".into(),
                    wins: "Alex laughed again".into(),
                    for_therapy: "How to ask without accusing".into(),
                },
            },
            Command::AddDisclosure {
                id: id("d-1"),
                text: "She wrote to me yesterday; I did not answer.".into(),
                before_asked: true,
            },
            Command::AddWin {
                id: id("w-b"),
                kind: WinKind::HonestMoment,
                text: "I said it before you asked.".into(),
            },
            Command::AddRitual {
                id: id("r-date"),
                kind: RitualKind::DateNight,
                title: "Dinner at Luca's".into(),
                date: Some("2026-12-05".into()),
                rhythm: None,
            },
            Command::SaveApologyDraft {
                id: id("ap-draft"),
                fields: ApologyFields {
                    what_i_did: "I hid the messages".into(),
                    impact: "You stopped sleeping".into(),
                    regret: "I regret it deeply".into(),
                    will_do_differently: "Tell you the same day".into(),
                },
            },
            Command::SaveApologyDraft {
                id: id("ap-shared"),
                fields: ApologyFields {
                    what_i_did: "I lied about the 3rd".into(),
                    impact: "You doubted yourself".into(),
                    regret: "I am sorry".into(),
                    will_do_differently: "Answer the first time".into(),
                },
            },
            Command::ShareApology {
                id: id("ap-shared"),
            },
        ],
    );
}

/// Moves every couple change of `from` into `to`, as a sync would.
fn merge_couple(to: &mut Vault, from: &mut Vault, now: i64) {
    let theirs = from.model_mut().doc_mut(DocKind::Couple);
    to.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(theirs)
        .expect("merge");
    // As the worker does after a merge: answers both partners gave are revealed.
    to.model_mut().reveal_checkins(now).expect("reveal");
    to.mark_changed();
    to.save(now).expect("save merge");
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: store_fixture OUT_DIR [PASSPHRASE]"),
    );
    std::fs::create_dir_all(&out).expect("out dir");
    let tmp = std::env::temp_dir().join(format!("kintsugi-fixture-{}", std::process::id()));
    let (a_dir, b_dir) = (tmp.join("a"), tmp.join("b"));
    let mut t = Clock(T0);
    let mut a = Vault::open(&a_dir).expect("open a");
    let mut b = Vault::open(&b_dir).expect("open b");
    // Paired first, as only paired devices exchange documents: each one's authors verify
    // against the other's device key (schema 4).
    let (a_id, b_id) = (device_id(&a), device_id(&b));
    pair(&mut a, b_id, "Sam's laptop", None);
    pair(&mut b, a_id, "Alex's laptop", None);
    partner_a(&mut a, &mut t);
    partner_b(&mut b, &mut t);
    merge_couple(&mut b, &mut a, t.next());
    // Sam answers Alex's question and acknowledges the trigger once Alex's changes arrived.
    apply(
        &mut b,
        &mut t,
        vec![
            Command::AnswerQuestion {
                question: id("q-1"),
                id: id("qa-1"),
                text: "At my sister's. I should have said so at once.".into(),
            },
            Command::AcknowledgeTrigger { id: id("tr-1") },
        ],
    );
    merge_couple(&mut a, &mut b, t.next());
    apply(
        &mut a,
        &mut t,
        vec![
            Command::AcknowledgeCommitmentLog {
                id: id("c-home"),
                date: "2026-11-28".into(),
                note: "Thank you for texting.".into(),
            },
            Command::AcknowledgeDisclosure {
                id: id("d-1"),
                response: "Thank you for telling me.".into(),
            },
            // Schema 4: both answers of the 29th are shown (final); a later thought is a note.
            Command::AddCheckInNote {
                id: id("note-29"),
                weekly: false,
                period: "2026-11-29".into(),
                text: "Reading yours, the late message hurt more than I said.".into(),
            },
        ],
    );
    // The shared entry's copy enters the couple document only while the partner is connected.
    let now = t.next();
    a.model_mut().publish_shares(now).expect("publish");
    a.mark_changed();
    a.save(now).expect("save shares");
    pair(&mut a, b_id, "Sam's laptop", Some(now));

    let view = serde_json::to_string_pretty(&a.view()).expect("json");
    drop(a);
    drop(b);
    // An encrypted format's fixture: the same data, sealed under a passphrase kept beside it.
    if let Some(pass) = std::env::args().nth(2) {
        let vault = Vault::open(&a_dir).expect("reopen a");
        vault
            .set_passphrase(&pass.clone().into(), &mut |_, _| {})
            .expect("set passphrase");
        drop(vault);
        std::fs::write(out.join("passphrase.txt"), pass + "\n").expect("passphrase.txt");
    }
    copy(&a_dir.join("kintsugi.redb"), &out.join("kintsugi.redb"));
    std::fs::write(out.join("view.json"), view + "\n").expect("view.json");
    std::fs::remove_dir_all(&tmp).ok();
    println!("wrote {}", out.display());
}

fn device_id(v: &Vault) -> [u8; 32] {
    kintsugi_service::endpoint_id_of(&v.secret_key().expect("device key"))
}

/// Records the partner's device `id` as paired with `v` (and, with `synced`, when they last
/// synced).
fn pair(v: &mut Vault, id: [u8; 32], label: &str, synced: Option<i64>) {
    v.put_peer(
        &id,
        &PeerRecord {
            scope: "partner".into(),
            addrs: vec!["127.0.0.1:4455".into()],
            label: label.into(),
            paired_at: T0,
            last_synced: synced,
            synced_heads: Vec::new(),
            addr_seen: Default::default(),
            last_path: None,
        },
    )
    .expect("peer");
    v.refresh_trust().expect("trust");
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}
