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

/// The vault's documents as the sync session sees them: the private document with its lineage,
/// so an own device on an older one takes the newer document instead of merging history back.
/// The worker's sync node uses it; tests that drive sessions directly use it too.
pub struct VaultDocs<'a>(pub &'a mut Vault);

impl DocAccess for VaultDocs<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        // Which documents a peer may see is the session's rule (its scope); this only maps names.
        Some(self.0.model_mut().doc_mut(doc_kind(name)))
    }

    fn lineage(&mut self, name: DocName) -> Option<Vec<u8>> {
        // Only the private document is ever rebuilt without its history (erasing).
        (name == DocName::Private).then(|| self.0.model().private_lineage())
    }

    fn supersede(
        &mut self,
        name: DocName,
        document: &[u8],
        agreed: &[kintsugi_core::automerge::ChangeHash],
    ) -> Result<(), String> {
        if name != DocName::Private {
            return Err("only the private document has lineages".into());
        }
        // Rare (once after another own device erased): the rebase and the store's fresh file
        // happen here, under the vault lock, so no sync message of the old lineage slips between.
        // A session that did not resume knows no common point; the states kept from earlier
        // syncs with own devices do.
        let agreed = if agreed.is_empty() {
            self.0.private_agreed_heads()
        } else {
            agreed.to_vec()
        };
        self.0
            .adopt_private(document, &agreed, crate::clock::now_ms())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

pub(crate) fn doc_kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

impl DocHost for Host {
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess)) {
        let mut v = lock(&self.vault);
        f(&mut VaultDocs(&mut v));
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
