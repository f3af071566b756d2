//! The export honours the period in every section, in all three formats, and says sealed answers only as "answered".

use kintsugi_core::*;

#[path = "common/year.rs"]
mod year;
use year::{MARKERS, SECTIONS, couple, month, ms, sync};

fn march() -> ExportScope {
    ExportScope {
        from: Some("2026-03-01".into()),
        to: Some("2026-03-31".into()),
        own_private: true,
    }
}

fn two_months() -> (Model, Model) {
    let (mut a, mut b) = couple("2026-01-01");
    month(&mut a, &mut b, "JAN", "2026-01-15");
    month(&mut a, &mut b, "MAR", "2026-03-16");
    month(&mut a, &mut b, "MAY", "2026-05-15");
    (a, b)
}

/// Each section's entries in the JSON, as text.
fn json_of(m: &Model, scope: &ExportScope) -> serde_json::Value {
    let couple = m.couple_doc();
    let text = export_document(
        &m.view(),
        Some(&couple),
        scope,
        ExportFormat::Json,
        &mut |_, _, _| {},
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_json_section_holds_only_the_period() {
    let (a, _b) = two_months();
    let json = json_of(&a, &march());
    let text = json.to_string();
    for marker in MARKERS {
        let (inside, outside) = (format!("MAR-{marker}"), format!("JAN-{marker}"));
        match *marker {
            // Current wording holds every month; the changes only the period's.
            "AGREEMENT" | "PLAN" => {
                let changes = if *marker == "PLAN" {
                    json["reassurance_plan"]["changes_in_period"].to_string()
                } else {
                    json["agreement"][0]["changes_in_period"].to_string()
                };
                assert!(changes.contains(&inside), "{marker}: {changes}");
                assert!(
                    !changes.contains(&outside) && !changes.contains("MAY-"),
                    "{marker}: {changes}"
                );
            }
            _ => {
                assert!(text.contains(&inside), "{inside} missing");
                assert!(!text.contains(&outside), "{outside} is outside the period");
                assert!(
                    !text.contains(&format!("MAY-{marker}")),
                    "MAY-{marker} is outside the period"
                );
            }
        }
    }
    // The commitment that ran all along is there, with only March's log.
    let logs = json["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "commit-sam")
        .unwrap()["log"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(logs, 1);
    // The recurring ritual, with only March's day.
    let coffee = json["rituals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "coffee")
        .unwrap();
    assert_eq!(coffee["done"].as_array().unwrap().len(), 1, "{coffee}");
    assert_eq!(json["self_care"][0]["text"], "Breathe out slowly");
}

#[test]
fn markdown_and_html_hold_only_the_period_and_every_section() {
    let (a, _b) = two_months();
    let couple = a.couple_doc();
    for format in [ExportFormat::Markdown, ExportFormat::Html] {
        let mut steps = Vec::new();
        let text = export_document(
            &a.view(),
            Some(&couple),
            &march(),
            format,
            &mut |d, t, n| steps.push((d, t, n.to_owned())),
        );
        for marker in MARKERS {
            let (inside, outside) = (format!("MAR-{marker}"), format!("JAN-{marker}"));
            assert!(text.contains(&inside), "{format:?}: {inside} missing");
            if matches!(*marker, "AGREEMENT" | "PLAN") {
                // In the wording now, but among the changes only March's.
                assert!(
                    text.contains(&format!("added “{inside} ”")),
                    "{format:?} {marker}"
                );
                assert!(
                    !text.contains(&format!("added “{outside} ”")),
                    "{format:?} {marker}"
                );
            } else {
                assert!(
                    !text.contains(&outside),
                    "{format:?}: {outside} is outside the period"
                );
            }
        }
        for title in SECTIONS {
            let heading = match format {
                ExportFormat::Html => format!("<h2>{title}</h2>"),
                _ => format!("\n## {title}\n"),
            };
            assert!(text.contains(&heading), "{format:?}: {title}");
            assert!(
                steps.iter().any(|(_, _, n)| n == title),
                "progress for {title}"
            );
        }
        let (done, total, _) = steps.last().unwrap();
        assert_eq!(done, total);
        assert!(
            steps.windows(2).all(|w| w[0].0 < w[1].0),
            "progress only grows"
        );
    }
}

#[test]
fn the_private_journal_only_when_asked_and_never_the_partners() {
    let (a, b) = two_months();
    let scope = ExportScope {
        own_private: false,
        ..march()
    };
    for format in [
        ExportFormat::Json,
        ExportFormat::Markdown,
        ExportFormat::Html,
    ] {
        let mine = export(&a.view(), &scope, format);
        assert!(!mine.contains("MAR-JOURNAL") && !mine.contains("My private journal"));
        // The self-care list is private too: only when asked.
        assert!(!mine.contains("Breathe out slowly"), "{format:?}");
        // Alex asked for his own private journal: Sam's is not on his device.
        let theirs = export(&b.view(), &march(), format);
        assert!(!theirs.contains("MAR-JOURNAL"), "{format:?}");
        // Drafts and the other's self-care list never: Alex's export has no self-care item.
        assert!(!theirs.contains("Breathe out slowly"), "{format:?}");
    }
}

#[test]
fn a_sealed_check_in_of_the_partner_shows_as_answered_only() {
    let (mut a, mut b) = couple("2026-01-01");
    let t = ms("2026-03-20");
    year::ap(
        &mut b,
        Command::SaveDailyCheckIn {
            date: "2026-03-20".into(),
            answers: DailyAnswers {
                mood: 1,
                connection: 1,
                safety: 1,
                high: "ALEX-SEALED-HIGH".into(),
                low: "ALEX-SEALED-LOW".into(),
                need: String::new(),
            },
        },
        t,
    );
    sync(&mut a, &mut b, t);
    for format in [
        ExportFormat::Json,
        ExportFormat::Markdown,
        ExportFormat::Html,
    ] {
        let text = export(&a.view(), &march(), format);
        assert!(!text.contains("ALEX-SEALED"), "{format:?}: {text}");
        if format != ExportFormat::Json {
            assert!(
                text.contains("answered (the answers stay sealed"),
                "{format:?}"
            );
        }
        // Alex's own export has his sealed answers, marked.
        let his = export(&b.view(), &march(), format);
        assert!(his.contains("ALEX-SEALED-HIGH"));
        if format != ExportFormat::Json {
            assert!(his.contains("sealed: not shared yet"), "{format:?}");
        }
    }
}

#[test]
fn without_the_document_the_export_has_the_wording_but_no_changes() {
    let (a, _b) = two_months();
    let md = export(&a.view(), &march(), ExportFormat::Markdown);
    assert!(md.contains("JAN-AGREEMENT") && !md.contains("Changes within the period"));
}
