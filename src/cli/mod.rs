//! Command-line interface over the same engine as the window: arguments and dispatch; each subcommand group lives in its own file.

mod agreement;
mod apology;
mod breaks;
mod checkin;
mod commitment;
mod devices;
mod disclosure;
mod doc;
mod export;
mod history;
mod journal;
mod lock;
mod network;
mod plan;
mod question;
mod reminders;
mod ritual;
mod selfcare;
mod topic;
mod trigger;
mod win;
mod window;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kintsugi_core::{Command, ItemId, View};
use kintsugi_service::{FILE_NAME, NetOptions, Vault, now_ms, resolve_data_dir};

use agreement::AgreementCmd;
use apology::ApologyCmd;
use breaks::BreakCmd;
use checkin::CheckinCmd;
use commitment::CommitmentCmd;
use devices::{PairCmd, PeersCmd};
use disclosure::DisclosureCmd;
use doc::DocCmd;
use export::ExportArgs;
use journal::JournalCmd;
use lock::LockCmd;
use network::NetworkCmd;
use plan::PlanCmd;
use question::QuestionCmd;
use reminders::RemindersCmd;
use ritual::RitualCmd;
use selfcare::SelfCareCmd;
use topic::TopicCmd;
use trigger::TriggerCmd;
use win::WinCmd;

/// Kintsugi: a private journal and shared space for two partners rebuilding trust.
///
/// With no command, opens the window. Every command works offline on this device's data.
#[derive(Parser, Debug)]
#[command(name = "kintsugi", version)]
pub struct Args {
    /// Data directory (default: the OS data directory; or KINTSUGI_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// File holding the passphrase of data that has one (or KINTSUGI_PASSPHRASE_FILE). Never
    /// give a passphrase as an argument.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
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
    /// Daily and weekly check-ins, sealed until both of you have answered.
    #[command(subcommand)]
    Checkin(CheckinCmd),
    /// Commitments: make one, log each day it was due, acknowledge your partner's log.
    #[command(subcommand)]
    Commitment(CommitmentCmd),
    /// "I need to tell you something": disclosures and their acknowledgement.
    #[command(subcommand)]
    Disclosure(DisclosureCmd),
    /// Trust wins, honest moments and appreciation, in one timeline.
    #[command(subcommand)]
    Win(WinCmd),
    /// "I'm triggered": raise one, say "I'm here" to your partner's, and the log of both.
    #[command(subcommand)]
    Trigger(TriggerCmd),
    /// A break both devices count down: "pause for 20 minutes and come back".
    #[command(subcommand)]
    Break(BreakCmd),
    /// The reassurance plan you write together: what helps when one of you is triggered.
    #[command(subcommand)]
    Plan(PlanCmd),
    /// Your private self-care list: what helps you when things are hard.
    #[command(subcommand, name = "selfcare")]
    SelfCare(SelfCareCmd),
    /// Questions: ask, answer, and "I need to hear this again".
    #[command(subcommand)]
    Question(QuestionCmd),
    /// The apology helper: a gentle excuse check, private drafts, sharing one.
    #[command(subcommand)]
    Apology(ApologyCmd),
    /// Time together: rituals, date nights and joint projects, planned and marked done.
    #[command(subcommand)]
    Ritual(RitualCmd),
    /// Topics for your next therapy session, marked discussed once you talked about them.
    #[command(subcommand)]
    Topic(TopicCmd),
    /// Your reminder times (private to you), and what is due now, for a scheduler.
    ///
    /// `kintsugi reminders due` prints what is due and exits with 0 when something is due, 1 when
    /// nothing is due, and 2 on an error.
    #[command(subcommand)]
    Reminders(RemindersCmd),
    /// Export a period as Markdown, HTML or JSON (to stdout, or a file with -o), or everything
    /// into a folder with --all -o DIR.
    Export(ExportArgs),
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
    /// The app lock: set, change or remove the passphrase that encrypts this device's data.
    #[command(subcommand)]
    Lock(LockCmd),
    /// How this device reaches its paired devices: the relay for syncing across networks.
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Paired devices, when each last synced, how (direct or through the relay), and whether
    /// local changes are waiting.
    Status {
        #[arg(long)]
        json: bool,
    },
}

/// An argument clap could not check itself (a number inside a pair of values): reported as one
/// line with exit status 2, like clap's own usage errors.
#[derive(Debug)]
pub struct BadArgument(pub String);

impl std::fmt::Display for BadArgument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (see kintsugi --help)", self.0)
    }
}

impl std::error::Error for BadArgument {}

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

impl Args {
    /// The exit status for an error: 2 for `reminders due`, whose 1 means "nothing is due".
    pub fn error_status(&self) -> ExitCode {
        match &self.command {
            Some(Cmd::Reminders(c)) if c.is_due() => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// Runs the command; the exit status is success unless the command gives its own meaning to it
/// (`reminders due`: 1 when nothing is due).
pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.data_dir.as_deref())?;
    let passphrase = match lock::passphrase_file(args.passphrase_file) {
        Some(file) => Some(lock::read_passphrase(&file)?),
        None => None,
    };
    let cmd = match args.command {
        None => return window::run(&dir).map(|()| ExitCode::SUCCESS),
        Some(Cmd::Init { name, partner }) => {
            return init(&dir, name, partner, passphrase.as_ref()).map(|()| ExitCode::SUCCESS);
        }
        // A second own device joins before it is set up: it takes the inviter's identity.
        Some(Cmd::Pair(PairCmd::Join { code, timeout })) => {
            let vault = lock::open(&dir, passphrase.as_ref())?;
            return devices::pair_join(vault, &code, timeout).map(|()| ExitCode::SUCCESS);
        }
        // The excuse check reads stdin only: no data needed.
        Some(Cmd::Apology(ApologyCmd::Check { json })) => {
            return apology::check(json, &mut std::io::stdout().lock()).map(|()| ExitCode::SUCCESS);
        }
        Some(cmd) => cmd,
    };
    // Anything but init works on existing data only: a typo in --data-dir must not quietly
    // create an empty second journal.
    if !dir.join(FILE_NAME).exists() {
        bail!(
            "there is no Kintsugi data in {}; run `kintsugi init --name NAME --partner NAME` first",
            dir.display()
        );
    }
    let vault = match lock::open(&dir, passphrase.as_ref()) {
        Ok(vault) => vault,
        // Locked data still answers whether it has a passphrase.
        Err(e) if lock::is_locked(&e) => {
            if let Cmd::Lock(LockCmd::Status { json }) = cmd {
                let out = &mut std::io::stdout().lock();
                return lock::status_locked(json, out).map(|()| ExitCode::SUCCESS);
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    // A second own device is set up by what it receives; sync and pairing must work before.
    let needs_setup = !matches!(
        cmd,
        Cmd::Sync { .. }
            | Cmd::Status { .. }
            | Cmd::Peers(_)
            | Cmd::Unpair { .. }
            | Cmd::Lock(_)
            | Cmd::Network(_)
    );
    if needs_setup && !vault.view().is_set_up() {
        bail!("this device is not set up yet; run `kintsugi init --name NAME --partner NAME`");
    }
    let out = &mut std::io::stdout().lock();
    match cmd {
        Cmd::Init { .. } | Cmd::Pair(PairCmd::Join { .. }) => unreachable!("handled above"),
        Cmd::Reminders(c) => return reminders::run(vault, c, out),
        Cmd::Journal(c) => journal::run(vault, c, out),
        Cmd::Agreement(c) => agreement::run(vault, c, out),
        Cmd::Checkin(c) => checkin::run(vault, c, out),
        Cmd::Commitment(c) => commitment::run(vault, c, out),
        Cmd::Disclosure(c) => disclosure::run(vault, c, out),
        Cmd::Win(c) => win::run(vault, c, out),
        Cmd::Trigger(c) => trigger::run(vault, c, out),
        Cmd::Break(c) => breaks::run(vault, c, out),
        Cmd::Plan(c) => plan::run(vault, c, out),
        Cmd::SelfCare(c) => selfcare::run(vault, c, out),
        Cmd::Question(c) => question::run(vault, c, out),
        Cmd::Apology(c) => apology::run(vault, c, out),
        Cmd::Ritual(c) => ritual::run(vault, c, out),
        Cmd::Topic(c) => topic::run(vault, c, out),
        Cmd::Export(a) => export::run(vault, a, out),
        Cmd::Doc(c) => doc::run(vault, c, out),
        Cmd::Peers(c) => devices::peers(vault, c, out),
        Cmd::Lock(c) => lock::run(vault, c, out),
        Cmd::Network(c) => network::run(vault, c, out),
        Cmd::Status { json } => devices::status(&dir, vault, json, out),
        // These hand the open (and, with a passphrase, unlocked) vault to the engine.
        Cmd::Pair(PairCmd::Invite {
            own_device,
            timeout,
        }) => devices::pair_invite(vault, own_device, timeout, passphrase),
        Cmd::Unpair { peer } => devices::unpair(vault, &peer, out),
        Cmd::Sync { once, timeout } => devices::sync(vault, once, timeout),
    }
    .map(|()| ExitCode::SUCCESS)
}

fn init(
    dir: &Path,
    name: String,
    partner: String,
    passphrase: Option<&secrecy::SecretString>,
) -> Result<()> {
    let mut vault = lock::open(dir, passphrase)?;
    vault.apply(
        Command::SetUp {
            my_name: name,
            partner_name: partner,
        },
        now_ms(),
    )?;
    vault.save(now_ms())?;
    println!("Kintsugi is set up in {}", dir.display());
    Ok(())
}

/// Writes to `out` (stdout), or to the file `path`.
/// Applies one command and saves it durably: when this returns Ok, the change survives a crash.
fn apply_and_save(vault: &mut Vault, cmd: Command) -> Result<()> {
    vault.apply(cmd, now_ms())?;
    vault.save(now_ms())?;
    Ok(())
}

fn write_output(out: &mut dyn Write, path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => out.write_all(bytes)?,
        Some(p) => {
            // Write beside the target and rename, so an interrupted export never leaves half a file
            // where a good one was.
            let tmp = p.with_extension("kintsugi-tmp");
            write_private(&tmp, bytes)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    Ok(())
}

/// Creates `path` readable by its owner only, whatever the umask: an export or a document can
/// hold the private journal. A temporary left by an earlier run may have other permissions, so
/// it is replaced, never reused.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
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

/// The one item among `ids` whose id is `prefix` or starts with it (ids are long; people type
/// the first digits, as `list` prints them).
fn resolve_id<'a>(
    ids: impl IntoIterator<Item = &'a ItemId>,
    prefix: &str,
    what: &str,
) -> Result<ItemId> {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        bail!("give the {what}'s id (or its first digits), as listed");
    }
    let found: Vec<&ItemId> = ids
        .into_iter()
        .filter(|id| id.0.starts_with(prefix))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("there is no {what} with the id {prefix}; nothing was changed"),
        _ if found.iter().any(|id| id.0 == prefix) => Ok(ItemId(prefix.to_owned())),
        _ => bail!("more than one {what} starts with {prefix}; give more of the id"),
    }
}

/// The first digits of an id, as lists print them.
fn short_id(id: &ItemId) -> &str {
    &id.0[..8.min(id.0.len())]
}

/// The name this device uses for the partner ("your partner" before one is set).
fn partner_name(view: &View) -> String {
    if view.partner_name.trim().is_empty() {
        "your partner".to_owned()
    } else {
        view.partner_name.clone()
    }
}

/// Unreadable items are reported on stderr so a script's stdout stays clean.
fn warn_errors(view: &View) {
    for e in &view.errors {
        if e.newer {
            eprintln!("kintsugi: note: {e}");
        } else {
            eprintln!("kintsugi: warning: {e}");
        }
    }
}

fn net_options() -> Result<NetOptions> {
    NetOptions::from_env().map_err(anyhow::Error::msg)
}
