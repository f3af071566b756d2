//! Navigation: the grouped sidebar of a wide window, one menu button on a phone-sized one, and the urgent actions both keep one step away.

use egui::{RichText, Ui};

use crate::icons;
use crate::screens::{Group, ScreenDef};

/// The accessible name (and words) of the compact window's menu button.
pub const MENU: &str = "Menu";

/// The sidebar's places: urgent actions first, then each group under its title. Returns the
/// screen chosen this frame.
pub fn sidebar(ui: &mut Ui, screens: &[ScreenDef], current: usize) -> Option<usize> {
    let mut go = None;
    ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
        if let Some(i) = urgent(ui, screens, current) {
            go = Some(i);
        }
        if let Some(i) = groups(ui, screens, current) {
            go = Some(i);
        }
    });
    go
}

/// The top row of a narrow window: one menu button holding the grouped places, with the urgent
/// actions beside it so they stay one tap away.
pub fn compact(ui: &mut Ui, screens: &[ScreenDef], current: usize) -> Option<usize> {
    let mut go = None;
    ui.horizontal_wrapped(|ui| {
        // Each screen's own heading says where one is, so the button needs only its name.
        let button =
            egui::Button::new((icons::atom(icons::menu), RichText::new(MENU).size(16.0))).gap(8.0);
        let (r, _) = egui::containers::menu::MenuButton::from_button(button).ui(ui, |ui| {
            ui.set_min_width(220.0);
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                if let Some(i) = groups(ui, screens, current) {
                    go = Some(i);
                    ui.close();
                }
            });
        });
        // The icon is decoration: a screen reader says just the name.
        let _ = r.accessible_name(MENU);
        if let Some(i) = urgent(ui, screens, current) {
            go = Some(i);
        }
    });
    go
}

/// The urgent actions, emphasised; nothing when the registry has none.
fn urgent(ui: &mut Ui, screens: &[ScreenDef], current: usize) -> Option<usize> {
    let mut go = None;
    let mut any = false;
    for (i, s) in screens.iter().enumerate().filter(|(_, s)| s.urgent) {
        any = true;
        if item(ui, s, i == current, true).clicked() {
            go = Some(i);
        }
    }
    if any && !ui.layout().is_horizontal() {
        ui.add_space(10.0);
    }
    go
}

/// Each group that has screens today, under its title; urgent screens are not repeated here.
fn groups(ui: &mut Ui, screens: &[ScreenDef], current: usize) -> Option<usize> {
    let mut go = None;
    for group in Group::ORDER {
        let mut members = screens
            .iter()
            .enumerate()
            .filter(|(_, s)| s.group == group && !s.urgent)
            .peekable();
        if members.peek().is_none() {
            continue;
        }
        ui.add_space(6.0);
        ui.label(RichText::new(group.title()).small().weak());
        for (i, s) in members {
            if item(ui, s, i == current, false).clicked() {
                go = Some(i);
            }
        }
    }
    go
}

fn item(ui: &mut Ui, s: &ScreenDef, selected: bool, urgent: bool) -> egui::Response {
    let mut text = RichText::new(s.label).size(16.0);
    if urgent {
        text = text.strong();
    }
    let button = egui::Button::new((icons::atom(s.icon), text))
        .selected(selected)
        .gap(8.0)
        // Urgent actions look pressable at a glance, and the place one is at stands out; the
        // others stay quiet.
        .frame_when_inactive(urgent || selected);
    let r = ui.add(button).accessible_name(s.label);
    if s.hint.is_empty() {
        r
    } else {
        r.on_hover_text(s.hint)
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::screens::Page;

    #[derive(Default)]
    struct Blank;
    impl Page for Blank {
        fn show(&mut self, _: &mut Ui, _: &mut crate::Shared, _: &crate::Frame<'_>) {}
    }
    fn blank() -> Box<dyn Page> {
        Box::new(Blank)
    }

    const TEST_SCREENS: &[ScreenDef] = &[
        ScreenDef::new("Journal", icons::journal, Group::Private, blank),
        ScreenDef::new("Safety", icons::check_in, Group::Safety, blank).urgent(),
    ];

    #[test]
    fn urgent_screens_are_one_step_away_in_both_layouts() {
        for compact_layout in [false, true] {
            let mut chosen = None;
            let mut h = Harness::new_ui(|ui| {
                let go = if compact_layout {
                    compact(ui, TEST_SCREENS, 0)
                } else {
                    sidebar(ui, TEST_SCREENS, 0)
                };
                if go.is_some() {
                    chosen = go;
                }
            });
            h.run();
            // Drawn once, outside any group, and no empty group title for it.
            h.get_by_label("Safety").click();
            h.run();
            drop(h);
            assert_eq!(chosen, Some(1));
        }
    }

    #[test]
    fn empty_groups_are_not_shown() {
        let mut h = Harness::new_ui(|ui| {
            sidebar(ui, TEST_SCREENS, 0);
        });
        h.run();
        assert!(h.query_by_label("Private").is_some());
        assert!(h.query_by_label("Hard moments").is_none());
        assert!(h.query_by_label("Together").is_none());
    }
}
