//! The sync node's view of the documents: the vault the worker writes, lent through `DocHost`.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use kintsugi_core::DocKind;
use kintsugi_sync::session::{DocAccess, DocName};
use kintsugi_sync::transport::DocHost;

use super::{Request, lock};
use crate::vault::Vault;

/// The sync node's view of the documents: the same vault the worker writes, behind a lock.
pub(super) struct Host {
    pub(super) vault: Arc<Mutex<Vault>>,
    pub(super) tx: Mutex<Sender<Request>>,
}

struct Access<'a>(&'a mut Vault);

impl DocAccess for Access<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        // Which documents a peer may see is the session's rule (its scope); this only maps names.
        Some(self.0.model_mut().doc_mut(doc_kind(name)))
    }
}

pub(super) fn doc_kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

impl DocHost for Host {
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess)) {
        let mut v = lock(&self.vault);
        f(&mut Access(&mut v));
    }

    fn remote_changed(&self, _peer: [u8; 32], _docs: &[DocName]) {
        let _ = lock(&self.tx).send(Request::RemoteChanged);
    }

    fn load_sync_states(&self, peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        lock(&self.vault)
            .load_sync_states(&peer)
            .into_iter()
            .map(|(k, s)| {
                let name = match k {
                    DocKind::Couple => DocName::Couple,
                    DocKind::Private => DocName::Private,
                };
                (name, s)
            })
            .collect()
    }

    fn save_sync_states(&self, peer: [u8; 32], states: Vec<(DocName, Vec<u8>)>) {
        let v = lock(&self.vault);
        for (name, s) in states {
            v.save_sync_state(&peer, doc_kind(name), &s);
        }
    }
}
