//! Export of a chosen period to JSON, Markdown or printable HTML, for a therapist or oneself.
//!
//! This file is the frame (format tag, period, names) and the one intermediate both text formats
//! come from: each capability writes its section as [`Block`]s into a [`Report`]
//! (`features::EXPORT_PARTS`), and [`Report::markdown`] and [`Report::html`] render it, so the
//! two formats can never hold different things.

use automerge::Automerge;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::features::{self, View};
use crate::history::TextTarget;
use crate::ids::{PartnerId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Markdown,
    Html,
}

impl ExportFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Markdown => "md",
            ExportFormat::Html => "html",
        }
    }
}

/// What goes in. `own_private` includes the exporting partner's private journal (never the
/// other partner's: this device does not have it). For a therapist, leave it off.
#[derive(Clone, Debug, Default)]
pub struct ExportScope {
    /// Inclusive `YYYY-MM-DD` bounds; None = unbounded.
    pub from: Option<String>,
    pub to: Option<String>,
    pub own_private: bool,
}

impl ExportScope {
    /// The day is inside the period (both bounds included).
    pub fn contains(&self, date: &str) -> bool {
        self.from.as_deref().is_none_or(|f| date >= f)
            && self.to.as_deref().is_none_or(|t| date <= t)
    }

    /// The moment falls on a day inside the period (days in UTC, as core knows no time zone).
    pub fn contains_at(&self, at: Timestamp) -> bool {
        self.contains(&date_of(at))
    }

    /// The items whose moment (`at`) falls inside the period, in their order.
    pub(crate) fn within<'a, T>(&self, items: &'a [T], at: impl Fn(&T) -> Timestamp) -> Vec<&'a T> {
        items.iter().filter(|x| self.contains_at(at(x))).collect()
    }

    /// Something that ran from `from` to `to` overlaps the period.
    pub(crate) fn overlaps(&self, from: &str, to: &str) -> bool {
        self.from.as_deref().is_none_or(|f| to >= f) && self.to.as_deref().is_none_or(|t| from <= t)
    }

    /// "all time", "2026-01-01 to 2026-03-31", …
    pub fn describe(&self) -> String {
        match (&self.from, &self.to) {
            (None, None) => "all time".to_owned(),
            (f, t) => format!(
                "{} to {}",
                f.as_deref().unwrap_or("the beginning"),
                t.as_deref().unwrap_or("today")
            ),
        }
    }
}

/// `YYYY-MM-DD` of a moment, in UTC.
pub(crate) fn date_of(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` of a moment, in UTC.
pub(crate) fn time_of(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// One piece of an export, before it becomes Markdown or HTML.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Block {
    /// Level 1 is the document title; sections are 2, items inside them 3.
    Heading(u8, String),
    /// Running text; newlines inside are kept.
    Paragraph(String),
    /// A quiet remark: "nothing in this period", "sealed: not shared yet".
    Note(String),
    /// Quoted words (a journal prompt, a removed wording).
    Quote(String),
    /// Bullets, each with an optional bold lead ("2026-11-24, Sam").
    List(Vec<(String, String)>),
    /// Two columns: what, and its value.
    Table(Vec<(String, String)>),
}

/// A whole export as blocks, in reading order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    pub blocks: Vec<Block>,
}

impl Report {
    pub fn section(&mut self, title: &str) {
        self.blocks.push(Block::Heading(2, title.to_owned()));
    }
    pub fn heading(&mut self, title: impl Into<String>) {
        self.blocks.push(Block::Heading(3, title.into()));
    }
    pub fn paragraph(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.blocks
                .push(Block::Paragraph(text.trim_end().to_owned()));
        }
    }
    pub fn note(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Note(text.into()));
    }
    pub fn quote(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.blocks.push(Block::Quote(text.trim_end().to_owned()));
        }
    }
    pub fn list(&mut self, items: Vec<(String, String)>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }
    pub fn table(&mut self, rows: Vec<(String, String)>) {
        if !rows.is_empty() {
            self.blocks.push(Block::Table(rows));
        }
    }
    /// The line every empty section gets, so a reader knows it was looked at.
    pub fn nothing(&mut self) {
        self.note("Nothing in this period.");
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading(level, t) => {
                    md.push_str(&"#".repeat(usize::from((*level).clamp(1, 6))));
                    md.push(' ');
                    md.push_str(&one_line(t));
                    md.push_str("\n\n");
                }
                Block::Paragraph(t) => {
                    md.push_str(t);
                    md.push_str("\n\n");
                }
                Block::Note(t) => {
                    md.push_str(&format!("_{}_\n\n", one_line(t)));
                }
                Block::Quote(t) => {
                    for line in t.lines() {
                        md.push_str("> ");
                        md.push_str(line);
                        md.push('\n');
                    }
                    md.push('\n');
                }
                Block::List(items) => {
                    for (lead, text) in items {
                        md.push_str("- ");
                        if !lead.is_empty() {
                            md.push_str(&format!("**{}**", one_line(lead)));
                            if !text.is_empty() {
                                md.push_str(": ");
                            }
                        }
                        // Continuation lines are indented so they stay in the bullet.
                        md.push_str(&text.trim_end().replace('\n', "\n  "));
                        md.push('\n');
                    }
                    md.push('\n');
                }
                Block::Table(rows) => {
                    md.push_str("| | |\n| --- | --- |\n");
                    for (k, v) in rows {
                        md.push_str(&format!("| {} | {} |\n", cell(k), cell(v)));
                    }
                    md.push('\n');
                }
            }
        }
        md
    }

    /// One self-contained page: inline CSS, no scripts, nothing fetched; well-formed enough for
    /// an XML parser, so every text goes through [`escape_html`].
    pub fn html(&self, title: &str) -> String {
        let mut h = String::with_capacity(4096);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        h.push_str(&format!("<title>{}</title>\n", escape_html(title)));
        h.push_str("<style>\n");
        h.push_str(CSS);
        h.push_str("</style>\n</head>\n<body>\n<main>\n");
        for b in &self.blocks {
            match b {
                Block::Heading(level, t) => {
                    let l = (*level).clamp(1, 6);
                    h.push_str(&format!("<h{l}>{}</h{l}>\n", escape_html(t)));
                }
                Block::Paragraph(t) => {
                    h.push_str(&format!("<p class=\"text\">{}</p>\n", escape_html(t)));
                }
                Block::Note(t) => {
                    h.push_str(&format!("<p class=\"note\">{}</p>\n", escape_html(t)));
                }
                Block::Quote(t) => {
                    h.push_str(&format!(
                        "<blockquote class=\"text\">{}</blockquote>\n",
                        escape_html(t)
                    ));
                }
                Block::List(items) => {
                    h.push_str("<ul>\n");
                    for (lead, text) in items {
                        h.push_str("<li>");
                        if !lead.is_empty() {
                            h.push_str(&format!("<strong>{}</strong>", escape_html(lead)));
                            if !text.is_empty() {
                                h.push_str(": ");
                            }
                        }
                        h.push_str(&format!(
                            "<span class=\"text\">{}</span></li>\n",
                            escape_html(text.trim_end())
                        ));
                    }
                    h.push_str("</ul>\n");
                }
                Block::Table(rows) => {
                    h.push_str("<table>\n<tbody>\n");
                    for (k, v) in rows {
                        h.push_str(&format!(
                            "<tr><th scope=\"row\">{}</th><td class=\"text\">{}</td></tr>\n",
                            escape_html(k),
                            escape_html(v)
                        ));
                    }
                    h.push_str("</tbody>\n</table>\n");
                }
            }
        }
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }
}

/// Print-friendly and readable on screen; `pre-wrap` keeps the line breaks people typed.
const CSS: &str = "body { font-family: Georgia, 'Times New Roman', serif; color: #222; \
background: #fff; line-height: 1.5; margin: 0; }
main { max-width: 46em; margin: 0 auto; padding: 2em 1.5em; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #b8a46a; padding-bottom: 0.15em; \
margin-top: 1.8em; }
h3 { font-size: 1.1em; margin-bottom: 0.3em; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: #555; font-style: italic; }
blockquote { margin: 0.5em 0 0.5em 1em; padding-left: 0.8em; border-left: 3px solid #ccc; \
color: #444; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { text-align: left; vertical-align: top; padding: 0.2em 0.8em 0.2em 0; }
th { font-weight: 600; white-space: nowrap; }
li { margin: 0.2em 0; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  li, tr, blockquote { break-inside: avoid; page-break-inside: avoid; }
}
";

/// Escapes every character that means something in HTML or XML, with numeric references only
/// (`&#39;`), so the page also parses as XML; control characters XML forbids are dropped.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            // Noncharacters XML 1.0 refuses.
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A heading or note kept on one line, as Markdown needs.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: one line, with `|` escaped.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// What a capability's part of the export sees.
pub(crate) struct ExportCtx<'a> {
    pub v: &'a View,
    pub scope: &'a ExportScope,
    /// The couple document, for the agreement's and the plan's changes within the period;
    /// None leaves those changes out (only the current wording is known then).
    pub couple: Option<&'a Automerge>,
}

/// Written as a map, entry by entry, so each capability adds its keys in a fixed order without
/// one struct naming every capability's types.
struct JsonExport {
    head: Vec<(&'static str, serde_json::Value)>,
    parts: Vec<(&'static str, serde_json::Value)>,
}

impl Serialize for JsonExport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(None)?;
        for (k, v) in self.head.iter().chain(&self.parts) {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

/// Renders the view without the agreement's history; the caller writes the string wherever
/// the person chose.
pub fn export(view: &View, scope: &ExportScope, format: ExportFormat) -> String {
    export_document(view, None, scope, format, &mut |_, _, _| {})
}

/// Renders the view, with the changes to the agreement and the plan within the period taken
/// from `couple`. `progress(done, total, section)` is called as each section is written.
pub fn export_document(
    view: &View,
    couple: Option<&Automerge>,
    scope: &ExportScope,
    format: ExportFormat,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> String {
    let ctx = ExportCtx {
        v: view,
        scope,
        couple,
    };
    let parts: Vec<&features::ExportPart> = features::EXPORT_PARTS
        .iter()
        .filter(|p| !p.private || scope.own_private)
        .collect();
    let total = parts.len();
    progress(0, total, "");
    match format {
        ExportFormat::Json => {
            let mut entries = Vec::new();
            for (i, p) in parts.iter().enumerate() {
                entries.extend((p.json)(&ctx));
                progress(i + 1, total, p.name);
            }
            let head = vec![
                ("format", serde_json::Value::from("kintsugi-export/1")),
                (
                    "from",
                    serde_json::to_value(scope.from.as_deref()).unwrap_or_default(),
                ),
                (
                    "to",
                    serde_json::to_value(scope.to.as_deref()).unwrap_or_default(),
                ),
                ("my_name", view.my_name.clone().into()),
                ("partner_name", view.partner_name.clone().into()),
            ];
            serde_json::to_string_pretty(&JsonExport {
                head,
                parts: entries,
            })
            .expect("plain data serialises")
        }
        ExportFormat::Markdown | ExportFormat::Html => {
            let title = format!("Kintsugi — {} and {}", view.my_name, view.partner_name);
            let mut r = Report::default();
            r.blocks.push(Block::Heading(1, title.clone()));
            r.table(vec![("Period".to_owned(), scope.describe())]);
            for (i, p) in parts.iter().enumerate() {
                r.section(p.name);
                (p.report)(&ctx, &mut r);
                progress(i + 1, total, p.name);
            }
            if format == ExportFormat::Html {
                r.html(&title)
            } else {
                r.markdown()
            }
        }
    }
}

/// One edit session of a shared text, as the export tells it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TextChange {
    pub by: Option<PartnerId>,
    pub by_name: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub changes: usize,
    pub inserted: String,
    pub removed: String,
}

/// The edit sessions of `target` that overlap the period; None without the couple document
/// (or when its history cannot be read, which then leaves only the current wording).
pub(crate) fn text_changes(c: &ExportCtx<'_>, target: &TextTarget) -> Option<Vec<TextChange>> {
    let history = crate::history::text_history_verified(c.couple?, target, &c.v.authorship).ok()?;
    Some(
        history
            .sessions
            .into_iter()
            .filter(|s| c.scope.overlaps(&date_of(s.from), &date_of(s.to)))
            .map(|s| TextChange {
                by_name: s
                    .by
                    .as_ref()
                    .map(|p| c.v.name_of(p))
                    .unwrap_or_else(|| "an unknown device".to_owned()),
                by: s.by,
                from: s.from,
                to: s.to,
                changes: s.changes,
                inserted: s.inserted,
                removed: s.removed,
            })
            .collect(),
    )
}

/// "Changes within the period" under a shared text.
pub(crate) fn changes_report(changes: Option<Vec<TextChange>>, r: &mut Report) {
    let Some(changes) = changes else { return };
    if changes.is_empty() {
        r.note("No changes within the period.");
        return;
    }
    r.paragraph("Changes within the period:");
    r.list(
        changes
            .into_iter()
            .map(|c| {
                let mut what = Vec::new();
                if !c.inserted.is_empty() {
                    what.push(format!("added “{}”", c.inserted));
                }
                if !c.removed.is_empty() {
                    what.push(format!("removed “{}”", c.removed));
                }
                if what.is_empty() {
                    what.push("typing that left the wording as it was".to_owned());
                }
                (
                    format!("{}, {}", time_of(c.from), c.by_name),
                    what.join("; "),
                )
            })
            .collect(),
    );
}

/// One JSON entry.
pub(crate) fn entry<T: Serialize + ?Sized>(
    key: &'static str,
    value: &T,
) -> (&'static str, serde_json::Value) {
    (
        key,
        serde_json::to_value(value).expect("plain data serialises"),
    )
}

/// "—" for an answer left empty.
pub(crate) fn dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_text_and_stays_well_formed() {
        let mut r = Report::default();
        r.section("A <b>&'\"section\"</b>");
        r.paragraph("<script>alert('x')</script> & more");
        r.list(vec![(
            "<i>lead</i>".into(),
            "it's \"quoted\" & <tagged>".into(),
        )]);
        r.table(vec![("k<".into(), "v>\u{1}".into())]);
        r.quote("> not a tag <");
        let h = r.html("T & <title>");
        assert!(!h.contains("<script>") && !h.contains("<b>") && !h.contains("<i>"));
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(h.contains("it&#39;s &quot;quoted&quot; &amp; &lt;tagged&gt;"));
        assert!(h.contains("<title>T &amp; &lt;title&gt;</title>"));
        assert!(!h.contains('\u{1}'));
        assert!(
            !h.contains("&nbsp;") && !h.contains("http"),
            "self-contained"
        );
        assert!(h.contains("@media print"));
        // Every opened element is closed, in order.
        let mut stack = Vec::new();
        let mut rest = h.as_str();
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>').unwrap();
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') || tag.ends_with('/') {
                continue;
            }
            let name = tag
                .trim_start_matches('/')
                .split_whitespace()
                .next()
                .unwrap();
            if tag.starts_with('/') {
                assert_eq!(stack.pop(), Some(name.to_owned()), "{h}");
            } else {
                stack.push(name.to_owned());
            }
        }
        assert!(stack.is_empty(), "{stack:?}");
    }

    #[test]
    fn markdown_keeps_bullets_and_tables_on_their_lines() {
        let mut r = Report::default();
        r.section("Wins\nand more");
        r.list(vec![("2026-01-02, Sam".into(), "two\nlines".into())]);
        r.table(vec![("a|b".into(), "c\nd".into())]);
        let md = r.markdown();
        assert!(md.contains("## Wins and more\n"), "{md}");
        assert!(md.contains("- **2026-01-02, Sam**: two\n  lines\n"), "{md}");
        assert!(md.contains("| a\\|b | c d |"), "{md}");
    }

    #[test]
    fn the_period_includes_both_ends() {
        let s = ExportScope {
            from: Some("2026-02-01".into()),
            to: Some("2026-02-28".into()),
            own_private: false,
        };
        assert!(s.contains("2026-02-01") && s.contains("2026-02-28"));
        assert!(!s.contains("2026-01-31") && !s.contains("2026-03-01"));
        assert!(s.overlaps("2026-01-01", "2026-02-01") && s.overlaps("2026-02-28", "2026-04-01"));
        assert!(!s.overlaps("2026-01-01", "2026-01-31"));
        // 2026-02-01T00:30Z
        assert!(s.contains_at(1_769_905_800_000));
        assert!(ExportScope::default().contains("1999-01-01"));
    }
}
