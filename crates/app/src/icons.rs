//! Small line icons for the navigation, painted rather than taken from a font: the bundled fonts have no symbols, and a missing glyph must never cost a frame.

use egui::{Color32, Pos2, Rect, Stroke, Ui, pos2, vec2};

/// Paints one icon into `rect` (square) in `color`, the colour of the text beside it.
pub type Icon = fn(&egui::Painter, Rect, Color32);

/// The side of an icon, a little smaller than a line of navigation text.
pub const SIZE: f32 = 16.0;

/// An icon as an atom to put before a button's words.
pub fn atom(icon: Icon) -> egui::Atom<'static> {
    egui::Atom::paint(
        vec2(SIZE, SIZE),
        move |ui: &Ui, args: egui::AtomPaintArgs| {
            icon(ui.painter(), args.rect, args.fallback_text_color);
        },
    )
}

fn stroke(color: Color32) -> Stroke {
    Stroke::new(1.4, color)
}

/// Maps (0..1, 0..1) onto the icon's square.
fn at(r: Rect, x: f32, y: f32) -> Pos2 {
    pos2(r.left() + x * r.width(), r.top() + y * r.height())
}

fn line(p: &egui::Painter, r: Rect, c: Color32, a: (f32, f32), b: (f32, f32)) {
    p.line_segment([at(r, a.0, a.1), at(r, b.0, b.1)], stroke(c));
}

fn outline(p: &egui::Painter, r: Rect, c: Color32, min: (f32, f32), max: (f32, f32)) {
    p.rect_stroke(
        Rect::from_min_max(at(r, min.0, min.1), at(r, max.0, max.1)),
        2,
        stroke(c),
        egui::StrokeKind::Middle,
    );
}

/// A page with lines of writing: the agreement.
pub fn agreement(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.2, 0.06), (0.8, 0.94));
    for y in [0.3, 0.48, 0.66] {
        line(p, r, c, (0.33, y), (0.67, y));
    }
}

/// A circle with a tick: the daily check-in.
pub fn check_in(p: &egui::Painter, r: Rect, c: Color32) {
    p.circle_stroke(r.center(), r.width() * 0.42, stroke(c));
    p.line(
        vec![at(r, 0.3, 0.52), at(r, 0.45, 0.66), at(r, 0.71, 0.36)],
        stroke(c),
    );
}

/// A small calendar with a kept day: commitments.
pub fn commitments(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.1, 0.16), (0.9, 0.92));
    line(p, r, c, (0.1, 0.36), (0.9, 0.36));
    line(p, r, c, (0.32, 0.06), (0.32, 0.24));
    line(p, r, c, (0.68, 0.06), (0.68, 0.24));
    p.circle_filled(at(r, 0.5, 0.64), r.width() * 0.12, c);
}

/// A closed book with its spine: the journal.
pub fn journal(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.18, 0.06), (0.82, 0.94));
    line(p, r, c, (0.34, 0.06), (0.34, 0.94));
    line(p, r, c, (0.48, 0.3), (0.7, 0.3));
}

/// Two phones side by side: partner and devices.
pub fn devices(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.06, 0.2), (0.42, 0.88));
    outline(p, r, c, (0.58, 0.12), (0.94, 0.8));
    line(p, r, c, (0.2, 0.76), (0.28, 0.76));
    line(p, r, c, (0.72, 0.68), (0.8, 0.68));
}

/// Two sliders: settings.
pub fn settings(p: &egui::Painter, r: Rect, c: Color32) {
    for (y, knob) in [(0.32, 0.35), (0.68, 0.65)] {
        line(p, r, c, (0.08, y), (0.92, y));
        p.circle_filled(at(r, knob, y), r.width() * 0.12, c);
    }
}

/// Three lines: the compact window's menu.
pub fn menu(p: &egui::Painter, r: Rect, c: Color32) {
    for y in [0.25, 0.5, 0.75] {
        line(p, r, c, (0.1, y), (0.9, y));
    }
}

/// A speech bubble with a line of words: telling something (disclosures).
pub fn disclosures(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.08, 0.14), (0.92, 0.7));
    p.line(
        vec![at(r, 0.3, 0.7), at(r, 0.24, 0.92), at(r, 0.48, 0.7)],
        stroke(c),
    );
    line(p, r, c, (0.26, 0.42), (0.74, 0.42));
}

/// A five-pointed star, outlined: wins and appreciation.
pub fn wins(p: &egui::Painter, r: Rect, c: Color32) {
    let centre = at(r, 0.5, 0.54);
    let points: Vec<Pos2> = (0..=10)
        .map(|i| {
            let radius = if i % 2 == 0 { 0.46 } else { 0.2 } * r.width();
            let angle = std::f32::consts::PI * (i as f32 / 5.0 - 0.5);
            centre + radius * vec2(angle.cos(), angle.sin())
        })
        .collect();
    p.line(points, stroke(c));
}

/// A heart, outlined: "I'm triggered" (reaching for care, not an alarm).
pub fn triggered(p: &egui::Painter, r: Rect, c: Color32) {
    let points: Vec<Pos2> = (0..=40)
        .map(|i| {
            let t = std::f32::consts::TAU * i as f32 / 40.0;
            let x = 16.0 * t.sin().powi(3);
            let y =
                13.0 * t.cos() - 5.0 * (2.0 * t).cos() - 2.0 * (3.0 * t).cos() - (4.0 * t).cos();
            at(r, 0.5 + x / 36.0, 0.47 - y / 36.0)
        })
        .collect();
    p.line(points, stroke(c));
}

/// A page with a small heart at its foot: the reassurance plan.
pub fn plan(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.2, 0.06), (0.8, 0.94));
    line(p, r, c, (0.33, 0.26), (0.67, 0.26));
    line(p, r, c, (0.33, 0.42), (0.67, 0.42));
    p.circle_filled(at(r, 0.5, 0.7), r.width() * 0.09, c);
}

/// An hourglass: a break.
pub fn pause(p: &egui::Painter, r: Rect, c: Color32) {
    line(p, r, c, (0.2, 0.08), (0.8, 0.08));
    line(p, r, c, (0.2, 0.92), (0.8, 0.92));
    p.line(
        vec![
            at(r, 0.28, 0.08),
            at(r, 0.72, 0.92),
            at(r, 0.28, 0.92),
            at(r, 0.72, 0.08),
            at(r, 0.28, 0.08),
        ],
        stroke(c),
    );
}

/// Two overlapping speech bubbles: questions and answers.
pub fn questions(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.06, 0.1), (0.62, 0.5));
    line(p, r, c, (0.2, 0.5), (0.16, 0.66));
    line(p, r, c, (0.16, 0.66), (0.34, 0.5));
    outline(p, r, c, (0.4, 0.42), (0.94, 0.8));
    line(p, r, c, (0.8, 0.8), (0.84, 0.94));
    line(p, r, c, (0.84, 0.94), (0.68, 0.8));
}

/// A letter in its envelope: an apology.
pub fn apology(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.06, 0.2), (0.94, 0.8));
    p.line(
        vec![at(r, 0.06, 0.22), at(r, 0.5, 0.54), at(r, 0.94, 0.22)],
        stroke(c),
    );
}

/// A shield: safety and help.
pub fn safety(p: &egui::Painter, r: Rect, c: Color32) {
    p.line(
        vec![
            at(r, 0.5, 0.06),
            at(r, 0.86, 0.2),
            at(r, 0.82, 0.56),
            at(r, 0.5, 0.94),
            at(r, 0.18, 0.56),
            at(r, 0.14, 0.2),
            at(r, 0.5, 0.06),
        ],
        stroke(c),
    );
}

/// Two linked rings: time together.
pub fn together(p: &egui::Painter, r: Rect, c: Color32) {
    let radius = r.width() * 0.27;
    p.circle_stroke(at(r, 0.35, 0.5), radius, stroke(c));
    p.circle_stroke(at(r, 0.65, 0.5), radius, stroke(c));
}

/// A note with two ticked lines: topics for the next therapy session.
pub fn therapy(p: &egui::Painter, r: Rect, c: Color32) {
    outline(p, r, c, (0.14, 0.06), (0.86, 0.94));
    for y in [0.34, 0.66] {
        p.line(
            vec![at(r, 0.26, y), at(r, 0.33, y + 0.08), at(r, 0.45, y - 0.08)],
            stroke(c),
        );
        line(p, r, c, (0.52, y), (0.74, y));
    }
}
