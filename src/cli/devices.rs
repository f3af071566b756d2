//! `kintsugi pair`, `peers`, `unpair`, `sync` and `status`: this device's paired devices and syncing with them.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_service::{
    ConnectionPath, Handle, NetOptions, NetRequest, PairingOutcome, PeerView, RelayView, Snapshot,
    Vault, now_ms, spawn_with,
};

use super::{local_time, net_options};

#[derive(Subcommand, Debug)]
pub enum PairCmd {
    /// Print a pairing code, wait for the other device to join, print the safety code.
    Invite {
        /// Invite another device of your own (it also receives your private journal).
        #[arg(long)]
        own_device: bool,
        /// Stop waiting after this many seconds (the code is valid for 10 minutes).
        #[arg(long, value_name = "SECS", default_value_t = 600)]
        timeout: u64,
    },
    /// Join with a code printed or shown by the other device; prints the safety code.
    Join {
        code: String,
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        timeout: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum PeersCmd {
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn peers(mut vault: Vault, cmd: PeersCmd, out: &mut dyn Write) -> Result<()> {
    let PeersCmd::List { json } = cmd;
    let peers = vault.peer_views(|_| false);
    if json {
        serde_json::to_writer_pretty(&mut *out, &peers)?;
        writeln!(out)?;
    } else if peers.is_empty() {
        writeln!(
            out,
            "No paired devices. Pair with `kintsugi pair invite` on one device and `kintsugi pair join CODE` on the other."
        )?;
    } else {
        for p in &peers {
            writeln!(
                out,
                "{}  {:<10} {}  {}",
                p.short_id(),
                scope_word(&p.scope),
                p.label,
                synced_words(p)
            )?;
        }
    }
    Ok(())
}

/// Forgets a paired device through the worker, the same way the window does; the network stays
/// off, so unpairing works offline.
pub fn unpair(vault: Vault, peer: &str, out: &mut dyn Write) -> Result<()> {
    let handle = spawn_with(
        vault,
        NetOptions {
            start: false,
            ..net_options()?
        },
    );
    handle.net(NetRequest::Unpair {
        id: peer.to_owned(),
    });
    let ok = handle.wait_saved(Duration::from_secs(10));
    let snap = handle.snapshot();
    handle.shutdown();
    if let Some((_, e)) = &snap.last_error {
        bail!("{e}");
    }
    if !ok {
        bail!("unpairing did not finish in time");
    }
    writeln!(
        out,
        "Unpaired {peer}. Everything on this device is kept; that device can no longer connect."
    )?;
    Ok(())
}

pub fn status(dir: &Path, mut vault: Vault, json: bool, out: &mut dyn Write) -> Result<()> {
    let peers = vault.peer_views(|_| false);
    let device_id = vault
        .secret_key()
        .map(|k| hex::encode(kintsugi_service::endpoint_id_of(&k)))
        .unwrap_or_default();
    if json {
        #[derive(serde::Serialize)]
        struct Status<'a> {
            device_id: String,
            data_dir: String,
            peers: &'a [PeerView],
        }
        serde_json::to_writer_pretty(
            &mut *out,
            &Status {
                device_id,
                data_dir: dir.display().to_string(),
                peers: &peers,
            },
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "This device: {}", &device_id[..8.min(device_id.len())])?;
        writeln!(out, "Data: {}", dir.display())?;
        if peers.is_empty() {
            writeln!(out, "Not paired with any device.")?;
        }
        for p in &peers {
            let how = match p.path {
                Some(ConnectionPath::Relay) => ", last connected through the relay",
                Some(ConnectionPath::Direct) => ", last connected directly",
                None => "",
            };
            writeln!(
                out,
                "{}  {}: {}{how}",
                p.short_id(),
                p.label,
                synced_words(p)
            )?;
        }
    }
    Ok(())
}

/// "connected through the relay", "connected directly" or "not reachable".
fn reach_words(p: &PeerView) -> &'static str {
    match (p.connected, p.path) {
        (false, _) => "not reachable",
        (true, Some(ConnectionPath::Relay)) => "connected through the relay",
        (true, Some(ConnectionPath::Direct)) => "connected directly",
        (true, None) => "connected",
    }
}

/// One peer's status line while syncing.
fn peer_line(p: &PeerView) -> String {
    format!("{}: {}, {}", p.label, reach_words(p), synced_words(p))
}

/// The relay's status line: connected, or why not and what to check. iroh's own words are
/// kept for support; the advice is the same for every failure.
fn relay_line(r: &RelayView) -> String {
    if r.connected {
        format!("relay {}: connected", r.url)
    } else {
        format!(
            "relay {}: not reachable ({}); check that it runs, that this device can reach it, and whether its address starts with https:// (TLS) or http:// (no TLS)",
            r.url,
            r.error.as_deref().unwrap_or("still connecting")
        )
    }
}

/// Every status line of a snapshot: one per peer, then the relay's.
fn status_lines(s: &Snapshot) -> Vec<String> {
    let mut lines: Vec<String> = s.sync.peers.iter().map(peer_line).collect();
    lines.extend(s.sync.relay.as_ref().map(relay_line));
    lines
}

fn scope_word(scope: &str) -> &'static str {
    if scope == "own_device" {
        "own device"
    } else {
        "partner"
    }
}

fn synced_words(p: &PeerView) -> String {
    let when = p.last_synced.map_or_else(
        || "never synced".to_owned(),
        |t| format!("last synced {}", local_time(t)),
    );
    let waiting = if p.pending {
        "local changes waiting"
    } else {
        "nothing waiting"
    };
    format!("{when}, {waiting}")
}

/// Starts the engine with the network on, for pairing and syncing from the command line.
fn online(vault: Vault) -> Result<Handle> {
    let handle = spawn_with(
        vault,
        NetOptions {
            start: true,
            ..net_options()?
        },
    );
    let snap = handle
        .wait_for(Duration::from_secs(20), |s| {
            s.sync.online || s.sync.error.is_some()
        })
        .context("the network did not start in time")?;
    if let Some(e) = &snap.sync.error {
        handle.shutdown();
        bail!("the network could not start: {e}");
    }
    Ok(handle)
}

fn finish(handle: &Handle) {
    handle.wait_saved(Duration::from_secs(10));
    handle.shutdown();
}

fn pairing_result(
    handle: &Handle,
    snap: Option<std::sync::Arc<Snapshot>>,
    what: &str,
) -> Result<()> {
    let Some(snap) = snap else {
        finish(handle);
        bail!("{what}");
    };
    let result = match &snap.sync.outcome {
        Some(PairingOutcome::Paired {
            safety_code,
            own_device,
            ..
        }) => {
            println!(
                "Paired with {}.",
                if *own_device {
                    "your own device"
                } else {
                    "your partner's device"
                }
            );
            println!("Safety code: {safety_code}");
            println!("Check that the other device shows the same safety code before you trust it.");
            Ok(())
        }
        Some(PairingOutcome::Failed(e)) => Err(anyhow::anyhow!("pairing failed: {e}")),
        None => match &snap.last_error {
            Some((_, e)) => Err(anyhow::anyhow!("{e}")),
            None => Err(anyhow::anyhow!("{what}")),
        },
    };
    finish(handle);
    result
}

/// `passphrase`: the one the data was opened with; a device of my own needs it given again.
pub fn pair_invite(
    vault: Vault,
    own_device: bool,
    timeout: u64,
    passphrase: Option<kintsugi_service::SecretString>,
) -> Result<()> {
    let handle = online(vault)?;
    if own_device {
        handle.invite_own_device(passphrase);
    } else {
        handle.net(NetRequest::Invite { own_device });
    }
    let sent = handle.sent();
    let snap = handle.wait_for(Duration::from_secs(20), |s| {
        s.sync.invite.is_some() || (s.processed >= sent && s.last_error.is_some())
    });
    let Some(invite) = snap.as_ref().and_then(|s| s.sync.invite.clone()) else {
        return pairing_result(&handle, snap, "could not open an invitation");
    };
    println!("Pairing code (valid for 10 minutes; enter it on the other device):");
    println!("{}", invite.code);
    std::io::stdout().flush()?;
    let snap = handle.wait_for(Duration::from_secs(timeout), |s| s.sync.outcome.is_some());
    pairing_result(
        &handle,
        snap,
        "no device joined before the time ran out; the code is no longer valid",
    )
}

pub fn pair_join(vault: Vault, code: &str, timeout: u64) -> Result<()> {
    // A typo is told before any socket is bound or anything is announced.
    kintsugi_service::check_pairing_code(code).map_err(|e| anyhow::anyhow!("{e}"))?;
    let handle = online(vault)?;
    handle.net(NetRequest::Join {
        code: code.to_owned(),
    });
    let sent = handle.sent();
    let snap = handle.wait_for(Duration::from_secs(timeout), |s| {
        s.sync.outcome.is_some()
            || (s.processed >= sent && !s.sync.joining && s.last_error.is_some())
    });
    pairing_result(&handle, snap, "the other device did not answer in time")
}

pub fn sync(vault: Vault, once: bool, timeout: Option<u64>) -> Result<()> {
    let handle = online(vault)?;
    let started = now_ms();
    let peers = handle.snapshot().sync.peers.clone();
    if peers.is_empty() {
        finish(&handle);
        bail!("this device is not paired with any device yet; see `kintsugi pair --help`");
    }
    let limit = timeout.map(Duration::from_secs);
    if !once {
        println!(
            "Syncing with {} paired device(s). Stop with Ctrl-C.",
            peers.len()
        );
        let mut last = String::new();
        let deadline = limit.map(|l| std::time::Instant::now() + l);
        loop {
            let snap = handle
                .wait_for(Duration::from_secs(1), |_| false)
                .unwrap_or_else(|| handle.snapshot());
            let line = status_lines(&snap).join("; ");
            if line != last {
                println!("{line}");
                last = line;
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                break;
            }
        }
        finish(&handle);
        return Ok(());
    }
    let converged = |s: &Snapshot| {
        s.sync
            .peers
            .iter()
            .all(|p| p.connected && !p.pending && p.last_synced.is_some_and(|t| t >= started))
    };
    let snap = handle.wait_for(limit.unwrap_or(Duration::from_secs(60)), converged);
    // Let the last acknowledgement reach the other side before closing the connection.
    std::thread::sleep(Duration::from_millis(300));
    let last = handle.snapshot();
    finish(&handle);
    if let Some(snap) = snap {
        // As they were when in sync (the other side may have hung up since); the path may
        // have been learnt only in the moment after.
        let how: Vec<_> = snap
            .sync
            .peers
            .iter()
            .map(|p| {
                let later = last.sync.peers.iter().find(|l| l.id == p.id);
                let p = PeerView {
                    path: p.path.or(later.and_then(|l| l.path)),
                    ..p.clone()
                };
                format!("{} ({})", p.label, reach_words(&p))
            })
            .collect();
        println!(
            "In sync with {} device(s): {}.",
            snap.sync.peers.len(),
            how.join(", ")
        );
        Ok(())
    } else {
        let mut behind: Vec<_> = last
            .sync
            .peers
            .iter()
            .filter(|p| !p.connected || p.pending)
            .map(|p| {
                let state = if p.connected {
                    "connected but not yet in sync"
                } else {
                    "not reachable"
                };
                format!("{} ({}) is {state}", p.label, p.short_id())
            })
            .collect();
        if let Some(r) = last.sync.relay.as_ref().filter(|r| !r.connected) {
            behind.push(relay_line(r));
        } else if last.sync.settings.relay_url.is_none() {
            behind.push(
                "no relay is set, so only devices on a network this device reaches directly can sync (see `kintsugi network relay`)".into(),
            );
        }
        bail!(
            "not in sync before the time ran out: {}. Your changes are saved here and will sync when both devices are online",
            behind.join("; ")
        )
    }
}
