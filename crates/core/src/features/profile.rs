//! Set-up and names: who I am, what I call my partner, and the members of the couple document.

use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::features::View;
use crate::ids::{PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, ensure_map, misrouted, short_text, top};

/// Private: this device's partner id and the two names as this partner writes them.
const PROFILE: &str = "profile";
/// Couple: one map per partner, keyed by partner id, with the name they call themselves.
pub(crate) const MEMBERS: &str = "members";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[PROFILE, MEMBERS];

/// Shown for an author no trusted device key vouches for.
pub const UNVERIFIED_NAME: &str = "unverified (not from a verified device)";
/// Shown for an id that belongs to neither partner.
pub const OUTSIDER_NAME: &str = "someone outside this couple (unverified)";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub id: PartnerId,
    pub name: String,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, _now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::SetUp {
            my_name,
            partner_name,
        }
        | Command::SetNames {
            my_name,
            partner_name,
        } => {
            let me = d.me.0.as_str();
            let my_name = short_text(&my_name, "Your name")?;
            let partner_name = short_text(&partner_name, "Your partner's name")?;
            let profile = top(d.private, PROFILE)?;
            d.private.put(&profile, "partner_id", me)?;
            d.private.put(&profile, "my_name", my_name.as_str())?;
            d.private
                .put(&profile, "partner_name", partner_name.as_str())?;
            let members = top(d.couple, MEMBERS)?;
            let m = ensure_map(d.couple, &members, me)?;
            d.couple.put(&m, "v", ITEM_VERSION)?;
            d.couple.put(&m, "name", my_name.as_str())?;
            Ok(())
        }
        other => Err(misrouted(&other, "profile")),
    }
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    if let Ok(profile) = Rd::root_map(r.private, PROFILE) {
        v.my_name = profile.str_or_empty("my_name").unwrap_or_default();
        v.partner_name = profile.str_or_empty("partner_name").unwrap_or_default();
    }
    v.members = collect(r.couple, MEMBERS, errors, |id, m| {
        Ok(Member {
            id: PartnerId(id.to_owned()),
            name: m.str_or_empty("name")?,
        })
    });
    v.partner = v
        .members
        .iter()
        .find(|m| &m.id != r.me)
        .map(|m| m.id.clone());
}

impl View {
    /// The name to show for an author: mine, the partner's (as I call them, falling back to
    /// what they call themselves), or, for anyone else, never a partner's name: an author
    /// whose device could not be verified, or an id that is neither partner's.
    pub fn name_of(&self, id: &PartnerId) -> String {
        if self.me.as_ref() == Some(id) {
            return self.my_name.clone();
        }
        if id.0 == crate::authorship::UNVERIFIED {
            return UNVERIFIED_NAME.to_owned();
        }
        if self.authorship.checked && self.partner.as_ref() != Some(id) {
            return OUTSIDER_NAME.to_owned();
        }
        if !self.partner_name.is_empty() {
            return self.partner_name.clone();
        }
        self.members
            .iter()
            .find(|m| &m.id == id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| "your partner".to_owned())
    }

    pub fn is_set_up(&self) -> bool {
        !self.my_name.is_empty()
    }
}
