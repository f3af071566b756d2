//! `kintsugi lock …`: the app lock's passphrase (set, change, remove, status), and reading a
//! passphrase from a file. A passphrase is never taken as an argument: it would sit in the shell
//! history and in every process listing.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_service::{Vault, VaultError};
use secrecy::SecretString;

/// The variable naming a passphrase file, used when `--passphrase-file` is not given.
pub const PASSPHRASE_FILE_ENV: &str = "KINTSUGI_PASSPHRASE_FILE";

#[derive(Subcommand, Debug)]
pub enum LockCmd {
    /// Set a passphrase: every byte of this device's data is then encrypted under it. There is no
    /// way to recover a forgotten one.
    Set {
        /// File holding the new passphrase (one trailing newline is ignored).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: PathBuf,
    },
    /// Change the passphrase (the current one as for any command: --passphrase-file).
    Change {
        /// File holding the new passphrase (one trailing newline is ignored).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: PathBuf,
    },
    /// Remove the passphrase: the data is stored unencrypted again.
    Remove,
    /// Whether a passphrase is set.
    Status {
        #[arg(long)]
        json: bool,
    },
}

/// The passphrase file to use: `--passphrase-file`, else `KINTSUGI_PASSPHRASE_FILE` (an empty
/// flag or variable counts as absent).
pub fn passphrase_file(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.filter(|p| !p.as_os_str().is_empty()).or_else(|| {
        std::env::var_os(PASSPHRASE_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Reads a passphrase from `path`: the whole file, less one trailing newline.
pub fn read_passphrase(path: &Path) -> Result<SecretString> {
    refuse_if_others_can_read(path)?;
    let mut text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        bail!("the passphrase file {} is empty", path.display());
    }
    Ok(SecretString::from(text))
}

/// A passphrase in a file other users may read or replace is no secret: refused, with the fix.
/// Pipes and terminals (`--passphrase-file /dev/stdin`) are not files anyone else opens later.
fn refuse_if_others_can_read(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.is_file()
            && meta.permissions().mode() & 0o077 != 0
        {
            bail!(
                "the passphrase file {} can be read or changed by other users (mode {:o}); make it yours alone with `chmod 600 {}` and try again",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            );
        }
    }
    Ok(())
}

/// Opens the data with the passphrase, if one was given; locked data asked for from a terminal
/// prompts for it (without echo), so it is never typed as an argument.
pub fn open(dir: &Path, passphrase: Option<&SecretString>) -> Result<Vault> {
    match Vault::open_with(dir, passphrase) {
        Err(e @ VaultError::Locked { .. }) if passphrase.is_none() => {
            use std::io::IsTerminal;
            if !std::io::stdin().is_terminal() {
                return Err(e.into());
            }
            let typed = rpassword::prompt_password(format!("Passphrase for {}: ", dir.display()))
                .context("cannot read the passphrase from the terminal")?;
            if typed.is_empty() {
                bail!("no passphrase was typed; nothing was opened");
            }
            Ok(Vault::open_with(dir, Some(&SecretString::from(typed)))?)
        }
        other => Ok(other?),
    }
}

/// `lock status` without the passphrase: locked data still tells that it has one.
pub fn status_locked(json: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({ "passphrase": true, "locked": true })
        )?;
    } else {
        writeln!(
            out,
            "passphrase: set (locked; give it with --passphrase-file or {PASSPHRASE_FILE_ENV})"
        )?;
    }
    Ok(())
}

pub fn run(vault: Vault, cmd: LockCmd, out: &mut dyn Write) -> Result<()> {
    let path = vault.store().path().display().to_string();
    match cmd {
        LockCmd::Status { json } => {
            let set = vault.has_passphrase();
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "passphrase": set, "locked": false })
                )?;
            } else if set {
                writeln!(out, "passphrase: set (every value in {path} is encrypted)")?;
            } else {
                writeln!(out, "passphrase: none (set one with `kintsugi lock set`)")?;
            }
        }
        LockCmd::Set {
            new_passphrase_file,
        } => {
            let new = read_passphrase(&new_passphrase_file)?;
            let mut total = 0;
            vault.set_passphrase(&new, &mut |_, t| total = t)?;
            writeln!(
                out,
                "Passphrase set: {total} stored values in {path} are encrypted. Keep it safe: \
                 without it this data cannot be read, by you or anyone."
            )?;
        }
        LockCmd::Change {
            new_passphrase_file,
        } => {
            let new = read_passphrase(&new_passphrase_file)?;
            let mut total = 0;
            vault.change_passphrase(&new, &mut |_, t| total = t)?;
            writeln!(
                out,
                "Passphrase changed: {total} stored values in {path} are encrypted under a new \
                 key; the old passphrase opens nothing from now on."
            )?;
        }
        LockCmd::Remove => {
            let mut total = 0;
            vault.remove_passphrase(&mut |_, t| total = t)?;
            writeln!(
                out,
                "Passphrase removed: {total} stored values in {path} are no longer encrypted."
            )?;
        }
    }
    Ok(())
}

/// True for the error of opening locked data without a passphrase.
pub fn is_locked(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<VaultError>(),
        Some(VaultError::Locked { .. })
    )
}
