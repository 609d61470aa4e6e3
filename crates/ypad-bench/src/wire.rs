//! The two wire dialects the generator speaks: plain y-websocket (ypad, the reference server,
//! the relay) and Hocuspocus, which prefixes every message with the document name and wants
//! an auth message before anything else.
//!
//! Messages are built into a caller's buffer and classified without allocating, because every
//! reader classifies every frame it receives.

use ypad_core::protocol::{
    MSG_AUTH, MSG_SYNC, Reader, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE, write_buf, write_var,
};

/// Hocuspocus's "SyncReply": a sync message that must not trigger another step 1.
const HOCUSPOCUS_SYNC_REPLY: u64 = 4;
/// Hocuspocus's auth sub-message carrying the client's token.
const HOCUSPOCUS_AUTH_TOKEN: u64 = 0;

/// An empty state vector: no client, so the server answers with its whole document.
pub const EMPTY_STATE_VECTOR: &[u8] = &[0];
/// An empty v1 update: no structs, empty delete set.
pub const EMPTY_UPDATE: &[u8] = &[0, 0];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    /// One y-websocket message per frame; the room is the URL path.
    YWebsocket,
    /// Every message starts with `varString(document)`; the first must be auth.
    Hocuspocus { document: String },
}

/// What an incoming frame is, as far as the generator cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'a> {
    Step1(&'a [u8]),
    Step2(&'a [u8]),
    Update(&'a [u8]),
    /// Awareness, auth, Hocuspocus sync status and anything else not about the document.
    Other,
}

impl Dialect {
    fn prefix(&self, out: &mut Vec<u8>) {
        if let Dialect::Hocuspocus { document } = self {
            write_buf(out, document.as_bytes());
        }
    }

    fn sync(&self, out: &mut Vec<u8>, sub: u64, payload: &[u8]) {
        out.clear();
        self.prefix(out);
        write_var(out, MSG_SYNC);
        write_var(out, sub);
        write_buf(out, payload);
    }

    /// Messages to send right after the WebSocket opens, each its own frame.
    pub fn hello(&self, state_vector: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = Vec::with_capacity(2);
        if matches!(self, Dialect::Hocuspocus { .. }) {
            let mut auth = Vec::new();
            self.prefix(&mut auth);
            write_var(&mut auth, MSG_AUTH);
            write_var(&mut auth, HOCUSPOCUS_AUTH_TOKEN);
            write_buf(&mut auth, b"bench");
            frames.push(auth);
        }
        let mut step1 = Vec::new();
        self.step1(&mut step1, state_vector);
        frames.push(step1);
        frames
    }

    pub fn step1(&self, out: &mut Vec<u8>, state_vector: &[u8]) {
        self.sync(out, SYNC_STEP1, state_vector);
    }

    pub fn step2(&self, out: &mut Vec<u8>, update: &[u8]) {
        self.sync(out, SYNC_STEP2, update);
    }

    pub fn update(&self, out: &mut Vec<u8>, update: &[u8]) {
        self.sync(out, SYNC_UPDATE, update);
    }

    /// Classifies a frame; malformed frames count as `Other` (the servers under test are
    /// trusted, and a reader must not stop for one odd frame).
    pub fn classify<'a>(&self, frame: &'a [u8]) -> Incoming<'a> {
        self.try_classify(frame).unwrap_or(Incoming::Other)
    }

    fn try_classify<'a>(&self, frame: &'a [u8]) -> Option<Incoming<'a>> {
        let mut r = Reader::new(frame);
        if let Dialect::Hocuspocus { .. } = self {
            r.read_buf().ok()?;
        }
        match r.read_var().ok()? {
            MSG_SYNC => {}
            HOCUSPOCUS_SYNC_REPLY if matches!(self, Dialect::Hocuspocus { .. }) => {}
            _ => return Some(Incoming::Other),
        }
        let sub = r.read_var().ok()?;
        let payload = r.read_buf().ok()?;
        Some(match sub {
            SYNC_STEP1 => Incoming::Step1(payload),
            SYNC_STEP2 => Incoming::Step2(payload),
            SYNC_UPDATE => Incoming::Update(payload),
            _ => Incoming::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(dialect: &Dialect, frame: &[u8], expected: Incoming<'_>) {
        assert_eq!(dialect.classify(frame), expected);
    }

    #[test]
    fn plain_y_websocket() {
        let d = Dialect::YWebsocket;
        let mut out = Vec::new();
        d.update(&mut out, &[9, 9]);
        assert_eq!(out, [0, 2, 2, 9, 9]);
        check(&d, &out, Incoming::Update(&[9, 9]));
        d.step2(&mut out, EMPTY_UPDATE);
        check(&d, &out, Incoming::Step2(EMPTY_UPDATE));
        assert_eq!(d.hello(EMPTY_STATE_VECTOR), vec![vec![0, 0, 1, 0]]);
        check(&d, &[0, 0, 1, 0], Incoming::Step1(&[0]));
        check(&d, &[1, 1, 0], Incoming::Other);
        check(&d, &[4, 0, 1, 0], Incoming::Other);
        check(&d, &[0, 2, 9], Incoming::Other);
    }

    #[test]
    fn hocuspocus_prefixes_the_document_and_authenticates_first() {
        let d = Dialect::Hocuspocus {
            document: "ab".into(),
        };
        let hello = d.hello(EMPTY_STATE_VECTOR);
        assert_eq!(
            hello[0],
            [2, b'a', b'b', 2, 0, 5, b'b', b'e', b'n', b'c', b'h']
        );
        assert_eq!(hello[1], [2, b'a', b'b', 0, 0, 1, 0]);
        check(&d, &[2, b'a', b'b', 0, 2, 1, 7], Incoming::Update(&[7]));
        check(&d, &[2, b'a', b'b', 4, 0, 1, 0], Incoming::Step1(&[0]));
        check(&d, &[2, b'a', b'b', 8, 1], Incoming::Other);
        check(&d, &[2, b'a', b'b', 2, 2, 0], Incoming::Other);
    }
}
