//! New identities: author ids (`a.` + 16 hex characters, as in Etherpad) with a colour from
//! Etherpad's palette, read-only ids, group ids and group session ids.

use ypad_formats::etherpad::PALETTE;
use ypad_store::Author;

use crate::clock::wall_ms;

fn random_hex(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_owned()
}

/// A new author (not yet stored), named `name`.
pub fn new_author(name: Option<String>) -> Author {
    let suffix = random_hex(16);
    let index = usize::from_str_radix(&suffix[..4], 16).unwrap_or(0) % PALETTE.len();
    Author {
        id: format!("a.{suffix}"),
        name,
        color: PALETTE[index].to_owned(),
        created_ms: wall_ms(),
    }
}

/// A candidate read-only id, as long as Etherpad's (`r.` + 32 hex characters); the store keeps
/// the first one recorded for a pad, so older, shorter ids go on working.
pub fn new_read_only_id() -> String {
    format!("r.{}", random_hex(32))
}

/// A new group id: `g.` and 16 characters, as Etherpad makes them.
pub fn new_group_id() -> String {
    format!("g.{}", random_hex(16))
}

/// A new group session id: `s.` and 32 hex characters.
pub fn new_session_id() -> String {
    format!("s.{}", random_hex(32))
}
