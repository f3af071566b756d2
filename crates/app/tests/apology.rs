//! The apology helper through AccessKit: the composer step by step with an excuse marked as a suggestion (never a block), drafts saved privately, sharing after a plain question, and the partner reading it with nothing to accept.

use std::collections::BTreeSet;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::DocKind;
use kintsugi_service::Vault;

mod common;
use common::{click, deliver, open, settle, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

/// The words of every button on screen.
fn buttons(h: &Harness<'_, KintsugiApp>) -> BTreeSet<String> {
    h.query_all_by_role(Role::Button)
        .filter_map(|b| b.accesskit_node().label())
        .collect()
}

fn contains(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

const DID: &str = "I lied to you about where I was on Friday, but I was exhausted.";
const IMPACT: &str = "You stopped believing what I say, and you lay awake wondering.";
const REGRET: &str = "I regret lying to you and letting you doubt yourself.";
const DIFFERENTLY: &str = "I will tell you where I am going before you have to ask.";
/// A second apology Sam only drafts: it must never reach Alex.
const UNSHARED: &str = "I read your diary in the spring and never told you.";

#[test]
fn composed_step_by_step_marked_shared_and_read_with_nothing_to_accept() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    drop(vault(db.path(), Some(("Alex", "Sam"))));

    // What Alex's screen offers before anything is shared, to compare with afterwards.
    let (hb, mut b) = open(db.path());
    click(&mut b, "Apologies");
    let alex_buttons_before = buttons(&b);
    hb.shutdown();
    drop(b);

    let (ha, mut a) = open(da.path());
    click(&mut a, "Apologies");
    click(&mut a, "Start a new apology");
    assert!(shows(&a, "Step 1 of 5"));
    assert!(shows(&a, "Only you can see drafts."));

    // Step 1, with an excuse in it: marked, explained, and a kinder way offered.
    type_into(&mut a, "What I did", DID);
    assert!(shows(&a, "Marked, as a suggestion"));
    assert!(a.query_by_label("\"but\"").is_some(), "the phrase is named");
    assert!(shows(&a, "tends to cancel what came before it"));
    assert!(shows(
        &a,
        "Instead: End the sentence where the responsibility ends."
    ));
    assert!(shows(&a, "\"I feel … when …\""));
    // The preview shows the whole text, with the phrase marked in it.
    assert!(a.query_by_label(DID).is_some());
    // A pause saves the draft privately, before any step change.
    for _ in 0..8 {
        a.step();
    }
    settle(&mut a);
    let v = view(&a);
    assert_eq!(v.apology_drafts.len(), 1, "saved at a pause");
    assert_eq!(v.apology_drafts[0].what_i_did, DID);
    assert!(v.apologies.is_empty(), "a draft is not shared");

    // Marks never block: on to the next steps.
    let next = a.get_by_role_and_label(Role::Button, "Next");
    assert!(!next.accesskit_node().is_disabled());
    click(&mut a, "Next");
    assert!(shows(&a, "Step 2 of 5"));
    type_into(&mut a, "The impact on you", IMPACT);
    click(&mut a, "Next");
    assert_eq!(
        view(&a).apology_drafts[0].impact,
        IMPACT,
        "saved on the step change"
    );
    type_into(&mut a, "My regret", REGRET);
    click(&mut a, "Next");

    // No excuses: everything so far, read through, the mark still there.
    assert!(shows(&a, "Step 4 of 5"));
    assert!(a.query_by_label("No excuses").is_some());
    assert_eq!(view(&a).apology_drafts[0].regret, REGRET);
    assert!(a.query_by_label(DID).is_some());
    assert!(a.query_by_label(IMPACT).is_some());
    assert!(a.query_by_label("\"but\"").is_some());
    assert!(shows(&a, "you can still save or share as it is"));
    // Back and forth keeps every word.
    click(&mut a, "Back");
    assert_eq!(a.get_by_label("My regret").value().as_deref(), Some(REGRET));
    click(&mut a, "Next");
    click(&mut a, "Next");
    assert!(shows(&a, "Step 5 of 5"));
    type_into(&mut a, "What I will do differently", DIFFERENTLY);
    click(&mut a, "Next: read it through");
    assert!(a.query_by_label("Read it through").is_some());
    assert!(a.query_by_label(DIFFERENTLY).is_some());
    assert_eq!(view(&a).apology_drafts[0].will_do_differently, DIFFERENTLY);

    // Shared only after a plain question, with the excuse still in it: a suggestion, not a block.
    click(&mut a, "Share with Alex…");
    assert!(shows(&a, "Share this apology with Alex?"));
    assert!(shows(&a, "no forgiveness"));
    click(&mut a, "Not yet");
    assert!(view(&a).apologies.is_empty());
    click(&mut a, "Share with Alex…");
    click(&mut a, "Yes, share with Alex");
    let v = view(&a);
    assert_eq!(v.apologies.len(), 1);
    let shared = &v.apologies[0];
    assert_eq!(
        (
            shared.what_i_did.as_str(),
            shared.impact.as_str(),
            shared.regret.as_str(),
            shared.will_do_differently.as_str()
        ),
        (DID, IMPACT, REGRET, DIFFERENTLY)
    );
    assert!(shows(
        &a,
        "Shared. Alex can read it once your devices sync."
    ));
    assert!(a.query_by_label("You shared this apology").is_some());
    assert!(shows(&a, "Shared with Alex as it is."));

    // A second apology, drafted and kept.
    click(&mut a, "Start a new apology");
    type_into(&mut a, "What I did", UNSHARED);
    click(&mut a, "Done for now");
    let v = view(&a);
    assert_eq!(v.apology_drafts.len(), 2);
    assert_eq!(v.apologies.len(), 1);
    assert!(shows(&a, "Not shared."));
    assert!(
        a.query_by_role_and_label(Role::Button, &format!("Open draft: {UNSHARED}"))
            .is_some()
    );
    ha.shutdown();
    drop(a);

    // Alex reads it: the words, and nothing to do with them.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Apologies");
    assert!(b.query_by_label("From Sam").is_some());
    assert!(b.query_by_label("An apology from Sam").is_some());
    for text in [DID, IMPACT, REGRET, DIFFERENTLY] {
        assert!(b.query_by_label(text).is_some(), "Alex reads: {text}");
    }
    assert!(
        b.query_by_label("Take your time. There is nothing you need to do with this.")
            .is_some()
    );
    // No accept button, and nothing asking for forgiveness: the shared apology adds no button.
    let after = buttons(&b);
    assert_eq!(
        after, alex_buttons_before,
        "the shared apology brings no button"
    );
    for label in &after {
        let l = label.to_lowercase();
        assert!(!l.contains("accept") && !l.contains("forgiv"), "{label}");
    }
    assert!(!shows(&b, "forgive"));
    // Sam's drafts never reach Alex: not on screen, not in the view.
    assert!(!shows(&b, UNSHARED));
    let v = view(&b);
    assert!(v.apology_drafts.is_empty());
    assert_eq!(v.apologies.len(), 1);
    hb.shutdown();
    drop(b);

    // And not a byte of the draft in Alex's copy of the shared document; the shared words are.
    let mut alex = Vault::open(db.path()).unwrap();
    let couple = alex.model_mut().doc_mut(DocKind::Couple).save_nocompress();
    assert!(
        contains(&couple, IMPACT),
        "the check can see text when it is there"
    );
    assert!(!contains(&couple, UNSHARED), "a draft reached the partner");
    drop(alex);
    let mut sam = Vault::open(da.path()).unwrap();
    let private = sam.model_mut().doc_mut(DocKind::Private).save_nocompress();
    assert!(contains(&private, UNSHARED), "the draft is kept, privately");
    let couple = sam.model_mut().doc_mut(DocKind::Couple).save_nocompress();
    assert!(!contains(&couple, UNSHARED));
}

#[test]
fn a_draft_opens_where_it_was_left_and_can_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h) = open(dir.path());
    click(&mut h, "Apologies");
    click(&mut h, "Start a new apology");
    type_into(&mut h, "What I did", UNSHARED);
    click(&mut h, "Next");
    type_into(&mut h, "The impact on you", IMPACT);
    // Leaving the screen saves what was typed.
    click(&mut h, "Journal");
    click(&mut h, "Apologies");
    let v = view(&h);
    assert_eq!(v.apology_drafts.len(), 1);
    assert_eq!(v.apology_drafts[0].impact, IMPACT);

    click(&mut h, "Done for now");
    click(&mut h, &format!("Open draft: {UNSHARED}"));
    assert_eq!(
        h.get_by_label("What I did").value().as_deref(),
        Some(UNSHARED)
    );
    click(&mut h, "Done for now");

    click(&mut h, &format!("Delete draft…: {UNSHARED}"));
    assert!(shows(&h, "Delete this draft?"));
    click(&mut h, &format!("Keep draft: {UNSHARED}"));
    assert_eq!(view(&h).apology_drafts.len(), 1);
    click(&mut h, &format!("Delete draft…: {UNSHARED}"));
    click(&mut h, &format!("Delete draft: {UNSHARED}"));
    assert!(view(&h).apology_drafts.is_empty());
    assert!(!shows(&h, UNSHARED));
    handle.shutdown();
}
