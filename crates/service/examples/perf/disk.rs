//! On disk: the store file after the data is installed, opened and typed into, against the compacted automerge save of the same documents.

use kintsugi_core::{Command, DocKind};
use kintsugi_service::dataset::{self, Dataset};
use std::os::unix::fs::MetadataExt as _;

use kintsugi_service::{FILE_NAME, NetOptions, Vault, now_ms, spawn_at};

use crate::table::{Measure, mib};

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let dir = tempfile::tempdir().expect("temp dir");
    dataset::install(ds, dir.path()).expect("install");
    let size = || {
        std::fs::metadata(dir.path().join(FILE_NAME))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let installed = size();
    let opened = {
        let vault = Vault::open(dir.path()).expect("open");
        let _ = vault.view();
        drop(vault);
        size()
    };
    // Used a little, as the window would: opened (which may write derived data such as a view
    // cache) and a hundred typing batches saved durably.
    let compacted = {
        let mut vault = Vault::open(dir.path()).expect("open");
        let _ = vault.view();
        for i in 0..100 {
            vault
                .apply(
                    Command::SpliceSection {
                        section: "conflict".into(),
                        pos: 0,
                        delete: 0,
                        insert: format!("{i:>11} "),
                    },
                    now_ms(),
                )
                .expect("splice");
            vault.save(now_ms()).expect("save");
        }
        let m = vault.model_mut();
        (m.doc_mut(DocKind::Couple).save().len() + m.doc_mut(DocKind::Private).save().len()) as u64
    };
    let saved = size();
    // Closed the way the window closes (the view cache written, the file shrunk): what stays
    // on disk between sessions.
    spawn_at(dir.path(), NetOptions::default())
        .expect("opens")
        .shutdown();
    let file = size();
    let blocks = std::fs::metadata(dir.path().join(FILE_NAME))
        .map(|m| m.blocks() * 512)
        .unwrap_or(0);
    let ratio = file as f64 / compacted as f64;
    vec![
        Measure::new(
            "on disk after closing: kintsugi.redb / compacted automerge save",
            "≤ 1.5×",
            format!("{} / {} = {ratio:.2}×", mib(file), mib(compacted)),
            Some(ratio <= 1.5),
        ),
        Measure::info(
            "… of which allocated (the file has holes), incl. the view cache",
            format!("{} = {:.2}×", mib(blocks), blocks as f64 / compacted as f64),
        ),
        Measure::info(
            "kintsugi.redb installed / opened + closed / + 100 saves",
            format!("{} / {} / {}", mib(installed), mib(opened), mib(saved)),
        ),
    ]
}
