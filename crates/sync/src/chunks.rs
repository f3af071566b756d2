//! Checks the automerge chunks a peer's sync message carries before automerge loads them, so inflation inside a whole document stays bounded.

// automerge inflates a document's compressed columns (and a compressed change) with no limit:
// before chunks were checked, a 300 KiB message made the receiver allocate 600 MiB. Plain change
// chunks hold their bytes as they are; a whole document (automerge's V2 message for a peer that
// lacks most of it) is accepted when its compressed columns inflate to at most
// `MAX_DOC_INFLATED` bytes in all, measured here by inflating into a small fixed buffer.

use std::io::Read;

use crate::wire::MAX_DOC_INFLATED;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
pub(crate) const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
/// Bit of a column specification that marks its data as deflated.
const COLUMN_DEFLATE: u64 = 0b1000;
const HASH_LEN: usize = 32;

/// Why a message's chunks were refused.
pub(crate) type Refusal = String;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], Refusal> {
        let n = usize::try_from(n).map_err(|_| "length out of range".to_string())?;
        if self.0.len() < n {
            return Err("chunk is truncated".into());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn leb128(&mut self) -> Result<u64, Refusal> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or("chunk is truncated")?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("overlong number in a chunk".into())
    }

    /// Skips a column list (how many, then specification and length per column) and returns
    /// its bytes, to be walked again by [`Input::column`] without collecting it.
    fn columns(&mut self) -> Result<(u64, &'a [u8]), Refusal> {
        let n = self.leb128()?;
        let list = self.0;
        for _ in 0..n {
            self.leb128()?;
            self.leb128()?;
        }
        Ok((n, &list[..list.len() - self.0.len()]))
    }

    /// The next (specification, length) of a column list returned by [`Input::columns`].
    fn column(&mut self) -> Result<(u64, u64), Refusal> {
        Ok((self.leb128()?, self.leb128()?))
    }
}

/// Checks every chunk in every entry of a message's change list (an entry may hold several
/// chunks back to back: automerge's V2 message joins changes into one). Plain changes pass;
/// documents pass while `budget` (bytes their deflated columns may still inflate to) lasts;
/// compressed changes, bundles and anything unreadable are refused. Returns the bytes used.
pub(crate) fn check<'a>(
    entries: impl Iterator<Item = &'a [u8]>,
    mut budget: u64,
) -> Result<u64, Refusal> {
    let start = budget;
    for entry in entries {
        let mut r = Input(entry);
        while !r.0.is_empty() {
            if r.take(4)? != MAGIC {
                return Err("not an automerge chunk".into());
            }
            r.take(4)?; // checksum: automerge verifies it
            let kind = r.take(1)?[0];
            let len = r.leb128()?;
            let body = r.take(len)?;
            match kind {
                CHUNK_CHANGE => {}
                CHUNK_DOCUMENT => budget = document(body, budget)?,
                other => {
                    return Err(format!(
                        "carries a chunk of type {other}; only changes and documents are accepted"
                    ));
                }
            }
        }
    }
    Ok(start - budget)
}

/// Walks a document chunk's header (actors, heads, change and op column lists) and inflates each
/// deflated column into a fixed buffer, counting. Returns the budget left.
fn document(body: &[u8], mut budget: u64) -> Result<u64, Refusal> {
    let mut r = Input(body);
    for _ in 0..r.leb128()? {
        let len = r.leb128()?;
        r.take(len)?;
    }
    let heads = r.leb128()?;
    r.take(heads.checked_mul(HASH_LEN as u64).ok_or("too many heads")?)?;
    let (change_n, change_cols) = r.columns()?;
    let (op_n, op_cols) = r.columns()?;
    let (mut change_cols, mut op_cols) = (Input(change_cols), Input(op_cols));
    let mut buf = [0u8; 16 * 1024];
    // Change columns' data come first, then the op columns', each in list order.
    for i in 0..change_n.saturating_add(op_n) {
        let (spec, len) = if i < change_n {
            change_cols.column()?
        } else {
            op_cols.column()?
        };
        let data = r.take(len)?;
        if spec & COLUMN_DEFLATE == 0 {
            continue;
        }
        let mut d = flate2::read::DeflateDecoder::new(data);
        loop {
            let n = d
                .read(&mut buf)
                .map_err(|_| "a document column does not inflate".to_string())?;
            if n == 0 {
                break;
            }
            budget = budget.checked_sub(n as u64).ok_or_else(|| {
                format!("a whole document inflates past the limit of {MAX_DOC_INFLATED} bytes")
            })?;
        }
    }
    Ok(budget)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    fn doc_with(text: &str) -> AutoCommit {
        let mut d = AutoCommit::new();
        d.put(ROOT, "text", text).unwrap();
        d.commit();
        d
    }

    #[test]
    fn changes_and_documents_pass_within_budget() {
        let mut d = doc_with(&"kintsugi ".repeat(10_000));
        let changes = d.save_after(&[]);
        assert_eq!(check([changes.as_slice()].into_iter(), 0), Ok(0));
        let whole = d.save();
        let used = check([whole.as_slice()].into_iter(), 1 << 20).unwrap();
        assert!(used >= 90_000, "{used}");
        // Several chunks back to back in one entry, as automerge's V2 message joins them.
        let joined = [changes.as_slice(), whole.as_slice()].concat();
        assert!(check([joined.as_slice()].into_iter(), 1 << 20).is_ok());
        // An uncompressed document inflates nothing.
        assert_eq!(
            check([d.save_nocompress().as_slice()].into_iter(), 0),
            Ok(0)
        );
    }

    #[test]
    fn a_document_inflating_past_the_budget_is_refused() {
        let mut d = doc_with(&"x".repeat(1 << 20));
        let whole = d.save();
        assert!(whole.len() < 8 * 1024, "{}", whole.len());
        let r = check([whole.as_slice()].into_iter(), 1 << 19);
        assert!(r.unwrap_err().contains("inflates past"));
        assert!(check([whole.as_slice()].into_iter(), 2 << 20).is_ok());
    }

    #[test]
    fn compressed_changes_bundles_and_garbage_are_refused() {
        let mut d = doc_with("x");
        let mut change = d.save_after(&[]);
        change[8] = 2;
        assert!(check([change.as_slice()].into_iter(), 1 << 20).is_err());
        change[8] = 3;
        assert!(check([change.as_slice()].into_iter(), 1 << 20).is_err());
        assert!(check([&[1u8, 2, 3][..]].into_iter(), 1 << 20).is_err());
        // Truncated: the stated chunk length runs past the entry.
        let whole = d.save();
        assert!(check([&whole[..whole.len() - 1]].into_iter(), 1 << 20).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_chunks_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&bytes);
            let _ = check([bytes.as_slice(), framed.as_slice()].into_iter(), 1 << 20);
        }
    }
}
