//! The command loop: applies the window's commands, batches typing, saves, and dispatches the rest.

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use kintsugi_sync::session::Scope;
use kintsugi_sync::transport::StatusEvent;

use super::lock::Exit;
use super::{Request, SaveState, TYPING_MAX_BATCH, TYPING_PAUSE, VIEW_CACHE_IDLE, Worker, lock};
use crate::clock::now_ms;
use crate::peers::Refusal;

impl Worker {
    /// Serves requests until shut down or locked; returns how it ended, the worker (still
    /// holding the vault) for the caller to take apart.
    pub(super) fn run(mut self, rx: &Receiver<Request>) -> (Self, Exit) {
        let has_peers = lock(&self.vault).peers().is_ok_and(|p| !p.is_empty());
        if self.opts.start || has_peers {
            self.go_online();
        }
        // Changes merged while this device was off may have brought the partner's seals.
        let mut reveal_due = true;
        self.publish(false);
        loop {
            let timeout = match self.typing {
                Some((first, last)) => (last + TYPING_PAUSE)
                    .min(first + TYPING_MAX_BATCH)
                    .saturating_duration_since(Instant::now()),
                // A failed save is retried every few seconds.
                None if matches!(self.save, SaveState::Failed(_)) => Duration::from_secs(3),
                // Once quiet, the view cache is brought up to date (off the typing path).
                None if lock(&self.vault).view_cache_stale() => (self.last_activity
                    + VIEW_CACHE_IDLE)
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_secs(1)),
                None => Duration::from_secs(3600),
            };
            let mut save_now = false;
            let mut stop = false;
            let mut lock_now = false;
            let mut view_changed = false;
            let mut publish_due = false;
            let mut next = rx.recv_timeout(timeout);
            if next.is_ok() {
                self.last_activity = Instant::now();
            }
            loop {
                match next {
                    Ok(Request::Command(cmd)) => {
                        self.processed += 1;
                        let typing = cmd.is_typing();
                        match lock(&self.vault).apply(cmd, now_ms()) {
                            Ok(()) if typing => {
                                let now = Instant::now();
                                self.typing =
                                    Some(self.typing.map_or((now, now), |(f, _)| (f, now)));
                                self.save = SaveState::Pending;
                                // Read into the view once committed (below, when saved).
                                self.typing_unviewed.get_or_insert(self.processed - 1);
                            }
                            Ok(()) => {
                                save_now = true;
                                view_changed = true;
                            }
                            Err(e) => {
                                // The message can quote what the person typed: it goes to
                                // the window, never to the log.
                                tracing::info!("a command was refused");
                                self.last_error =
                                    Some((self.processed, Refusal::Command(e.to_string())));
                            }
                        }
                    }
                    Ok(Request::Read(f)) => f(&lock(&self.vault)),
                    Ok(Request::InviteOwnDevice(passphrase)) => {
                        self.processed += 1;
                        if let Err(e) = self.invite_own_device(passphrase) {
                            self.last_error = Some((self.processed, Refusal::Net(e)));
                        }
                        view_changed = true;
                    }
                    Ok(Request::Net(req)) => {
                        self.processed += 1;
                        if let Err(e) = self.net_request(req) {
                            self.last_error = Some((self.processed, Refusal::Net(e)));
                        }
                        view_changed = true;
                    }
                    Ok(Request::Event(ev)) => {
                        publish_due |= matches!(ev, StatusEvent::PeerConnected { .. });
                        view_changed |= self.event(ev);
                    }
                    Ok(Request::Joined(result)) => {
                        self.joined(result);
                        view_changed = true;
                    }
                    Ok(Request::RemoteChanged) => {
                        reveal_due = true;
                        lock(&self.vault).mark_changed();
                        save_now = true;
                        view_changed = true;
                    }
                    Ok(Request::Flush) | Err(RecvTimeoutError::Timeout) => save_now = true,
                    Ok(Request::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                        save_now = true;
                        stop = true;
                    }
                    Ok(Request::Lock) => {
                        self.processed += 1;
                        if lock(&self.vault).store().is_encrypted() {
                            save_now = true;
                            lock_now = true;
                        }
                    }
                    // Already unlocked.
                    Ok(Request::Unlock(_)) => self.processed += 1,
                    Ok(Request::Passphrase(req)) => {
                        self.processed += 1;
                        // What is typed is written first, so it is rewritten with the rest.
                        self.save_now();
                        self.passphrase(req);
                    }
                    Ok(Request::SetAutoLock(minutes)) => {
                        self.processed += 1;
                        if let Err(e) = self.set_auto_lock(minutes) {
                            self.last_error = Some((self.processed, Refusal::Command(e)));
                        }
                    }
                }
                if stop || lock_now {
                    break;
                }
                // Drain what queued up meanwhile: fast typing then costs one view rebuild, not
                // one per keystroke (the view of a year of data takes tens of milliseconds).
                next = match rx.try_recv() {
                    Ok(r) => Ok(r),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                };
            }
            if std::mem::take(&mut reveal_due) && self.reveal_checkins() {
                save_now = true;
                view_changed = true;
            }
            if save_now {
                if self.save_now() {
                    publish_due = true;
                    view_changed = true;
                }
                // Typing committed (even if its write failed and is retried): read it in.
                view_changed |= self.typing_unviewed.is_some() && self.typing.is_none();
            }
            if publish_due {
                view_changed |= self.publish_shares();
            }

            if lock_now && !self.has_unsaved() {
                self.go_offline();
                self.write_view_cache(true);
                return (self, Exit::Lock);
            }
            if lock_now {
                // Locking would throw away what could not be written: stay open, say why.
                self.last_error = Some((
                    self.processed,
                    Refusal::Command(
                        "not locked, because the latest changes could not be saved yet".into(),
                    ),
                ));
            }
            if stop {
                self.go_offline();
                self.publish(view_changed);
                self.write_view_cache(true);
                // Each compaction writes its snapshot beside the old one; give that space back.
                lock(&self.vault).shrink_file();
                return (self, Exit::Shutdown);
            }
            self.publish(view_changed);
            if self.typing.is_none() && self.last_activity.elapsed() >= VIEW_CACHE_IDLE {
                self.write_view_cache(false);
                if lock(&self.vault).view_cache_stale() {
                    // Not written (a compaction running, a full disk): try again a while later.
                    self.last_activity = Instant::now();
                }
            }
        }
    }

    fn has_unsaved(&self) -> bool {
        lock(&self.vault).has_unsaved()
    }

    /// Returns whether anything was written.
    pub(super) fn save_now(&mut self) -> bool {
        let mut vault = lock(&self.vault);
        if vault.has_unsaved() {
            self.typing = None;
            match vault.save(now_ms()) {
                Ok(wrote) => {
                    self.save = SaveState::Saved { at: Some(now_ms()) };
                    drop(vault);
                    // Push on local commit: paired devices online get it within a second.
                    if wrote && let Some(net) = &self.net {
                        net.node.notify_local_change();
                    }
                    return wrote;
                }
                Err(e) => {
                    tracing::error!("saving failed: {e}");
                    self.save = SaveState::Failed(e.to_string());
                }
            }
        } else if self.typing.is_none() && self.save == SaveState::Pending {
            self.save = SaveState::Saved { at: Some(now_ms()) };
        }
        false
    }

    /// Shares my sealed check-in answers for the days and weeks my partner has answered too.
    /// Unlike shared journal entries this needs no partner online: the partner has answered,
    /// so the answers are theirs to see whenever the devices next meet. Returns whether the
    /// documents changed.
    fn reveal_checkins(&mut self) -> bool {
        let mut v = lock(&self.vault);
        match v.model_mut().reveal_checkins(now_ms()) {
            Ok(changed) => {
                if changed {
                    v.mark_changed();
                }
                changed
            }
            Err(e) => {
                tracing::warn!("sealed check-ins could not be revealed: {e}");
                false
            }
        }
    }

    /// Puts shared journal entries into the couple document, but only while a partner's
    /// device is connected: an entry shared and unshared again while apart never travels.
    /// Returns whether the documents changed.
    fn publish_shares(&mut self) -> bool {
        let mut v = lock(&self.vault);
        let partner_online = v.peers().is_ok_and(|peers| {
            peers
                .iter()
                .any(|(id, r)| r.scope() == Scope::Partner && self.connected.contains(id))
        });
        if !partner_online {
            return false;
        }
        match v.model_mut().publish_shares(now_ms()) {
            Ok(true) => {
                v.mark_changed();
                drop(v);
                self.save_now();
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!("shared entries could not be published: {e}");
                false
            }
        }
    }
}
