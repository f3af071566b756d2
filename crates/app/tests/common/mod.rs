//! Helpers shared by the window tests: a real vault in a temp directory, a harness, and the
//! steps a person takes (type, paste, click), each waiting for the worker before drawing again.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, DocKind};
use kintsugi_service::{Handle, Vault};

/// A vault in `dir`, set up with (my name, partner's name) when given.
pub fn vault(dir: &Path, names: Option<(&str, &str)>) -> Vault {
    let mut v = Vault::open(dir).expect("open vault");
    if let Some((me, partner)) = names {
        v.apply(
            Command::SetUp {
                my_name: me.into(),
                partner_name: partner.into(),
            },
            1,
        )
        .expect("set up");
        v.save(1).expect("save");
    }
    v
}

pub fn harness(handle: Handle, width: f32) -> Harness<'static, KintsugiApp> {
    // The worker asks for a repaint whenever a new snapshot lands, which can be during `run()`
    // in a two-device test; a few spare steps keep that from failing a test that then settles.
    Harness::builder()
        .with_size([width, 900.0])
        .with_max_steps(12)
        .build_ui_state(
            |ui, app: &mut KintsugiApp| app.show(ui),
            KintsugiApp::new(handle).with_data_dir_label("/tmp/kintsugi-test"),
        )
}

/// Lets the frame act on queued input, waits until the worker has saved every command, then
/// draws the new snapshot.
pub fn settle(h: &mut Harness<'_, KintsugiApp>) {
    h.step();
    let handle = h.state().handle().clone();
    assert!(
        handle.wait_saved(Duration::from_secs(10)),
        "worker did not save in time"
    );
    h.run();
}

fn focus(h: &mut Harness<'_, KintsugiApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).focus();
    h.run();
}

/// Types into a box key by key, as a person would.
pub fn type_into(h: &mut Harness<'_, KintsugiApp>, label: &str, text: &str) {
    focus(h, label);
    h.get_by_label(label).type_text(text);
    settle(h);
}

/// Replaces the text of a box, as a screen reader or a paste would.
pub fn set_text(h: &mut Harness<'_, KintsugiApp>, label: &str, text: &str) {
    focus(h, label);
    h.get_by_label(label).set_text_value_accesskit(text);
    settle(h);
}

/// Clicks a button, scrolled into view first, without waiting for the worker. On a narrow
/// window the screens sit behind the "Menu" button, which is opened first.
pub fn press(h: &mut Harness<'_, KintsugiApp>, label: &str) {
    if h.query_by_role_and_label(Role::Button, label).is_none()
        && h.query_by_role_and_label(Role::Button, "Menu").is_some()
    {
        h.get_by_role_and_label(Role::Button, "Menu").click();
        h.run();
    }
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, label).click();
}

/// Clicks a button and waits for what it sent to be applied and drawn.
pub fn click(h: &mut Harness<'_, KintsugiApp>, label: &str) {
    press(h, label);
    settle(h);
}

/// Records `other` as a device `v` paired with (its partner's, or its own when both are the
/// same partner's), as pairing does: only paired devices exchange documents, and authors are
/// verified against the paired devices' keys.
pub fn pair_vaults(v: &mut Vault, other: &Vault) {
    let id = kintsugi_service::endpoint_id_of(&other.secret_key().expect("device key"));
    if v.peers().expect("peers").iter().any(|(p, _)| *p == id) {
        return;
    }
    let own = v.me() == other.me();
    let rec = kintsugi_service::PeerRecord {
        scope: if own { "own_device" } else { "partner" }.into(),
        addrs: Vec::new(),
        label: "paired in a test".into(),
        paired_at: 1,
        last_synced: None,
        synced_heads: Vec::new(),
        addr_seen: Default::default(),
        last_path: None,
    };
    v.put_peer(&id, &rec).expect("pair");
    v.refresh_trust().expect("trust");
}

/// What a sync would deliver: the couple document of `from` merged into `into`, then the
/// reveal of check-ins the service runs after a peer's changes arrive. Neither vault may be
/// open in a worker at the time.
pub fn deliver(from: &Path, into: &Path) {
    let mut src = Vault::open(from).expect("open sender");
    let mut dst = Vault::open(into).expect("open receiver");
    pair_vaults(&mut dst, &src);
    pair_vaults(&mut src, &dst);
    let mut theirs = src.model_mut().doc_mut(DocKind::Couple).fork();
    dst.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)
        .expect("merge");
    dst.mark_changed();
    let now = kintsugi_service::now_ms();
    dst.model_mut().reveal_checkins(now).expect("reveal");
    dst.save(now).expect("save");
}

/// A window on the vault in `dir`, drawn once.
pub fn open(dir: &Path) -> (Handle, Harness<'static, KintsugiApp>) {
    let handle = kintsugi_service::spawn(Vault::open(dir).expect("open vault"));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    (handle, h)
}
