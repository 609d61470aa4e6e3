//! Identities: author ids (`a.` + 16 characters, as in Etherpad), their colours, and
//! read-only ids.

use ypad_store::Author;

use crate::clock::wall_ms;

/// Etherpad's author colour palette, so imported and new authors look alike.
pub const PALETTE: &[&str] = &[
    "#ffc7c7", "#fff1c7", "#e3ffc7", "#c7ffd5", "#c7ffff", "#c7d5ff", "#e3c7ff", "#ffc7f1",
    "#ffa8a8", "#ffe699", "#cfff9e", "#99ffb3", "#a3ffff", "#99b3ff", "#cc99ff", "#ff99e5",
    "#e7b1b1", "#e9dcAf", "#cde9af", "#bfedcc", "#b1e7e7", "#c3cdee", "#d2b8ea", "#eec3e6",
    "#e9cece", "#e7e0ca", "#d3e5c7", "#bce1c5", "#c1e2e2", "#c1c9e2", "#cfc1e2", "#e0bdd9",
    "#baded3", "#a0f8eb", "#b1e7e0", "#c3c8e4", "#cec5e2", "#b1d5e7", "#cda8f0", "#f0f0a8",
    "#f2f2a6", "#f5a8eb", "#c5f9a9", "#ececbb", "#e7c4bc", "#daf0b2", "#b0a0fd", "#bce2e7",
    "#cce2bb", "#ec9afe", "#edabbd", "#aeaeea", "#c4e7b1", "#d722bb", "#f3a5e7", "#ffa8a8",
    "#d8c0c5", "#eaaedd", "#adc6eb", "#bedad1", "#dee9af", "#e9afc2", "#f8d2a0", "#b3b3e6",
];

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
