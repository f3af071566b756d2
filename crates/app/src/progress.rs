//! Progress: mood, connection and safety over time, good and hard days, triggers, commitments kept and what was told before being asked, each plot with its sentence.

use chrono::{Datelike, NaiveDate};
use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, GridInput, GridMark, HoverPosition, Line, Plot, Points};
use kintsugi_core::progress::{self, BarSeries, Counted, LineChart, day_text};
use kintsugi_core::{Progress, Range};
use kintsugi_service::today_local;

use crate::screens::Page;
use crate::widgets::{card, choice, long_date};
use crate::{Frame, Shared};

/// The navigation label.
pub const LABEL: &str = "Progress";

/// How tall each plot is drawn.
const PLOT_HEIGHT: f32 = 190.0;
/// The longest period whose single days are drawn as dots (a leap year and a day).
const DOTS_UP_TO_DAYS: f64 = 367.0;
/// Past that, the most bars a series draws, and the most points of an average's line.
const BARS_AT_MOST: f64 = 110.0;
const LINE_POINTS_AT_MOST: usize = 400;

#[derive(Default)]
pub struct ProgressState {
    range: Range,
    /// The series last computed, and the snapshot revision, range and day they are for: they
    /// are worked out again only when one of those changes, not every frame.
    cache: Option<(u64, Range, String, Progress)>,
}

impl Page for ProgressState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }
}

impl ProgressState {
    fn progress(&mut self, f: &Frame<'_>) -> &Progress {
        let today = today_local().format("%Y-%m-%d").to_string();
        let fresh = matches!(&self.cache, Some((rev, range, day, _))
            if *rev == f.snap.revision && *range == self.range && *day == today);
        if !fresh {
            let p = progress::progress(f.view, &today, self.range);
            self.cache = Some((f.snap.revision, self.range, today, p));
        }
        &self.cache.as_ref().expect("just filled").3
    }
}

fn show(ui: &mut Ui, st: &mut ProgressState, f: &Frame<'_>) {
    ui.heading("Progress");
    ui.label(
        "Signs of healing over time, drawn only from what you both can see: a check-in counts \
         once both of you answered that day. This is not a score. Each of you is only compared \
         with your own earlier weeks.",
    );
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Period").strong());
        for r in Range::ALL {
            if choice(ui, st.range == r, r.label())
                .accessible_name(format!("Period: {}", r.label()))
                .clicked()
            {
                st.range = r;
            }
        }
    });
    let dark = ui.visuals().dark_mode;
    let p = st.progress(f);
    let (from, to) = (day_of(&p.from), day_of(&p.to));
    // Years of single days are thousands of dots, more than the plot has pixels across: past
    // a year only the average is drawn, which also keeps every frame quick.
    let dots = to - from <= DOTS_UP_TO_DAYS;
    ui.weak(if dots {
        format!(
            "From {} to {}. Dots are single days; the line through them is the 7-day average.",
            long_date(&p.from),
            long_date(&p.to)
        )
    } else {
        format!(
            "From {} to {}. The line is the 7-day average; over more than a year single days \
             are left out, so the line stays readable.",
            long_date(&p.from),
            long_date(&p.to)
        )
    });
    let colors: Vec<Color32> = (0..p.partners.len()).map(|i| color(i, dark)).collect();
    let names: Vec<String> = p.partners.iter().map(|(_, n)| n.clone()).collect();

    for chart in [&p.mood, &p.connection, &p.safety] {
        ui.add_space(12.0);
        card(ui, |ui| {
            line_chart(ui, chart, &names, &colors, (from, to), dots)
        });
    }
    for chart in [
        &p.good_hard,
        &p.triggers,
        &p.commitments_kept,
        &p.told_before_asked,
    ] {
        ui.add_space(12.0);
        card(ui, |ui| {
            bar_chart(ui, chart, &names, &colors, (from, to), dots)
        });
    }
}

/// One colour per partner from the Okabe–Ito palette (apart for colour-blind eyes), lighter on
/// a dark background so both stay readable.
fn color(partner: usize, dark: bool) -> Color32 {
    match (partner % 2, dark) {
        (0, false) => Color32::from_rgb(0, 114, 178),
        (0, true) => Color32::from_rgb(86, 180, 233),
        (_, false) => Color32::from_rgb(213, 94, 0),
        (_, true) => Color32::from_rgb(230, 159, 0),
    }
}

fn day_of(date: &str) -> f64 {
    kintsugi_core::parse_date(date).map_or(0.0, |d| progress::day_number(d) as f64)
}

/// "3 Nov": the x axis and the hover texts.
fn short_day(day: f64) -> String {
    kintsugi_core::parse_date(&day_text(day.round() as i64))
        .map(|d| d.format("%-d %b").to_string())
        .unwrap_or_default()
}

/// A swatch and a name per entry, drawn above the plot so it never covers the data.
fn legend(ui: &mut Ui, entries: &[(String, Color32)]) {
    ui.horizontal_wrapped(|ui| {
        for (name, c) in entries {
            let (r, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(r, 2.0, *c);
            ui.label(name);
            ui.add_space(6.0);
        }
    });
}

/// A plot that leaves scrolling and dragging to the page: only hovering does something.
fn plot(id: &str, (from, to): (f64, f64)) -> Plot<'static> {
    Plot::new(("progress", id.to_owned()))
        .height(PLOT_HEIGHT)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_crosshair(false)
        .include_x(from - 0.5)
        .include_x(to + 0.5)
        .x_grid_spacer(date_marks)
        .x_axis_formatter(|mark, _| date_label(mark))
}

/// Mondays, every other Monday, first days of months or of quarters: the finest that leaves
/// room for each label (egui_plot hides labels closer than their width).
fn date_marks(input: GridInput) -> Vec<GridMark> {
    // `base_step_size` is what 8 points (the plot's smallest grid spacing) are worth in days.
    let need = input.base_step_size / 8.0 * 85.0;
    let step = [7.0, 14.0, 31.0, 92.0, 366.0]
        .into_iter()
        .find(|s| *s >= need)
        .unwrap_or(366.0);
    let (lo, hi) = input.bounds;
    let first = lo.floor() as i64;
    let mut marks = Vec::new();
    // Straight to the days that are marked: ten years are thousands of days, too many to
    // look at one by one in every frame. True while later days may still be marked.
    let mut push = |day: i64| {
        let fits = day >= first && (day as f64) <= hi && marks.len() < 400;
        if fits {
            marks.push(GridMark {
                value: day as f64,
                step_size: step,
            });
        }
        fits || day < first
    };
    match step as i64 {
        7 | 14 => {
            // Day 0 (1970-01-01) was a Thursday: Mondays are the days with (day + 3) % 7 == 0.
            let mut day = first + (-(first + 3)).rem_euclid(7);
            if step == 14.0 && (day + 3).div_euclid(7) % 2 != 0 {
                day += 7;
            }
            while push(day) {
                day += step as i64;
            }
        }
        _ => {
            let every = match step as i64 {
                31 => 1,
                92 => 3,
                _ => 12,
            };
            if let Some(start) = date_of(first) {
                // The first month at or before `lo` that is marked (January, April, …).
                let mut month = start.year() * 12 + start.month0() as i32;
                month -= month.rem_euclid(every);
                while let Some(d) = NaiveDate::from_ymd_opt(
                    month.div_euclid(12),
                    month.rem_euclid(12) as u32 + 1,
                    1,
                ) && push(progress::day_number(d))
                {
                    month += every;
                }
            }
        }
    }
    marks
}

/// The date of a day number (days since 1970-01-01).
fn date_of(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(day))
}

/// "3 Nov" between weeks, "Nov" between months, "Jan 2027" where a year starts or marks are
/// quarters apart.
fn date_label(mark: GridMark) -> String {
    let Some(d) = kintsugi_core::parse_date(&day_text(mark.value.round() as i64)) else {
        return String::new();
    };
    if mark.step_size < 28.0 {
        d.format("%-d %b").to_string()
    } else if mark.step_size > 31.0 || d.format("%m").to_string() == "01" {
        d.format("%b %Y").to_string()
    } else {
        d.format("%b").to_string()
    }
}

/// Whole numbers only, a handful of them.
fn count_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let span = (hi - lo).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|s| span / s <= 6.0)
        .unwrap_or(200.0);
    let mut v = (lo / step).ceil() * step;
    let mut marks = Vec::new();
    while v <= hi {
        marks.push(GridMark {
            value: v,
            step_size: step,
        });
        v += step;
    }
    marks
}

fn line_chart(
    ui: &mut Ui,
    chart: &LineChart,
    names: &[String],
    colors: &[Color32],
    range: (f64, f64),
    dots: bool,
) {
    let title = chart.measure.title();
    ui.label(RichText::new(title).strong());
    if chart.is_empty() {
        ui.label(&chart.summary);
        return;
    }
    let entries: Vec<(String, Color32)> = chart
        .lines
        .iter()
        .map(|l| (names[l.partner].clone(), colors[l.partner]))
        .collect();
    legend(ui, &entries);
    let noun = title.to_lowercase();
    plot(title, range)
        .include_y(0.5)
        .include_y(5.5)
        .y_grid_spacer(|input| {
            count_marks(input)
                .into_iter()
                .filter(|m| (1.0..=5.0).contains(&m.value))
                .collect()
        })
        .y_axis_formatter(|mark, _| format!("{}", mark.value))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(match plot_name.strip_suffix(AVERAGE) {
                Some(name) => format!(
                    "{name}, 7-day average\n{}: {noun} {:.2}",
                    short_day(position.x),
                    position.y
                ),
                None => format!(
                    "{plot_name}\n{}: {noun} {} of 5",
                    short_day(position.x),
                    position.y
                ),
            }),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot_ui| {
            for l in &chart.lines {
                let name = &names[l.partner];
                let c = colors[l.partner];
                // Past a year, every few days of the average are enough for a line a few
                // hundred pixels wide (and the newest day is always in it).
                let step = if dots {
                    1
                } else {
                    l.rolling.len().div_ceil(LINE_POINTS_AT_MOST).max(1)
                };
                let last = l.rolling.len().saturating_sub(1);
                let rolling: Vec<[f64; 2]> = l
                    .rolling
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % step == 0 || *i == last)
                    .map(|(_, p)| [p.day as f64, p.value])
                    .collect();
                plot_ui.line(
                    Line::new(format!("{name}{AVERAGE}"), rolling)
                        .color(c)
                        .width(2.0),
                );
                if !dots {
                    continue;
                }
                let points: Vec<[f64; 2]> =
                    l.points.iter().map(|p| [p.day as f64, p.value]).collect();
                plot_ui.points(
                    Points::new(name.clone(), points)
                        .color(c)
                        // Smaller dots over a year, so the line stays visible between them.
                        .radius(if l.points.len() > 120 { 2.2 } else { 3.5 })
                        .filled(true),
                );
            }
        });
    ui.label(&chart.summary);
}

/// Marks the rolling line's name apart from the dots' (the hover text tells them apart).
const AVERAGE: &str = " (7-day average)";

fn bar_chart(
    ui: &mut Ui,
    chart: &progress::BarChart,
    names: &[String],
    colors: &[Color32],
    range: (f64, f64),
    dots: bool,
) {
    ui.label(RichText::new(chart.title).strong());
    if chart.is_empty() {
        ui.label(&chart.summary);
        return;
    }
    // Good and hard days share a week: good ones rise above the line, hard ones hang below it.
    let down = |s: &BarSeries| s.counted == Counted::HardDays;
    let shown: Vec<&BarSeries> = chart.series.iter().filter(|s| s.total() > 0).collect();
    let partners: Vec<usize> = {
        let mut p: Vec<usize> = shown.iter().map(|s| s.partner).collect();
        p.dedup();
        p
    };
    let entries: Vec<(String, Color32)> = shown
        .iter()
        .map(|s| {
            let name = series_name(&names[s.partner], s);
            let c = colors[s.partner];
            (name, if down(s) { fade(c) } else { c })
        })
        .collect();
    legend(ui, &entries);
    if chart.series.iter().any(down) {
        ui.weak("Good days above the line, hard days below it.");
    }
    let slot = 5.6 / partners.len().max(1) as f64;
    // Past a year (when single days are left out too) a bar counts a few weeks together, so
    // ten years are about a hundred bars a series rather than five hundred thin ones.
    let per = if dots {
        1
    } else {
        (((range.1 - range.0) / 7.0 / BARS_AT_MOST).ceil() as i64).max(1)
    };
    let base = range.0.floor() as i64;
    let buckets: Vec<Vec<(i64, u32)>> = shown
        .iter()
        .map(|s| {
            let mut out: Vec<(i64, u32)> = Vec::new();
            for w in &s.weeks {
                let start = base + (w.monday - base).div_euclid(7 * per) * 7 * per;
                match out.last_mut() {
                    Some((at, n)) if *at == start => *n += w.count,
                    _ => out.push((start, w.count)),
                }
            }
            out
        })
        .collect();
    let most = |sign: bool| {
        shown
            .iter()
            .zip(&buckets)
            .filter(|(s, _)| down(s) == sign)
            .flat_map(|(_, b)| b.iter().map(|(_, n)| f64::from(*n)))
            .fold(0.0, f64::max)
    };
    plot(chart.title, range)
        .include_y(0.0)
        // Room above the tallest bar (and below the deepest) for its hover text.
        .include_y(most(false) * 1.25 + 0.2)
        .include_y(-(most(true) * 1.25 + 0.2) * if most(true) > 0.0 { 1.0 } else { 0.0 })
        .y_grid_spacer(count_marks)
        .y_axis_formatter(|mark, _| format!("{}", mark.value.abs()))
        .label_formatter(|_| None)
        .show(ui, |plot_ui| {
            for (s, buckets) in shown.iter().zip(&buckets) {
                let k = partners.iter().position(|p| *p == s.partner).unwrap_or(0);
                let name = series_name(&names[s.partner], s);
                let sign = if down(s) { -1.0 } else { 1.0 };
                let c = if down(s) {
                    fade(colors[s.partner])
                } else {
                    colors[s.partner]
                };
                // Where a week's bar stands from its Monday, and back: the hover text is
                // worked out for the one bar hovered, not written for every bar every frame.
                let offset = (0.7 + slot * (k as f64 + 0.5) - 0.5) * per as f64;
                let bars: Vec<Bar> = buckets
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(start, n)| {
                        Bar::new(*start as f64 + offset, sign * f64::from(*n))
                            .width(slot * 0.9 * per as f64)
                            .fill(c)
                            .stroke(egui::Stroke::new(1.0, c))
                    })
                    .collect();
                let label = name.clone();
                plot_ui.bar_chart(
                    BarChart::new(name, bars)
                        .color(c)
                        .element_formatter(Box::new(move |bar, _| {
                            let start = short_day((bar.argument - offset).round());
                            let when = if per == 1 {
                                format!("week of {start}")
                            } else {
                                format!("{per} weeks from {start}")
                            };
                            format!("{label}, {when}: {}", bar.value.abs())
                        })),
                );
            }
        });
    ui.label(&chart.summary);
}

fn series_name(partner: &str, s: &BarSeries) -> String {
    match s.counted {
        Counted::GoodDays | Counted::HardDays => format!("{partner}: {}", s.counted.label()),
        _ => partner.to_owned(),
    }
}

/// The hard-day bars: the partner's colour, lighter, so the two kinds tell apart in the legend.
fn fade(c: Color32) -> Color32 {
    c.gamma_multiply(0.55)
}

/// The navigation icon: a line rising over two axes (drawn here, beside the screen it names).
pub fn icon(p: &egui::Painter, r: egui::Rect, c: Color32) {
    let at = |x: f32, y: f32| egui::pos2(r.left() + x * r.width(), r.top() + y * r.height());
    let s = egui::Stroke::new(1.4, c);
    p.line(vec![at(0.1, 0.1), at(0.1, 0.9), at(0.92, 0.9)], s);
    p.line(
        vec![at(0.22, 0.7), at(0.42, 0.5), at(0.58, 0.6), at(0.86, 0.26)],
        s,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The marks found day by day, as the plot used to: what the quick walk must match.
    fn marks_day_by_day(input: &GridInput, step: f64) -> Vec<i64> {
        let (lo, hi) = input.bounds;
        let mut out = Vec::new();
        let mut day = lo.floor() as i64;
        while (day as f64) <= hi && out.len() < 400 {
            let text = day_text(day);
            let monday = (day + 3).rem_euclid(7) == 0;
            let month = text.get(5..7).unwrap_or("");
            let first = text.ends_with("-01");
            let pick = match step as i64 {
                7 => monday,
                14 => monday && (day + 3).div_euclid(7) % 2 == 0,
                31 => first,
                92 => first && matches!(month, "01" | "04" | "07" | "10"),
                _ => first && month == "01",
            };
            if pick {
                out.push(day);
            }
            day += 1;
        }
        out
    }

    #[test]
    fn date_marks_are_the_mondays_and_month_starts_of_the_range() {
        let start = progress::day_number(NaiveDate::from_ymd_opt(2016, 11, 30).unwrap()) as f64;
        for days in [20.0, 95.0, 370.0, 1500.0, 3650.0] {
            for base in [1.0, 2.0, 5.0, 10.0, 20.0, 40.0] {
                let input = || GridInput {
                    bounds: (start + 0.3, start + days + 0.5),
                    base_step_size: base,
                };
                let marks = date_marks(input());
                assert!(days < 30.0 || !marks.is_empty(), "{days} days have marks");
                let step = marks.first().map_or(0.0, |m| m.step_size);
                let days_marked: Vec<i64> = marks.iter().map(|m| m.value as i64).collect();
                assert_eq!(
                    days_marked,
                    marks_day_by_day(&input(), step),
                    "{days} days, base step {base}"
                );
            }
        }
    }
}
