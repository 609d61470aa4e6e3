//! Etherpad's plain-text export (`/export/txt`) of an attributed text: list items become a
//! tab per level and `* ` or a dotted number, line markers are dropped. Used to check that an
//! import reproduces exactly what Etherpad recorded.

use std::collections::BTreeMap;

use super::atext::{AText, ATextError, Attributed};
use super::lines::analyze;
use super::pool::AttributePool;

/// The text Etherpad's `txt` export would give for `atext`.
///
/// One deliberate difference: Etherpad's exporter also deletes the first `*` of every
/// attribute run (a blunt way of dropping heading line markers), so it loses asterisks the
/// user typed; here only real line markers (those carrying `lmkr`) are dropped.
pub fn to_txt(atext: &AText, pool: &AttributePool) -> Result<String, ATextError> {
    Ok(attributed_to_txt(&Attributed::from_atext(atext)?, pool))
}

pub(crate) fn attributed_to_txt(atext: &Attributed, pool: &AttributePool) -> String {
    let mut out = String::new();
    // Mirrors `listNumbers`/`prevListLevel` in Etherpad's ExportTxt.js.
    let mut numbers: BTreeMap<usize, u64> = BTreeMap::new();
    let mut prev_level = 0;
    for view in atext.lines() {
        let line = analyze(&view, pool);
        let text = String::from_utf16_lossy(line.text);
        let (kind, level) = line.attrs.list.unwrap_or(("", 0));
        if kind != "number" {
            numbers.clear();
        }
        if level > 0 {
            out.push_str(&"\t".repeat(level));
            if kind == "number" {
                if level < prev_level {
                    numbers.remove(&prev_level);
                }
                *numbers.entry(level).or_insert(0) += 1;
                for parent in 1..level {
                    out.push_str(&format!("{}.", numbers.get(&parent).copied().unwrap_or(0)));
                }
                out.push_str(&format!("{}. ", numbers[&level]));
                prev_level = level;
            } else if kind == "bullet" {
                out.push_str("* ");
            }
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}
