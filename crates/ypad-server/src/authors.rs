//! Identities: author ids (`a.` + 16 characters, as in Etherpad), their colours, and
//! read-only ids.

use ypad_store::Author;

use crate::clock::wall_ms;

use ypad_formats::etherpad::PALETTE;

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}

pub fn new_author(name: Option<String>) -> Author {
    let suffix = random_suffix();
    let index = usize::from_str_radix(&suffix[..4], 16).unwrap_or(0) % PALETTE.len();
    Author {
        id: format!("a.{suffix}"),
        name,
        color: PALETTE[index].to_owned(),
        created_ms: wall_ms(),
    }
}

pub fn new_read_only_id() -> String {
    format!("r.{}", random_suffix())
}
