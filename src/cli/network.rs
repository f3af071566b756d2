//! `kintsugi network`: how this device reaches its paired devices (the relay for syncing across networks).

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_service::{NetOptions, NetRequest, NetworkSettings, Vault, spawn_with};

use super::net_options;

#[derive(Subcommand, Debug)]
pub enum NetworkCmd {
    /// The network settings: the relay, and port mapping.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Sync across networks through an iroh relay (see README, "Syncing across networks"), or
    /// stop using one with --off.
    Relay {
        /// The relay's address, e.g. https://relay.example.org (http:// for one without TLS).
        #[arg(required_unless_present = "off", conflicts_with = "off")]
        url: Option<String>,
        #[arg(long)]
        off: bool,
    },
}

pub fn run(vault: Vault, cmd: NetworkCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        NetworkCmd::Show { json } => show(&vault.network_settings(), json, out),
        NetworkCmd::Relay { url, off } => {
            let settings = NetworkSettings {
                relay_url: if off { None } else { url },
                ..vault.network_settings()
            };
            // Through the engine, as the window does: it checks the address the way the network
            // will read it and stores it normalised; the network stays off.
            let handle = spawn_with(
                vault,
                NetOptions {
                    start: false,
                    ..net_options()?
                },
            );
            handle.net(NetRequest::SetSettings(settings));
            let ok = handle.wait_saved(Duration::from_secs(10));
            let snap = handle.snapshot();
            handle.shutdown();
            if let Some((_, e)) = &snap.last_error {
                bail!("{e}; the settings are unchanged");
            }
            if !ok {
                bail!("the settings were not saved in time");
            }
            let settings = &snap.sync.settings;
            match &settings.relay_url {
                Some(url) => writeln!(
                    out,
                    "Relay set: {url}. Your paired devices need the same relay; `kintsugi sync` uses it from now on."
                )?,
                None => writeln!(
                    out,
                    "Relay off: this device syncs only with devices it can reach directly."
                )?,
            }
            Ok(())
        }
    }
}

fn show(s: &NetworkSettings, json: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, s)?;
        writeln!(out)?;
    } else {
        match &s.relay_url {
            Some(url) => writeln!(out, "Relay: {url}")?,
            None => writeln!(out, "Relay: off")?,
        }
        writeln!(
            out,
            "Port mapping: {}",
            if s.port_mapping { "on" } else { "off" }
        )?;
    }
    Ok(())
}
