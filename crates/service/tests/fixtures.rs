//! Every store format ever released still opens, with the same data (`tests/fixtures/store-v*`).
//!
//! Each fixture is a `kintsugi.redb` written by the release that introduced its format (see
//! `examples/store_fixture.rs`) and the view that release showed (`view.json`). This version
//! must show at least that: every field the old view had, with the same value. Fields added
//! since may appear; nothing may go missing or change.

use std::path::{Path, PathBuf};

use kintsugi_core::{DocKind, format_hashes};
use kintsugi_service::Vault;
use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("kintsugi.redb").is_file())
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no store fixtures in {}", dir.display());
    found
}

/// Where `actual` lacks or differs from something `expected` has, as readable paths.
fn missing(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => missing(ev, av, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k} is gone")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                missing(ev, av, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: was {e}, now {a}")),
    }
}

/// Opens a copy, so the committed fixture is never written.
fn open_copy(fixture: &Path) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture.join("kintsugi.redb"),
        dir.path().join("kintsugi.redb"),
    )
    .unwrap();
    let vault = Vault::open_with(dir.path(), passphrase(fixture).as_ref())
        .unwrap_or_else(|e| panic!("{} no longer opens: {e}", fixture.display()));
    (dir, vault)
}

/// An encrypted format's fixture keeps its passphrase beside it (`passphrase.txt`).
fn passphrase(fixture: &Path) -> Option<kintsugi_service::SecretString> {
    let text = std::fs::read_to_string(fixture.join("passphrase.txt")).ok()?;
    Some(text.trim_end_matches('\n').to_owned().into())
}

#[test]
fn every_released_store_opens_with_the_same_data() {
    for fixture in fixtures() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture.join("view.json")).unwrap())
                .unwrap();
        let (_dir, vault) = open_copy(&fixture);
        let actual = serde_json::to_value(vault.view()).unwrap();
        let mut diffs = Vec::new();
        missing(&expected, &actual, "view", &mut diffs);
        assert!(
            diffs.is_empty(),
            "{}:\n{}",
            fixture.display(),
            diffs.join("\n")
        );
        assert_eq!(
            actual["errors"],
            Value::Array(vec![]),
            "{}",
            fixture.display()
        );
    }
}

/// The fixtures were made from the same genesis this build pins: their documents hold it.
#[test]
fn every_released_store_holds_todays_genesis() {
    for fixture in fixtures() {
        let (_dir, mut vault) = open_copy(&fixture);
        for kind in DocKind::ALL {
            let doc = vault.model_mut().doc_mut(kind);
            for hash in format_hashes(kind) {
                let hash = hash.parse().unwrap();
                assert!(
                    doc.get_change_by_hash(&hash).is_some(),
                    "{} {kind:?} lacks format change {hash}",
                    fixture.display()
                );
            }
        }
    }
}

/// Saved again by this version and reopened, the data is still the same (nothing lost on the
/// first write after an upgrade).
#[test]
fn a_released_store_saved_by_this_version_reopens_the_same() {
    for fixture in fixtures() {
        let (dir, mut vault) = open_copy(&fixture);
        let before = serde_json::to_value(vault.view()).unwrap();
        vault.mark_changed();
        vault.save(kintsugi_service::now_ms()).unwrap();
        drop(vault);
        let vault = Vault::open_with(dir.path(), passphrase(&fixture).as_ref()).unwrap();
        assert_eq!(
            serde_json::to_value(vault.view()).unwrap(),
            before,
            "{}",
            fixture.display()
        );
    }
}
