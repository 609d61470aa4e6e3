//! One connection's view of a pad: frames in, effects out.
//!
//! The server owns the sockets and the pad's lock; it hands each incoming frame to
//! [`Session::receive`] together with the pad, and carries out the returned [`Effects`]: replies
//! to this connection, an update to persist and forward to the others, an awareness update for
//! everyone. Nothing here blocks or allocates per receiver.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use crate::awareness::AwarenessTable;
use crate::doc::{Applied, ApplyError, PadDoc};
use crate::protocol::{self, CloseCode, DecodeError, Message};

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

    /// A server-side edit (API, import): the update `f` made, with the frame that carries it
    /// to every connection; `None` if it changed nothing. Its content is the document's own
    /// client's (the server's).
    pub fn edit(&mut self, f: impl FnOnce(&mut PadDoc) -> Option<Vec<u8>>) -> Option<Accepted> {
        let update = Bytes::from(f(&mut self.doc)?);
        Some(Accepted {
            forward: protocol::encode_update(&update),
            update,
            inserted_by: vec![self.doc.client_id()],
        })
    }

    /// Drops awareness states not renewed in time; the frame announcing it, if any went.
    pub fn expire_awareness(&mut self, now_ms: u64) -> Option<Bytes> {
        self.awareness
            .expire(now_ms)
            .map(|removal| protocol::encode_awareness(&removal))
    }
}

/// Why a connection must be closed. Each maps onto a WebSocket close code.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("malformed frame: {0}")]
    Malformed(#[from] DecodeError),
    #[error("{0}")]
    Update(#[from] ApplyError),
    #[error("the update could grow the pad past its limit")]
    PadFull,
    #[error("the store refuses writes")]
    StoreUnavailable,
}

impl SessionError {
    pub fn close_code(&self) -> CloseCode {
        match self {
            SessionError::Malformed(_) | SessionError::Update(_) => CloseCode::InvalidData,
            SessionError::PadFull => CloseCode::TooBig,
            SessionError::StoreUnavailable => CloseCode::TryLater,
        }
    }
}

/// Whether a write may be accepted now: the server's state, handed in with each frame.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    /// False while the store refuses writes: an edit accepted then could be lost.
    pub accepting_writes: bool,
    /// Largest text an update may grow the pad to, in UTF-16 code units.
    pub max_pad_chars: u64,
    /// A moderator locked the pad and this connection is not one: its writes are dropped, as a
    /// read-only connection's are.
    pub locked: bool,
}

impl Admission {
    /// No limits: for tests and tools.
    pub const OPEN: Admission = Admission {
        accepting_writes: true,
        max_pad_chars: u64::MAX,
        locked: false,
    };
}

/// The frame that tells a connection its writes are refused because the pad is locked (a
/// y-protocols "permission denied", which stock clients report and ypad's editor acts on).
pub fn locked_notice() -> Bytes {
    protocol::encode_auth_denied(LOCKED)
}

/// The frame that tells a connection the lock was lifted. y-protocols has no "permission
/// granted", so it travels as the same message with another reason: stock clients log it, and
/// ypad's editor reads the lock again and becomes editable.
pub fn unlocked_notice() -> Bytes {
    protocol::encode_auth_denied("pad is unlocked")
}

const LOCKED: &str = "pad is locked";

/// A new revision: what to store and what to send every other connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The v1 update, shared with the incoming frame where it came from one.
    pub update: Bytes,
    /// The `sync update` frame carrying it: the incoming frame itself when it was one.
    pub forward: Bytes,
    /// Client ids whose content the update inserted (for authorship).
    pub inserted_by: Vec<u64>,
}

/// What the server must do after a frame.
#[derive(Debug, Default)]
pub struct Effects {
    /// Frames for this connection only.
    pub reply: Vec<Bytes>,
    /// A new revision: persist it and forward it to every other connection.
    pub update: Option<Accepted>,
    /// An awareness frame for every connection, this one included.
    pub awareness: Option<Bytes>,
    /// A write was dropped (read-only connection or locked pad): this connection's replica now
    /// holds text the pad does not.
    pub refused_write: bool,
    /// The author a node link named for `update` (ypad's authored update).
    pub author: Option<String>,
}

/// Numbers sessions, so that awareness states know which connection set them.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

#[derive(Debug)]
pub struct Session {
    id: u64,
    read_only: bool,
    /// Awareness client ids this connection speaks for; removed when it closes.
    controlled: BTreeSet<u64>,
    /// Whether this read-only connection was already told that writes are refused.
    told_denied: bool,
    /// Another node of the cluster, authenticated by the edge: it may name each write's author.
    node_link: bool,
    /// This node's link to the pad's owner, before the owner's sync step 2 arrived: live
    /// updates sent before it build on content only the step 2 brings, and the step 2 holds
    /// them all, so they are skipped rather than refused.
    awaiting_step2: bool,
}

impl Session {
    pub fn new(read_only: bool) -> Self {
        Session {
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            read_only,
            controlled: BTreeSet::new(),
            told_denied: false,
            node_link: false,
            awaiting_step2: false,
        }
    }

    /// The session of this node's link to the pad's owner (a replica's). The owner answers
    /// the link's sync step 1 with the whole diff; the live updates it sends before that
    /// answer are all in it, and may build on content the replica lacks until it arrives.
    pub fn upstream() -> Self {
        Session {
            awaiting_step2: true,
            ..Session::new(false)
        }
    }

    /// The session of a link from another node of the cluster (the edge authenticated it): it
    /// may send authored updates, which any other connection is closed for.
    pub fn node_link() -> Self {
        Session {
            node_link: true,
            ..Session::new(false)
        }
    }

    pub fn is_node_link(&self) -> bool {
        self.node_link
    }

    /// The greeting: sync step 1, then every known awareness state, each in its own frame.
    pub fn open(&self, pad: &Pad) -> Vec<Bytes> {
        let mut frames = vec![protocol::encode_sync_step1(&pad.doc.state_vector())];
        if let Some(all) = pad.awareness.encode_all() {
            frames.push(protocol::encode_awareness(&all));
        }
        frames
    }

    /// Handles one frame: decoded once, applied under the caller's hold of the pad.
    pub fn receive(
        &mut self,
        pad: &mut Pad,
        frame: &Bytes,
        now_ms: u64,
        admission: Admission,
    ) -> Result<Effects, SessionError> {
        let mut effects = Effects::default();
        match protocol::decode(frame)? {
            Message::SyncStep1(sv) => {
                let diff = pad.doc.encode_diff(sv)?;
                effects.reply.push(protocol::encode_sync_step2(&diff));
            }
            Message::SyncStep2(update) => {
                let update = frame.slice_ref(update);
                effects.update = self.write(pad, &mut effects, update, None, admission)?;
                self.awaiting_step2 = false;
            }
            Message::Update(_) if self.awaiting_step2 => {}
            Message::Update(update) => {
                let update = frame.slice_ref(update);
                let forward = Some(frame.clone());
                effects.update = self.write(pad, &mut effects, update, forward, admission)?;
            }
            Message::Awareness(update) => {
                let change = pad.awareness.apply(update, now_ms, self.id)?;
                self.controlled.extend(change.updated.iter().copied());
                for id in &change.removed {
                    self.controlled.remove(id);
                }
                if !change.is_empty() {
                    effects.awareness = Some(if change.accepted_all {
                        frame.clone()
                    } else {
                        let mut ids = change.updated;
                        ids.extend(change.removed);
                        protocol::encode_awareness(&pad.awareness.encode(&ids))
                    });
                }
            }
            Message::QueryAwareness => {
                if let Some(all) = pad.awareness.encode_all() {
                    effects.reply.push(protocol::encode_awareness(&all));
                }
            }
            Message::Auth => {}
            Message::AuthoredUpdate { author, update } => {
                if !self.node_link {
                    return Err(DecodeError::UnknownType(protocol::MSG_AUTHORED_UPDATE).into());
                }
                let update = frame.slice_ref(update);
                effects.update = self.write(pad, &mut effects, update, None, admission)?;
                effects.author = Some(author.to_owned());
            }
        }
        Ok(effects)
    }

    /// Applies an update unless this connection is read-only (its writes are dropped, and it
    /// is told once) or the admission refuses it. `forward` is the incoming frame when it can
    /// be forwarded as it is.
    fn write(
        &mut self,
        pad: &mut Pad,
        effects: &mut Effects,
        update: Bytes,
        forward: Option<Bytes>,
        admission: Admission,
    ) -> Result<Option<Accepted>, SessionError> {
        if self.read_only || admission.locked {
            effects.refused_write = pad.doc.lacks_content_of(&update);
            if !self.told_denied {
                self.told_denied = true;
                let why = if self.read_only {
                    "read-only pad"
                } else {
                    LOCKED
                };
                effects.reply.push(protocol::encode_auth_denied(why));
            }
            return Ok(None);
        }
        if !admission.accepting_writes {
            return Err(SessionError::StoreUnavailable);
        }
        // An update of n bytes inserts at most n UTF-16 code units (each unit of inserted text
        // takes at least one byte of its UTF-8 encoding), so this bounds the pad's growth
        // without decoding the update first.
        let could_reach = u64::from(pad.doc.text_len()).saturating_add(update.len() as u64);
        if could_reach > admission.max_pad_chars {
            return Err(SessionError::PadFull);
        }
        let Applied::Changed { inserted_by } = pad.doc.apply_update(&update)? else {
            return Ok(None);
        };
        Ok(Some(Accepted {
            forward: forward.unwrap_or_else(|| protocol::encode_update(&update)),
            update,
            inserted_by,
        }))
    }

    /// The connection closed: remove its awareness states and return the frame announcing it.
    pub fn close(&mut self, pad: &mut Pad, now_ms: u64) -> Option<Bytes> {
        let ids: Vec<u64> = std::mem::take(&mut self.controlled).into_iter().collect();
        pad.awareness
            .remove_owned(&ids, now_ms, self.id)
            .map(|u| protocol::encode_awareness(&u))
    }
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
        pad.awareness.apply(&awareness(3, 1, "{}"), 0, 1).unwrap();
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
        let e = s.receive(&mut pad, &frame, 0, Admission::OPEN).unwrap();
        let accepted = e.update.unwrap();
        assert_eq!(accepted.forward, frame);
        assert_eq!(&accepted.update[..], &keystroke(1, "a")[..]);
        assert!(
            s.receive(&mut pad, &frame, 0, Admission::OPEN)
                .unwrap()
                .update
                .is_none()
        );

        let step2 = encode_sync_step2(&keystroke(2, "b"));
        let e = s.receive(&mut pad, &step2, 0, Admission::OPEN).unwrap();
        assert_eq!(e.update.unwrap().forward, encode_update(&keystroke(2, "b")));
        assert_eq!(pad.doc.text().len(), 2);
    }

    #[test]
    fn only_a_node_link_may_name_an_author() {
        let mut pad = Pad::default();
        let frame = crate::protocol::encode_authored_update("a.x", &keystroke(1, "a"));
        assert!(
            Session::new(false)
                .receive(&mut pad, &frame, 0, Admission::OPEN)
                .is_err()
        );
        assert_eq!(pad.doc.text(), "");
        let e = Session::node_link()
            .receive(&mut pad, &frame, 0, Admission::OPEN)
            .unwrap();
        assert_eq!(e.author.as_deref(), Some("a.x"));
        assert_eq!(e.update.unwrap().forward, encode_update(&keystroke(1, "a")));
        assert_eq!(pad.doc.text(), "a");
    }

    #[test]
    fn an_upstream_link_skips_live_updates_until_the_owners_step2() {
        let mut pad = Pad::default();
        let mut up = Session::upstream();
        // A live update that builds on content the replica does not have yet.
        let owner = Doc::with_client_id(5);
        let text = owner.get_or_insert_text(TEXT_NAME);
        {
            let mut txn = owner.transact_mut();
            text.insert(&mut txn, 0, "ab");
        }
        let sv = owner.transact().state_vector();
        let second = {
            let mut txn = owner.transact_mut();
            text.insert(&mut txn, 2, "c");
            txn.encode_diff_v1(&sv)
        };
        let early = encode_update(&second);
        let e = up.receive(&mut pad, &early, 0, Admission::OPEN).unwrap();
        assert!(e.update.is_none(), "skipped, not refused");
        let all = owner
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        up.receive(&mut pad, &encode_sync_step2(&all), 0, Admission::OPEN)
            .unwrap();
        assert_eq!(pad.doc.text(), "abc");
        // A browser's session never skips: the same early update is refused.
        let mut fresh = Pad::default();
        assert!(
            Session::new(false)
                .receive(&mut fresh, &early, 0, Admission::OPEN)
                .is_err()
        );
    }

    #[test]
    fn step1_gets_the_diff() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        s.receive(
            &mut pad,
            &encode_update(&keystroke(1, "hi")),
            0,
            Admission::OPEN,
        )
        .unwrap();
        let peer = Doc::with_client_id(9);
        let sv = peer.transact().state_vector().encode_v1();
        let e = s
            .receive(&mut pad, &encode_sync_step1(&sv), 0, Admission::OPEN)
            .unwrap();
        assert_eq!(e.reply.len(), 1);
        assert_eq!(e.reply[0][..2], [0, 1]);
    }

    #[test]
    fn read_only_drops_writes_and_says_so_once() {
        let mut pad = Pad::default();
        let mut s = Session::new(true);
        let e = s
            .receive(
                &mut pad,
                &encode_update(&keystroke(1, "x")),
                0,
                Admission::OPEN,
            )
            .unwrap();
        assert!(e.update.is_none());
        assert_eq!(e.reply[0][0], 2);
        let e = s
            .receive(
                &mut pad,
                &encode_sync_step2(&keystroke(2, "y")),
                0,
                Admission::OPEN,
            )
            .unwrap();
        assert!(e.update.is_none() && e.reply.is_empty());
        assert_eq!(pad.doc.text(), "");
    }

    #[test]
    fn awareness_is_tracked_and_removed_on_close() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        let frame = Bytes::from(encode_awareness(&awareness(4, 1, r#"{"user":{}}"#)).to_vec());
        let e = s.receive(&mut pad, &frame, 0, Admission::OPEN).unwrap();
        assert_eq!(e.awareness, Some(frame.clone()));
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
            let frame = Bytes::copy_from_slice(frame);
            assert!(
                s.receive(&mut pad, &frame, 0, Admission::OPEN).is_err(),
                "{frame:?}"
            );
        }
        assert_eq!(pad.doc.text(), "");
        assert!(pad.awareness.is_empty());
    }

    #[test]
    fn a_locked_pad_drops_writes_and_says_so_once() {
        let mut pad = Pad::default();
        let mut s = Session::new(false);
        let locked = Admission {
            locked: true,
            ..Admission::OPEN
        };
        let e = s
            .receive(&mut pad, &encode_update(&keystroke(1, "x")), 0, locked)
            .unwrap();
        assert!(e.update.is_none() && e.refused_write);
        assert_eq!(e.reply, vec![locked_notice()]);
        let e = s
            .receive(&mut pad, &encode_update(&keystroke(2, "y")), 0, locked)
            .unwrap();
        assert!(e.reply.is_empty() && e.refused_write);
        assert_eq!(pad.doc.text(), "");
        // Nothing new in it: the sender's replica is as the pad is.
        let known = encode_sync_step2(&pad.doc.encode_state());
        let e = s.receive(&mut pad, &known, 0, locked).unwrap();
        assert!(!e.refused_write);
    }
}
