//! The registry of screens: each one's label, icon, group and page, in the order the navigation shows them.
//!
//! A new screen is a new file with a state type that implements [`Page`] and `Default`, its
//! `mod` line in `lib.rs`, and one line in [`SCREENS`].

use egui::Ui;

use crate::icons::{self, Icon};
use crate::{Frame, Shared, agreement, checkin, devices, journal, settings};

/// Every screen, in navigation order within its group.
#[rustfmt::skip] // A table: one line per screen.
pub(crate) const SCREENS: &[ScreenDef] = &[
    ScreenDef::new("Our agreement",     icons::agreement, Group::Together, page::<agreement::AgreementState>),
    ScreenDef::new("Check-in",          icons::check_in,  Group::Together, page::<checkin::CheckinState>),
    ScreenDef::new("Commitments",       icons::commitments, Group::Together, page::<crate::commitments::CommitmentsState>),
    ScreenDef::new("Disclosures",       icons::disclosures, Group::Together, page::<crate::disclosures::DisclosuresState>),
    ScreenDef::new("Wins & thanks",     icons::wins,      Group::Together, page::<crate::wins::WinsState>),
    ScreenDef::new("Questions",         icons::questions, Group::Together, page::<crate::questions::QuestionsState>),
    ScreenDef::new("Apologies",         icons::apology,   Group::Together, page::<crate::apology::ApologyState>),
    ScreenDef::new(crate::together::LABEL, icons::together, Group::Together, page::<crate::together::TogetherState>),
    ScreenDef::new(crate::therapy::LABEL, icons::therapy,  Group::Together, page::<crate::therapy::TherapyState>),
    ScreenDef::new(crate::export::LABEL,  crate::export::icon, Group::Together, page::<crate::export::ExportState>),
    ScreenDef::new(crate::progress::LABEL, crate::progress::icon, Group::Together, page::<crate::progress::ProgressState>),
    ScreenDef::new("Journal",           icons::journal,   Group::Private,  page::<journal::JournalState>).start(),
    ScreenDef::new("Partner & devices", icons::devices,   Group::Devices,  page::<devices::DevicesState>),
    ScreenDef::new("Settings",          icons::settings,  Group::Devices,  page::<settings::SettingsState>),
    ScreenDef::new(crate::triggers::LABEL, icons::triggered, Group::HardMoments, page::<crate::triggers::TriggerState>).urgent().hint(crate::triggers::HINT),
    ScreenDef::new(crate::plan::LABEL,   icons::plan,      Group::HardMoments, page::<crate::plan::PlanState>),
    ScreenDef::new(crate::breaks::LABEL, icons::pause,     Group::HardMoments, page::<crate::breaks::BreakState>),
    ScreenDef::new("Safety & help",     icons::safety,    Group::Safety,   page::<crate::safety::SafetyState>).urgent(),
];

/// What a screen is to the window around it.
pub(crate) trait Page {
    /// Draws the screen into the readable column.
    fn show(&mut self, ui: &mut Ui, shared: &mut Shared, f: &Frame<'_>);

    /// The person moves to another screen: whatever was typed but not yet sent goes out now.
    fn leave(&mut self, _f: &Frame<'_>) {}

    /// Dialogs drawn above everything while this screen is shown.
    fn dialogs(&mut self, _ctx: &egui::Context, _f: &Frame<'_>) {}

    /// Numbers of requests whose refusal this screen shows next to its own controls, so the
    /// notice above every screen does not repeat them.
    fn claimed(&self) -> Vec<u64> {
        Vec::new()
    }

    /// This screen shows the outcome of a pairing in its own place.
    fn shows_pairing_outcome(&self) -> bool {
        false
    }
}

fn page<P: Page + Default + 'static>() -> Box<dyn Page> {
    Box::<P>::default()
}

/// Where a screen sits in the navigation. A group with no screen is not shown at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    /// What the two of us share: the agreement, check-ins, …
    Together,
    /// What is mine alone and stays on my devices: the journal, …
    Private,
    /// When it gets hard.
    HardMoments,
    /// Pairing, devices and settings.
    Devices,
    /// Where to find help, and when leaving is the healthy choice.
    Safety,
}

impl Group {
    pub const ORDER: [Group; 5] = [
        Group::Together,
        Group::Private,
        Group::HardMoments,
        Group::Devices,
        Group::Safety,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Together => "Together",
            Group::Private => "Private",
            Group::HardMoments => "Hard moments",
            Group::Devices => "Devices & settings",
            Group::Safety => "Safety",
        }
    }
}

/// One entry of the registry.
pub(crate) struct ScreenDef {
    /// The button's words; also its accessible name.
    pub label: &'static str,
    /// Painted before the label; left out of the accessible name (the label says it all).
    pub icon: Icon,
    pub group: Group,
    /// Reachable in one step from every screen, at the top of the sidebar and in the compact
    /// header, instead of inside its group (e.g. "I'm triggered", the safety page).
    pub urgent: bool,
    /// The screen shown when the window opens.
    pub start: bool,
    /// Hover text of the navigation entry (e.g. a keyboard shortcut); empty for none.
    pub hint: &'static str,
    /// Makes the screen's state, once, when the window opens.
    pub page: fn() -> Box<dyn Page>,
}

impl ScreenDef {
    pub const fn new(
        label: &'static str,
        icon: Icon,
        group: Group,
        page: fn() -> Box<dyn Page>,
    ) -> Self {
        ScreenDef {
            label,
            icon,
            group,
            urgent: false,
            start: false,
            hint: "",
            page,
        }
    }

    /// Marks an urgent action (see [`ScreenDef::urgent`]).
    #[allow(dead_code)] // The first urgent actions come with a later change.
    pub const fn urgent(mut self) -> Self {
        self.urgent = true;
        self
    }

    /// Says more on hover (see [`ScreenDef::hint`]).
    pub const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }

    pub const fn start(mut self) -> Self {
        self.start = true;
        self
    }
}

/// The index of the screen the window opens on.
pub(crate) fn start_index(screens: &[ScreenDef]) -> usize {
    screens.iter().position(|s| s.start).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_one_screen_starts() {
        let mut labels: Vec<_> = SCREENS.iter().map(|s| s.label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), SCREENS.len(), "labels find screens: unique");
        assert_eq!(SCREENS.iter().filter(|s| s.start).count(), 1);
    }
}
