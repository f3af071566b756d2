//! Small shared pieces: scales and their words, readable column, cards, times.

use egui::{RichText, Ui};
use kintsugi_core::Timestamp;

/// Widest the text column grows: long lines are hard to read, especially when upset.
pub const READABLE_WIDTH: f32 = 720.0;

/// Under this window width the sidebar becomes a bar at the top (phone-sized windows).
pub const NARROW_WIDTH: f32 = 600.0;

pub const MOOD_WORDS: [&str; 5] = ["very low", "low", "okay", "good", "very good"];
pub const CONNECTION_WORDS: [&str; 5] = [
    "not connected",
    "a little connected",
    "somewhat connected",
    "mostly connected",
    "very connected",
];
pub const SAFETY_WORDS: [&str; 5] = [
    "not safe",
    "a little safe",
    "somewhat safe",
    "mostly safe",
    "very safe",
];

/// The word for a 1–5 value on a scale, or "" when out of range.
pub fn scale_word(words: &[&'static str; 5], v: u8) -> &'static str {
    match v {
        1..=5 => words[usize::from(v - 1)],
        _ => "",
    }
}

/// "okay (3 of 5)", or "" for no mood.
pub fn mood_text(mood: Option<u8>) -> String {
    match mood {
        Some(m @ 1..=5) => format!("{} ({m} of 5)", scale_word(&MOOD_WORDS, m)),
        _ => String::new(),
    }
}

/// A mood as its word and five small dots, filled up to the value: readable without colour,
/// and painted rather than drawn from a font (the default fonts have no circle glyphs).
pub fn mood_badge(ui: &mut Ui, mood: Option<u8>) {
    let Some(m @ 1..=5) = mood else { return };
    ui.weak(scale_word(&MOOD_WORDS, m));
    let r = 3.5;
    let gap = 4.0;
    let size = egui::vec2(5.0 * 2.0 * r + 4.0 * gap, 2.0 * r + 2.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let color = ui.visuals().weak_text_color();
    for i in 0..5u8 {
        let c = egui::pos2(
            rect.left() + r + f32::from(i) * (2.0 * r + gap),
            rect.center().y,
        );
        if i < m {
            ui.painter().circle_filled(c, r, color);
        } else {
            ui.painter()
                .circle_stroke(c, r - 0.5, egui::Stroke::new(1.0, color));
        }
    }
}

/// Lays `add` out in a column at most [`READABLE_WIDTH`] wide, centred in the space there is.
pub fn readable_column<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    let avail = ui.available_width();
    let width = avail.min(READABLE_WIDTH);
    let pad = ((avail - width) / 2.0).max(0.0);
    ui.horizontal_top(|ui| {
        ui.add_space(pad);
        ui.vertical(|ui| {
            ui.set_width(width);
            add(ui)
        })
        .inner
    })
    .inner
}

/// A calm card around one item.
pub fn card<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> egui::InnerResponse<R> {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(12))
        .corner_radius(8)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
}

const CHOICE_HEIGHT: f32 = 30.0;

/// A framed button that shows whether it is the chosen one: unlike a bare selectable label it
/// still looks pressable when not chosen.
pub fn choice(ui: &mut Ui, selected: bool, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(
        egui::Button::new(text)
            .selected(selected)
            .frame_when_inactive(true)
            .min_size(egui::vec2(34.0, CHOICE_HEIGHT)),
    )
}

/// A scale of 1–5 as selectable buttons between the words for its two ends. `value` 0 = unset.
/// Each button is named "<title>: n of 5, <word>" so a screen reader says what it means.
pub fn scale_picker(ui: &mut Ui, title: &str, words: &[&'static str; 5], value: &mut u8) -> bool {
    let mut changed = false;
    // The chosen word sits on the title line, so choosing never moves the rows below.
    ui.horizontal(|ui| {
        ui.label(RichText::new(title).strong());
        if *value >= 1 {
            ui.label(RichText::new(format!("— {}", scale_word(words, *value))).italics());
        }
    });
    ui.horizontal_wrapped(|ui| {
        // Rows are as tall as the buttons, so the end words sit centred beside them.
        ui.spacing_mut().interact_size.y = CHOICE_HEIGHT;
        ui.weak(words[0]);
        for v in 1..=5u8 {
            let r = choice(ui, *value == v, v.to_string())
                .accessible_name(format!("{title}: {v} of 5, {}", scale_word(words, v)));
            if r.clicked() {
                *value = v;
                changed = true;
            }
        }
        ui.weak(words[4]);
    });
    changed
}

/// How many items of a long list are drawn. Ten years of journal entries or check-ins are
/// thousands of cards; laying them all out would make every frame slow, so the newest
/// `page` show at first and "Show earlier …" adds as many again.
pub struct Pager {
    page: usize,
    shown: usize,
}

/// Items of a long list drawn at first, and added by each "Show earlier …".
pub const PAGE: usize = 20;

impl Default for Pager {
    fn default() -> Self {
        Pager::new(PAGE)
    }
}

impl Pager {
    pub const fn new(page: usize) -> Self {
        Pager { page, shown: page }
    }

    /// How many items to draw now.
    pub fn shown(&self) -> usize {
        self.shown
    }

    /// Back to the first page (e.g. a new search).
    pub fn reset(&mut self) {
        self.shown = self.page;
    }

    /// After the items drawn: the button that shows the next page of `what` ("entries"), when
    /// `total` holds more than are shown.
    pub fn more(&mut self, ui: &mut Ui, total: usize, what: &str) {
        if total <= self.shown {
            return;
        }
        let left = total - self.shown;
        if ui
            .button(format!("Show earlier {what} ({left} more)"))
            .accessible_name(format!("Show earlier {what}"))
            .clicked()
        {
            self.shown += self.page;
        }
    }
}

/// A list split in two (waiting and answered, open and discussed), as indices into the view's
/// list; shared, so a frame can hold it while it changes other parts of the screen's state.
pub type Split = std::rc::Rc<(Vec<usize>, Vec<usize>)>;

/// What a screen derives from the view (sorted, filtered, grouped, counted), kept in the
/// screen's state and built again only when the snapshot's view or the screen's own inputs
/// `K` (search words, today's date) change: never every frame.
pub struct Derived<K, T> {
    /// The revision and the address of the view it was built from, and the inputs.
    built: Option<(u64, usize, K)>,
    value: T,
}

impl<K, T: Default> Default for Derived<K, T> {
    fn default() -> Self {
        Derived {
            built: None,
            value: T::default(),
        }
    }
}

impl<K: PartialEq, T> Derived<K, T> {
    /// The value for this frame's view and `key`, built by `build` when they changed. Indices
    /// into the view's lists stay valid while the view is the same.
    pub fn get(
        &mut self,
        f: &crate::Frame<'_>,
        key: K,
        build: impl FnOnce(&kintsugi_core::View, &K) -> T,
    ) -> &T {
        // Revisions count within one worker; the view's address tells two workers apart.
        let at = (
            f.snap.revision,
            std::sync::Arc::as_ptr(&f.snap.view) as usize,
        );
        let fresh = self
            .built
            .as_ref()
            .is_some_and(|(r, p, k)| (*r, *p) == at && *k == key);
        if !fresh {
            self.value = build(f.view, &key);
            self.built = Some((at.0, at.1, key));
        }
        &self.value
    }
}

/// Local date and time of a timestamp, said relative to now when that reads more naturally.
pub fn when(at: Timestamp, now: Timestamp) -> String {
    use chrono::{Local, TimeZone};
    let Some(t) = Local.timestamp_millis_opt(at).single() else {
        return String::from("at an unknown time");
    };
    let Some(n) = Local.timestamp_millis_opt(now).single() else {
        return t.format("on %-d %b %Y at %H:%M").to_string();
    };
    let secs = (now - at) / 1000;
    if (0..60).contains(&secs) {
        return "just now".into();
    }
    if (60..3600).contains(&secs) {
        let m = secs / 60;
        return if m == 1 {
            "a minute ago".into()
        } else {
            format!("{m} minutes ago")
        };
    }
    let days = (n.date_naive() - t.date_naive()).num_days();
    match days {
        0 => t.format("today at %H:%M").to_string(),
        1 => t.format("yesterday at %H:%M").to_string(),
        _ => t.format("on %-d %b %Y at %H:%M").to_string(),
    }
}

/// A short relative time for status lines: "just now", "2 min ago", "3 hours ago", "yesterday".
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    let secs = (now - at) / 1000;
    let mins = secs / 60;
    let hours = mins / 60;
    let days = hours / 24;
    match () {
        _ if secs < 60 => "just now".into(),
        _ if mins < 60 => format!("{mins} min ago"),
        _ if hours == 1 => "an hour ago".into(),
        _ if hours < 24 => format!("{hours} hours ago"),
        _ if days == 1 => "yesterday".into(),
        _ => format!("{days} days ago"),
    }
}

/// Local date and time, then how long ago: "today at 14:02 (2 min ago)".
pub fn when_and_ago(at: Timestamp, now: Timestamp) -> String {
    use chrono::{Local, TimeZone};
    let Some(t) = Local.timestamp_millis_opt(at).single() else {
        return ago(at, now);
    };
    let day = match Local.timestamp_millis_opt(now).single() {
        Some(n) => match (n.date_naive() - t.date_naive()).num_days() {
            0 => t.format("today at %H:%M").to_string(),
            1 => t.format("yesterday at %H:%M").to_string(),
            _ => t.format("on %-d %b %Y at %H:%M").to_string(),
        },
        None => t.format("on %-d %b %Y at %H:%M").to_string(),
    };
    format!("{day} ({})", ago(at, now))
}

/// A small dot before a device's status: filled when reachable, hollow when not. The words
/// beside it carry the meaning; the dot only helps the eye find the line.
pub fn status_dot(ui: &mut Ui, reachable: bool) {
    let r = 4.0;
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(2.0 * r + 2.0, 2.0 * r + 2.0),
        egui::Sense::hover(),
    );
    let color = ui.visuals().text_color();
    if reachable {
        ui.painter().circle_filled(rect.center(), r, color);
    } else {
        ui.painter()
            .circle_stroke(rect.center(), r - 0.5, egui::Stroke::new(1.0, color));
    }
}

/// The frame of a confirmation dialog.
pub fn dialog_frame(ctx: &egui::Context) -> egui::Frame {
    egui::Frame::popup(&ctx.global_style())
        .inner_margin(20)
        .corner_radius(10)
}

/// A `YYYY-MM-DD` date written out for reading, e.g. "Tue 24 Nov 2026".
pub fn long_date(date: &str) -> String {
    match kintsugi_core::parse_date(date) {
        Some(d) => d.format("%a %-d %b %Y").to_string(),
        None => date.to_owned(),
    }
}

/// The first non-empty line of a text, shortened for a list.
pub fn first_line(text: &str, max_chars: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > max_chars {
        let cut: String = line.chars().take(max_chars).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_owned()
    }
}

/// Milliseconds since the epoch, for "5 minutes ago".
pub fn now_ms() -> Timestamp {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_blank_lines_and_shortens() {
        assert_eq!(first_line("\n  \nhello there\nmore", 50), "hello there");
        assert_eq!(first_line("abcdef", 3), "abc…");
    }

    #[test]
    fn ago_reads_naturally() {
        let now = 1_000_000_000_000;
        assert_eq!(ago(now - 5_000, now), "just now");
        assert_eq!(ago(now - 120_000, now), "2 min ago");
        assert_eq!(ago(now - 3 * 3_600_000, now), "3 hours ago");
        assert_eq!(ago(now - 30 * 3_600_000, now), "yesterday");
        assert_eq!(ago(now - 80 * 3_600_000, now), "3 days ago");
    }

    #[test]
    fn mood_text_has_word_and_number() {
        assert_eq!(mood_text(Some(3)), "okay (3 of 5)");
        assert_eq!(mood_text(None), "");
    }
}
