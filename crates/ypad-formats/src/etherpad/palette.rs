//! Author colours: Etherpad stores either `#rrggbb` or an index into its fixed palette
//! (`AuthorManager.getColorPalette`), and ypad wants `#rrggbb` always.

use serde_json::Value;

/// Etherpad's author colour palette, so imported and new authors look alike.
pub const PALETTE: [&str; 64] = [
    "#ffc7c7", "#fff1c7", "#e3ffc7", "#c7ffd5", "#c7ffff", "#c7d5ff", "#e3c7ff", "#ffc7f1",
    "#ffa8a8", "#ffe699", "#cfff9e", "#99ffb3", "#a3ffff", "#99b3ff", "#cc99ff", "#ff99e5",
    "#e7b1b1", "#e9dcaf", "#cde9af", "#bfedcc", "#b1e7e7", "#c3cdee", "#d2b8ea", "#eec3e6",
    "#e9cece", "#e7e0ca", "#d3e5c7", "#bce1c5", "#c1e2e2", "#c1c9e2", "#cfc1e2", "#e0bdd9",
    "#baded3", "#a0f8eb", "#b1e7e0", "#c3c8e4", "#cec5e2", "#b1d5e7", "#cda8f0", "#f0f0a8",
    "#f2f2a6", "#f5a8eb", "#c5f9a9", "#ececbb", "#e7c4bc", "#daf0b2", "#b0a0fd", "#bce2e7",
    "#cce2bb", "#ec9afe", "#edabbd", "#aeaeea", "#c4e7b1", "#d722bb", "#f3a5e7", "#ffa8a8",
    "#d8c0c5", "#eaaedd", "#adc6eb", "#bedad1", "#dee9af", "#e9afc2", "#f8d2a0", "#b3b3e6",
];

/// The `#rrggbb` colour of an author record's `colorId`, or a palette colour picked from the
/// author id when the record has none that can be read.
pub(crate) fn color_of(color_id: Option<&Value>, author_id: &str) -> String {
    let parsed = match color_id {
        Some(Value::Number(n)) => n.as_u64().and_then(palette_entry),
        Some(Value::String(s)) => s
            .parse::<u64>()
            .ok()
            .and_then(palette_entry)
            .or_else(|| hex_color(s)),
        _ => None,
    };
    parsed.unwrap_or_else(|| fallback(author_id))
}

fn palette_entry(index: u64) -> Option<String> {
    PALETTE
        .get(usize::try_from(index).ok()?)
        .map(|c| (*c).to_owned())
}

/// `#rgb` or `#rrggbb` in any case, as `#rrggbb` lower case.
pub(crate) fn hex_color(s: &str) -> Option<String> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(hex.chars().fold(String::from("#"), |mut out, c| {
            out.push(c.to_ascii_lowercase());
            out.push(c.to_ascii_lowercase());
            out
        })),
        _ => None,
    }
}

/// A stable palette colour for an author without one, so that authors stay distinguishable.
pub(crate) fn fallback(author_id: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike std's RandomState hasher.
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, author_id.as_bytes());
    let hash = std::hash::Hasher::finish(&hasher);
    PALETTE[(hash % PALETTE.len() as u64) as usize].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(color_id: Value, expected: &str) {
        assert_eq!(color_of(Some(&color_id), "a.x"), expected, "{color_id}");
    }

    #[test]
    fn colour_ids_become_hex() {
        check(json!("#e9dcAf"), "#e9dcaf");
        check(json!(17), "#e9dcaf");
        check(json!("28"), "#c1e2e2");
        check(json!("#ABC"), "#aabbcc");
        check(json!(99), &fallback("a.x"));
        check(json!("red"), &fallback("a.x"));
        assert_eq!(color_of(None, "a.x"), fallback("a.x"));
    }
}
