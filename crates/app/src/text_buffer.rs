//! The one text box over an automerge `Text`: typing leaves as single splices, and someone else's edit comes in without moving the cursor.

use egui::text::CCursor;
use egui::text_selection::CCursorRange;
use egui::widgets::text_edit::TextEditState;
use egui::{Id, Response, Ui};
use kintsugi_core::{Splice, splice_between};

/// View state of one text box over a document text (an agreement section, a journal entry).
///
/// A whole-text replace would erase the partner's concurrent typing in the merge, so only the
/// difference between the box and what was already sent ever leaves.
pub struct SpliceBuffer {
    id: Id,
    /// What the person sees and types into.
    text: String,
    /// What the document holds once every splice sent from this box is applied.
    sent: String,
}

impl SpliceBuffer {
    /// A box with the widget id `id`, showing the document's `doc`.
    pub fn new(id: Id, doc: &str) -> Self {
        SpliceBuffer {
            id,
            text: doc.to_owned(),
            sent: doc.to_owned(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the document will hold once the worker has applied what was sent.
    pub fn sent(&self) -> &str {
        &self.sent
    }

    /// Puts `text` in the box as if typed (e.g. a starter wording); it leaves with the next
    /// [`Self::take_splice`].
    pub fn set_text(&mut self, text: impl Into<String>) {
        self.text = text.into();
    }

    /// Takes in the document's text when it holds something this box did not send: the partner's
    /// (or another own device's) edit, or a refused splice. Only judged when `caught_up` (the
    /// worker applied everything sent), since before that the difference is our own typing.
    pub fn follow(&mut self, ctx: &egui::Context, doc: &str, caught_up: bool) {
        if caught_up && doc != self.sent {
            keep_cursor(ctx, self.id, &self.text, doc);
            self.text = doc.to_owned();
            self.sent = doc.to_owned();
        }
    }

    /// The one splice turning what was sent into what is in the box; it then counts as sent.
    pub fn take_splice(&mut self) -> Option<Splice> {
        let s = splice_between(&self.sent, &self.text)?;
        self.sent = self.text.clone();
        Some(s)
    }

    /// The whole box went out at once, in the command that created its item.
    pub fn mark_sent(&mut self) {
        self.sent = self.text.clone();
    }

    /// Draws the multi-line box, named for screen readers by the visible label `label`.
    pub fn show(&mut self, ui: &mut Ui, label: Id, rows: usize, hint: &str) -> Response {
        ui.add(
            egui::TextEdit::multiline(&mut self.text)
                .id(self.id)
                .desired_rows(rows)
                .desired_width(f32::INFINITY)
                .hint_text(hint),
        )
        .labelled_by(label)
    }
}

/// After the text of box `id` was replaced from `old` to `new` by someone else's edit, moves the
/// cursor so it stays next to the same words instead of jumping.
fn keep_cursor(ctx: &egui::Context, id: Id, old: &str, new: &str) {
    let Some(splice) = splice_between(old, new) else {
        return;
    };
    let Some(mut state) = TextEditState::load(ctx, id) else {
        return;
    };
    let Some(range) = state.cursor.char_range() else {
        return;
    };
    let inserted = splice.insert.chars().count();
    let map = |i: usize| {
        if i <= splice.pos {
            i
        } else if i >= splice.pos + splice.delete {
            i - splice.delete + inserted
        } else {
            splice.pos + inserted
        }
    };
    let sec = map(range.secondary.index.0);
    let prim = map(range.primary.index.0);
    state.cursor.set_char_range(Some(CCursorRange::two(
        CCursor::new(sec),
        CCursor::new(prim),
    )));
    state.store(ctx, id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_difference_leaves_once() {
        let mut b = SpliceBuffer::new(Id::unique("t"), "hello world");
        b.set_text("hello, world");
        let s = b.take_splice().expect("a splice");
        assert_eq!((s.pos, s.delete, s.insert.as_str()), (5, 0, ","));
        assert_eq!(b.sent(), "hello, world");
        assert!(b.take_splice().is_none(), "sent once");
    }

    #[test]
    fn an_edit_from_elsewhere_is_taken_only_when_caught_up() {
        let ctx = egui::Context::default();
        let mut b = SpliceBuffer::new(Id::unique("t"), "abc");
        b.set_text("abcd");
        b.follow(&ctx, "xabc", false);
        assert_eq!(b.text(), "abcd", "our typing is not yet applied: kept");
        b.follow(&ctx, "xabc", true);
        assert_eq!((b.text(), b.sent()), ("xabc", "xabc"));
    }
}
