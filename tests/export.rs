//! The therapy export of a generated couple year: every section in HTML (parsed as XML) and Markdown, the period honoured in JSON, sealed answers kept out; and `kintsugi export` end to end.

use kintsugi_core::automerge::Automerge;
use kintsugi_core::*;

mod binary;
use binary::{fails_with, ok};

#[path = "../crates/core/tests/common/year.rs"]
mod year;
use year::{MARKERS, SECTIONS, ap, couple, month, ms, sync};

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A year of everything, one tagged day a month, and at its end a day only Alex answered.
fn year() -> (Model, Model) {
    let (mut a, mut b) = couple("2026-01-01");
    for (i, tag) in MONTHS.iter().enumerate() {
        month(&mut a, &mut b, tag, &format!("2026-{:02}-14", i + 1));
    }
    ap(
        &mut b,
        Command::SaveDailyCheckIn {
            date: "2026-12-20".into(),
            answers: DailyAnswers {
                mood: 2,
                connection: 2,
                safety: 3,
                high: "ALEX-SEALED-HIGH".into(),
                low: "ALEX-SEALED-LOW".into(),
                need: "ALEX-SEALED-NEED".into(),
            },
        },
        ms("2026-12-20"),
    );
    sync(&mut a, &mut b, ms("2026-12-20"));
    (a, b)
}

fn render(m: &Model, scope: &ExportScope, format: ExportFormat) -> String {
    let couple: Automerge = m.couple_doc();
    export_document(&m.view(), Some(&couple), scope, format, &mut |_, _, _| {})
}

fn all_mine() -> ExportScope {
    ExportScope {
        own_private: true,
        ..ExportScope::default()
    }
}

#[test]
fn the_html_of_a_year_has_every_section_and_parses_as_xml() {
    let (a, _) = year();
    let html = render(&a, &all_mine(), ExportFormat::Html);
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let h2: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("h2"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    for s in SECTIONS {
        assert!(h2.iter().any(|h| h == s), "no <h2>{s}</h2> in {h2:?}");
    }
    // Self-contained: no script, nothing fetched.
    for tag in ["script", "link", "img", "iframe"] {
        assert!(!doc.descendants().any(|n| n.has_tag_name(tag)), "{tag}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    let style = doc.descendants().find(|n| n.has_tag_name("style")).unwrap();
    assert!(style.text().unwrap().contains("@media print"));
    // Every month's items are in the text of the page.
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    for tag in MONTHS {
        for marker in MARKERS {
            assert!(text.contains(&format!("{tag}-{marker}")), "{tag}-{marker}");
        }
    }
    assert!(
        !html.contains("ALEX-SEALED"),
        "a sealed answer of the partner"
    );
}

#[test]
fn the_markdown_of_a_year_has_every_section() {
    let (a, _) = year();
    let md = render(&a, &all_mine(), ExportFormat::Markdown);
    for s in SECTIONS {
        assert!(md.contains(&format!("\n## {s}\n")), "{s}");
    }
    assert!(!md.contains("ALEX-SEALED"));
    assert!(md.contains("answered (the answers stay sealed"));
}

#[test]
fn json_honours_from_and_to_in_every_section() {
    let (a, b) = year();
    let scope = ExportScope {
        from: Some("2026-04-01".into()),
        to: Some("2026-06-30".into()),
        own_private: true,
    };
    let json: serde_json::Value =
        serde_json::from_str(&render(&a, &scope, ExportFormat::Json)).unwrap();
    assert_eq!(json["from"], "2026-04-01");
    for key in [
        "agreement",
        "daily_checkins",
        "weekly_checkins",
        "commitments",
        "shared_entries",
        "disclosures",
        "triggers",
        "reassurance_plan",
        "breaks",
        "questions",
        "wins",
        "rituals",
        "apologies",
        "therapy_topics",
        "self_care",
        "journal",
    ] {
        assert!(json.get(key).is_some(), "no {key}");
    }
    // The texts hold every month's typing; their changes, and every other section, only the
    // period's.
    let mut parts = json.clone();
    let changes = [
        json["agreement"][0]["changes_in_period"].to_string(),
        json["reassurance_plan"]["changes_in_period"].to_string(),
    ];
    parts["agreement"] = serde_json::Value::Null;
    parts["reassurance_plan"] = serde_json::Value::Null;
    let rest = parts.to_string();
    for (i, tag) in MONTHS.iter().enumerate() {
        let inside = (4..=6).contains(&(i + 1));
        for marker in MARKERS {
            let m = format!("{tag}-{marker}");
            let found = match *marker {
                "AGREEMENT" => changes[0].contains(&m),
                "PLAN" => changes[1].contains(&m),
                _ => rest.contains(&m),
            };
            assert_eq!(found, inside, "{m}");
        }
    }
    // Alex's export of the same period: Sam's journal is not on his device.
    let his = render(&b, &scope, ExportFormat::Json);
    assert!(!his.contains("APR-JOURNAL") && his.contains("APR-DISCLOSURE"));
    let december = ExportScope {
        from: Some("2026-12-01".into()),
        ..all_mine()
    };
    assert!(!render(&a, &december, ExportFormat::Json).contains("ALEX-SEALED"));
    assert!(render(&b, &december, ExportFormat::Json).contains("ALEX-SEALED-HIGH"));
}

#[test]
fn cli_exports_html_and_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let d = &tmp.path().join("data");
    ok(d, &["init", "--name", "Sam", "--partner", "Alex"]);
    ok(
        d,
        &[
            "journal",
            "add",
            "--text",
            "a <b>private</b> & 'quoted' day",
            "--date",
            "2026-11-23",
        ],
    );
    ok(
        d,
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--connection",
            "2",
            "--safety",
            "4",
            "--high",
            "tea <together>",
            "--date",
            "2026-11-23",
        ],
    );
    let f = tmp.path().join("for-therapy.html");
    ok(
        d,
        &[
            "export",
            "--format",
            "html",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--include-private",
            "-o",
            f.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&f).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap();
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains("tea <together>") && text.contains("a <b>private</b> & 'quoted' day"));
    assert!(html.contains("<h2>Check-ins</h2>"));
    let err = fails_with(
        d,
        None,
        &["export", "--format", "html", "--from", "2026-13-01"],
    );
    assert!(err.contains("is not a date"), "{err}");
    let err = fails_with(d, None, &["export", "--all"]);
    assert!(err.contains("-o DIR"), "{err}");

    let out = tmp.path().join("everything");
    let said = ok(d, &["export", "--all", "-o", out.to_str().unwrap()]);
    assert!(said.contains("Saved to"), "{said}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("kintsugi-data.json")).unwrap()).unwrap();
    assert_eq!(json["my_name"], "Sam");
    assert!(
        json["journal"][0]["text"]
            .as_str()
            .unwrap()
            .contains("private")
    );
    for (file, holds) in [("couple.automerge", "Sam"), ("private.automerge", "quoted")] {
        let doc = Automerge::load(&std::fs::read(out.join(file)).unwrap()).unwrap();
        let mut strings = String::new();
        for c in doc.get_changes(&[]) {
            for op in c.decode().operations {
                if let Some(kintsugi_core::automerge::ScalarValue::Str(s)) = op.primitive_value() {
                    strings.push_str(&s);
                }
            }
        }
        assert!(strings.contains(holds), "{file} holds {holds}");
    }
    assert!(
        std::fs::read_to_string(out.join("README.txt"))
            .unwrap()
            .contains("couple.automerge")
    );
    // A second export into the same folder is refused, and nothing in it changes.
    let err = fails_with(d, None, &["export", "--all", "-o", out.to_str().unwrap()]);
    assert!(err.contains("already holds files"), "{err}");
}
