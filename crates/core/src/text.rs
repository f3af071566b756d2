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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        fn splice_reproduces_new(old in "\\PC{0,40}", new in "\\PC{0,40}") {
            match splice_between(&old, &new) {
                None => prop_assert_eq!(&old, &new),
                Some(s) => prop_assert_eq!(s.apply_to(&old), new),
            }
        }
    }
}
