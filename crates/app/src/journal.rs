//! The private journal: a searchable list, the editor, sharing with a plain confirmation.

use egui::{Id, RichText, Ui};
use kintsugi_core::{Command, ItemId, JournalEntry, journal_prompts, parse_date};
use kintsugi_service::today_local;

use crate::screens::Page;
use crate::text_buffer::SpliceBuffer;
use crate::widgets::{
    self, Derived, MOOD_WORDS, Pager, card, dialog_frame, first_line, long_date, mood_text,
};
use crate::{Frame, Shared};

#[derive(Default)]
pub struct JournalState {
    search: String,
    /// My entries matching the search (indices into the view's journal): ten years are
    /// thousands of entries, so they are not searched again every frame, and only a page of
    /// them is drawn.
    mine: Derived<String, Vec<usize>>,
    /// Each entry's words, tags and prompt in lower case, made once per snapshot while a
    /// search is typed (lower-casing thousands of entries for every key is too slow), and
    /// let go once the search is empty again.
    haystacks: Derived<(), Vec<String>>,
    /// The partner's shared entries (indices into the view's shared entries).
    theirs: Derived<(), Vec<usize>>,
    mine_pages: Pager,
    theirs_pages: Pager,
    editor: Option<Editor>,
    share: Option<Preview>,
    delete: Option<ItemId>,
}

/// Date, mood, tags and prompt as they go into a command.
#[derive(Clone, Debug, PartialEq)]
struct Meta {
    date: String,
    mood: Option<u8>,
    tags: Vec<String>,
    prompt: Option<String>,
}

/// The entry being written. Buffers are view state; the document changes only by commands.
struct Editor {
    id: ItemId,
    /// False for a new entry until its first words are written (then it is created).
    created: bool,
    text: SpliceBuffer,
    date: String,
    mood: Option<u8>,
    tags: String,
    prompt: Option<String>,
    /// The metadata last sent (or read from the entry when it was opened).
    sent_meta: Meta,
}

/// Exactly what a share would show the partner, captured when the dialog opened.
struct Preview {
    id: ItemId,
    meta: Meta,
    text: String,
}

fn parse_tags(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

impl Editor {
    fn new_entry() -> Editor {
        let date = today_local().format("%Y-%m-%d").to_string();
        let id = ItemId::random();
        Editor {
            text: SpliceBuffer::new(text_id(&id), ""),
            id,
            created: false,
            date: date.clone(),
            mood: None,
            tags: String::new(),
            prompt: None,
            sent_meta: Meta {
                date,
                mood: None,
                tags: Vec::new(),
                prompt: None,
            },
        }
    }

    fn open(e: &JournalEntry) -> Editor {
        Editor {
            id: e.id.clone(),
            created: true,
            text: SpliceBuffer::new(text_id(&e.id), &e.text),
            date: e.date.clone(),
            mood: e.mood,
            tags: e.tags.join(", "),
            prompt: e.prompt.clone(),
            sent_meta: Meta {
                date: e.date.clone(),
                mood: e.mood,
                tags: e.tags.clone(),
                prompt: e.prompt.clone(),
            },
        }
    }

    /// The metadata in the fields, or None while the date is not a valid `YYYY-MM-DD`.
    fn meta(&self) -> Option<Meta> {
        let date = parse_date(&self.date)?.format("%Y-%m-%d").to_string();
        Some(Meta {
            date,
            mood: self.mood,
            tags: parse_tags(&self.tags),
            prompt: self.prompt.clone(),
        })
    }

    /// Sends changed metadata of an existing entry.
    fn push_meta(&mut self, f: &Frame<'_>) {
        if !self.created {
            return;
        }
        let Some(meta) = self.meta() else { return };
        if meta != self.sent_meta {
            f.handle.send(Command::UpdateJournalMeta {
                id: self.id.clone(),
                date: meta.date.clone(),
                mood: meta.mood,
                tags: meta.tags.clone(),
                prompt: meta.prompt.clone(),
            });
            self.sent_meta = meta;
        }
    }

    /// The text box changed: create the entry with its first words, or send the one splice.
    fn push_text(&mut self, f: &Frame<'_>) {
        if !self.created {
            if self.text.text().trim().is_empty() {
                return;
            }
            let meta = self.meta().unwrap_or_else(|| self.sent_meta.clone());
            f.handle.send(Command::AddJournalEntry {
                id: self.id.clone(),
                date: meta.date.clone(),
                mood: meta.mood,
                tags: meta.tags.clone(),
                text: self.text.text().to_owned(),
                prompt: meta.prompt.clone(),
            });
            self.sent_meta = meta;
            self.created = true;
            self.text.mark_sent();
            return;
        }
        if let Some(s) = self.text.take_splice() {
            f.handle.send(Command::SpliceJournalText {
                id: self.id.clone(),
                pos: s.pos,
                delete: s.delete,
                insert: s.insert,
            });
        }
    }
}

fn text_id(entry: &ItemId) -> Id {
    Id::unique(("journal_text", entry))
}

impl Page for JournalState {
    fn show(&mut self, ui: &mut Ui, _shared: &mut Shared, f: &Frame<'_>) {
        show(ui, self, f);
    }

    /// Metadata typed but not yet sent goes out now.
    fn leave(&mut self, f: &Frame<'_>) {
        if let Some(ed) = &mut self.editor {
            ed.push_meta(f);
        }
    }

    fn dialogs(&mut self, ctx: &egui::Context, f: &Frame<'_>) {
        dialogs(ctx, self, f);
    }
}

fn show(ui: &mut Ui, st: &mut JournalState, f: &Frame<'_>) {
    if st.editor.is_some() {
        editor(ui, st, f);
    } else {
        list(ui, st, f);
    }
}

fn list(ui: &mut Ui, st: &mut JournalState, f: &Frame<'_>) {
    ui.horizontal(|ui| {
        ui.heading("Journal");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(RichText::new("New entry").strong()).clicked() {
                st.editor = Some(Editor::new_entry());
            }
        });
    });
    ui.weak("Private — only on your devices, unless you choose to share an entry.");
    ui.add_space(8.0);

    let l = ui.label("Search your entries");
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut st.search)
                .hint_text("words, tags or prompts")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    if r.changed() {
        st.mine_pages.reset();
    }
    ui.add_space(8.0);

    let query = st.search.trim().to_lowercase();
    let haystacks = if query.is_empty() {
        st.haystacks = Derived::default();
        None
    } else {
        Some(
            st.haystacks
                .get(f, (), |v, ()| v.journal.iter().map(haystack).collect()),
        )
    };
    let mine = st.mine.get(f, query, |v, query| match haystacks {
        // Like `JournalEntry::matches`, on the words lower-cased once.
        Some(_) if query.contains(SEPARATOR) => (0..v.journal.len())
            .filter(|&i| v.journal[i].matches(query))
            .collect(),
        Some(h) => (0..v.journal.len())
            .filter(|&i| h.get(i).is_some_and(|h| h.contains(query.as_str())))
            .collect(),
        None => (0..v.journal.len()).collect(),
    });
    if f.view.journal.is_empty() {
        ui.add_space(12.0);
        ui.label("No entries yet. A few lines on a hard day, or a good one, are enough.");
    } else if mine.is_empty() {
        ui.label(format!(
            "No entries match \u{201c}{}\u{201d}.",
            st.search.trim()
        ));
    }
    for e in mine
        .iter()
        .take(st.mine_pages.shown())
        .filter_map(|&i| f.view.journal.get(i))
    {
        if entry_row(ui, e, f) {
            st.editor = Some(Editor::open(e));
        }
        ui.add_space(6.0);
    }
    st.mine_pages.more(ui, mine.len(), "entries");

    let theirs = st.theirs.get(f, (), |v, ()| {
        v.shared_entries
            .iter()
            .enumerate()
            .filter(|(_, e)| Some(&e.by) != v.me.as_ref())
            .map(|(i, _)| i)
            .collect()
    });
    if !theirs.is_empty() {
        ui.add_space(16.0);
        ui.heading("Shared with you");
        ui.weak(format!("Entries {} chose to share with you.", f.partner()));
        ui.add_space(6.0);
        for e in theirs
            .iter()
            .take(st.theirs_pages.shown())
            .filter_map(|&i| f.view.shared_entries.get(i))
        {
            card(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(long_date(&e.date));
                    widgets::mood_badge(ui, e.mood);
                });
                if let Some(p) = &e.prompt {
                    ui.label(RichText::new(p).italics());
                }
                ui.label(&e.text);
                if !e.tags.is_empty() {
                    ui.weak(tags_text(&e.tags));
                }
            });
            ui.add_space(6.0);
        }
        st.theirs_pages
            .more(ui, theirs.len(), "entries shared with you");
    }
}

/// What a search looks in, lower-cased: the words, each tag and the prompt, kept apart by a
/// character nobody types, so a search never matches across two of them.
fn haystack(e: &JournalEntry) -> String {
    let mut h = e.text.to_lowercase();
    for t in e.tags.iter().chain(&e.prompt) {
        h.push(SEPARATOR);
        h.push_str(&t.to_lowercase());
    }
    h
}

/// Between the parts of a [`haystack`]: the ASCII unit separator.
const SEPARATOR: char = '\u{1f}';

fn tags_text(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join("  ")
}

/// One entry in the list as a card; returns true when it was clicked to open.
fn entry_row(ui: &mut Ui, e: &JournalEntry, f: &Frame<'_>) -> bool {
    let first = first_line(&e.text, 90);
    let r = ui
        .scope(|ui| {
            // Labels inside the card must not take the click meant for the card.
            ui.style_mut().interaction.selectable_labels = false;
            card(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(long_date(&e.date));
                    widgets::mood_badge(ui, e.mood);
                });
                if let Some(p) = &e.prompt {
                    ui.label(RichText::new(p).italics().weak());
                }
                ui.label(if first.is_empty() {
                    "(no words yet)"
                } else {
                    &first
                });
                if !e.tags.is_empty() {
                    ui.weak(tags_text(&e.tags));
                }
                // On its own line: it must stay readable in a phone-width window.
                if e.shared {
                    ui.label(
                        RichText::new(format!("Shared with {}", f.partner()))
                            .small()
                            .color(ui.visuals().hyperlink_color),
                    );
                } else {
                    ui.label(
                        RichText::new("Private — only on your devices")
                            .small()
                            .weak(),
                    );
                }
            })
            .response
        })
        .inner;
    let click = ui.interact(
        r.rect,
        Id::unique(("open_entry", &e.id)),
        egui::Sense::click(),
    );
    let name = format!("Open entry of {}: {}", e.date, first);
    click.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    if click.hovered() {
        ui.painter().rect_stroke(
            r.rect,
            8,
            ui.visuals().widgets.hovered.bg_stroke,
            egui::StrokeKind::Inside,
        );
    }
    click
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .clicked()
}

fn editor(ui: &mut Ui, st: &mut JournalState, f: &Frame<'_>) {
    let partner = f.partner();
    let Some(ed) = st.editor.as_mut() else { return };
    let entry = f.view.journal.iter().find(|e| e.id == ed.id);

    // The entry changed elsewhere (another of my devices) or a splice was refused: the document
    // is the truth. Only judged once the worker has applied everything we sent.
    if f.caught_up && ed.created {
        match entry {
            Some(e) => ed.text.follow(ui.ctx(), &e.text, true),
            None => {
                // Deleted (here or on another device).
                st.editor = None;
                return;
            }
        }
    }
    let shared = entry.is_some_and(|e| e.shared);

    if ui.button("Back to all entries").clicked() {
        ed.push_meta(f);
        f.handle.flush();
        st.editor = None;
        return;
    }
    ui.add_space(8.0);
    ui.horizontal_wrapped(|ui| {
        ui.heading(if ed.created {
            long_date(&ed.sent_meta.date)
        } else {
            "New entry".to_owned()
        });
        ui.add_space(8.0);
        let (text, color) = if shared {
            (
                format!("Shared with {partner}"),
                ui.visuals().hyperlink_color,
            )
        } else {
            (
                "Private — only on your devices".to_owned(),
                ui.visuals().weak_text_color(),
            )
        };
        ui.label(RichText::new(text).color(color));
    });
    ui.add_space(8.0);

    // Date.
    let l = ui.label(RichText::new("Date (YYYY-MM-DD)").strong());
    let r = ui
        .add(egui::TextEdit::singleline(&mut ed.date).desired_width(140.0))
        .labelled_by(l.id);
    if parse_date(&ed.date).is_none() {
        ui.label(
            RichText::new("Write the date like 2026-11-24.").color(ui.visuals().warn_fg_color),
        );
    }
    if r.lost_focus() {
        ed.push_meta(f);
    }
    ui.add_space(6.0);

    // Mood.
    ui.label(RichText::new("Mood").strong());
    ui.horizontal_wrapped(|ui| {
        let mut changed = false;
        for (i, word) in MOOD_WORDS.iter().enumerate() {
            let v = i as u8 + 1;
            if widgets::choice(ui, ed.mood == Some(v), *word)
                .accessible_name(format!("Mood: {word}"))
                .clicked()
            {
                ed.mood = Some(v);
                changed = true;
            }
        }
        if widgets::choice(ui, ed.mood.is_none(), "not set")
            .accessible_name("Mood: not set")
            .clicked()
        {
            ed.mood = None;
            changed = true;
        }
        if changed {
            ed.push_meta(f);
        }
    });
    ui.add_space(6.0);

    // Tags.
    let l = ui.label(RichText::new("Tags (separated by commas)").strong());
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut ed.tags)
                .hint_text("e.g. therapy, evening")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    if r.lost_focus() {
        ed.push_meta(f);
    }
    ui.add_space(6.0);

    // Prompt.
    let l = ui.label(RichText::new("Prompt (optional)").strong());
    let before = ed.prompt.clone();
    let shown = ed.prompt.clone().unwrap_or_else(|| "No prompt".to_owned());
    let combo = egui::ComboBox::from_id_salt("journal_prompt")
        .selected_text(widgets::first_line(&shown, 48))
        .width(ui.available_width().min(420.0))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut ed.prompt, None, "No prompt");
            for p in journal_prompts() {
                ui.selectable_value(&mut ed.prompt, Some(p.to_owned()), p);
            }
        });
    let _ = combo.response.labelled_by(l.id);
    if ed.prompt != before {
        ed.push_meta(f);
    }
    ui.add_space(10.0);

    // Text.
    if let Some(p) = &ed.prompt {
        ui.label(
            RichText::new(p)
                .italics()
                .size(17.0)
                .color(ui.visuals().strong_text_color()),
        );
    }
    let l = ui.label(RichText::new("Your entry").strong());
    let r = ed
        .text
        .show(ui, l.id, 10, "Write whatever is true for you today.");
    if r.changed() {
        ed.push_text(f);
    }
    if r.lost_focus() {
        f.handle.flush();
    }
    if !ed.created {
        ui.weak("The entry is kept once you start writing.");
    }
    ui.add_space(12.0);

    if ed.created {
        ui.horizontal_wrapped(|ui| {
            if shared {
                if ui.button("Stop sharing").clicked() {
                    f.handle
                        .send(Command::UnshareJournalEntry { id: ed.id.clone() });
                }
            } else if ui.button(format!("Share with {partner}…")).clicked() {
                ed.push_meta(f);
                st.share = Some(Preview {
                    id: ed.id.clone(),
                    meta: ed.sent_meta.clone(),
                    text: ed.text.sent().to_owned(),
                });
            }
            if ui.button("Delete…").clicked() {
                st.delete = Some(ed.id.clone());
            }
        });
        if shared {
            ui.weak(format!(
                "{partner} sees this entry as it is now, including later changes. Stopping \
                 sharing removes it from what {partner} sees from now on."
            ));
        }
    }
}

/// The share and delete confirmations, drawn above everything else.
fn dialogs(ctx: &egui::Context, st: &mut JournalState, f: &Frame<'_>) {
    let partner = f.partner();
    if let Some(p) = &st.share {
        let mut close = false;
        let mut confirm = false;
        let modal = egui::Modal::new(Id::unique("share_dialog"))
            .frame(dialog_frame(ctx))
            .show(ctx, |ui| {
                let width = (ctx.content_rect().width() - 48.0).clamp(280.0, 560.0);
                ui.set_width(width);
                ui.heading(format!("Share this entry with {partner}?"));
                ui.add_space(6.0);
                ui.label(format!("{partner} will see exactly this:"));
                ui.add_space(4.0);
                card(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(260.0)
                        .show(ui, |ui| {
                            ui.label(format!("Date: {}", long_date(&p.meta.date)));
                            let m = mood_text(p.meta.mood);
                            ui.label(format!(
                                "Mood: {}",
                                if m.is_empty() {
                                    "not set".to_owned()
                                } else {
                                    m
                                }
                            ));
                            ui.label(format!(
                                "Tags: {}",
                                if p.meta.tags.is_empty() {
                                    "none".to_owned()
                                } else {
                                    p.meta.tags.join(", ")
                                }
                            ));
                            if let Some(pr) = &p.meta.prompt {
                                ui.label(format!("Prompt: {pr}"));
                            }
                            ui.separator();
                            ui.label(&p.text);
                        });
                });
                ui.add_space(6.0);
                ui.label(format!(
                    "It goes to {partner}'s device the next time both devices are connected; if \
                 you stop sharing before then, it never leaves your devices. Once {partner}'s \
                 device has received it, a copy cannot be recalled from that device: stopping \
                 sharing then removes it from what you share from that moment on."
                ));
                ui.add_space(10.0);
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button(RichText::new(format!("Share with {partner}")).strong())
                        .clicked()
                    {
                        confirm = true;
                    }
                    if ui.button("Keep it private").clicked() {
                        close = true;
                    }
                });
            });
        if confirm {
            f.handle
                .send(Command::ShareJournalEntry { id: p.id.clone() });
            close = true;
        }
        if close || modal.should_close() {
            st.share = None;
        }
    }

    if let Some(id) = &st.delete {
        let mut close = false;
        let mut confirm = false;
        let shared = f.view.journal.iter().any(|e| &e.id == id && e.shared);
        let modal = egui::Modal::new(Id::unique("delete_dialog"))
            .frame(dialog_frame(ctx))
            .show(ctx, |ui| {
                let width = (ctx.content_rect().width() - 48.0).clamp(280.0, 480.0);
                ui.set_width(width);
                ui.heading("Delete this entry?");
                ui.add_space(6.0);
                ui.label(
                    "Its text is erased from this device's stored data (history included) \
                     and, when they next connect, from your other devices. It cannot be \
                     brought back.",
                );
                if shared {
                    ui.label(format!(
                        "It is also removed from what {partner} sees when {partner}'s device \
                         next connects. A copy {partner}'s device already received stays in \
                         its history: deleting here cannot erase it there."
                    ));
                }
                ui.add_space(10.0);
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Delete entry").clicked() {
                        confirm = true;
                    }
                    if ui.button("Keep it").clicked() {
                        close = true;
                    }
                });
            });
        if confirm {
            f.handle
                .send(Command::DeleteJournalEntry { id: id.clone() });
            if st.editor.as_ref().is_some_and(|e| &e.id == id) {
                st.editor = None;
            }
            close = true;
        }
        if close || modal.should_close() {
            st.delete = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_in_the_lower_cased_words_finds_what_matches_finds() {
        let e = JournalEntry {
            id: ItemId::random(),
            date: "2026-11-24".into(),
            mood: None,
            tags: vec!["Therapy".into(), "evening".into()],
            text: "A long Walk by the river.\nThen tea.".into(),
            prompt: Some("What helped today?".into()),
            created_at: 0,
            updated_at: 0,
            shared: false,
        };
        let h = haystack(&e);
        for q in [
            "walk",
            "WALK",
            "river.\nthen",
            "therapy",
            "even",
            "helped",
            "tea.",
            "teatherapy",
            "tea.therapy",
            "eveningwhat",
            "sea",
            "",
        ] {
            let query = q.trim().to_lowercase();
            assert_eq!(h.contains(query.as_str()), e.matches(q), "{q:?}");
        }
    }
}
