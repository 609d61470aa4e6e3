//! One connection's view of a pad: frames in, effects out.
//!
//! The server owns the sockets and the pad's lock; it hands each incoming frame to
//! [`Session::receive`] together with the pad, and carries out the returned [`Effects`]: replies
//! to this connection, an update to persist and forward to the others, an awareness update for
//! everyone. Nothing here blocks or allocates per receiver.

use std::collections::BTreeSet;
use std::ops::Range;

use bytes::Bytes;

use crate::awareness::AwarenessTable;
use crate::doc::{Applied, ApplyError, PadDoc};
use crate::protocol::{self, DecodeError, Message};

/// A loaded pad: its document and who is present.
#[derive(Default)]
pub struct Pad {
    pub doc: PadDoc,
    pub awareness: AwarenessTable,
}

impl Pad {
    pub fn new(doc: PadDoc) -> Self {
        Pad {
            doc,
            awareness: AwarenessTable::new(),
        }
    }
}

/// Why a connection must be closed. Each maps onto a WebSocket close code.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("malformed frame: {0}")]
    Malformed(#[from] DecodeError),
    #[error("{0}")]
    Update(#[from] ApplyError),
}

impl SessionError {
    /// 1007: the frame's data is not what the protocol says it must be.
    pub fn close_code(&self) -> u16 {
        1007
    }
}

/// An accepted update: where its payload sits in the frame, and how to forward it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedUpdate {
    /// The v1 update inside the incoming frame.
    pub payload: Range<usize>,
    /// The frame is already a `sync update` message, so it can be forwarded as is.
    pub frame_is_update: bool,
    /// Client ids whose content the update inserted (for authorship).
    pub inserted_by: Vec<u64>,
}

/// What the server must do after a frame.
#[derive(Debug, Default)]
pub struct Effects {
    /// Frames for this connection only.
    pub reply: Vec<Bytes>,
    /// A new revision: persist it and forward it to every other connection.
    pub update: Option<AcceptedUpdate>,
    /// An awareness frame for every connection, this one included.
    pub awareness: Option<Bytes>,
    /// Awareness entries arrived; `true` when the incoming frame can be broadcast unchanged.
    awareness_frame_reusable: bool,
}

impl Effects {
    /// The awareness broadcast: the incoming frame itself when it was accepted whole.
    pub fn awareness_frame(&self, incoming: &Bytes) -> Option<Bytes> {
        if self.awareness_frame_reusable {
            Some(incoming.clone())
        } else {
            self.awareness.clone()
        }
    }
}

#[derive(Debug, Default)]
pub struct Session {
    read_only: bool,
    /// Awareness client ids this connection speaks for; removed when it closes.
    controlled: BTreeSet<u64>,
    /// Whether this read-only connection was already told that writes are refused.
    told_denied: bool,
}

impl Session {
    pub fn new(read_only: bool) -> Self {
        Session {
            read_only,
            ..Default::default()
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The greeting: sync step 1, then every known awareness state, each in its own frame.
    pub fn open(&self, pad: &Pad) -> Vec<Bytes> {
        let mut frames = vec![protocol::encode_sync_step1(&pad.doc.state_vector())];
        if let Some(all) = pad.awareness.encode_all() {
            frames.push(protocol::encode_awareness(&all));
        }
        frames
    }

    pub fn receive(
        &mut self,
        pad: &mut Pad,
        frame: &[u8],
        now_ms: u64,
    ) -> Result<Effects, SessionError> {
        let mut effects = Effects::default();
        match protocol::decode(frame)? {
            Message::SyncStep1(sv) => {
                let diff = pad.doc.encode_diff(sv)?;
                effects.reply.push(protocol::encode_sync_step2(&diff));
            }
            Message::SyncStep2(update) | Message::Update(update) => {
                if self.read_only {
                    if !self.told_denied {
                        self.told_denied = true;
                        effects
                            .reply
                            .push(protocol::encode_auth_denied("read-only pad"));
                    }
                    return Ok(effects);
                }
                if let Applied::Changed { inserted_by } = pad.doc.apply_update(update)? {
                    effects.update = Some(AcceptedUpdate {
                        inserted_by,
                        payload: offset_in(frame, update),
                        frame_is_update: matches!(protocol::decode(frame), Ok(Message::Update(_))),
                    });
                }
            }
            Message::Awareness(update) => {
                let change = pad.awareness.apply(update, now_ms)?;
                self.controlled.extend(change.updated.iter().copied());
                for id in &change.removed {
                    self.controlled.remove(id);
                }
                if !change.is_empty() {
                    if change.accepted_all {
                        effects.awareness_frame_reusable = true;
                    } else {
                        let mut ids = change.updated;
                        ids.extend(change.removed);
                        effects.awareness =
                            Some(protocol::encode_awareness(&pad.awareness.encode(&ids)));
                    }
                }
            }
            Message::QueryAwareness => {
                if let Some(all) = pad.awareness.encode_all() {
                    effects.reply.push(protocol::encode_awareness(&all));
                }
            }
            Message::Auth => {}
        }
        Ok(effects)
    }

    /// The connection closed: remove its awareness states and return the frame announcing it.
    pub fn close(&mut self, pad: &mut Pad, now_ms: u64) -> Option<Bytes> {
        let ids: Vec<u64> = std::mem::take(&mut self.controlled).into_iter().collect();
        pad.awareness
            .remove(&ids, now_ms)
            .map(|u| protocol::encode_awareness(&u))
    }
}

/// Position of `inner`, a subslice of `outer`, as a range of `outer`.
fn offset_in(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::TEXT_NAME;
    use crate::protocol::{
        encode_awareness, encode_sync_step1, encode_sync_step2, encode_update, write_buf, write_var,
    };
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, ReadTxn, Text, Transact};

    fn keystroke(client: u64, s: &str) -> Vec<u8> {
        let doc = Doc::with_client_id(client);
        let text = doc.get_or_insert_text(TEXT_NAME);
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, s);
        txn.encode_update_v1()
    }

    fn awareness(client: u64, clock: u64, json: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_var(&mut out, 1);
        write_var(&mut out, client);
        write_var(&mut out, clock);
        write_buf(&mut out, json.as_bytes());
        out
    }

    #[test]
    fn greeting_is_step1_then_awareness() {
        let mut pad = Pad::default();
        let s = Session::new(false);
        assert_eq!(s.open(&pad).len(), 1);
        pad.awareness.apply(&awareness(3, 1, "{}"), 0).unwrap();
        let frames = s.open(&pad);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0][..2], [0, 0]);
        assert_eq!(frames[1][0], 1);
    }

    #[test]
    fn update_is_accepted_once_and_forwarded_as_is() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        let frame = encode_update(&keystroke(1, "a"));
        let e = s.receive(&mut pad, &frame, 0).unwrap();
        let accepted = e.update.unwrap();
        assert!(accepted.frame_is_update);
        assert_eq!(&frame[accepted.payload], &keystroke(1, "a")[..]);
        assert!(s.receive(&mut pad, &frame, 0).unwrap().update.is_none());

        let step2 = encode_sync_step2(&keystroke(2, "b"));
        let e = s.receive(&mut pad, &step2, 0).unwrap();
        assert!(!e.update.unwrap().frame_is_update);
        assert_eq!(pad.doc.text().len(), 2);
    }

    #[test]
    fn step1_gets_the_diff() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        s.receive(&mut pad, &encode_update(&keystroke(1, "hi")), 0)
            .unwrap();
        let peer = Doc::with_client_id(9);
        let sv = peer.transact().state_vector().encode_v1();
        let e = s.receive(&mut pad, &encode_sync_step1(&sv), 0).unwrap();
        assert_eq!(e.reply.len(), 1);
        assert_eq!(e.reply[0][..2], [0, 1]);
    }

    #[test]
    fn read_only_drops_writes_and_says_so_once() {
        let mut pad = Pad::default();
        let mut s = Session::new(true);
        let e = s
            .receive(&mut pad, &encode_update(&keystroke(1, "x")), 0)
            .unwrap();
        assert!(e.update.is_none());
        assert_eq!(e.reply[0][0], 2);
        let e = s
            .receive(&mut pad, &encode_sync_step2(&keystroke(2, "y")), 0)
            .unwrap();
        assert!(e.update.is_none() && e.reply.is_empty());
        assert_eq!(pad.doc.text(), "");
    }

    #[test]
    fn awareness_is_tracked_and_removed_on_close() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        let frame = Bytes::from(encode_awareness(&awareness(4, 1, r#"{"user":{}}"#)).to_vec());
        let e = s.receive(&mut pad, &frame, 0).unwrap();
        assert_eq!(e.awareness_frame(&frame), Some(frame.clone()));
        let removal = s.close(&mut pad, 1).unwrap();
        assert_eq!(
            &removal[..],
            &encode_awareness(&awareness(4, 1, "null"))[..]
        );
        assert!(pad.awareness.is_empty());
    }

    #[test]
    fn bad_frames_are_errors_and_change_nothing() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        for frame in [
            &[][..],
            &[0],
            &[0, 2],
            &[0, 2, 3, 1],
            &[0, 2, 1, 0xff],
            &[7, 0],
            &[1, 5, 1],
        ] {
            assert!(s.receive(&mut pad, frame, 0).is_err(), "{frame:?}");
        }
        assert_eq!(pad.doc.text(), "");
        assert!(pad.awareness.is_empty());
    }
}
