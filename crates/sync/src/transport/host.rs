//! The documents the node syncs are the embedder's: it lends them through `DocHost`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use automerge::AutoCommit;

use super::lock;
use crate::session::{DocAccess, DocName};

/// Where the documents live. The embedder implements this over its own store.
///
/// All methods are called from tokio tasks; none is called while another holds the docs.
pub trait DocHost: Send + Sync + 'static {
    /// Runs `f` with the documents (lock them for the call). `f` does no I/O and returns fast.
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess));
    /// Remote changes were merged into `docs`: persist them and refresh views.
    /// Called outside `with_docs`, so it may call `with_docs` itself.
    fn remote_changed(&self, peer: [u8; 32], docs: &[DocName]);
    /// Saved sync states for a peer (see [`DocHost::save_sync_states`]).
    fn load_sync_states(&self, _peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        Vec::new()
    }
    /// Sync states to keep per peer; they make the next reconnect shorter. Optional.
    fn save_sync_states(&self, _peer: [u8; 32], _states: Vec<(DocName, Vec<u8>)>) {}
}

/// (peer id, document) → encoded sync state.
type SyncStateKey = ([u8; 32], DocName);

/// A simple in-memory [`DocHost`]; usable by embedders that persist on `remote_changed`
/// notifications from the status channel, and by tests.
#[derive(Default)]
pub struct MemoryDocHost {
    docs: Mutex<HashMap<DocName, AutoCommit>>,
    states: Mutex<HashMap<SyncStateKey, Vec<u8>>>,
    remote_changes: Mutex<HashMap<DocName, u64>>,
}

impl fmt::Debug for MemoryDocHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print documents: they hold private journal text.
        f.debug_struct("MemoryDocHost").finish_non_exhaustive()
    }
}

impl MemoryDocHost {
    /// Holds the given documents.
    pub fn new(docs: impl IntoIterator<Item = (DocName, AutoCommit)>) -> Self {
        Self {
            docs: Mutex::new(docs.into_iter().collect()),
            ..Default::default()
        }
    }

    /// Runs `f` on one document.
    pub fn with_doc<R>(&self, name: DocName, f: impl FnOnce(&mut AutoCommit) -> R) -> Option<R> {
        lock(&self.docs).get_mut(&name).map(f)
    }

    /// How many times remote changes were merged into `name`.
    pub fn remote_change_count(&self, name: DocName) -> u64 {
        lock(&self.remote_changes).get(&name).copied().unwrap_or(0)
    }
}

struct MapAccess<'a>(&'a mut HashMap<DocName, AutoCommit>);

impl DocAccess for MapAccess<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        self.0.get_mut(&name)
    }
}

impl DocHost for MemoryDocHost {
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess)) {
        let mut docs = lock(&self.docs);
        f(&mut MapAccess(&mut docs));
    }

    fn remote_changed(&self, _peer: [u8; 32], docs: &[DocName]) {
        let mut c = lock(&self.remote_changes);
        for d in docs {
            *c.entry(*d).or_default() += 1;
        }
    }

    fn load_sync_states(&self, peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        lock(&self.states)
            .iter()
            .filter(|((p, _), _)| *p == peer)
            .map(|((_, d), s)| (*d, s.clone()))
            .collect()
    }

    fn save_sync_states(&self, peer: [u8; 32], states: Vec<(DocName, Vec<u8>)>) {
        let mut m = lock(&self.states);
        for (d, s) in states {
            m.insert((peer, d), s);
        }
    }
}
