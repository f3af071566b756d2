//! Command-line interface over the same engine as the window: for scripts and headless use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use kintsugi_core::{
    Command, DailyAnswers, DocKind, ExportFormat, ExportScope, ItemId, View, export, parse_date,
    today_local,
};
use kintsugi_service::{
    FILE_NAME, Handle, NetOptions, NetRequest, PairingOutcome, PeerView, Snapshot, Vault, now_ms,
    resolve_data_dir, spawn_with,
};

/// Kintsugi: a private journal and shared space for two partners rebuilding trust.
///
/// With no command, opens the window. Every command works offline on this device's data.
#[derive(Parser, Debug)]
#[command(name = "kintsugi", version)]
pub struct Args {
    /// Data directory (default: the OS data directory; or KINTSUGI_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Set up this device: your name and the name you use for your partner.
    Init {
        #[arg(long)]
        name: String,
        #[arg(long)]
        partner: String,
    },
    /// Your private journal.
    #[command(subcommand)]
    Journal(JournalCmd),
    /// The agreement you write together.
    #[command(subcommand)]
    Agreement(AgreementCmd),
    /// Daily check-ins.
    #[command(subcommand)]
    Checkin(CheckinCmd),
    /// Export to JSON or Markdown (to stdout, or a file with -o).
    Export {
        #[arg(long, value_enum)]
        format: Format,
        /// First day included, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day included, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Include your private journal (leave off for a therapist).
        #[arg(long)]
        include_private: bool,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Raw automerge documents.
    #[command(subcommand)]
    Doc(DocCmd),
    /// Pair with your partner's device, or with another device of your own.
    #[command(subcommand)]
    Pair(PairCmd),
    /// Paired devices.
    #[command(subcommand)]
    Peers(PeersCmd),
    /// Forget a paired device (its id, or the first digits of it). Your data stays.
    Unpair { peer: String },
    /// Sync with paired devices: until converged with every paired device (--once), or forever.
    Sync {
        #[arg(long)]
        once: bool,
        /// Give up after this many seconds (default with --once: 60).
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
    },
    /// Paired devices, when each last synced, and whether local changes are waiting.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum PairCmd {
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
enum PeersCmd {
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum JournalCmd {
    /// Write a new entry (private unless --share).
    Add {
        #[arg(long)]
        text: String,
        /// 1 (very low) to 5 (very good).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        mood: Option<u8>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Defaults to today.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        /// Share with your partner at once.
        #[arg(long)]
        share: bool,
    },
    /// Share an entry with your partner (its id, or the first digits of it).
    Share { id: String },
    /// Stop sharing an entry: the shared copy is removed from now on.
    Unshare { id: String },
    /// List entries, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only entries whose text, tags or prompt contain this (any case).
        #[arg(long)]
        search: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum AgreementCmd {
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Insert or delete text in one section (positions count characters from 0).
    Edit {
        /// Section id, as listed by `agreement show` (e.g. boundaries).
        section: String,
        #[arg(long, num_args = 2, value_names = ["POS", "TEXT"], conflicts_with = "delete")]
        insert: Option<Vec<String>>,
        #[arg(long, num_args = 2, value_names = ["POS", "LEN"])]
        delete: Option<Vec<String>>,
    },
}

#[derive(Subcommand, Debug)]
enum CheckinCmd {
    /// Save today's (or --date's) daily check-in.
    Add(CheckinArgs),
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(ClapArgs, Debug)]
struct CheckinArgs {
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    mood: u8,
    /// Sense of connection, 1 to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    connection: u8,
    /// Sense of safety, 1 to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    safety: u8,
    #[arg(long, default_value = "")]
    high: String,
    #[arg(long, default_value = "")]
    low: String,
    #[arg(long, default_value = "")]
    need: String,
    #[arg(long)]
    date: Option<String>,
}

#[derive(Subcommand, Debug)]
enum DocCmd {
    /// Write a document's full automerge bytes to a file.
    Save {
        #[arg(value_enum)]
        doc: DocName,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Json,
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum DocName {
    Couple,
    Private,
}

/// Prints a clap error as one line (help and version print in full) and picks the exit code.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("invalid arguments");
            let line = line.trim_start_matches("error: ");
            eprintln!("kintsugi: {line} (see kintsugi --help)");
            ExitCode::from(2)
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let dir = resolve_data_dir(args.data_dir.as_deref())?;
    let Some(cmd) = args.command else {
        return run_window(&dir);
    };
    if let Cmd::Pair(PairCmd::Join { code, timeout }) = &cmd {
        // A second own device joins before it is set up: it takes the inviter's identity.
        return pair_join(&dir, code, *timeout);
    }
    if let Cmd::Init { name, partner } = cmd {
        let mut vault = Vault::open(&dir)?;
        vault.apply(
            Command::SetUp {
                my_name: name,
                partner_name: partner,
            },
            now_ms(),
        )?;
        vault.save(now_ms())?;
        println!("Kintsugi is set up in {}", dir.display());
        return Ok(());
    }
    // Anything but init works on existing data only: a typo in --data-dir must not quietly
    // create an empty second journal.
    if !dir.join(FILE_NAME).exists() {
        bail!(
            "there is no Kintsugi data in {}; run `kintsugi init --name NAME --partner NAME` first",
            dir.display()
        );
    }
    let mut vault = Vault::open(&dir)?;
    // A second own device is set up by what it receives; sync and pairing must work before.
    let needs_setup = !matches!(
        cmd,
        Cmd::Sync { .. } | Cmd::Status { .. } | Cmd::Peers(_) | Cmd::Unpair { .. }
    );
    if needs_setup && !vault.view().is_set_up() {
        bail!("this device is not set up yet; run `kintsugi init --name NAME --partner NAME`");
    }
    let out = &mut std::io::stdout().lock();
    match cmd {
        Cmd::Init { .. } | Cmd::Pair(PairCmd::Join { .. }) => unreachable!("handled above"),
        Cmd::Pair(PairCmd::Invite {
            own_device,
            timeout,
        }) => {
            drop(vault);
            pair_invite(&dir, own_device, timeout)?;
        }
        Cmd::Peers(PeersCmd::List { json }) => {
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
        }
        Cmd::Unpair { peer } => {
            drop(vault);
            let handle = spawn_with(
                Vault::open(&dir)?,
                NetOptions {
                    start: false,
                    ..net_options()?
                },
            );
            handle.net(NetRequest::Unpair { id: peer.clone() });
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
        }
        Cmd::Sync { once, timeout } => {
            drop(vault);
            sync(&dir, once, timeout)?;
        }
        Cmd::Status { json } => {
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
                    peers: &'a [kintsugi_service::PeerView],
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
                    writeln!(out, "{}  {}: {}", p.short_id(), p.label, synced_words(p))?;
                }
            }
        }
        Cmd::Journal(JournalCmd::Add {
            text,
            mood,
            tags,
            date,
            prompt,
            share,
        }) => {
            let id = ItemId::random();
            let date = date.unwrap_or_else(|| today_local().to_string());
            vault.apply(
                Command::AddJournalEntry {
                    id: id.clone(),
                    date,
                    mood,
                    tags,
                    text,
                    prompt,
                },
                now_ms(),
            )?;
            if share {
                vault.apply(Command::ShareJournalEntry { id: id.clone() }, now_ms())?;
            }
            vault.save(now_ms())?;
            writeln!(out, "{id}")?;
        }
        Cmd::Journal(JournalCmd::Share { id }) => {
            let id = entry_id(&vault.view(), &id)?;
            vault.apply(Command::ShareJournalEntry { id }, now_ms())?;
            vault.save(now_ms())?;
        }
        Cmd::Journal(JournalCmd::Unshare { id }) => {
            let id = entry_id(&vault.view(), &id)?;
            vault.apply(Command::UnshareJournalEntry { id }, now_ms())?;
            vault.save(now_ms())?;
        }
        Cmd::Journal(JournalCmd::List { json, search }) => {
            let view = vault.view();
            let query = search.unwrap_or_default();
            let entries: Vec<_> = view.journal.iter().filter(|e| e.matches(&query)).collect();
            if json {
                serde_json::to_writer_pretty(&mut *out, &entries)?;
                writeln!(out)?;
            } else {
                for e in entries {
                    let first = e.text.lines().next().unwrap_or("");
                    writeln!(
                        out,
                        "{}  {}  mood {}  {}  {}{}",
                        &e.id.0[..8],
                        e.date,
                        e.mood.map_or("-".into(), |m| m.to_string()),
                        if e.shared { "shared " } else { "private" },
                        first,
                        tags_suffix(&e.tags)
                    )?;
                }
            }
            warn_errors(&view);
        }
        Cmd::Agreement(AgreementCmd::Show { json }) => {
            let view = vault.view();
            if json {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    sections: &'a [kintsugi_core::Section],
                    affirmations: &'a [kintsugi_core::Affirmation],
                    digest: &'a str,
                }
                serde_json::to_writer_pretty(
                    &mut *out,
                    &Out {
                        sections: &view.agreement,
                        affirmations: &view.affirmations,
                        digest: &view.agreement_digest,
                    },
                )?;
                writeln!(out)?;
            } else {
                for s in &view.agreement {
                    writeln!(out, "## {} [{}]", s.title, s.id)?;
                    if let (Some(by), Some(at)) = (&s.edited_by, s.edited_at) {
                        writeln!(
                            out,
                            "(last edited by {} on {})",
                            view.name_of(by),
                            local_time(at)
                        )?;
                    }
                    writeln!(out, "{}\n", s.body.trim_end())?;
                }
            }
            warn_errors(&view);
        }
        Cmd::Agreement(AgreementCmd::Edit {
            section,
            insert,
            delete,
        }) => {
            let cmd = match (insert, delete) {
                (Some(v), None) => Command::SpliceSection {
                    section,
                    pos: parse_pos(&v[0], "POS")?,
                    delete: 0,
                    insert: v[1].clone(),
                },
                (None, Some(v)) => Command::SpliceSection {
                    section,
                    pos: parse_pos(&v[0], "POS")?,
                    delete: parse_pos(&v[1], "LEN")?,
                    insert: String::new(),
                },
                _ => bail!("give either --insert POS TEXT or --delete POS LEN"),
            };
            vault.apply(cmd, now_ms())?;
            vault.save(now_ms())?;
        }
        Cmd::Checkin(CheckinCmd::Add(a)) => {
            let date = a.date.unwrap_or_else(|| today_local().to_string());
            vault.apply(
                Command::SaveDailyCheckIn {
                    date,
                    answers: DailyAnswers {
                        mood: a.mood,
                        connection: a.connection,
                        safety: a.safety,
                        high: a.high,
                        low: a.low,
                        need: a.need,
                    },
                },
                now_ms(),
            )?;
            vault.save(now_ms())?;
        }
        Cmd::Checkin(CheckinCmd::List { json }) => {
            let view = vault.view();
            if json {
                serde_json::to_writer_pretty(&mut *out, &view.daily_checkins)?;
                writeln!(out)?;
            } else {
                for c in &view.daily_checkins {
                    writeln!(
                        out,
                        "{}  {:<12} mood {}  connection {}  safety {}  high: {}  low: {}  need: {}",
                        c.date,
                        view.name_of(&c.by),
                        c.mood,
                        c.connection,
                        c.safety,
                        c.high,
                        c.low,
                        c.need
                    )?;
                }
            }
            warn_errors(&view);
        }
        Cmd::Export {
            format,
            from,
            to,
            include_private,
            output,
        } => {
            for d in [&from, &to].into_iter().flatten() {
                if parse_date(d).is_none() {
                    bail!("'{d}' is not a date like 2026-11-24");
                }
            }
            let view = vault.view();
            let text = export(
                &view,
                &ExportScope {
                    from,
                    to,
                    own_private: include_private,
                },
                match format {
                    Format::Json => ExportFormat::Json,
                    Format::Markdown => ExportFormat::Markdown,
                },
            );
            write_output(output.as_deref(), text.as_bytes())?;
        }
        Cmd::Doc(DocCmd::Save { doc, output }) => {
            let kind = match doc {
                DocName::Couple => DocKind::Couple,
                DocName::Private => DocKind::Private,
            };
            let bytes = vault.model_mut().doc_mut(kind).save();
            write_output(Some(&output), &bytes)?;
        }
    }
    Ok(())
}

fn run_window(dir: &Path) -> Result<()> {
    let opts = net_options()?;
    let handle = spawn_with(Vault::open(dir)?, opts);
    let result = kintsugi_app::run(handle.clone(), &dir.display().to_string());
    // Whatever happened to the window, typing still in memory is saved before exit.
    handle.flush();
    if !handle.wait_saved(Duration::from_secs(10)) {
        eprintln!("kintsugi: the last edits could not be saved; see the message in the window");
    }
    handle.shutdown();
    result.map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}

fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => std::io::stdout().write_all(bytes)?,
        Some(p) => {
            // Write beside the target and rename, so an interrupted export never leaves half a file
            // where a good one was.
            let tmp = p.with_extension("kintsugi-tmp");
            std::fs::write(&tmp, bytes)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    Ok(())
}

/// The one journal entry whose id starts with `prefix`.
fn entry_id(view: &View, prefix: &str) -> Result<ItemId> {
    let found: Vec<_> = view
        .journal
        .iter()
        .filter(|e| e.id.0.starts_with(prefix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("there is no journal entry with the id {prefix}"),
        _ => bail!("more than one journal entry starts with {prefix}; give more of the id"),
    }
}

fn parse_pos(s: &str, what: &str) -> Result<usize> {
    s.parse()
        .with_context(|| format!("{what} must be a whole number, not '{s}'"))
}

fn tags_suffix(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!("  #{}", tags.join(" #"))
    }
}

fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "an unknown time".into())
}

/// Unreadable items are reported on stderr so a script's stdout stays clean.
fn warn_errors(view: &View) {
    for e in &view.errors {
        eprintln!("kintsugi: warning: {e}");
    }
}

fn net_options() -> Result<NetOptions> {
    NetOptions::from_env().map_err(anyhow::Error::msg)
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
fn online(dir: &Path) -> Result<Handle> {
    let handle = spawn_with(
        Vault::open(dir)?,
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

fn pair_invite(dir: &Path, own_device: bool, timeout: u64) -> Result<()> {
    let handle = online(dir)?;
    handle.net(NetRequest::Invite { own_device });
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

fn pair_join(dir: &Path, code: &str, timeout: u64) -> Result<()> {
    let handle = online(dir)?;
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

fn sync(dir: &Path, once: bool, timeout: Option<u64>) -> Result<()> {
    let handle = online(dir)?;
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
            let line = snap
                .sync
                .peers
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}{}",
                        p.label,
                        if p.connected {
                            "connected, "
                        } else {
                            "not reachable, "
                        },
                        synced_words(p)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
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
    if snap.is_some() {
        println!("In sync with {} device(s).", last.sync.peers.len());
        Ok(())
    } else {
        let behind: Vec<_> = last
            .sync
            .peers
            .iter()
            .filter(|p| !p.connected || p.pending)
            .map(|p| format!("{} ({})", p.label, p.short_id()))
            .collect();
        bail!(
            "not in sync with {} before the time ran out; your changes are saved here and will sync when both devices are online",
            behind.join(", ")
        )
    }
}
