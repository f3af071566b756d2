//! Commitments: concrete promises with a rhythm, logged day by day by the one who made them,
//! acknowledged by the other, and a calendar that shows consistency over the weeks.
//!
//! The calendar tells its marks apart by shape as well as colour (filled circle, cross,
//! diamond, hollow square, small dot, nothing), and each week column carries its days in words
//! for screen readers. Every date decision is core's ([`Commitment::calendar`],
//! [`Commitment::mark_on`]); this screen only picks today.

use chrono::{Datelike, NaiveDate, Weekday};
use egui::{Color32, Id, Rect, RichText, Sense, Stroke, Ui, pos2, vec2};
use kintsugi_core::{
    CalendarWeek, Command, Commitment, CommitmentLog, CommitmentState, DayMark, ItemId, LogStatus,
    Rhythm, parse_date,
};
use kintsugi_service::today_local;

use crate::screens::Page;
use crate::widgets::{Derived, Pager, card, choice, long_date, when};
use crate::{Frame, Shared};

/// Weeks the calendar shows at once; "Earlier" and "Later" move by as many.
pub const WEEKS: usize = 26;

/// How many logged days the detail shows at first, and adds with each "Show earlier".
const LOG_SHOWN: usize = 14;

/// Mon..Sun: the rows of the calendar and the toggles of "Chosen days".
const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "Mon", "Monday"),
    (Weekday::Tue, "Tue", "Tuesday"),
    (Weekday::Wed, "Wed", "Wednesday"),
    (Weekday::Thu, "Thu", "Thursday"),
    (Weekday::Fri, "Fri", "Friday"),
    (Weekday::Sat, "Sat", "Saturday"),
    (Weekday::Sun, "Sun", "Sunday"),
];

#[derive(Default)]
pub struct CommitmentsState {
    /// The "Make a commitment" form, while open.
    new: Option<NewForm>,
    /// The commitment opened for its calendar, log and controls.
    open: Option<Detail>,
    /// The list's cards, worked out once per snapshot and day: a commitment's record and
    /// marks look through its whole log, which years of logging make too slow for every frame.
    cards: Derived<NaiveDate, Cards>,
}

/// The list: my commitments and the partner's, in the order shown.
#[derive(Default)]
struct Cards {
    mine: Vec<CardInfo>,
    theirs: Vec<CardInfo>,
}

/// What one commitment's card says besides its text.
struct CardInfo {
    /// Index into the view's commitments.
    index: usize,
    /// The last two weeks, day by day.
    strip: Vec<(NaiveDate, DayMark)>,
    summary: String,
    /// Due today, and how today was logged if it was.
    due_today: bool,
    logged_today: Option<LogStatus>,
    /// The partner's days of the past week not yet acknowledged.
    to_acknowledge: usize,
}

impl CardInfo {
    fn new(index: usize, c: &Commitment, today: NaiveDate) -> CardInfo {
        // Only the past week: an old backlog would read like a duty.
        let week_ago = ymd(today - chrono::Duration::days(7));
        CardInfo {
            index,
            strip: c
                .calendar(today, 2, 0)
                .iter()
                .flat_map(|w| w.days)
                .collect(),
            summary: summary(c, today),
            due_today: c.is_due(today),
            logged_today: c.log_on(&ymd(today)).map(|l| l.status),
            to_acknowledge: c
                .log
                .iter()
                .filter(|l| l.acknowledged_at.is_none() && l.date > week_ago)
                .count(),
        }
    }
}

impl Page for CommitmentsState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum RhythmChoice {
    #[default]
    Daily,
    Weekdays,
    Days,
    Once,
}

#[derive(Default)]
struct NewForm {
    text: String,
    rhythm: RhythmPicker,
}

/// The "How often" choices (every day, weekdays, chosen days, once on a date): view state of
/// a form that makes something with a [`Rhythm`]. Time together uses it too.
#[derive(Default)]
pub(crate) struct RhythmPicker {
    rhythm: RhythmChoice,
    /// Mon..Sun for "Chosen days".
    days: [bool; 7],
    /// YYYY-MM-DD for "Once, on a date".
    once: String,
}

impl RhythmPicker {
    /// True when "Once, on a date" is chosen.
    pub(crate) fn is_once(&self) -> bool {
        self.rhythm == RhythmChoice::Once
    }

    /// Draws the choices (and the days or the date they need) under the title "How often".
    pub(crate) fn show(&mut self, ui: &mut Ui, today: NaiveDate) {
        ui.label(RichText::new("How often").strong());
        ui.horizontal_wrapped(|ui| {
            for (value, words) in [
                (RhythmChoice::Daily, "Every day"),
                (RhythmChoice::Weekdays, "Weekdays"),
                (RhythmChoice::Days, "Chosen days"),
                (RhythmChoice::Once, "Once, on a date"),
            ] {
                if choice(ui, self.rhythm == value, words)
                    .accessible_name(format!("How often: {words}"))
                    .clicked()
                {
                    self.rhythm = value;
                }
            }
        });
        match self.rhythm {
            RhythmChoice::Days => {
                ui.horizontal_wrapped(|ui| {
                    for (i, (_, short, long)) in DAYS.iter().enumerate() {
                        if choice(ui, self.days[i], *short)
                            .accessible_name(*long)
                            .clicked()
                        {
                            self.days[i] = !self.days[i];
                        }
                    }
                });
            }
            RhythmChoice::Once => {
                let l = ui.label("On which date (YYYY-MM-DD)");
                ui.add(
                    egui::TextEdit::singleline(&mut self.once)
                        .hint_text(ymd(today))
                        .desired_width(140.0),
                )
                .labelled_by(l.id);
            }
            RhythmChoice::Daily | RhythmChoice::Weekdays => {}
        }
    }

    /// The rhythm the choices describe, or why they are not one yet.
    pub(crate) fn rhythm(&self) -> Result<Rhythm, &'static str> {
        match self.rhythm {
            RhythmChoice::Daily => Ok(Rhythm::Daily),
            RhythmChoice::Weekdays => Ok(Rhythm::Weekdays),
            RhythmChoice::Days => {
                let days: Vec<Weekday> = DAYS
                    .iter()
                    .zip(self.days)
                    .filter(|(_, on)| *on)
                    .map(|((d, _, _), _)| *d)
                    .collect();
                if days.is_empty() {
                    Err("Choose at least one day.")
                } else {
                    Ok(Rhythm::days(days))
                }
            }
            RhythmChoice::Once => match parse_date(&self.once) {
                Some(d) => Ok(Rhythm::Once(d)),
                None => Err("Write the date like 2026-12-24."),
            },
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum DayChoice {
    #[default]
    Today,
    Yesterday,
    Other,
}

/// One commitment opened: where its calendar is scrolled to and the forms under it.
struct Detail {
    id: ItemId,
    /// The calendar ends this many weeks before this week.
    weeks_back: usize,
    day: DayChoice,
    /// YYYY-MM-DD when `day` is `Other`.
    other: String,
    status: Option<LogStatus>,
    note: String,
    /// What the last "Save log" sent, said under the form.
    logged: Option<(String, LogStatus)>,
    /// The log entry (its date) being acknowledged, and the note with it.
    ack: Option<(String, String)>,
    confirm_retire: bool,
    /// The weeks the calendar shows and the record under it, worked out once per snapshot,
    /// day and scroll position.
    calendar: Derived<(NaiveDate, usize), (Vec<CalendarWeek>, String)>,
    /// Logged days are listed a page at a time, newest first.
    log_pages: Pager,
}

impl Detail {
    fn new(id: ItemId) -> Detail {
        Detail {
            id,
            weeks_back: 0,
            day: DayChoice::Today,
            other: String::new(),
            status: None,
            note: String::new(),
            logged: None,
            ack: None,
            confirm_retire: false,
            calendar: Derived::default(),
            log_pages: Pager::new(LOG_SHOWN),
        }
    }

    /// The day the log form is for, if the field holds a date.
    fn date(&self, today: NaiveDate) -> Option<NaiveDate> {
        match self.day {
            DayChoice::Today => Some(today),
            DayChoice::Yesterday => today.pred_opt(),
            DayChoice::Other => parse_date(&self.other),
        }
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn is_mine(f: &Frame<'_>, c: &Commitment) -> bool {
    f.view.me.as_ref() == Some(&c.by)
}

/// "every day" → "Every day".
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Core's plain sentence as one: "Kept 23 of the last 26 times."
fn summary(c: &Commitment, today: NaiveDate) -> String {
    format!("{}.", capitalised(&c.summary(today)))
}

fn status_mark(s: LogStatus) -> DayMark {
    match s {
        LogStatus::Kept => DayMark::Kept,
        LogStatus::Missed => DayMark::Missed,
        LogStatus::DisclosedBeforeAsked => DayMark::Disclosed,
    }
}

fn show(ui: &mut Ui, st: &mut CommitmentsState, f: &Frame<'_>) {
    // "Today" moves at midnight, and "logged 5 minutes ago" should not go stale.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(60));
    let today = today_local();
    if let Some(d) = &mut st.open {
        match f.view.commitments.iter().find(|c| c.id == d.id) {
            Some(c) => {
                if !detail(ui, d, c, f, today) {
                    st.open = None;
                }
                return;
            }
            // Gone (an item that can no longer be read): back to the list.
            None => st.open = None,
        }
    }
    list(ui, st, f, today);
}

fn list(ui: &mut Ui, st: &mut CommitmentsState, f: &Frame<'_>, today: NaiveDate) {
    let partner = f.partner();
    ui.horizontal(|ui| {
        ui.heading("Commitments");
        if st.new.is_none() {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button(RichText::new("Make a commitment").strong())
                    .clicked()
                {
                    st.new = Some(NewForm::default());
                }
            });
        }
    });
    ui.weak(format!(
        "Concrete promises, kept one day at a time. Each of you logs your own; {partner} sees \
         them and can acknowledge each day."
    ));
    ui.add_space(10.0);

    if let Some(form) = &mut st.new {
        if !new_form(ui, form, f, today) {
            st.new = None;
        }
        ui.add_space(12.0);
    }

    let cards = st.cards.get(f, today, |v, today| {
        let order = |&(_, c): &(usize, &Commitment)| {
            let rank = match c.state {
                CommitmentState::Active => 0,
                CommitmentState::Paused => 1,
                CommitmentState::Retired => 2,
            };
            (rank, c.created_at)
        };
        let (mut mine, mut theirs): (Vec<_>, Vec<_>) = v
            .commitments
            .iter()
            .enumerate()
            .partition(|(_, c)| v.me.as_ref() == Some(&c.by));
        mine.sort_by_key(order);
        theirs.sort_by_key(order);
        let info = |(i, c): (usize, &Commitment)| CardInfo::new(i, c, *today);
        Cards {
            mine: mine.into_iter().map(info).collect(),
            theirs: theirs.into_iter().map(info).collect(),
        }
    });
    let at = |info: &CardInfo| f.view.commitments.get(info.index);

    ui.label(RichText::new("Yours").size(18.0).strong());
    if cards.mine.is_empty() {
        ui.weak(
            "Nothing here yet. A commitment works best when it is concrete and small enough to \
             keep every time: \u{201c}home by 6 on weekdays\u{201d}, \u{201c}phone on the table \
             at dinner\u{201d}.",
        );
    }
    for info in &cards.mine {
        let Some(c) = at(info) else { continue };
        if list_card(ui, c, info, f, today) {
            st.open = Some(Detail::new(c.id.clone()));
        }
        ui.add_space(6.0);
    }

    ui.add_space(14.0);
    ui.label(RichText::new(format!("{partner}'s")).size(18.0).strong());
    if cards.theirs.is_empty() {
        ui.weak(format!("Commitments {partner} makes appear here."));
    }
    for info in &cards.theirs {
        let Some(c) = at(info) else { continue };
        if list_card(ui, c, info, f, today) {
            st.open = Some(Detail::new(c.id.clone()));
        }
        ui.add_space(6.0);
    }
}

/// One commitment in the list; true when "Open" was pressed.
fn list_card(
    ui: &mut Ui,
    c: &Commitment,
    info: &CardInfo,
    f: &Frame<'_>,
    today: NaiveDate,
) -> bool {
    let mine = is_mine(f, c);
    card(ui, |ui| {
        ui.label(RichText::new(&c.text).strong().size(16.0));
        ui.weak(rhythm_line(c, f));
        ui.add_space(2.0);
        // The last two weeks at a glance; the sentence below says the same in words.
        ui.horizontal(|ui| {
            ui.weak("This week and last");
            strip(ui, &info.strip, today);
        });
        ui.label(&info.summary);
        if info.due_today {
            match info.logged_today {
                Some(s) => ui.label(format!("Today: {}", s.label().to_lowercase())),
                None if mine => ui.label("Today: not logged yet"),
                None => ui.weak("Today: not logged yet"),
            };
        }
        if !mine && info.to_acknowledge > 0 {
            ui.label(match info.to_acknowledge {
                1 => "You can acknowledge 1 day logged this past week.".to_owned(),
                n => format!("You can acknowledge {n} days logged this past week."),
            });
        }
        ui.add(egui::Button::new("Open"))
            .accessible_name(format!("Open {}", c.text))
            .clicked()
    })
    .inner
}

/// "Every day · Active · since Tue 24 Nov 2026", with whose it is when it is the partner's.
fn rhythm_line(c: &Commitment, f: &Frame<'_>) -> String {
    let mut line = capitalised(&c.rhythm.describe());
    line.push_str(" · ");
    line.push_str(c.state.label());
    if !c.start.is_empty() {
        line.push_str(&format!(" · since {}", long_date(&c.start)));
    }
    if !is_mine(f, c) {
        line = format!("{}'s · {line}", f.view.name_of(&c.by));
    }
    line
}

/// The form that makes a commitment; false once it is done with (made or cancelled).
fn new_form(ui: &mut Ui, form: &mut NewForm, f: &Frame<'_>, today: NaiveDate) -> bool {
    let mut keep = true;
    card(ui, |ui| {
        let l = ui.label(RichText::new("What I commit to").strong());
        ui.add(
            egui::TextEdit::singleline(&mut form.text)
                .hint_text("e.g. home by 6 on weekdays")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        ui.weak("Concrete and small enough to keep every time works best.");
        ui.add_space(8.0);

        form.rhythm.show(ui, today);
        let rhythm = form.rhythm.rhythm();
        match &rhythm {
            Ok(r) => {
                ui.label(format!("Due {}.", r.describe()));
            }
            Err(why) => {
                ui.weak(*why);
            }
        }
        ui.add_space(8.0);
        let text = form.text.trim();
        ui.horizontal_wrapped(|ui| {
            let ready = !text.is_empty() && rhythm.is_ok();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Make this commitment").strong()),
                )
                .clicked()
                && let Ok(rhythm) = rhythm
            {
                f.handle.send(Command::AddCommitment {
                    id: ItemId::random(),
                    text: text.to_owned(),
                    rhythm,
                    start: ymd(today),
                });
                keep = false;
            }
            if ui.button("Cancel").clicked() {
                keep = false;
            }
        });
        if text.is_empty() {
            ui.weak("Write what you commit to, to make it.");
        }
    });
    keep
}

/// One commitment opened; false when the person goes back to the list.
fn detail(ui: &mut Ui, d: &mut Detail, c: &Commitment, f: &Frame<'_>, today: NaiveDate) -> bool {
    let mine = is_mine(f, c);
    if ui.button("Back to all commitments").clicked() {
        return false;
    }
    ui.add_space(8.0);
    ui.heading(&c.text);
    ui.weak(rhythm_line(c, f));
    match c.state {
        CommitmentState::Active => {}
        CommitmentState::Paused => {
            ui.label("Paused: no days are due while it rests. Its log stays as it is.");
        }
        CommitmentState::Retired => {
            ui.label("Retired: no longer due. Everything logged stays here for both of you.");
        }
    }
    ui.add_space(10.0);

    let record = calendar(ui, d, c, f, today, mine);
    ui.add_space(4.0);
    ui.label(record);
    ui.add_space(12.0);

    if mine {
        log_form(ui, d, c, f, today);
        ui.add_space(10.0);
        state_controls(ui, d, c, f, today);
        ui.add_space(12.0);
    }
    log_list(ui, d, c, f);
    true
}

/// The calendar with its "Earlier"/"Later" buttons and legend; returns the record in words.
fn calendar(
    ui: &mut Ui,
    d: &mut Detail,
    c: &Commitment,
    f: &Frame<'_>,
    today: NaiveDate,
    mine: bool,
) -> String {
    // `c` is the opened commitment of this same view, so it is built from what the key names.
    let (weeks, record) = d
        .calendar
        .get(f, (today, d.weeks_back), |_, (today, back)| {
            (c.calendar(*today, WEEKS, *back), summary(c, *today))
        })
        .clone();
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return record;
    };
    // Nothing earlier to see once the oldest week shown reaches the first day it counted.
    let more_before = parse_date(&c.start).is_none_or(|start| first.monday > start);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(more_before, egui::Button::new("Earlier"))
            .on_hover_text(format!("The {WEEKS} weeks before these"))
            .clicked()
        {
            d.weeks_back += WEEKS;
        }
        let end = last.days[6].0;
        ui.label(format!(
            "{} – {}",
            first.monday.format("%-d %b %Y"),
            end.format("%-d %b %Y")
        ));
        if ui
            .add_enabled(d.weeks_back > 0, egui::Button::new("Later"))
            .on_hover_text(format!("The {WEEKS} weeks after these"))
            .clicked()
        {
            d.weeks_back = d.weeks_back.saturating_sub(WEEKS);
        }
    });
    if let Some(day) = heat_map(ui, c, &weeks, today, mine)
        && day <= today
    {
        // A click on a past day picks it in the log form.
        if day == today {
            d.day = DayChoice::Today;
        } else if Some(day) == today.pred_opt() {
            d.day = DayChoice::Yesterday;
        } else {
            d.day = DayChoice::Other;
            d.other = ymd(day);
        }
    }
    legend(ui);
    record
}

/// "Week of 23 Nov 2026: Mon kept, Tue missed, …": a week column in words.
fn week_text(w: &CalendarWeek) -> String {
    let days: Vec<String> = w
        .days
        .iter()
        .map(|(date, mark)| format!("{} {}", date.format("%a"), mark.label()))
        .collect();
    format!(
        "Week of {}: {}",
        w.monday.format("%-d %b %Y"),
        days.join(", ")
    )
}

/// "Tue 24 Nov 2026: kept — home at 5:40", for the hover text of one day.
fn day_text(c: &Commitment, date: NaiveDate, mark: DayMark, today: NaiveDate) -> String {
    let mut s = format!("{}: {}", date.format("%a %-d %b %Y"), mark.label());
    if date == today {
        s.push_str(" (today)");
    }
    if let Some(l) = c.log_on(&ymd(date))
        && !l.note.trim().is_empty()
    {
        s.push_str(" — ");
        s.push_str(l.note.trim());
    }
    s
}

/// The calendar: weeks as columns, Mon..Sun as rows, month names above. Each week column is
/// one accessible node that says its seven days in words; hovering a day says its date and
/// mark. Returns the day clicked, when `clickable`.
fn heat_map(
    ui: &mut Ui,
    c: &Commitment,
    weeks: &[CalendarWeek],
    today: NaiveDate,
    clickable: bool,
) -> Option<NaiveDate> {
    let label_w = 34.0;
    let head_h = 18.0;
    let cols = weeks.len().max(1) as f32;
    let pitch = ((ui.available_width() - label_w) / cols).clamp(9.0, 24.0);
    let cell = (pitch * 0.82).floor();
    let size = vec2(label_w + pitch * cols, head_h + pitch * 7.0);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect.expand(2.0));
    let visuals = ui.visuals().clone();
    let weak = visuals.weak_text_color();
    let small = egui::FontId::proportional(11.0);

    for (row, (_, short, _)) in DAYS.iter().enumerate() {
        let y = rect.top() + head_h + pitch * row as f32 + cell / 2.0;
        painter.text(
            pos2(rect.left(), y),
            egui::Align2::LEFT_CENTER,
            *short,
            small.clone(),
            weak,
        );
    }

    let mut picked = None;
    let mut last_month: Option<(u32, f32)> = None;
    for (col, week) in weeks.iter().enumerate() {
        let x = rect.left() + label_w + pitch * col as f32;
        // A month's name above the first week that ends in it, where it fits whole.
        let month = week.days[6].0.month();
        if last_month.is_none_or(|(m, end)| m != month && x >= end + 6.0) {
            let name = painter.layout_no_wrap(
                week.days[6].0.format("%b").to_string(),
                small.clone(),
                weak,
            );
            let end = x + name.size().x;
            if end <= rect.right() {
                painter.galley(pos2(x, rect.top()), name, weak);
                last_month = Some((month, end));
            }
        }
        let cell_rect = |row: usize| {
            Rect::from_min_size(
                pos2(x, rect.top() + head_h + pitch * row as f32),
                vec2(cell, cell),
            )
        };
        for (row, (date, mark)) in week.days.iter().enumerate() {
            let r = cell_rect(row);
            if *date == today {
                painter.rect_filled(
                    r.expand(1.5),
                    3,
                    visuals.selection.bg_fill.gamma_multiply(0.45),
                );
            }
            paint_mark(&painter, r, *mark, visuals.dark_mode);
        }

        let column = Rect::from_min_max(cell_rect(0).min, cell_rect(6).max);
        let sense = if clickable {
            Sense::click()
        } else {
            Sense::hover()
        };
        let resp = ui.interact(
            column,
            Id::unique(("commitment_week", &c.id, week.monday)),
            sense,
        );
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, week_text(week)));
        let Some(pos) = resp.hover_pos() else {
            continue;
        };
        let row = (((pos.y - column.top()) / pitch).floor().max(0.0) as usize).min(6);
        let (date, mark) = week.days[row];
        painter.rect_stroke(
            cell_rect(row).expand(1.5),
            3,
            Stroke::new(1.0, visuals.strong_text_color()),
            egui::StrokeKind::Outside,
        );
        let resp = resp.on_hover_text_at_pointer(day_text(c, date, mark, today));
        if clickable && resp.clicked() {
            picked = Some(date);
        }
    }
    picked
}

/// Colours from a palette that stays apart for colour-blind eyes (Okabe–Ito); the shapes carry
/// the meaning on their own.
fn mark_color(mark: DayMark, dark: bool) -> Color32 {
    match mark {
        DayMark::Kept => Color32::from_rgb(0, 158, 115),
        DayMark::Missed => Color32::from_rgb(213, 94, 0),
        DayMark::Disclosed if dark => Color32::from_rgb(86, 180, 233),
        DayMark::Disclosed => Color32::from_rgb(0, 114, 178),
        DayMark::NotLogged | DayMark::NotDue | DayMark::Upcoming if dark => Color32::from_gray(150),
        DayMark::NotLogged | DayMark::NotDue | DayMark::Upcoming => Color32::from_gray(120),
    }
}

/// Kept: a filled circle. Missed: a cross. Told before being asked: a diamond. Not logged: a
/// hollow square. Not due: a small dot. Upcoming: nothing.
fn paint_mark(p: &egui::Painter, r: Rect, mark: DayMark, dark: bool) {
    let c = r.center();
    let s = r.width().min(r.height());
    let color = mark_color(mark, dark);
    match mark {
        DayMark::Kept => {
            p.circle_filled(c, s * 0.4, color);
        }
        DayMark::Missed => {
            let d = s * 0.32;
            let stroke = Stroke::new((s * 0.13).max(1.6), color);
            p.line_segment([c + vec2(-d, -d), c + vec2(d, d)], stroke);
            p.line_segment([c + vec2(-d, d), c + vec2(d, -d)], stroke);
        }
        DayMark::Disclosed => {
            let d = s * 0.48;
            p.add(egui::Shape::convex_polygon(
                vec![
                    c + vec2(0.0, -d),
                    c + vec2(d, 0.0),
                    c + vec2(0.0, d),
                    c + vec2(-d, 0.0),
                ],
                color,
                Stroke::NONE,
            ));
        }
        DayMark::NotLogged => {
            p.rect_stroke(
                Rect::from_center_size(c, vec2(s * 0.62, s * 0.62)),
                1,
                Stroke::new(1.3, color),
                egui::StrokeKind::Inside,
            );
        }
        DayMark::NotDue => {
            p.circle_filled(c, (s * 0.09).max(1.3), color.gamma_multiply(0.8));
        }
        DayMark::Upcoming => {}
    }
}

/// A mark drawn at text size, e.g. before a word.
fn mark_icon(ui: &mut Ui, mark: DayMark, side: f32) {
    let (r, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
    paint_mark(ui.painter(), r, mark, ui.visuals().dark_mode);
}

/// The same shapes with their words.
fn legend(ui: &mut Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for mark in [
            DayMark::Kept,
            DayMark::Missed,
            DayMark::Disclosed,
            DayMark::NotLogged,
            DayMark::NotDue,
        ] {
            mark_icon(ui, mark, 14.0);
            ui.label(RichText::new(mark.label()).small());
            ui.add_space(8.0);
        }
        ui.label(RichText::new("blank: upcoming").small().weak());
    });
}

/// The last two weeks as one row of marks (list cards).
fn strip(ui: &mut Ui, days: &[(NaiveDate, DayMark)], today: NaiveDate) {
    let dark = ui.visuals().dark_mode;
    let selection = ui.visuals().selection.bg_fill.gamma_multiply(0.45);
    let side = 13.0;
    let gap = 3.0;
    let n = days.len() as f32;
    let (rect, _) = ui.allocate_exact_size(vec2(n * (side + gap), side), Sense::hover());
    for (i, (date, mark)) in days.iter().enumerate() {
        let r = Rect::from_min_size(
            pos2(rect.left() + i as f32 * (side + gap), rect.top()),
            vec2(side, side),
        );
        if *date == today {
            ui.painter().rect_filled(r.expand(1.0), 3, selection);
        }
        paint_mark(ui.painter(), r, *mark, dark);
    }
}

/// Logging a day: which day, how it went, an optional note.
fn log_form(ui: &mut Ui, d: &mut Detail, c: &Commitment, f: &Frame<'_>, today: NaiveDate) {
    card(ui, |ui| {
        ui.label(RichText::new("Log a day").size(17.0).strong());
        ui.horizontal_wrapped(|ui| {
            for (value, words, name) in [
                (DayChoice::Today, "Today", "Log for today"),
                (DayChoice::Yesterday, "Yesterday", "Log for yesterday"),
                (DayChoice::Other, "Another day", "Log for another day"),
            ] {
                if choice(ui, d.day == value, words)
                    .accessible_name(name)
                    .clicked()
                {
                    d.day = value;
                }
            }
        });
        if d.day == DayChoice::Other {
            let l = ui.label("Day (YYYY-MM-DD)");
            ui.add(
                egui::TextEdit::singleline(&mut d.other)
                    .hint_text(ymd(today))
                    .desired_width(140.0),
            )
            .labelled_by(l.id);
            ui.weak("Or click a day in the calendar above.");
        }
        let date = d.date(today);
        let logged = date
            .filter(|day| *day <= today)
            .and_then(|day| c.log_on(&ymd(day)))
            .map(|l| l.status);
        match date {
            None => {
                ui.weak("Write the day like 2026-11-24.");
            }
            Some(day) if day > today => {
                ui.weak("That day has not come yet.");
            }
            Some(day) => {
                let key = ymd(day);
                ui.label(RichText::new(long_date(&key)).italics());
                if let Some(l) = c.log_on(&key) {
                    ui.weak(if l.status == LogStatus::Kept {
                        let ack = if l.acknowledged_at.is_some() {
                            " (a new status clears the acknowledgement)"
                        } else {
                            ""
                        };
                        format!("Logged as kept already. You can change its note or correct it{ack}.")
                    } else {
                        format!(
                            "Logged as {} already. A missed day stays as it was logged; you can change its note.",
                            l.status.label().to_lowercase()
                        )
                    });
                } else if !c.is_due(day) {
                    ui.weak("This commitment was not due that day; you can still log it.");
                }
            }
        }
        ui.add_space(4.0);
        ui.label(RichText::new("How it went").strong());
        ui.horizontal_wrapped(|ui| {
            for status in [
                LogStatus::Kept,
                LogStatus::Missed,
                LogStatus::DisclosedBeforeAsked,
            ] {
                let mark = status_mark(status);
                let icon = egui::Atom::paint(
                    vec2(14.0, 14.0),
                    move |ui: &Ui, args: egui::AtomPaintArgs| {
                        paint_mark(ui.painter(), args.rect, mark, ui.visuals().dark_mode);
                    },
                );
                let b = egui::Button::new((icon, status.label()))
                    .selected(d.status == Some(status))
                    .frame_when_inactive(true)
                    .min_size(vec2(34.0, 30.0));
                // Core refuses turning a missed day into anything else; say so by disabling.
                let locked = logged.is_some_and(|was| was != LogStatus::Kept && was != status);
                if ui
                    .add_enabled(!locked, b)
                    .accessible_name(format!("How it went: {}", status.label()))
                    .clicked()
                {
                    d.status = Some(status);
                }
            }
        });
        if d.status == Some(LogStatus::DisclosedBeforeAsked) {
            ui.weak("Missed, and you said so before anyone asked. It counts as an honest moment.");
        }
        let l = ui.label("Note (optional)");
        ui.add(
            egui::TextEdit::multiline(&mut d.note)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .hint_text("What happened, if you want to say"),
        )
        .labelled_by(l.id);
        let ready = d.status.is_some() && date.is_some_and(|day| day <= today);
        if ui
            .add_enabled(ready, egui::Button::new(RichText::new("Save log").strong()))
            .clicked()
            && let (Some(status), Some(day)) = (d.status, date)
        {
            f.handle.send(Command::LogCommitment {
                id: c.id.clone(),
                date: ymd(day),
                status,
                note: d.note.trim().to_owned(),
            });
            d.logged = Some((ymd(day), status));
            d.status = None;
            d.note.clear();
        }
        if let Some((day, status)) = &d.logged {
            ui.weak(format!(
                "Logged {}: {}.",
                long_date(day),
                status.label().to_lowercase()
            ));
        }
    });
}

/// Pause, resume, retire: only for the one who made it.
fn state_controls(ui: &mut Ui, d: &mut Detail, c: &Commitment, f: &Frame<'_>, today: NaiveDate) {
    let set = |state: CommitmentState| {
        f.handle.send(Command::SetCommitmentState {
            id: c.id.clone(),
            state,
            date: ymd(today),
        });
    };
    if d.confirm_retire {
        card(ui, |ui| {
            ui.label(RichText::new("Retire this commitment?").strong());
            ui.label(
                "It will no longer be due. It stays here with everything logged, for both of \
                 you to see.",
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Retire it").clicked() {
                    set(CommitmentState::Retired);
                    d.confirm_retire = false;
                }
                if ui.button("Keep it").clicked() {
                    d.confirm_retire = false;
                }
            });
        });
        return;
    }
    ui.horizontal_wrapped(|ui| match c.state {
        CommitmentState::Active => {
            if ui.button("Pause").clicked() {
                set(CommitmentState::Paused);
            }
            if ui.button("Retire…").clicked() {
                d.confirm_retire = true;
            }
        }
        CommitmentState::Paused => {
            if ui.button("Resume").clicked() {
                set(CommitmentState::Active);
            }
            if ui.button("Retire…").clicked() {
                d.confirm_retire = true;
            }
        }
        // Retired stays retired: a new commitment starts again.
        CommitmentState::Retired => {}
    });
    if c.state == CommitmentState::Active {
        ui.weak("While paused, no days are due; resume it whenever you are ready.");
    }
}

/// Every logged day, newest first, with its acknowledgement. Nothing here can be deleted.
fn log_list(ui: &mut Ui, d: &mut Detail, c: &Commitment, f: &Frame<'_>) {
    let mine = is_mine(f, c);
    let author = f.view.name_of(&c.by);
    ui.label(RichText::new("Logged days").size(17.0).strong());
    if c.log.is_empty() {
        ui.weak(if mine {
            "Nothing logged yet. Log a day above when it comes.".to_owned()
        } else {
            format!("Nothing logged yet. The days {author} logs appear here.")
        });
        return;
    }
    ui.weak("Every logged day stays here. A day can be logged again, never removed.");
    ui.add_space(4.0);
    for l in c.log.iter().take(d.log_pages.shown()) {
        log_entry(ui, d, c, l, f, mine, &author);
        ui.add_space(6.0);
    }
    d.log_pages.more(ui, c.log.len(), "logged days");
}

fn log_entry(
    ui: &mut Ui,
    d: &mut Detail,
    c: &Commitment,
    l: &CommitmentLog,
    f: &Frame<'_>,
    mine: bool,
    author: &str,
) {
    card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            mark_icon(ui, status_mark(l.status), 15.0);
            ui.label(RichText::new(long_date(&l.date)).strong());
            ui.label(l.status.label());
            ui.label(
                RichText::new(format!("· logged {}", when(l.at, f.now)))
                    .small()
                    .weak(),
            );
        });
        if !l.note.trim().is_empty() {
            ui.label(&l.note);
        }
        if let Some(at) = l.acknowledged_at {
            let who = match &l.acknowledged_by {
                Some(by) if f.view.me.as_ref() == Some(by) => "You".to_owned(),
                Some(by) => f.view.name_of(by),
                None => f.partner(),
            };
            ui.label(format!("{who} acknowledged this {}", when(at, f.now)));
            if !l.ack_note.trim().is_empty() {
                ui.label(RichText::new(format!("\u{201c}{}\u{201d}", l.ack_note.trim())).italics());
            }
            return;
        }
        if mine {
            ui.weak("Not acknowledged yet.");
            return;
        }
        match &mut d.ack {
            Some((date, note)) if *date == l.date => {
                let label = ui.label(format!("A note for {author} (optional)"));
                ui.add(
                    egui::TextEdit::multiline(note)
                        .desired_rows(2)
                        .desired_width(f32::INFINITY)
                        .hint_text("e.g. Seen, thank you"),
                )
                .labelled_by(label.id);
                let mut done = false;
                ui.horizontal_wrapped(|ui| {
                    if ui.button(RichText::new("Acknowledge").strong()).clicked() {
                        f.handle.send(Command::AcknowledgeCommitmentLog {
                            id: c.id.clone(),
                            date: l.date.clone(),
                            note: note.trim().to_owned(),
                        });
                        done = true;
                    }
                    if ui.button("Cancel").clicked() {
                        done = true;
                    }
                });
                if done {
                    d.ack = None;
                }
            }
            _ => {
                if ui
                    .button("Acknowledge…")
                    .accessible_name(format!("Acknowledge the log of {}", long_date(&l.date)))
                    .clicked()
                {
                    d.ack = Some((l.date.clone(), String::new()));
                }
            }
        }
    });
}
