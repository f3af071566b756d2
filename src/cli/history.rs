//! The history of a shared text (an agreement section or the reassurance plan) for `agreement` and `plan`: its edit sessions, the wording at a moment, and restoring it.

use std::io::Write;

use anyhow::{Result, bail};
use chrono::{Local, NaiveDate, NaiveDateTime, TimeZone};
use kintsugi_core::automerge::PatchAction;
use kintsugi_core::{
    Command, DocKind, EditSession, PartnerId, TextTarget, Timestamp, View, text_history_verified,
    wording_at,
};
use kintsugi_service::{Vault, now_ms, today_local};
use serde::Serialize;

use super::local_time;

/// How much of a session's inserted or removed text the plain listing prints; `--json` has it all.
const SHOWN_CHARS: usize = 240;

/// What `--time` accepts, for the refusal.
const TIME_FORMS: &str = "use 2026-11-20 14:05, 2026-11-20T14:05:30, a date like 2026-11-20 (the end of that day) or milliseconds since 1970";

/// Which text, and how to name it to the person.
pub struct Text {
    pub target: TextTarget,
    /// "'Phones'" or "the reassurance plan".
    pub label: String,
}

/// Reads `--time`: a local date and time to the minute or second, a date (the end of that local
/// day), or ms since the epoch. A minute or second means its end, so "14:05" includes what was
/// typed during the minute the history lists as 14:05.
pub fn parse_time(s: &str) -> Result<Timestamp> {
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        // Twelve digits at least: a date typed without dashes (20261120) is not 1970.
        if t.len() >= 12
            && let Ok(ms) = t.parse::<i64>()
            && chrono::DateTime::from_timestamp_millis(ms).is_some()
        {
            return Ok(ms);
        }
        bail!("'{s}' is not a time: {TIME_FORMS}");
    }
    let (naive, extra_ms) = if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        (d.and_hms_opt(0, 0, 0).expect("midnight"), 86_400_000 - 1)
    } else if let Some(dt) = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    {
        (dt, 999)
    } else if let Some(dt) = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    {
        (dt, 59_999)
    } else {
        bail!("'{s}' is not a time: {TIME_FORMS}");
    };
    // A time the clocks skipped (spring forward) is not a moment anyone lived; an hour lived
    // twice (fall back) means its later pass, so the wording then includes both.
    match Local.from_local_datetime(&naive).latest() {
        Some(local) => Ok(local.timestamp_millis() + extra_ms),
        None => {
            bail!("{t} did not exist in this time zone (the clocks changed); pick another time")
        }
    }
}

/// A time no later than today: "today" (its end) reads as the wording now, a later day is a
/// typo to point out rather than a wording anyone has seen.
fn past_time(s: &str) -> Result<Timestamp> {
    let at = parse_time(s)?;
    let end_of_today = parse_time(&today_local().to_string())?;
    if at > end_of_today.max(now_ms()) {
        bail!("{} has not come yet; give a time in the past", s.trim());
    }
    Ok(at)
}

/// The couple document's history of the text: read on this process, which is the CLI's only work.
/// Authors are those verified (`View::authorship`), never what a change says of itself.
fn history(vault: &mut Vault, text: &Text) -> Result<Vec<EditSession>> {
    let authors = vault.model().authorship();
    let doc = vault.model_mut().doc_mut(DocKind::Couple).document();
    Ok(text_history_verified(doc, &text.target, &authors)?.sessions)
}

fn wording(vault: &mut Vault, text: &Text, at: Timestamp) -> Result<String> {
    let doc = vault.model_mut().doc_mut(DocKind::Couple).document();
    Ok(wording_at(doc, &text.target, at)?)
}

/// Who wrote a session, as `--json` gives it.
#[derive(Serialize)]
struct ByJson {
    id: PartnerId,
    name: String,
}

/// One session in `history --json`.
#[derive(Serialize)]
struct SessionJson {
    /// null when no change of the session said who wrote it.
    by: Option<ByJson>,
    from: Timestamp,
    to: Timestamp,
    changes: usize,
    /// A restore of an earlier wording.
    restore: bool,
    inserted: String,
    removed: String,
    inserted_chars: usize,
    removed_chars: usize,
}

/// `history --json`: `{target, section, title, sessions}`; `section` is null for the plan.
#[derive(Serialize)]
struct HistoryJson<'a> {
    target: &'static str,
    section: Option<&'a str>,
    title: &'a str,
    sessions: Vec<SessionJson>,
}

pub fn print_history(
    vault: &mut Vault,
    text: &Text,
    title: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let sessions = history(vault, text)?;
    let view = vault.view();
    if json {
        let (target, section) = match &text.target {
            TextTarget::Section(id) => ("section", Some(id.as_str())),
            TextTarget::Plan => ("plan", None),
        };
        let sessions = sessions
            .into_iter()
            .map(|s| SessionJson {
                by: s.by.map(|id| ByJson {
                    name: view.name_of(&id),
                    id,
                }),
                from: s.from,
                to: s.to,
                changes: s.changes,
                restore: s.restore,
                inserted: s.inserted,
                removed: s.removed,
                inserted_chars: s.inserted_chars,
                removed_chars: s.removed_chars,
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &HistoryJson {
                target,
                section,
                title,
                sessions,
            },
        )?;
        writeln!(out)?;
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(out, "No one has written {} yet.", text.label)?;
        return Ok(());
    }
    let n = sessions.len();
    writeln!(
        out,
        "History of {}: {n} edit session{}, oldest first.",
        text.label,
        if n == 1 { "" } else { "s" }
    )?;
    for s in &sessions {
        print_session(out, &view, s)?;
    }
    Ok(())
}

fn print_session(out: &mut dyn Write, view: &View, s: &EditSession) -> Result<()> {
    let (from, to) = (local_time(s.from), local_time(s.to));
    // The end on the same day needs only its time.
    let to = match (from.split_once(' '), to.split_once(' ')) {
        (Some((d1, _)), Some((d2, t2))) if d1 == d2 => t2.to_owned(),
        _ => to,
    };
    let by = s.by.as_ref().map_or_else(
        || "a device that did not say who".to_owned(),
        |b| view.name_of(b),
    );
    let changes = if s.changes == 1 { "change" } else { "changes" };
    if s.restore {
        writeln!(out, "\n{from}  {by} restored an earlier wording")?;
    } else {
        writeln!(out, "\n{from} – {to}  {by}, {} {changes}", s.changes)?;
    }
    if s.inserted_chars > 0 {
        writeln!(
            out,
            "    added {}: {}",
            chars(s.inserted_chars),
            shown(&s.inserted)
        )?;
    }
    if s.removed_chars > 0 {
        writeln!(
            out,
            "    removed {}: {}",
            chars(s.removed_chars),
            shown(&s.removed)
        )?;
    }
    if s.inserted_chars == 0 && s.removed_chars == 0 {
        writeln!(out, "    (typed and deleted again; nothing of it stayed)")?;
    }
    Ok(())
}

fn chars(n: usize) -> String {
    format!("{n} character{}", if n == 1 { "" } else { "s" })
}

/// The text quoted on one line, cut after `SHOWN_CHARS`.
fn shown(s: &str) -> String {
    let one_line = s.replace('\n', "⏎");
    let mut cut: String = one_line.chars().take(SHOWN_CHARS).collect();
    if cut.len() < one_line.len() {
        cut.push_str("… (see --json)");
    }
    format!("\"{cut}\"")
}

/// `at --time T`: the wording as it stood then.
pub fn print_at(vault: &mut Vault, text: &Text, time: &str, out: &mut dyn Write) -> Result<()> {
    let at = past_time(time)?;
    let then = wording(vault, text, at)?;
    if then.is_empty() {
        writeln!(
            out,
            "{} had no wording on {}.",
            capitalized(&text.label),
            local_time(at)
        )?;
    } else {
        writeln!(out, "{}", then.trim_end())?;
    }
    Ok(())
}

/// `restore --time T`: a new edit that brings back the wording as it stood then. The partner's
/// device merges it like any edit; nothing of the history is rewritten.
pub fn restore(vault: &mut Vault, text: &Text, time: &str, out: &mut dyn Write) -> Result<()> {
    let at = past_time(time)?;
    let then = wording(vault, text, at)?;
    let when = local_time(at);
    if then == current(vault, &text.target) {
        writeln!(
            out,
            "The wording of {} already is as it stood on {when}; nothing was changed.",
            text.label
        )?;
        return Ok(());
    }
    let before = vault.model_mut().doc_mut(DocKind::Couple).get_heads();
    super::apply_and_save(
        vault,
        Command::RestoreText {
            target: text.target.clone(),
            at,
        },
    )?;
    // What the restore's splices did, exactly (one text changes in this command).
    let doc = vault.model_mut().doc_mut(DocKind::Couple);
    let after = doc.get_heads();
    let (mut removed, mut added) = (0, 0);
    for patch in doc.diff(&before, &after) {
        match patch.action {
            PatchAction::SpliceText { value, .. } => added += value.make_string().chars().count(),
            PatchAction::DeleteSeq { length, .. } => removed += length,
            _ => {}
        }
    }
    writeln!(
        out,
        "Restored the wording of {} as it stood on {when} (−{removed} +{added} characters).",
        text.label
    )?;
    Ok(())
}

/// "the reassurance plan" at the start of a sentence.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn current(vault: &Vault, target: &TextTarget) -> String {
    let view = vault.view();
    match target {
        TextTarget::Plan => view.reassurance_plan,
        TextTarget::Section(id) => view
            .agreement
            .into_iter()
            .find(|s| &s.id == id)
            .map(|s| s.body)
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_people_type_are_read_and_others_refused() {
        let local = |y, m, d, h, min, s| {
            Local
                .with_ymd_and_hms(y, m, d, h, min, s)
                .latest()
                .unwrap()
                .timestamp_millis()
        };
        assert_eq!(
            parse_time("2026-11-20 14:05").unwrap(),
            local(2026, 11, 20, 14, 5, 0) + 59_999
        );
        assert_eq!(
            parse_time("2026-11-20T14:05:30").unwrap(),
            local(2026, 11, 20, 14, 5, 30) + 999
        );
        assert_eq!(
            parse_time("2026-11-20").unwrap(),
            local(2026, 11, 21, 0, 0, 0) - 1
        );
        assert_eq!(parse_time("1795000000000").unwrap(), 1_795_000_000_000);
        for bad in [
            "",
            "yesterday",
            "20261120",
            "2026-11-31",
            "2026-11-20 25:00",
            "14:05",
            "-5",
        ] {
            let err = parse_time(bad).unwrap_err().to_string();
            assert!(err.contains("is not a time"), "{bad}: {err}");
        }
    }
}
