//! Devices for the model tests: a partner's first device, the partner's copy, a set-up.

#![allow(dead_code)]

use kintsugi_core::automerge::ActorId;
use kintsugi_core::*;

pub fn device(me: &PartnerId) -> Model {
    Model::open(None, None, me.clone(), ActorId::random()).unwrap()
}

pub fn set_up(m: &mut Model, name: &str, partner: &str) {
    m.apply(
        Command::SetUp {
            my_name: name.into(),
            partner_name: partner.into(),
        },
        1,
    )
    .unwrap();
    m.commit(1);
}

/// The partner's device: a copy of the couple document under another actor and partner id.
pub fn partner_of(m: &mut Model, partner: &PartnerId) -> Model {
    let couple = m.doc_mut(DocKind::Couple).save();
    Model::open(Some(&couple), None, partner.clone(), ActorId::random()).unwrap()
}

/// The same partner's second device: both documents, another actor (nothing cached).
pub fn second_device(m: &mut Model) -> Model {
    let couple = m.doc_mut(DocKind::Couple).save();
    let private = m.doc_mut(DocKind::Private).save();
    Model::open(
        Some(&couple),
        Some(&private),
        m.me().clone(),
        ActorId::random(),
    )
    .unwrap()
}
