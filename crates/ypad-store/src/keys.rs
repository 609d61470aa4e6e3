//! Key layout. A pad's records share the prefix `len(pad) • pad`, so a prefix scan finds exactly
//! one pad's records (no pad id is a prefix of another's key); revisions follow as big-endian
//! u64 so that sled's byte order is revision order.

pub fn pad_prefix(pad: &str) -> Vec<u8> {
    let bytes = pad.as_bytes();
    // Pad ids are at most 50 characters, so at most 200 bytes of UTF-8.
    debug_assert!(bytes.len() <= u8::MAX as usize);
    let mut key = Vec::with_capacity(bytes.len() + 9);
    key.push(bytes.len().min(u8::MAX as usize) as u8);
    key.extend_from_slice(bytes);
    key
}

pub fn rev_key(pad: &str, rev: u64) -> Vec<u8> {
    let mut key = pad_prefix(pad);
    key.extend_from_slice(&rev.to_be_bytes());
    key
}

/// The revision at the end of a `rev_key`.
pub fn rev_of(key: &[u8]) -> Option<u64> {
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
        assert!(!rev_key("ab", 1).starts_with(&pad_prefix("a")));
        assert!(rev_key("a", 1).starts_with(&pad_prefix("a")));
        assert_eq!(rev_of(&rev_key("pad", 42)), Some(42));
        assert_eq!(pad_of(&pad_prefix("pädx")), Some("pädx"));
        assert!(rev_key("a", 255) < rev_key("a", 256));
    }
}
