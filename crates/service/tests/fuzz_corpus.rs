//! Replays the fuzz regression corpus (`fuzz/corpus/<target>/*`) through the same functions the fuzz targets run.

// `cargo test -p kintsugi-service --test fuzz_corpus -- --ignored write_seed_corpus` rewrites the
// hand-made seeds (files named `seed-*`); inputs the fuzzer found worth keeping sit beside them.

use std::path::{Path, PathBuf};

use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, AutoCommit, ObjType, ROOT};
use kintsugi_core::{Command, DocKind, ItemId, Model, PartnerId};
use kintsugi_service::fuzzing;
use kintsugi_sync::pairing::{PairFrame, PairingAddr, PairingCode, PairingKind, RefuseReason};
use kintsugi_sync::session::{DocAccess, DocName, Frame, Hello, PROTOCOL_VERSION, Scope, Session};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn corpus_replays_without_panics() {
    let mut files = 0;
    let mut bytes = 0;
    for target in fuzzing::TARGETS {
        let dir = corpus_dir().join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect::<Vec<_>>();
        assert!(!entries.is_empty(), "no corpus for {target}");
        for path in entries {
            let data = std::fs::read(&path).unwrap();
            bytes += data.len();
            files += 1;
            // A panic names the input through the test's output.
            eprintln!("{}", path.display());
            assert!(fuzzing::run(target, &data));
        }
    }
    println!("replayed {files} corpus files, {bytes} bytes");
    // Kept small on purpose: this runs in every `cargo test`.
    assert!(bytes < 1_000_000, "corpus grew to {bytes} bytes");
}

struct Docs<'a>(&'a mut Model);

impl DocAccess for Docs<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(self.0.doc_mut(match name {
            DocName::Couple => DocKind::Couple,
            DocName::Private => DocKind::Private,
        }))
    }
}

fn model(seed: u8) -> Model {
    let mut m = Model::open(
        None,
        None,
        PartnerId(format!("partner{seed}")),
        ActorId::from(vec![seed; 16]),
    )
    .unwrap();
    m.apply(
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
        1,
    )
    .unwrap();
    m.apply(
        Command::SpliceSection {
            section: "conflict".into(),
            pos: 0,
            delete: 0,
            insert: "We pause for 20 minutes ✋".into(),
        },
        2,
    )
    .unwrap();
    m.apply(
        Command::AddJournalEntry {
            id: ItemId(format!("entry{seed}")),
            date: "2026-11-24".into(),
            mood: Some(2),
            tags: vec!["night".into()],
            text: "private words".into(),
            prompt: None,
        },
        3,
    )
    .unwrap();
    m.commit(4);
    m
}

/// Frame bodies the peer (a real session) sends to a fresh device, in order.
fn transcript(scope: Scope) -> Vec<Vec<u8>> {
    let mut peer = model(2);
    let mut us = Model::open(
        None,
        None,
        PartnerId("fuzz".into()),
        ActorId::from(vec![7u8; 16]),
    )
    .unwrap();
    let mut sp = Session::new([2; 32], scope, []);
    let mut su = Session::new([1; 32], scope, []);
    let mut to_us: Vec<Frame> = sp.start();
    let mut to_peer: Vec<Frame> = su.start();
    let mut sent = Vec::new();
    for _ in 0..10 {
        for f in to_us.drain(..) {
            sent.push(f.encode_body());
            su.receive(f, &mut Docs(&mut us)).unwrap();
        }
        to_peer.extend(su.poll(&mut Docs(&mut us)));
        for f in to_peer.drain(..) {
            sp.receive(f, &mut Docs(&mut peer)).unwrap();
        }
        to_us.extend(sp.poll(&mut Docs(&mut peer)));
    }
    sent
}

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = corpus_dir().join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

#[test]
#[ignore = "writes the seed files; run by hand after a format change"]
fn write_seed_corpus() {
    let hello = Frame::Hello(Hello {
        version: PROTOCOL_VERSION,
        device: [5; 32],
        docs: vec![DocName::Couple, DocName::Private],
        couple_id: Some([6; 16]),
    });
    write("frame_decode", "hello", &hello.encode());
    write("frame_decode", "hello-body", &hello.encode_body());
    for (i, body) in transcript(Scope::Partner).iter().enumerate() {
        write(
            "frame_decode",
            &format!("sync-{i}"),
            &kintsugi_sync::session::length_prefixed(body),
        );
    }
    write(
        "frame_decode",
        "over-limit",
        &[0xff, 0xff, 0xff, 0xff, 0x02, 0x01],
    );
    write(
        "frame_decode",
        "unknown-doc",
        &[0, 0, 0, 3, 0x02, 0x09, 0x42],
    );

    for (scope, byte) in [(Scope::Partner, 0u8), (Scope::OwnDevice, 1)] {
        let t = transcript(scope);
        write(
            "session",
            &format!("transcript-{byte}"),
            &fuzzing::join_frames(byte, t.iter().map(Vec::as_slice)),
        );
    }
    // A partner that grants and pushes the private document.
    let t = transcript(Scope::OwnDevice);
    write(
        "session",
        "pushy-partner",
        &fuzzing::join_frames(0, t.iter().map(Vec::as_slice)),
    );

    let code = PairingCode {
        endpoint_id: [1; 32],
        addrs: vec![
            PairingAddr::Ip("127.0.0.1:4433".parse().unwrap()),
            PairingAddr::Ip("[::1]:9".parse().unwrap()),
            PairingAddr::Relay("https://relay.example/".into()),
        ],
        secret: [3; 16],
        expires_at: 1_800_000_000,
        kind: PairingKind::OwnDevice,
    };
    write("pairing_code", "valid", code.to_text().as_bytes());
    write(
        "pairing_code",
        "spaced-upper",
        code.to_text().to_uppercase().replace('A', " A").as_bytes(),
    );
    write("pairing_code", "newer", b"kintsugi2-aaaa");
    write("pairing_code", "empty-body", b"kintsugi1-");

    let frames = [
        PairFrame::Join {
            version: 1,
            proof: [4; 32],
            addrs: vec![PairingAddr::Ip("127.0.0.1:1".parse().unwrap())],
            info: b"{\"name\":\"phone\"}".to_vec(),
        },
        PairFrame::Accept {
            kind: PairingKind::PartnerDevice,
            info: b"partner".to_vec(),
        },
        PairFrame::Refuse(RefuseReason::WrongSecret),
    ];
    for (i, f) in frames.iter().enumerate() {
        write("pair_frame", &format!("frame-{i}"), &f.encode()[4..]);
    }

    let mut m = model(3);
    write("document", "couple", &m.doc_mut(DocKind::Couple).save());
    write("document", "private", &m.doc_mut(DocKind::Private).save());
    write(
        "document",
        "couple-uncompressed",
        &m.doc_mut(DocKind::Couple).save_nocompress(),
    );
    // Wrong types where the schema expects maps and text.
    let mut hostile = Model::open(
        None,
        None,
        PartnerId("x".into()),
        ActorId::from(vec![8u8; 16]),
    )
    .unwrap();
    let c = hostile.doc_mut(DocKind::Couple);
    c.put(ROOT, "agreement", "not a map").unwrap();
    let wins = c.put_object(ROOT, "wins", ObjType::List).unwrap();
    c.insert(&wins, 0, 42).unwrap();
    c.put(ROOT, "schema", 99).unwrap();
    write("document", "hostile", &c.save());

    // The store's decryption path: a kdf text, a value that looks sealed, nothing.
    write("store_decrypt", "kdf", b"argon2id v=19 m=65536 t=3 p=4");
    let mut sealed = b"\x05coupl\x01".to_vec();
    sealed.extend([b'a'; 49]);
    write("store_decrypt", "sealed", &sealed);
    write("store_decrypt", "empty", b"");
}
