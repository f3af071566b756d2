//! A thread that owns the vault: the UI sends commands and reads snapshots, never touching
//! automerge or redb itself.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kintsugi_core::{Command, Timestamp, View};

use crate::vault::{Vault, now_ms};

/// Typing is committed once the keyboard has been quiet this long…
pub const TYPING_PAUSE: Duration = Duration::from_millis(250);
/// …or, during continuous typing, at least this often.
pub const TYPING_MAX_BATCH: Duration = Duration::from_secs(2);

/// Whether what the person sees is on disk.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Everything shown is durable; `at` is when the last write finished.
    Saved { at: Option<Timestamp> },
    /// Edits exist that are not yet written (within a typing pause).
    Pending,
    /// The last write failed; edits are kept in memory and retried.
    Failed(String),
}

/// What the UI reads each frame: an immutable view plus status.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub view: Arc<View>,
    /// Increases with every change to `view`.
    pub revision: u64,
    pub save: SaveState,
    /// The most recent refused command, with the number of commands sent before it answered.
    pub last_error: Option<(u64, String)>,
    /// How many commands the worker has processed.
    pub processed: u64,
}

enum Request {
    Command(Command),
    Flush,
    Shutdown,
}

struct Shared {
    snapshot: Mutex<Arc<Snapshot>>,
    changed: Condvar,
    on_update: Mutex<Option<Box<dyn Fn() + Send>>>,
}

/// The UI's end of the worker; cheap to clone.
#[derive(Clone)]
pub struct Handle {
    tx: Sender<Request>,
    shared: Arc<Shared>,
    sent: Arc<Mutex<u64>>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Starts the worker thread that owns `vault` from now on.
pub fn spawn(vault: Vault) -> Handle {
    let view = Arc::new(vault.view());
    let shared = Arc::new(Shared {
        snapshot: Mutex::new(Arc::new(Snapshot {
            view,
            revision: 0,
            save: SaveState::Saved { at: None },
            last_error: None,
            processed: 0,
        })),
        changed: Condvar::new(),
        on_update: Mutex::new(None),
    });
    let (tx, rx) = channel();
    let s = shared.clone();
    let thread = std::thread::Builder::new()
        .name("kintsugi-vault".into())
        .spawn(move || run(vault, rx, s))
        .expect("spawning a thread");
    Handle {
        tx,
        shared,
        sent: Arc::new(Mutex::new(0)),
        thread: Arc::new(Mutex::new(Some(thread))),
    }
}

impl Handle {
    pub fn send(&self, cmd: Command) {
        *self.sent.lock().expect("poisoned") += 1;
        let _ = self.tx.send(Request::Command(cmd));
    }

    /// Saves open typing now (the text box lost focus, the window is closing).
    pub fn flush(&self) {
        let _ = self.tx.send(Request::Flush);
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.snapshot.lock().expect("poisoned").clone()
    }

    /// Called from the worker after every new snapshot, e.g. to wake the egui event loop.
    pub fn on_update(&self, f: impl Fn() + Send + 'static) {
        *self.shared.on_update.lock().expect("poisoned") = Some(Box::new(f));
    }

    /// Number of commands sent so far (compare with `Snapshot::processed`).
    pub fn sent(&self) -> u64 {
        *self.sent.lock().expect("poisoned")
    }

    /// Blocks until every command sent so far is applied and saved, or the timeout passes.
    /// For tests and for the window closing; never called on a frame.
    pub fn wait_saved(&self, timeout: Duration) -> bool {
        self.flush();
        let sent = self.sent();
        let deadline = Instant::now() + timeout;
        let mut snap = self.shared.snapshot.lock().expect("poisoned");
        loop {
            if snap.processed >= sent && matches!(snap.save, SaveState::Saved { .. }) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            snap = self
                .shared
                .changed
                .wait_timeout(snap, left)
                .expect("poisoned")
                .0;
        }
    }

    /// Saves everything and stops the worker.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Request::Shutdown);
        if let Some(t) = self.thread.lock().expect("poisoned").take() {
            let _ = t.join();
        }
    }
}

fn run(mut vault: Vault, rx: Receiver<Request>, shared: Arc<Shared>) {
    let mut processed = 0u64;
    let mut revision = 0u64;
    let mut last_error = None;
    let mut save = SaveState::Saved { at: None };
    // When set, typing is waiting to be committed: (first unsaved keystroke, last keystroke).
    let mut typing: Option<(Instant, Instant)> = None;
    loop {
        let timeout = match typing {
            Some((first, last)) => {
                let due = (last + TYPING_PAUSE).min(first + TYPING_MAX_BATCH);
                due.saturating_duration_since(Instant::now())
            }
            // A failed save is retried every few seconds.
            None if matches!(save, SaveState::Failed(_)) => Duration::from_secs(3),
            None => Duration::from_secs(3600),
        };
        let mut save_now = false;
        let mut stop = false;
        let mut view_changed = false;
        let mut next = rx.recv_timeout(timeout);
        loop {
            match next {
                Ok(Request::Command(cmd)) => {
                    let is_typing = matches!(
                        cmd,
                        Command::SpliceJournalText { .. } | Command::SpliceSection { .. }
                    );
                    processed += 1;
                    match vault.apply(cmd, now_ms()) {
                        Ok(()) => {
                            view_changed = true;
                            if is_typing {
                                let now = Instant::now();
                                typing = Some(typing.map_or((now, now), |(f, _)| (f, now)));
                                save = SaveState::Pending;
                            } else {
                                save_now = true;
                            }
                        }
                        Err(e) => {
                            tracing::info!("command refused: {e}");
                            last_error = Some((processed, e.to_string()));
                        }
                    }
                }
                Ok(Request::Flush) => save_now = true,
                Ok(Request::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    save_now = true;
                    stop = true;
                }
                Err(RecvTimeoutError::Timeout) => save_now = true,
            }
            if stop {
                break;
            }
            // Drain what queued up meanwhile: fast typing then costs one view rebuild, not one
            // per keystroke (the view of a year of data takes tens of milliseconds).
            next = match rx.try_recv() {
                Ok(r) => Ok(r),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            };
        }
        if save_now && vault.has_unsaved() {
            typing = None;
            save = match vault.save(now_ms()) {
                Ok(_) => SaveState::Saved { at: Some(now_ms()) },
                Err(e) => {
                    tracing::error!("saving failed: {e}");
                    SaveState::Failed(e.to_string())
                }
            };
        } else if save_now && typing.is_none() && save == SaveState::Pending {
            save = SaveState::Saved { at: Some(now_ms()) };
        }
        {
            let mut snap = shared.snapshot.lock().expect("poisoned");
            let view = if view_changed {
                revision += 1;
                Arc::new(vault.view())
            } else {
                snap.view.clone()
            };
            *snap = Arc::new(Snapshot {
                view,
                revision,
                save: save.clone(),
                last_error: last_error.clone(),
                processed,
            });
        }
        shared.changed.notify_all();
        if let Some(f) = shared.on_update.lock().expect("poisoned").as_ref() {
            f();
        }
        if stop {
            return;
        }
    }
}
