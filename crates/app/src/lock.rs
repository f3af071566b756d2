//! The app lock: the lock screen, "Lock now", locking when idle, and the passphrase settings.
//!
//! Passphrases are typed into [`SecretText`], a buffer wiped when dropped or cleared, and leave
//! it only as a `SecretString` sent to the worker. egui's own copy (the text field's undo
//! history) is cleared once the passphrase is sent.

use std::ops::Range;
use std::time::{Duration, Instant};

use egui::text::CharIndex;
use egui::{Id, RichText, Ui};
use kintsugi_service::{
    AUTO_LOCK_CHOICES, Handle, PassphraseChange, SecretString, Snapshot, UnlockFailure,
};
use zeroize::Zeroize;

use crate::Frame;
use crate::widgets::card;

/// What the status line says while locked.
pub const LOCKED_STATUS: &str = "Locked: not syncing";
pub const LOCK_NOW: &str = "Lock now";

/// A text buffer for a passphrase: wiped when cleared or dropped, and never reallocated with a
/// copy left behind (it grows by copying into a new buffer and wiping the old one).
#[derive(Default)]
pub struct SecretText(String);

impl SecretText {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The passphrase, leaving this buffer empty (and wiped).
    pub fn take_secret(&mut self) -> SecretString {
        let s = SecretString::from(self.0.as_str());
        self.wipe();
        s
    }

    pub fn wipe(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

fn byte_index(s: &str, c: CharIndex) -> usize {
    s.char_indices().nth(c.0).map_or(s.len(), |(i, _)| i)
}

impl egui::TextBuffer for SecretText {
    fn is_mutable(&self) -> bool {
        true
    }

    fn as_str(&self) -> &str {
        &self.0
    }

    fn insert_text(&mut self, text: &str, char_index: CharIndex) -> usize {
        let at = byte_index(&self.0, char_index);
        let needed = self.0.len() + text.len();
        if needed > self.0.capacity() {
            let mut bigger = String::with_capacity(needed.max(64).max(self.0.capacity() * 2));
            bigger.push_str(&self.0);
            self.0.zeroize();
            self.0 = bigger;
        }
        self.0.insert_str(at, text);
        text.chars().count()
    }

    fn delete_char_range(&mut self, r: Range<CharIndex>) {
        let start = byte_index(&self.0, r.start);
        let end = byte_index(&self.0, r.end);
        // Shift the tail down in place, then wipe the bytes left past the new end.
        let len = self.0.len();
        // SAFETY: only whole chars are removed (byte indexes of char boundaries) and the
        // bytes moved are a valid UTF-8 tail; the wiped bytes are beyond the new length.
        unsafe {
            let v = self.0.as_mut_vec();
            v.copy_within(end..len, start);
            let new_len = len - (end - start);
            v[new_len..].zeroize();
            v.truncate(new_len);
        }
    }

    fn clear(&mut self) {
        self.wipe();
    }

    fn replace_with(&mut self, text: &str) {
        self.wipe();
        self.insert_text(text, CharIndex(0));
    }

    fn take(&mut self) -> String {
        // egui takes the text only to replace it; hand over a copy and wipe ours.
        let s = self.0.clone();
        self.wipe();
        s
    }

    fn type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<Self>()
    }
}

/// A passphrase field: label, password mode, wiped undo history. Returns the response.
pub(crate) fn secret_field(
    ui: &mut Ui,
    label: &str,
    text: &mut SecretText,
    id: &str,
) -> egui::Response {
    let l = ui.label(RichText::new(label).strong());
    ui.add(
        egui::TextEdit::singleline(text)
            .id(Id::unique(id))
            .password(true)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

/// Forgets what egui keeps of a passphrase field (its undo history).
pub(crate) fn forget_field(ctx: &egui::Context, id: &str) {
    egui::text_edit::TextEditState::default().store(ctx, Id::unique(id));
}

/// A simple, honest estimate: length and kinds of characters, and whole words.
pub fn strength_hint(p: &str) -> (&'static str, String) {
    let chars = p.chars().count();
    if chars == 0 {
        return ("", String::new());
    }
    let mut pool = 0u32;
    if p.chars().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if p.chars().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if p.chars().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if p.chars().any(|c| c.is_ascii_punctuation() || c == ' ') {
        pool += 33;
    }
    if !p.is_ascii() {
        pool += 100;
    }
    let by_chars = chars as f64 * f64::from(pool.max(1)).log2();
    let words = p.split_whitespace().filter(|w| w.len() >= 3).count();
    // A word chosen from everyday vocabulary adds roughly 11 bits, far less than its letters
    // would suggest; the lower of the two estimates is the honest one.
    let bits = if words >= 2 {
        by_chars.min(words as f64 * 11.0 + 10.0)
    } else {
        // One word or a string of characters: people pick these predictably.
        by_chars * 0.6
    };
    let word = if bits < 28.0 {
        "Weak"
    } else if bits < 45.0 {
        "Fair"
    } else {
        "Strong"
    };
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    (
        word,
        format!(
            "{word}: {chars} characters, {classes} kind(s) of character{}. \
             Long phrases of ordinary words are strong and easy to remember.",
            if words >= 2 {
                format!(", {words} words")
            } else {
                String::new()
            }
        ),
    )
}

/// The lock screen's view state.
#[derive(Default)]
pub struct LockScreen {
    passphrase: SecretText,
    /// The unlock request sent, until answered.
    sent: Option<u64>,
    /// The request whose failure is shown.
    failed: Option<u64>,
    forgot: bool,
    focused: bool,
}

const UNLOCK_FIELD: &str = "lock_passphrase";

/// The whole window while locked.
pub fn lock_screen(ui: &mut Ui, st: &mut LockScreen, f: &Frame<'_>) {
    let lock = &f.snap.lock;
    let waiting = st.sent.is_some_and(|n| f.snap.processed < n);
    if let Some(n) = st.sent
        && !waiting
    {
        st.failed = (lock.unlock_failed.as_ref().map(|(m, _)| *m) == Some(n)).then_some(n);
        st.sent = None;
        // Back in the field, ready to type again.
        st.focused = false;
    }
    ui.add_space(48.0);
    ui.heading(RichText::new("Kintsugi is locked").size(28.0));
    ui.add_space(8.0);
    ui.label(
        "Enter your passphrase to open what you have written here. While locked, nothing of it \
         is in memory and this device does not sync.",
    );
    ui.add_space(16.0);
    let r = secret_field(ui, "Passphrase", &mut st.passphrase, UNLOCK_FIELD);
    if !st.focused {
        r.request_focus();
        st.focused = true;
    }
    if r.changed() {
        st.failed = None;
    }
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let ready = !st.passphrase.is_empty() && !waiting;
        let b = ui.add_enabled(ready, egui::Button::new(RichText::new("Unlock").size(17.0)));
        if ready && (b.clicked() || enter) {
            f.handle.unlock(st.passphrase.take_secret());
            forget_field(ui.ctx(), UNLOCK_FIELD);
            st.sent = Some(f.handle.sent());
            st.failed = None;
        }
        if waiting {
            ui.spinner();
            ui.weak("Unlocking…");
        }
    });
    if let Some(n) = st.failed
        && let Some((m, why)) = &lock.unlock_failed
        && *m == n
    {
        let warn = ui.visuals().warn_fg_color;
        let text = match why {
            UnlockFailure::WrongPassphrase => {
                "That passphrase does not unlock this device's data. Nothing was changed; you \
                 can try again as often as you need."
                    .to_owned()
            }
            UnlockFailure::Other(msg) => format!("Could not unlock: {msg}"),
        };
        ui.label(RichText::new(text).color(warn));
    }
    ui.add_space(16.0);
    if ui.link("Forgot your passphrase?").clicked() {
        st.forgot = !st.forgot;
    }
    if st.forgot {
        card(ui, |ui| {
            ui.label(
                "There is no back door: without the passphrase, the data on this device cannot \
                 be read, by you, by us or by anyone else.",
            );
            ui.label(
                "What you shared is still on your partner's device, and your private journal is \
                 still on your own other paired devices, if you have any. You can set Kintsugi \
                 up again on this device and pair it with them.",
            );
        });
    }
    ui.add_space(16.0);
    ui.weak(LOCKED_STATUS);
}

/// Locks after the idle time chosen in Settings: any input resets the clock.
pub struct IdleLock {
    last_input: Instant,
}

impl Default for IdleLock {
    fn default() -> Self {
        IdleLock {
            last_input: Instant::now(),
        }
    }
}

impl IdleLock {
    /// Called every frame while unlocked; locks once the person has been away long enough.
    pub fn check(&mut self, ctx: &egui::Context, snap: &Snapshot, handle: &Handle) {
        let active = ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving());
        if active {
            self.last_input = Instant::now();
        }
        let lock = &snap.lock;
        if lock.locked {
            return;
        }
        let Some(minutes) = lock.auto_lock_minutes.filter(|_| lock.has_passphrase) else {
            return;
        };
        let limit = Duration::from_secs(u64::from(minutes) * 60);
        let idle = self.last_input.elapsed();
        if idle >= limit {
            self.last_input = Instant::now();
            handle.flush();
            handle.lock_now();
        } else {
            ctx.request_repaint_after(limit - idle);
        }
    }

    pub fn reset(&mut self) {
        self.last_input = Instant::now();
    }

    /// Moves the last input `d` into the past (tests).
    pub fn pretend_idle(&mut self, d: Duration) {
        self.last_input = self.last_input.checked_sub(d).unwrap_or(self.last_input);
    }
}

/// A new passphrase typed twice, with its strength.
#[derive(Default)]
pub struct NewPassphrase {
    first: SecretText,
    second: SecretText,
}

impl NewPassphrase {
    /// Draws the two fields; Some(passphrase) when `button` was pressed with both the same.
    pub fn show(&mut self, ui: &mut Ui, button: &str, enabled: bool) -> Option<SecretString> {
        secret_field(ui, "New passphrase", &mut self.first, "lock_new_1");
        let (_, hint) = strength_hint(self.first.as_str());
        if !hint.is_empty() {
            ui.weak(hint);
        }
        secret_field(
            ui,
            "Repeat the new passphrase",
            &mut self.second,
            "lock_new_2",
        );
        let same = self.first.as_str() == self.second.as_str();
        if !self.second.is_empty() && !same {
            let warn = ui.visuals().warn_fg_color;
            ui.label(RichText::new("The two passphrases are not the same.").color(warn));
        }
        let ready = enabled && !self.first.is_empty() && same;
        if ui.add_enabled(ready, egui::Button::new(button)).clicked() {
            self.second.wipe();
            forget_field(ui.ctx(), "lock_new_1");
            forget_field(ui.ctx(), "lock_new_2");
            return Some(self.first.take_secret());
        }
        None
    }

    /// Whether anything is typed (the set-up screen sends it with the names).
    pub fn typed(&self) -> bool {
        !self.first.is_empty()
    }

    /// Both fields hold the same passphrase.
    pub fn agrees(&self) -> bool {
        !self.first.is_empty() && self.first.as_str() == self.second.as_str()
    }

    /// The passphrase if both fields agree.
    pub fn agreed(&mut self) -> Option<SecretString> {
        if self.first.is_empty() || self.first.as_str() != self.second.as_str() {
            return None;
        }
        self.second.wipe();
        Some(self.first.take_secret())
    }

    /// The two fields and the hint without a button (the set-up screen).
    pub fn fields(&mut self, ui: &mut Ui) {
        secret_field(ui, "New passphrase", &mut self.first, "lock_new_1");
        let (_, hint) = strength_hint(self.first.as_str());
        if !hint.is_empty() {
            ui.weak(hint);
        }
        secret_field(
            ui,
            "Repeat the new passphrase",
            &mut self.second,
            "lock_new_2",
        );
        if !self.second.is_empty() && self.first.as_str() != self.second.as_str() {
            let warn = ui.visuals().warn_fg_color;
            ui.label(RichText::new("The two passphrases are not the same.").color(warn));
        }
    }
}

/// The "App lock" card's state in Settings.
#[derive(Default)]
pub struct LockSettings {
    new: NewPassphrase,
    /// Asked before a change or a removal.
    current: SecretText,
    changing: bool,
    confirm_remove: bool,
    /// The request whose result is shown.
    sent: Option<u64>,
    auto_sent: Option<u64>,
}

impl LockSettings {
    pub fn claimed(&self) -> Vec<u64> {
        self.auto_sent.into_iter().collect()
    }
}

fn auto_words(m: Option<u32>) -> String {
    match m {
        None => "Never".into(),
        Some(1) => "After 1 minute".into(),
        Some(m) => format!("After {m} minutes"),
    }
}

/// The field that proves the person at the window knows the passphrase before it changes.
pub const CURRENT: &str = "Current passphrase";

/// Settings → App lock: set, change or remove the passphrase, lock now, lock when idle.
pub fn settings_card(ui: &mut Ui, st: &mut LockSettings, f: &Frame<'_>) {
    let lock = &f.snap.lock;
    let job = lock.job.as_ref().filter(|j| Some(j.request) == st.sent);
    let running =
        job.is_some_and(|j| j.result.is_none()) || st.sent.is_some_and(|n| f.snap.processed < n);
    card(ui, |ui| {
        ui.label(RichText::new("App lock").size(18.0).strong());
        if lock.has_passphrase {
            ui.label(
                "On: everything Kintsugi keeps on this device is encrypted under your \
                 passphrase, and the window opens locked.",
            );
            ui.horizontal(|ui| {
                if ui.button(LOCK_NOW).clicked() {
                    f.handle.flush();
                    f.handle.lock_now();
                }
                ui.weak("Ctrl+L from any screen");
            });
            ui.horizontal(|ui| {
                let l = ui.label("Lock when idle");
                let mut chosen = lock.auto_lock_minutes;
                egui::ComboBox::from_id_salt("auto_lock")
                    .selected_text(auto_words(chosen))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut chosen, None, auto_words(None));
                        for m in AUTO_LOCK_CHOICES {
                            ui.selectable_value(&mut chosen, Some(m), auto_words(Some(m)));
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if chosen != lock.auto_lock_minutes {
                    f.handle.set_auto_lock(chosen);
                    st.auto_sent = Some(f.handle.sent());
                }
            });
            ui.add_space(4.0);
            if st.changing {
                secret_field(ui, CURRENT, &mut st.current, "lock_current");
                if let Some(p) = st.new.show(ui, "Save the new passphrase", !running) {
                    f.handle.change_passphrase(st.current.take_secret(), p);
                    st.sent = Some(f.handle.sent());
                    st.changing = false;
                }
                if ui.button("Cancel").clicked() {
                    st.changing = false;
                    st.new = NewPassphrase::default();
                    st.current.wipe();
                }
            } else if st.confirm_remove {
                ui.label(
                    "Remove the passphrase? Everything on this device will be stored \
                     unencrypted again, readable by anyone who can read its files.",
                );
                secret_field(ui, CURRENT, &mut st.current, "lock_current");
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(
                            !st.current.is_empty(),
                            egui::Button::new("Remove passphrase"),
                        )
                        .clicked()
                    {
                        f.handle.remove_passphrase(st.current.take_secret());
                        st.sent = Some(f.handle.sent());
                        st.confirm_remove = false;
                    }
                    if ui.button("Keep it").clicked() {
                        st.confirm_remove = false;
                        st.current.wipe();
                    }
                });
            } else {
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!running, egui::Button::new("Change passphrase"))
                        .clicked()
                    {
                        st.changing = true;
                    }
                    if ui
                        .add_enabled(!running, egui::Button::new("Remove passphrase…"))
                        .clicked()
                    {
                        st.confirm_remove = true;
                    }
                });
            }
        } else {
            ui.label(
                "Off. Anyone who can use this computer account, or read its files or backups, \
                 can read what you write here. With a passphrase, everything Kintsugi keeps is \
                 encrypted and the window opens locked.",
            );
            ui.weak(
                "There is no way to recover a forgotten passphrase: choose one you will \
                 remember.",
            );
            if let Some(p) = st.new.show(ui, "Set passphrase", !running) {
                f.handle.set_passphrase(p);
                st.sent = Some(f.handle.sent());
            }
        }
        if let Some(j) = job {
            let what = match j.kind {
                PassphraseChange::Set => ("Encrypting your data…", "Passphrase set."),
                PassphraseChange::Change => ("Changing the passphrase…", "Passphrase changed."),
                PassphraseChange::Remove => ("Decrypting your data…", "Passphrase removed."),
            };
            match &j.result {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(what.0);
                    });
                    if j.total > 0 {
                        ui.add(
                            egui::ProgressBar::new(j.done as f32 / j.total as f32)
                                .text(format!("{} of {}", j.done, j.total)),
                        );
                    }
                }
                Some(Ok(())) => {
                    ui.label(what.1);
                }
                Some(Err(msg)) => {
                    let warn = ui.visuals().warn_fg_color;
                    ui.label(RichText::new(format!("Not changed: {msg}")).color(warn));
                }
            }
        } else if running {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Waiting…");
            });
        }
    });
}
