//! "Our agreement": sections both partners edit at once, splice by splice, and affirm; each with its history, and a review date for temporary measures.

use std::collections::HashMap;

use chrono::{Datelike, Local, Months, NaiveDate, TimeZone};
use egui::{Id, RichText, Ui};
use kintsugi_core::{
    Command, ItemId, ReviewOutcome, Section, TextTarget, parse_date, section_templates,
};
use kintsugi_service::today_local;

use crate::history::HistoryPanel;
use crate::screens::Page;
use crate::text_buffer::SpliceBuffer;
use crate::widgets::{card, choice, when};
use crate::{Frame, Shared};

#[derive(Default)]
pub struct AgreementState {
    /// Per section id: its text box.
    bufs: HashMap<String, SpliceBuffer>,
    new_title: String,
    /// Per section id: its open history.
    history: HashMap<String, HistoryPanel>,
    /// Per section id: the review date box, while open.
    review_date: HashMap<String, String>,
    /// Per section id: the review being recorded.
    review: HashMap<String, ReviewForm>,
    /// The last review date set or cleared, whose refusal this screen shows itself.
    date_sent: Option<u64>,
}

/// The answers of a "Review due" box.
#[derive(Default)]
struct ReviewForm {
    outcome: Option<ReviewOutcome>,
    note: String,
    /// YYYY-MM-DD, or empty for no next review.
    next: String,
    /// The request that recorded it.
    sent: Option<u64>,
}

impl Page for AgreementState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    fn claimed(&self) -> Vec<u64> {
        self.history
            .values()
            .filter_map(HistoryPanel::claimed)
            .chain(self.review.values().filter_map(|r| r.sent))
            .chain(self.date_sent)
            .collect()
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// "12 January", with the year when it is not this year's.
fn day_words(date: &str, today: NaiveDate) -> String {
    match parse_date(date) {
        Some(d) if d.year() == today.year() => d.format("%-d %B").to_string(),
        Some(d) => d.format("%-d %B %Y").to_string(),
        None => date.to_owned(),
    }
}

/// Sends what was typed into a section since the last time, as one splice.
fn push(f: &Frame<'_>, section: &str, buf: &mut SpliceBuffer) {
    if let Some(s) = buf.take_splice() {
        f.handle.send(Command::SpliceSection {
            section: section.to_owned(),
            pos: s.pos,
            delete: s.delete,
            insert: s.insert,
        });
    }
}

fn show(ui: &mut Ui, st: &mut AgreementState, f: &Frame<'_>) {
    let now = f.now;
    // "5 minutes ago" should not go stale while the window sits open.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(30));

    ui.heading("Our agreement");
    ui.label(format!(
        "Written together by {} and {}. Either of you can change any section at any time; \
         when you both write at once, both of your words are kept.",
        f.view.my_name,
        f.partner()
    ));
    ui.add_space(12.0);

    let today = today_local();
    let due = f.view.reviews_due(&ymd(today));
    if !due.is_empty() {
        card(ui, |ui| {
            let titles: Vec<&str> = due.iter().map(|s| s.title.as_str()).collect();
            ui.label(
                RichText::new(format!("Review due: {}", titles.join(", ")))
                    .strong()
                    .color(ui.visuals().hyperlink_color),
            );
            ui.weak("Look at these together and decide: keep, change or end them.");
        });
        ui.add_space(10.0);
    }
    if let Some(n) = st.date_sent {
        f.show_refusal(ui, Some(n), "The review date was not changed");
    }

    for s in &f.view.agreement {
        section(ui, st, f, s, now, today);
        ui.add_space(10.0);
    }
    // Sections deleted elsewhere leave no stale view state behind.
    let exists = |id: &String| f.view.agreement.iter().any(|s| &s.id == id);
    st.bufs.retain(|id, _| exists(id));
    st.history.retain(|id, _| exists(id));
    st.review_date.retain(|id, _| exists(id));
    st.review.retain(|id, _| exists(id));

    card(ui, |ui| {
        let l = ui.label(RichText::new("New section title").strong());
        ui.add(
            egui::TextEdit::singleline(&mut st.new_title)
                .hint_text("e.g. Money, Time with family")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let ok = !st.new_title.trim().is_empty();
        if ui
            .add_enabled(ok, egui::Button::new("Add a section"))
            .clicked()
        {
            f.handle.send(Command::AddSection {
                id: ItemId::random(),
                title: st.new_title.trim().to_owned(),
            });
            st.new_title.clear();
        }
    });
    ui.add_space(16.0);
    affirmations(ui, f, now);
}

fn section(
    ui: &mut Ui,
    st: &mut AgreementState,
    f: &Frame<'_>,
    s: &Section,
    now: i64,
    today: NaiveDate,
) {
    let buf = st
        .bufs
        .entry(s.id.clone())
        .or_insert_with(|| SpliceBuffer::new(Id::unique(("agreement_section", &s.id)), &s.body));
    buf.follow(ui.ctx(), &s.body, f.caught_up);
    card(ui, |ui| {
        let title = ui
            .horizontal_wrapped(|ui| {
                let title = ui.label(RichText::new(&s.title).size(18.0).strong());
                if let Some(at) = s.ended_at {
                    let day = Local
                        .timestamp_millis_opt(at)
                        .single()
                        .map(|t| day_words(&ymd(t.date_naive()), today))
                        .unwrap_or_default();
                    ui.label(RichText::new(format!("Ended on {day}")).italics());
                } else if let Some(d) = &s.review_on {
                    ui.weak(format!("Review on {}", day_words(d, today)));
                }
                title
            })
            .inner;
        match (&s.edited_by, s.edited_at) {
            (Some(by), Some(at)) => {
                ui.weak(format!(
                    "Last edited by {}, {}",
                    f.view.name_of(by),
                    when(at, now)
                ));
            }
            _ => {
                ui.weak("Not written yet");
            }
        }
        if buf.text().is_empty()
            && let Some(t) = section_templates().iter().find(|t| t.kind == s.kind)
        {
            let r = ui
                .button("Start from the suggested wording")
                .accessible_name(format!("Start {} from the suggested wording", s.title));
            if r.clicked() {
                buf.set_text(t.starter);
                push(f, &s.id, buf);
            }
        }
        let r = buf.show(
            ui,
            title.id,
            4,
            "Write this part together, in your own words.",
        );
        if r.changed() {
            push(f, &s.id, buf);
        }
        if r.lost_focus() {
            f.handle.flush();
        }
        if s.review_due(&ymd(today)) {
            ui.add_space(6.0);
            let form = st.review.entry(s.id.clone()).or_default();
            review_due(ui, form, f, s, today);
        }
        ui.horizontal_wrapped(|ui| {
            let open = st.history.contains_key(&s.id);
            let words = if open { "Hide history" } else { "History" };
            if ui
                .add(egui::Button::new(words).selected(open))
                .accessible_name(format!("{words} of {}", s.title))
                .clicked()
            {
                if open {
                    st.history.remove(&s.id);
                } else {
                    st.history.insert(
                        s.id.clone(),
                        HistoryPanel::new(TextTarget::Section(s.id.clone())),
                    );
                }
            }
            if s.ended_at.is_none() {
                let open = st.review_date.contains_key(&s.id);
                let words = if s.review_on.is_some() {
                    "Change the review date"
                } else {
                    "Set a review date"
                };
                if ui
                    .add(egui::Button::new(words).selected(open))
                    .accessible_name(format!("{words} of {}", s.title))
                    .clicked()
                {
                    if open {
                        st.review_date.remove(&s.id);
                    } else {
                        st.review_date
                            .insert(s.id.clone(), s.review_on.clone().unwrap_or_default());
                    }
                }
            }
        });
        if let Some(date) = st.review_date.get_mut(&s.id)
            && let Some(sent) = review_date(ui, date, f, s, today)
        {
            st.date_sent = sent;
            st.review_date.remove(&s.id);
        }
        if !s.reviews.is_empty() {
            past_reviews(ui, f, s);
        }
        if let Some(panel) = st.history.get_mut(&s.id) {
            ui.add_space(6.0);
            panel.show(ui, f, &s.title);
        }
    });
}

/// The review date of a section: a date (typed, or one of a few picked), set or cleared.
/// Returns `Some` once the box is done with: the request it sent, if any.
fn review_date(
    ui: &mut Ui,
    date: &mut String,
    f: &Frame<'_>,
    s: &Section,
    today: NaiveDate,
) -> Option<Option<u64>> {
    let mut done = None;
    card(ui, |ui| {
        let l = ui.label(RichText::new("Review date (YYYY-MM-DD)").strong());
        ui.horizontal_wrapped(|ui| {
            ui.add(
                egui::TextEdit::singleline(date)
                    .hint_text(ymd(today))
                    .desired_width(130.0),
            )
            .labelled_by(l.id)
            .accessible_name(format!("Review date of {}", s.title));
            for (words, months) in [("In a month", 1), ("In 3 months", 3), ("In 6 months", 6)] {
                if let Some(d) = today.checked_add_months(Months::new(months))
                    && ui
                        .button(words)
                        .accessible_name(format!("Review {} {}", s.title, words.to_lowercase()))
                        .clicked()
                {
                    *date = ymd(d);
                }
            }
        });
        let parsed = parse_date(date);
        match parsed {
            Some(d) => {
                ui.weak(format!("Review on {}.", day_words(&ymd(d), today)));
            }
            None if !date.trim().is_empty() => {
                ui.weak("Write the date like 2027-01-12.");
            }
            None => {}
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(parsed.is_some(), egui::Button::new("Set"))
                .accessible_name(format!("Set the review date of {}", s.title))
                .clicked()
                && let Some(d) = parsed
            {
                f.handle.send(Command::SetSectionReviewDate {
                    section: s.id.clone(),
                    date: Some(ymd(d)),
                });
                done = Some(Some(f.handle.sent()));
            }
            if s.review_on.is_some()
                && ui
                    .button("Clear")
                    .accessible_name(format!("Clear the review date of {}", s.title))
                    .clicked()
            {
                f.handle.send(Command::SetSectionReviewDate {
                    section: s.id.clone(),
                    date: None,
                });
                done = Some(Some(f.handle.sent()));
            }
            if ui
                .button("Cancel")
                .accessible_name(format!("Cancel the review date of {}", s.title))
                .clicked()
            {
                done = Some(None);
            }
        });
    });
    done
}

/// "Review due": keep, change or end the measure, with a note and the next review date.
fn review_due(ui: &mut Ui, form: &mut ReviewForm, f: &Frame<'_>, s: &Section, today: NaiveDate) {
    let accent = ui.visuals().hyperlink_color;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, accent))
        .inner_margin(10)
        .corner_radius(6)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("Review due").strong().color(accent));
            ui.label(format!(
                "You planned to look at \u{201c}{}\u{201d} again. What do you both decide?",
                s.title
            ));
            ui.horizontal_wrapped(|ui| {
                for (outcome, words) in [
                    (ReviewOutcome::Kept, "Keep as is"),
                    (ReviewOutcome::Changed, "Change it"),
                    (ReviewOutcome::Ended, "End it"),
                ] {
                    if choice(ui, form.outcome == Some(outcome), words)
                        .accessible_name(format!("{words}: {}", s.title))
                        .clicked()
                    {
                        form.outcome = Some(outcome);
                    }
                }
            });
            match form.outcome {
                Some(ReviewOutcome::Changed) => {
                    ui.weak("Change the wording above together; this records that you did.");
                }
                Some(ReviewOutcome::Ended) => {
                    ui.weak("The section stays, marked as ended, with its whole history.");
                }
                _ => {}
            }
            let l = ui.label("A note (optional)");
            ui.add(
                egui::TextEdit::multiline(&mut form.note)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("e.g. Still helps. We'll look again after the holidays."),
            )
            .labelled_by(l.id)
            .accessible_name(format!("Review note: {}", s.title));
            let next_ok = if form.outcome == Some(ReviewOutcome::Ended) {
                true
            } else {
                let l = ui.label("Next review (YYYY-MM-DD, optional)");
                let example = today
                    .checked_add_months(Months::new(3))
                    .map(ymd)
                    .unwrap_or_default();
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut form.next)
                            .hint_text(example)
                            .desired_width(130.0),
                    )
                    .labelled_by(l.id)
                    .accessible_name(format!("Next review of {}", s.title));
                    for (words, months) in [("In a month", 1), ("In 3 months", 3)] {
                        if let Some(d) = today.checked_add_months(Months::new(months))
                            && ui
                                .button(words)
                                .accessible_name(format!(
                                    "Next review of {} {}",
                                    s.title,
                                    words.to_lowercase()
                                ))
                                .clicked()
                        {
                            form.next = ymd(d);
                        }
                    }
                });
                let t = form.next.trim();
                match parse_date(t) {
                    Some(d) if d <= today => {
                        ui.weak("The next review is a day after today.");
                        false
                    }
                    Some(_) => true,
                    None if t.is_empty() => true,
                    None => {
                        ui.weak("Write the date like 2027-01-12.");
                        false
                    }
                }
            };
            let pending = form.sent.is_some_and(|n| f.snap.processed < n);
            let ready = form.outcome.is_some() && next_ok && !pending;
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Record the review").strong()),
                )
                .accessible_name(format!("Record the review of {}", s.title))
                .clicked()
                && let Some(outcome) = form.outcome
            {
                let next = match outcome {
                    ReviewOutcome::Ended => None,
                    _ => parse_date(form.next.trim()).map(ymd),
                };
                f.handle.send(Command::RecordSectionReview {
                    id: ItemId::random(),
                    section: s.id.clone(),
                    outcome,
                    note: form.note.trim().to_owned(),
                    next,
                });
                form.sent = Some(f.handle.sent());
                form.outcome = None;
                form.note.clear();
                form.next.clear();
            }
            f.show_refusal(ui, form.sent, "The review was not recorded");
        });
}

/// Every review so far, newest first: what was decided, who, when, and the note.
fn past_reviews(ui: &mut Ui, f: &Frame<'_>, s: &Section) {
    egui::CollapsingHeader::new(format!("Past reviews ({})", s.reviews.len()))
        .id_salt(("past_reviews", &s.id))
        .show(ui, |ui| {
            for r in s.reviews.iter().rev() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(capitalised(r.outcome.label())).strong());
                    ui.weak(format!(
                        "by {}, {}",
                        f.view.name_of(&r.by),
                        when(r.at, f.now)
                    ));
                });
                if !r.note.is_empty() {
                    ui.label(&r.note);
                }
            }
        });
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn affirmations(ui: &mut Ui, f: &Frame<'_>, now: i64) {
    let v = f.view;
    card(ui, |ui| {
        ui.label(RichText::new("Affirming").size(18.0).strong());
        ui.label(
            "Affirming says: I have read this version and I stand by it. If the text changes \
             later, an affirmation is shown as being for an earlier version.",
        );
        ui.add_space(6.0);
        let mut people = Vec::new();
        if let Some(me) = &v.me {
            people.push((Some(me.clone()), v.my_name.clone()));
        }
        people.push((v.partner.clone(), f.partner()));
        let mut mine_current = false;
        for (id, name) in people {
            let aff = id
                .as_ref()
                .and_then(|id| v.affirmations.iter().find(|a| &a.by == id));
            let line = match aff {
                Some(a) if a.current => {
                    if id.as_ref() == v.me.as_ref() {
                        mine_current = true;
                    }
                    format!("{name} affirmed this version, {}.", when(a.at, now))
                }
                Some(_) => {
                    format!("{name} affirmed an earlier version — the text has changed since.")
                }
                None if id.is_none() => {
                    format!("{name}'s affirmation will show here once your devices are paired.")
                }
                None => format!("{name} has not affirmed a version."),
            };
            ui.label(line);
        }
        ui.add_space(6.0);
        if mine_current {
            ui.weak("You have affirmed the current version.");
        } else if ui
            .button(RichText::new("I affirm this version").strong())
            .clicked()
        {
            f.handle.send(Command::AffirmAgreement);
        }
    });
}
