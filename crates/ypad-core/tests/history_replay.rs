//! Positional history against the CRDT: for random edits by several clients, including
//! concurrent ones and updates that carry several clients' content, every revision rendered from
//! a block (keyframe plus deltas, through an encode/decode round trip) has the same text and the
//! same authorship as the document replayed to that revision.

use proptest::prelude::*;
use ypad_core::PadDoc;
use ypad_core::doc::merge_updates;
use ypad_core::history::{Block, Recorder};

#[derive(Debug, Clone)]
enum Step {
    /// Client types `text` at a fraction of its current length.
    Insert(usize, f64, String),
    /// Client types `text` at the end, so that consecutive keystrokes merge into one item.
    Append(usize, String),
    /// Client deletes up to `len` units at a fraction of its length.
    Delete(usize, f64, u32),
    /// Client sends what it has not sent yet, as one update (may hold others' relayed content).
    Send(usize, bool),
    /// Client sends everything it ever typed again, merged: one client's content, partly known.
    Resend(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0.0..1.0f64, "[a-z😀é\n]{1,4}").prop_map(|(c, at, t)| Step::Insert(c, at, t)),
        3 => (0..3usize, "[a-z]{1,3}").prop_map(|(c, t)| Step::Append(c, t)),
        2 => (0..3usize, 0.0..1.0f64, 1..6u32).prop_map(|(c, at, n)| Step::Delete(c, at, n)),
        3 => (0..3usize, any::<bool>()).prop_map(|(c, relay)| Step::Send(c, relay)),
        1 => (0..3usize).prop_map(Step::Resend),
    ]
}

proptest! {
    // `ProptestConfig::default()` reads `PROPTEST_CASES` (256 unless set).
    #![proptest_config(ProptestConfig::default())]
    #[test]
    fn every_revision_matches_the_crdt(steps in prop::collection::vec(step(), 1..60)) {
        let mut clients: Vec<PadDoc> = (0..3).map(|c| PadDoc::with_client_id(100 + c)).collect();
        let mut unsent: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 3];
        let mut typed: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 3];
        let mut server = PadDoc::new();
        let mut log: Vec<Vec<u8>> = Vec::new();
        for step in steps {
            match step {
                Step::Insert(c, at, text) => {
                    // Editors insert between characters, never inside a surrogate pair (yrs
                    // would turn both halves into U+FFFD, which the positional history does not
                    // model).
                    let current = clients[c].text();
                    let chars = current.chars().count();
                    let index = ((chars as f64) * at) as usize;
                    let offset: usize = current.chars().take(index).map(char::len_utf16).sum();
                    if let Some(u) = clients[c].insert(offset as u32, &text) {
                        typed[c].push(u.clone());
                        unsent[c].push(u);
                    }
                }
                Step::Append(c, text) => {
                    let end = clients[c].text_len();
                    if let Some(u) = clients[c].insert(end, &text) {
                        typed[c].push(u.clone());
                        unsent[c].push(u);
                    }
                }
                Step::Delete(c, at, n) => {
                    let text = clients[c].text();
                    let chars: Vec<char> = text.chars().collect();
                    if !chars.is_empty() {
                        let start = ((chars.len() as f64) * at) as usize;
                        let end = (start + n as usize).min(chars.len());
                        let mut kept: String = chars[..start].iter().collect();
                        kept.extend(&chars[end..]);
                        if let Some(u) = clients[c].set_text(&kept) {
                            typed[c].push(u.clone());
                            unsent[c].push(u);
                        }
                    }
                }
                Step::Send(..) | Step::Resend(_) => {
                    let update = match step {
                        Step::Send(c, _) if unsent[c].is_empty() => continue,
                        // A client that reconnects re-sends everything it has, others' edits too.
                        Step::Send(c, true) => {
                            unsent[c].clear();
                            clients[c].encode_state()
                        }
                        Step::Send(c, _) => merge_updates(&std::mem::take(&mut unsent[c])).unwrap(),
                        Step::Resend(c) if typed[c].is_empty() => continue,
                        Step::Resend(c) => merge_updates(&typed[c]).unwrap(),
                        _ => unreachable!(),
                    };
                    if server.apply_update(&update).unwrap().is_changed() {
                        log.push(update);
                    }
                    let state = server.encode_state();
                    for other in clients.iter_mut() {
                        other.apply_update(&state).unwrap();
                    }
                }
            }
        }

        let mut recorder = Recorder::new();
        let mut block = Block::default();
        for update in &log {
            block.deltas.push(recorder.apply(update).unwrap());
        }
        let block = Block::decode(&block.encode()).unwrap();
        let mut replay = PadDoc::new();
        for (rev, update) in log.iter().enumerate() {
            replay.apply_update(update).unwrap();
            let rendered = block.render(rev as u64 + 1).unwrap();
            prop_assert_eq!(rendered.text(), replay.text(), "text at revision {}", rev + 1);
            prop_assert_eq!(rendered.spans(), replay.authorship(), "authors at revision {}", rev + 1);
        }
    }
}
