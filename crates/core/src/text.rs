//! Turning an edited string into the one splice that produced it.

/// Replace `delete` characters at `pos` with `insert`; positions count Unicode scalar values,
/// as automerge text does by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    pub pos: usize,
    pub delete: usize,
    pub insert: String,
}

/// The smallest single splice turning `old` into `new` (common prefix and suffix kept), or None
/// if they are equal. A text box hands us whole strings; sending a whole-text replace instead
/// would erase the partner's concurrent typing in the merge.
pub fn splice_between(old: &str, new: &str) -> Option<Splice> {
    if old == new {
        return None;
    }
    let old_chars: Vec<char> = old.chars().collect();
    let new_chars: Vec<char> = new.chars().collect();
    let prefix = old_chars
        .iter()
        .zip(&new_chars)
        .take_while(|(a, b)| a == b)
        .count();
    let max_suffix = old_chars.len().min(new_chars.len()) - prefix;
    let suffix = old_chars
        .iter()
        .rev()
        .zip(new_chars.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    Some(Splice {
        pos: prefix,
        delete: old_chars.len() - prefix - suffix,
        insert: new_chars[prefix..new_chars.len() - suffix].iter().collect(),
    })
}

impl Splice {
    /// Applies the splice to a plain string (used to mirror what the document will hold).
    pub fn apply_to(&self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let pos = self.pos.min(chars.len());
        let end = (pos + self.delete).min(chars.len());
        let mut out: String = chars[..pos].iter().collect();
        out.push_str(&self.insert);
        out.extend(&chars[end..]);
        out
    }
}

/// Splices turning `old` into `new` word by word: the words both share stay, each changed run of
/// words is one splice. Listed last-first, so each applies to the result of the one before
/// without shifting positions. Used to restore an old wording: the partner's concurrent typing
/// in an unchanged passage survives, and the history reads as words, not scattered letters.
pub fn word_splices(old: &str, new: &str) -> Vec<Splice> {
    let a = words(old);
    let b = words(new);
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // Longest common subsequence of the changed middle; a text rewritten whole at great length
    // is one splice rather than a table too large to hold.
    let pairs = if am.len().saturating_mul(bm.len()) <= 4_000_000 {
        lcs(am, bm)
    } else {
        Vec::new()
    };
    let chars_of = |t: &[&str]| t.iter().map(|w| w.chars().count()).sum::<usize>();
    let mut hunks = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in pairs.into_iter().chain([(am.len(), bm.len())]) {
        if pi > i || pj > j {
            hunks.push(Splice {
                pos: chars_of(&a[..prefix + i]),
                delete: chars_of(&am[i..pi]),
                insert: bm[j..pj].concat(),
            });
        }
        (i, j) = (pi + 1, pj + 1);
    }
    hunks.reverse();
    hunks
}

/// Words (runs of letters and digits) and every other character on its own.
fn words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
            continue;
        }
        if let Some(st) = start.take() {
            out.push(&s[st..i]);
        }
        out.push(&s[i..i + c.len_utf8()]);
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// Index pairs of one longest common subsequence, in order.
fn lcs(a: &[&str], b: &[&str]) -> Vec<(usize, usize)> {
    let w = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i * w + j] = if a[i] == b[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply_all(old: &str, splices: &[Splice]) -> String {
        splices.iter().fold(old.to_owned(), |s, sp| sp.apply_to(&s))
    }

    #[test]
    fn word_splices_keep_shared_words() {
        let old = "No phones at dinner. Weekends are open.";
        let new = "No phones at dinner or in bed. Weekends are ours.";
        let sp = word_splices(old, new);
        assert_eq!(apply_all(old, &sp), new);
        let inserted: Vec<&str> = sp.iter().rev().map(|s| s.insert.as_str()).collect();
        assert_eq!(inserted, [" or in bed", "ours"]);
        assert!(word_splices("same", "same").is_empty());
    }

    #[test]
    fn insert_in_middle() {
        let s = splice_between("hello world", "hello, world").unwrap();
        assert_eq!(
            s,
            Splice {
                pos: 5,
                delete: 0,
                insert: ",".into()
            }
        );
    }

    #[test]
    fn repeated_letters_prefer_smallest() {
        let s = splice_between("aaa", "aaaa").unwrap();
        assert_eq!((s.delete, s.insert.as_str()), (0, "a"));
    }

    proptest! {
        #[test]
        fn word_splices_reproduce_new(old in "[a-c .]{0,30}", new in "[a-c .é]{0,30}") {
            prop_assert_eq!(apply_all(&old, &word_splices(&old, &new)), new);
        }

        #[test]
        fn splice_reproduces_new(old in "\\PC{0,40}", new in "\\PC{0,40}") {
            match splice_between(&old, &new) {
                None => prop_assert_eq!(&old, &new),
                Some(s) => prop_assert_eq!(s.apply_to(&old), new),
            }
        }
    }
}
