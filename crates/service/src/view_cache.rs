//! The view cache: the last view shown, kept in the store so a window opens on data before the documents finish loading.
//!
//! Never authoritative. The store returns it only while the documents' stored bytes are exactly
//! those it was built from (`Store::derived`); anything else (missing, stale, damaged, written
//! by another version) reads as None and the view is built from the documents. Even a cache
//! that is shown is replaced by the view rebuilt once the documents have loaded.

use kintsugi_core::View;

/// The store's name for it.
pub(crate) const NAME: &str = "view";
const MAGIC: &[u8; 8] = b"kvcache\0";
/// Raise with any change to the `View` types (their serde shape): an old cache then reads as
/// missing instead of as wrong values.
const FORMAT: u32 = 2;

/// A cached view and the document heads it was read at (`Vault::heads`).
pub struct CachedView {
    pub view: View,
    pub heads: Vec<String>,
}

fn version() -> &'static [u8] {
    env!("CARGO_PKG_VERSION").as_bytes()
}

pub(crate) fn encode(view: &View, heads: &[String]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(version().len() as u32).to_le_bytes());
    out.extend_from_slice(version());
    let body = postcard::to_stdvec(&(heads, view)).expect("a view serialises");
    out.extend_from_slice(&body);
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Option<CachedView> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (format, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*format) != FORMAT {
        return None;
    }
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.get(..len)? != version() {
        return None;
    }
    let (heads, view): (Vec<String>, View) = postcard::from_bytes(&rest[len..]).ok()?;
    Some(CachedView { view, heads })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kintsugi_core::{Command, Model, PartnerId, automerge::ActorId};

    fn a_view() -> View {
        let mut m = Model::open(None, None, PartnerId::random(), ActorId::random()).unwrap();
        m.apply(
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            1_700_000_000_000,
        )
        .unwrap();
        m.view()
    }

    #[test]
    fn a_view_comes_back_as_it_went_in() {
        let view = a_view();
        let heads = vec!["couple:ab".to_string()];
        let back = decode(&encode(&view, &heads)).expect("decodes");
        assert_eq!(back.heads, heads);
        assert_eq!(
            serde_json::to_value(&back.view).unwrap(),
            serde_json::to_value(&view).unwrap()
        );
        assert_eq!(back.view.my_name, "Sam");
    }

    #[test]
    fn damaged_or_foreign_bytes_read_as_missing() {
        let good = encode(&a_view(), &[]);
        assert!(decode(&good[..good.len() / 2]).is_none());
        assert!(decode(b"").is_none());
        let mut other_format = good.clone();
        other_format[8] ^= 1;
        assert!(decode(&other_format).is_none());
        let mut other_version = good;
        let at = 8 + 4 + 4;
        other_version[at] ^= 1;
        assert!(decode(&other_version).is_none());
    }
}
