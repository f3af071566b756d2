//! The apology helper's gentle check for excuse patterns that undo an apology.

use serde::{Deserialize, Serialize};

/// One phrase that tends to shift responsibility, with a kinder way to say it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcuseFlag {
    /// The words as written.
    pub found: String,
    /// Character offset in the checked text.
    pub at: usize,
    pub why: &'static str,
    pub suggestion: &'static str,
}

const PATTERNS: &[(&str, &str, &str)] = &[
    (
        "but",
        "\"but\" tends to cancel what came before it.",
        "End the sentence where the responsibility ends.",
    ),
    (
        "if you hadn't",
        "This places the cause with the person you hurt.",
        "Say what you did, without what they did.",
    ),
    (
        "if you had",
        "This places the cause with the person you hurt.",
        "Say what you did, without what they did.",
    ),
    (
        "you always",
        "\"Always\" turns one moment into a judgement of them.",
        "Try \"I feel … when …\".",
    ),
    (
        "you never",
        "\"Never\" turns one moment into a judgement of them.",
        "Try \"I feel … when …\".",
    ),
    (
        "if i hurt you",
        "\"If\" doubts that the hurt happened.",
        "Name the hurt: \"I hurt you when I …\".",
    ),
    (
        "sorry you feel",
        "This apologises for their feeling, not for what you did.",
        "Say \"I'm sorry I …\".",
    ),
    (
        "you made me",
        "This hands your choice to them.",
        "Say \"I chose to …\".",
    ),
    (
        "i was just",
        "\"Just\" makes what you did smaller than it felt to them.",
        "Say what you did, plainly: \"I …\".",
    ),
    (
        "i'm sorry you feel",
        "This apologises for their feeling, not for what you did.",
        "Say \"I'm sorry I …\", then \"I feel … when …\" for your side.",
    ),
    (
        "it's not a big deal",
        "This measures their hurt for them.",
        "Acknowledge the impact in their words.",
    ),
];

/// Finds excuse patterns, whole words only, case-insensitively.
pub fn check_apology(text: &str) -> Vec<ExcuseFlag> {
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    let original: Vec<char> = text.chars().collect();
    // Lowercasing can change length for a few scripts; offsets then fall back to the lowered text.
    let same_len = lower.len() == original.len();
    let quoted = quoted_spans(&lower);
    let mut flags: Vec<ExcuseFlag> = Vec::new();
    let mut patterns: Vec<_> = PATTERNS.iter().collect();
    patterns.sort_by_key(|(p, _, _)| std::cmp::Reverse(p.chars().count()));
    for &(pattern, why, suggestion) in patterns {
        let p: Vec<char> = pattern.chars().map(normalise_quote).collect();
        let mut i = 0;
        while i + p.len() <= lower.len() {
            let window = lower[i..i + p.len()].iter().map(|c| normalise_quote(*c));
            let boundary_before = i == 0 || !lower[i - 1].is_alphanumeric();
            let boundary_after =
                i + p.len() == lower.len() || !lower[i + p.len()].is_alphanumeric();
            let in_quote = quoted.iter().any(|(s, e)| i > *s && i < *e);
            // A longer pattern already covering this place wins ("I'm sorry you feel" over
            // "sorry you feel").
            let covered = flags
                .iter()
                .any(|f| i >= f.at && i < f.at + f.found.chars().count());
            if boundary_before
                && boundary_after
                && !in_quote
                && !covered
                && window.eq(p.iter().copied())
            {
                let src = if same_len { &original } else { &lower };
                flags.push(ExcuseFlag {
                    found: src[i..i + p.len()].iter().collect(),
                    at: i,
                    why,
                    suggestion,
                });
                i += p.len();
            } else {
                i += 1;
            }
        }
    }
    flags.sort_by_key(|f| f.at);
    flags
}

/// Character spans of quoted speech ("…", “…”, «…»): someone else's words, not excuses.
fn quoted_spans(text: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, c) in text.iter().enumerate() {
        match (open, c) {
            (None, '"') => open = Some((i, '"')),
            (None, '\u{201C}') => open = Some((i, '\u{201D}')),
            (None, '\u{00AB}') => open = Some((i, '\u{00BB}')),
            (Some((s, close)), c) if *c == close => {
                spans.push((s, i));
                open = None;
            }
            _ => {}
        }
    }
    spans
}

fn normalise_quote(c: char) -> char {
    if c == '\u{2019}' { '\'' } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_but_and_blame() {
        let f = check_apology("I lied, but if you hadn't pushed me… You always do this.");
        let found: Vec<_> = f.iter().map(|f| f.found.as_str()).collect();
        assert_eq!(found, ["but", "if you hadn't", "You always"]);
    }

    #[test]
    fn whole_words_only() {
        assert!(check_apology("I rebuilt the butter shelf; the buttons are fine.").is_empty());
    }

    #[test]
    fn curly_apostrophe() {
        assert_eq!(check_apology("If you hadn\u{2019}t left").len(), 1);
    }
}
