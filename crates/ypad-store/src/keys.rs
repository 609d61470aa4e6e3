//! Key layout. A pad's records share the prefix `len(pad) • pad`, so a prefix scan finds exactly
//! one pad's records (no pad id is a prefix of another's key). Numbered records (revisions,
//! checkpoints, history blocks, saved revisions, Yjs client ids) follow it with their number as
//! a big-endian u64, so that sled's byte order is numeric order.

pub fn pad_prefix(pad: &str) -> Vec<u8> {
    let bytes = pad.as_bytes();
    // Pad ids are at most 50 characters, so at most 200 bytes of UTF-8.
    debug_assert!(bytes.len() <= u8::MAX as usize);
    let mut key = Vec::with_capacity(bytes.len() + 9);
    key.push(bytes.len().min(u8::MAX as usize) as u8);
    key.extend_from_slice(bytes);
    key
}

/// The key of a pad's record number `n` (a revision, a client id, a saved revision's index).
pub fn numbered_key(pad: &str, n: u64) -> Vec<u8> {
    let mut key = pad_prefix(pad);
    key.extend_from_slice(&n.to_be_bytes());
    key
}

/// The number at the end of a `numbered_key`.
pub fn number_of(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The pad id of a meta key (which is just the pad prefix).
pub fn pad_of(key: &[u8]) -> Option<&str> {
    let (&len, rest) = key.split_first()?;
    std::str::from_utf8(rest.get(..len as usize)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_collide() {
        assert!(!numbered_key("ab", 1).starts_with(&pad_prefix("a")));
        assert!(numbered_key("a", 1).starts_with(&pad_prefix("a")));
        assert_eq!(number_of(&numbered_key("pad", 42)), Some(42));
        assert_eq!(pad_of(&pad_prefix("pädx")), Some("pädx"));
        assert!(numbered_key("a", 255) < numbered_key("a", 256));
    }
}
