//! The y-websocket wire format: one message per binary frame.
//!
//! Decoding borrows from the frame so that an update can be applied and then forwarded as the
//! very same bytes. Encoding writes exactly one message per buffer, because stable Yjs clients
//! decode only the first message of a frame.

use bytes::Bytes;

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;
/// ypad's own, only on the authenticated link between two nodes of a cluster: an update
/// forwarded from a relaying node to the pad's owner with the author who wrote it.
pub const MSG_AUTHORED_UPDATE: u64 = 100;

pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;

/// Yjs client ids are JavaScript numbers; anything from 2^53 up cannot come from a real client.
pub const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// Why the server closes a WebSocket: the close codes of RFC 6455 that ypad sends, named once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 1001: the server is shutting down, or the peer stopped answering pings.
    GoingAway,
    /// 1003: a text frame; the protocol is binary.
    Unsupported,
    /// 1007: a frame whose data is not what the protocol says it must be.
    InvalidData,
    /// 1008: too many frames.
    Policy,
    /// 1009: a frame, or the pad it would grow, over the limit.
    TooBig,
    /// 1011: the pad is being reloaded; reconnect.
    Internal,
    /// 1013: the store refuses writes, or the reader fell too far behind; reconnect later.
    TryLater,
    /// 4000 (ypad's own): what this connection may do changed (the pad was unlocked); reconnect
    /// to sync what was typed meanwhile.
    Reconnect,
    /// 4001 (ypad's own): the group session that let this connection in expired or was deleted.
    SessionEnded,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        match self {
            CloseCode::GoingAway => 1001,
            CloseCode::Unsupported => 1003,
            CloseCode::InvalidData => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::Internal => 1011,
            CloseCode::TryLater => 1013,
            CloseCode::Reconnect => 4000,
            CloseCode::SessionEnded => 4001,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame ended in the middle of a message")]
    Truncated,
    #[error("variable-length integer is too long")]
    VarIntOverflow,
    #[error("unknown message type {0}")]
    UnknownType(u64),
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    #[error("string is not UTF-8")]
    InvalidUtf8,
    #[error("client id {0} is not below 2^53")]
    ClientIdTooLarge(u64),
}

/// One decoded message, borrowing its payload from the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// Sync step 1: the peer's encoded state vector.
    SyncStep1(&'a [u8]),
    /// Sync step 2: the diff the peer was missing, in the v1 update encoding.
    SyncStep2(&'a [u8]),
    /// An incremental update, in the v1 update encoding.
    Update(&'a [u8]),
    /// An encoded awareness update.
    Awareness(&'a [u8]),
    /// The peer asks for every known awareness state.
    QueryAwareness,
    /// Auth messages are server-to-client only; a client sending one is tolerated and ignored.
    Auth,
    /// An update with its author's id, from another node of the cluster.
    AuthoredUpdate { author: &'a str, update: &'a [u8] },
}

/// A lib0 reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn read_var(&mut self) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        for (i, &byte) in self.buf.iter().enumerate() {
            let shift = 7 * i as u32;
            if shift >= 64 || (shift == 63 && byte & 0x7e != 0) {
                return Err(DecodeError::VarIntOverflow);
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        Err(DecodeError::Truncated)
    }

    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.buf.split_first().ok_or(DecodeError::Truncated)?;
        self.buf = rest;
        Ok(first)
    }

    pub fn read_buf(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.read_var()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
        if len > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Ok(head)
    }

    pub fn read_str(&mut self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.read_buf()?).map_err(|_| DecodeError::InvalidUtf8)
    }
}

/// Decodes the first message of a frame. Bytes after it are ignored, as stock clients do.
pub fn decode(frame: &[u8]) -> Result<Message<'_>, DecodeError> {
    let mut r = Reader::new(frame);
    match r.read_var()? {
        MSG_SYNC => {
            let sub = r.read_var()?;
            let payload = r.read_buf()?;
            match sub {
                SYNC_STEP1 => Ok(Message::SyncStep1(payload)),
                SYNC_STEP2 => Ok(Message::SyncStep2(payload)),
                SYNC_UPDATE => Ok(Message::Update(payload)),
                other => Err(DecodeError::UnknownSyncType(other)),
            }
        }
        MSG_AWARENESS => Ok(Message::Awareness(r.read_buf()?)),
        MSG_AUTH => Ok(Message::Auth),
        MSG_QUERY_AWARENESS => Ok(Message::QueryAwareness),
        MSG_AUTHORED_UPDATE => {
            let author = r.read_str()?;
            let update = r.read_buf()?;
            Ok(Message::AuthoredUpdate { author, update })
        }
        other => Err(DecodeError::UnknownType(other)),
    }
}

pub fn write_var(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn write_buf(out: &mut Vec<u8>, buf: &[u8]) {
    write_var(out, buf.len() as u64);
    out.extend_from_slice(buf);
}

fn frame(tag: u64, sub: Option<u64>, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 12);
    write_var(&mut out, tag);
    if let Some(sub) = sub {
        write_var(&mut out, sub);
    }
    write_buf(&mut out, payload);
    Bytes::from(out)
}

pub fn encode_sync_step1(state_vector: &[u8]) -> Bytes {
    frame(MSG_SYNC, Some(SYNC_STEP1), state_vector)
}

pub fn encode_sync_step2(update: &[u8]) -> Bytes {
    frame(MSG_SYNC, Some(SYNC_STEP2), update)
}

pub fn encode_update(update: &[u8]) -> Bytes {
    frame(MSG_SYNC, Some(SYNC_UPDATE), update)
}

pub fn encode_awareness(awareness_update: &[u8]) -> Bytes {
    frame(MSG_AWARENESS, None, awareness_update)
}

/// Permission denied, sent to a client that tried to write through a read-only link.
pub fn encode_auth_denied(reason: &str) -> Bytes {
    let mut out = Vec::with_capacity(reason.len() + 4);
    write_var(&mut out, MSG_AUTH);
    write_var(&mut out, 0);
    write_buf(&mut out, reason.as_bytes());
    Bytes::from(out)
}

/// An update a relaying node forwards to the owner, naming who wrote it.
pub fn encode_authored_update(author: &str, update: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(update.len() + author.len() + 8);
    write_var(&mut out, MSG_AUTHORED_UPDATE);
    write_buf(&mut out, author.as_bytes());
    write_buf(&mut out, update);
    Bytes::from(out)
}

pub fn encode_query_awareness() -> Bytes {
    let mut out = Vec::with_capacity(1);
    write_var(&mut out, MSG_QUERY_AWARENESS);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        for v in [0, 1, 127, 128, 300, 1 << 32, MAX_CLIENT_ID, u64::MAX] {
            let mut out = Vec::new();
            write_var(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.read_var(), Ok(v));
            assert!(r.is_empty());
        }
    }

    #[test]
    fn varint_errors() {
        assert_eq!(Reader::new(&[0x80]).read_var(), Err(DecodeError::Truncated));
        assert_eq!(Reader::new(&[]).read_var(), Err(DecodeError::Truncated));
        let eleven = [0xff; 11];
        assert_eq!(
            Reader::new(&eleven).read_var(),
            Err(DecodeError::VarIntOverflow)
        );
    }

    #[test]
    fn decode_messages() {
        assert_eq!(
            decode(&encode_sync_step1(&[1, 2])),
            Ok(Message::SyncStep1(&[1, 2]))
        );
        assert_eq!(
            decode(&encode_sync_step2(&[3])),
            Ok(Message::SyncStep2(&[3]))
        );
        assert_eq!(
            decode(&encode_update(&[4, 5])),
            Ok(Message::Update(&[4, 5]))
        );
        assert_eq!(
            decode(&encode_awareness(&[0])),
            Ok(Message::Awareness(&[0]))
        );
        assert_eq!(decode(&[3]), Ok(Message::QueryAwareness));
        assert_eq!(
            decode(&encode_authored_update("a.x", &[6])),
            Ok(Message::AuthoredUpdate {
                author: "a.x",
                update: &[6]
            })
        );
        assert_eq!(decode(&[0, 2, 5, 1]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0, 7, 0]), Err(DecodeError::UnknownSyncType(7)));
        assert_eq!(decode(&[9]), Err(DecodeError::UnknownType(9)));
        assert_eq!(decode(&[]), Err(DecodeError::Truncated));
    }
}
