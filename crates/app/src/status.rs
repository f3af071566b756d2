//! The sync status every screen shows: whether the partner's device is reachable, when the devices last synced, and whether changes are waiting.

use egui::{RichText, Ui};
use kintsugi_service::PeerView;

use crate::Frame;
use crate::widgets::{self, ago};

/// What a paired device is called in status lines. The partner's device goes by the partner's
/// name while it is their only one; with several, each keeps its own label so they can be told
/// apart.
pub fn device_name(f: &Frame<'_>, peer: &PeerView) -> String {
    let partner_devices = f
        .snap
        .sync
        .peers
        .iter()
        .filter(|p| p.scope != "own_device")
        .count();
    if peer.scope != "own_device" && partner_devices == 1 {
        f.partner()
    } else {
        peer.label.clone()
    }
}

pub fn reachable_word(peer: &PeerView) -> &'static str {
    if peer.connected {
        "reachable"
    } else {
        "not reachable"
    }
}

pub fn synced_words(peer: &PeerView, now: i64) -> String {
    match peer.last_synced {
        Some(at) => format!("synced {}", ago(at, now)),
        None => "never synced".into(),
    }
}

/// The partner's devices first: they are what the status is mostly looked at for.
fn ordered<'a>(f: &'a Frame<'_>) -> Vec<&'a PeerView> {
    let mut peers: Vec<&PeerView> = f.snap.sync.peers.iter().collect();
    peers.sort_by_key(|p| p.scope == "own_device");
    peers
}

fn any_pending(f: &Frame<'_>) -> bool {
    f.snap.sync.peers.iter().any(|p| p.pending)
}

/// The status block in the sidebar.
pub fn sidebar(ui: &mut Ui, f: &Frame<'_>, now: i64) {
    let sync = &f.snap.sync;
    if sync.peers.is_empty() {
        ui.weak("Not paired — this device only");
        return;
    }
    for peer in ordered(f) {
        // Wrapped: a long device name must not be cut off in the narrow sidebar.
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            widgets::status_dot(ui, peer.connected);
            ui.label(format!(
                "{} — {}",
                device_name(f, peer),
                reachable_word(peer)
            ));
        });
        ui.weak(synced_words(peer, now));
        ui.add_space(4.0);
    }
    if any_pending(f) {
        ui.weak("Changes waiting to sync");
    }
    if let Some(e) = &sync.error {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("Syncing is off: {e}")).color(warn));
    }
}

/// The same, one line per device, for the top bar of a narrow window.
pub fn compact(ui: &mut Ui, f: &Frame<'_>, now: i64) {
    let sync = &f.snap.sync;
    if sync.peers.is_empty() {
        ui.weak("Not paired — this device only");
        return;
    }
    let pending = any_pending(f);
    for (i, peer) in ordered(f).into_iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            widgets::status_dot(ui, peer.connected);
            let mut line = format!(
                "{} — {} · {}",
                device_name(f, peer),
                reachable_word(peer),
                synced_words(peer, now)
            );
            // Said once, on the first line: waiting changes are this device's, not a peer's.
            if i == 0 && pending {
                line.push_str(" · changes waiting to sync");
            }
            ui.weak(line);
        });
    }
    if let Some(e) = &sync.error {
        let warn = ui.visuals().warn_fg_color;
        ui.label(RichText::new(format!("Syncing is off: {e}")).color(warn));
    }
}
