//! Hostile input for the protocol session: random frames and mutations of valid ones never
//! panic, a frame that is refused leaves the pad exactly as it was, and whatever is accepted, a
//! replica built from the pad's encoding shows the pad's text. `just fuzz` runs many more cases
//! (`PROPTEST_CASES`).

use proptest::prelude::*;
use ypad_core::PadDoc;
use ypad_core::doc::ApplyError;
use ypad_core::protocol::{self, write_buf, write_var};
use ypad_core::session::{Admission, Pad, Session, SessionError};
use yrs::updates::decoder::Decode;
use yrs::{GetString, Transact};

/// Valid frames of every kind, as a starting point for mutations.
fn seeds() -> Vec<Vec<u8>> {
    let mut doc = PadDoc::with_client_id(7);
    let updates: Vec<Vec<u8>> = ["hello", "hello wörld", "h😀llo wörld", "h😀 wörld"]
        .iter()
        .filter_map(|t| doc.set_text(t))
        .collect();
    let sv = doc.state_vector();
    // Another client's edit on top, and everything at once (as a reconnecting client resends
    // it): mutations of these reuse clocks the pad has with other content.
    let mut other = PadDoc::with_client_id(8);
    other.apply_update(&doc.encode_state()).unwrap();
    let by_other = other.insert(2, "ab").unwrap();
    let everything = other.encode_state();
    let mut awareness = Vec::new();
    write_var(&mut awareness, 1);
    write_var(&mut awareness, 7);
    write_var(&mut awareness, 3);
    write_buf(&mut awareness, br#"{"user":{"name":"x"}}"#);
    let mut frames: Vec<Vec<u8>> = updates
        .iter()
        .map(|u| protocol::encode_update(u).to_vec())
        .collect();
    frames.push(protocol::encode_sync_step2(&updates[0]).to_vec());
    frames.push(protocol::encode_update(&by_other).to_vec());
    frames.push(protocol::encode_sync_step2(&everything).to_vec());
    frames.push(protocol::encode_sync_step1(&sv).to_vec());
    frames.push(protocol::encode_awareness(&awareness).to_vec());
    frames.push(protocol::encode_query_awareness().to_vec());
    frames
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutate(mut frame: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = frame.len().max(1);
        match *m {
            Mutation::Flip(at, bits) => {
                if let Some(b) = frame.get_mut(at % n) {
                    *b ^= bits;
                }
            }
            Mutation::Truncate(at) => frame.truncate(at % n),
            Mutation::Insert(at, b) => frame.insert(at % (frame.len() + 1), b),
            Mutation::Remove(at) => {
                if !frame.is_empty() {
                    frame.remove(at % n);
                }
            }
        }
    }
    frame
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn frame() -> impl Strategy<Value = Vec<u8>> {
    let valid = seeds();
    let n = valid.len();
    let for_mutation = valid.clone();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        (0..n, prop::collection::vec(mutation(), 1..4))
            .prop_map(move |(i, m)| mutate(for_mutation[i].clone(), &m)),
        (0..n).prop_map(move |i| valid[i].clone()),
    ]
}

proptest! {
    #[test]
    fn frames_never_panic_and_refusals_change_nothing(frames in prop::collection::vec(frame(), 1..12)) {
        let mut pad = Pad::default();
        let mut session = Session::new(false);
        let mut forwarded = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            let before_text = pad.doc.text();
            let before_state = pad.doc.state_vector();
            let before_aware = pad.awareness.len();
            let frame = bytes::Bytes::copy_from_slice(frame);
            match session.receive(&mut pad, &frame, i as u64, Admission::OPEN) {
                Ok(effects) => {
                    if let Some(accepted) = &effects.update {
                        forwarded.push(accepted.update.clone());
                    }
                    if effects.update.is_none() {
                        prop_assert_eq!(pad.doc.text(), before_text);
                    }
                }
                // yrs panicked while integrating: the server rebuilds such a pad from its
                // store, so this document is no longer looked at.
                Err(SessionError::Update(ApplyError::Poisoned)) => return Ok(()),
                Err(_) => {
                    prop_assert_eq!(pad.doc.text(), before_text);
                    prop_assert_eq!(pad.doc.state_vector(), before_state);
                    prop_assert_eq!(pad.awareness.len(), before_aware);
                }
            }
        }
        // Nodes, late joiners and restarts build on the encoding: it must show the same text.
        let mut replica = PadDoc::with_client_id(99);
        prop_assert!(replica.apply_update(&pad.doc.encode_state()).is_ok());
        prop_assert_eq!(replica.text(), pad.doc.text());
        // A peer that joined before the k-th accepted update is sent the updates from then on
        // before the pad's state answers its sync step 1; it must end up with the pad's text.
        let state = pad.doc.encode_state();
        for k in 0..forwarded.len() {
            let peer = yrs::Doc::with_client_id(98);
            let text = peer.get_or_insert_text(ypad_core::doc::TEXT_NAME);
            for update in forwarded[k..].iter().map(|u| &u[..]).chain([&state[..]]) {
                let update = yrs::Update::decode_v1(update).unwrap();
                peer.transact_mut().apply_update(update).unwrap();
            }
            prop_assert_eq!(text.get_string(&peer.transact()), pad.doc.text());
        }
    }
}
