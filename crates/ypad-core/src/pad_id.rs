//! Pad ids follow Etherpad's rules, so that every Etherpad URL maps onto a ypad pad.
//!
//! Etherpad accepts 1–50 characters without `/` and `$`, except that a group pad is named
//! `g.` + 16 characters (its group) + `$` + a name. ypad also rejects control characters and
//! reserves the `r.` prefix for read-only ids.

use std::fmt;

pub const MAX_PAD_ID_CHARS: usize = 50;
pub const READ_ONLY_PREFIX: &str = "r.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PadIdError {
    #[error("pad id is empty")]
    Empty,
    #[error("pad id is longer than {MAX_PAD_ID_CHARS} characters")]
    TooLong,
    #[error("pad id contains a forbidden character {0:?}")]
    ForbiddenChar(char),
    #[error("pad id may not be `.` or `..`")]
    Dots,
}

/// A validated pad id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PadId(String);

impl PadId {
    /// Validates an already percent-decoded pad id.
    pub fn parse(raw: &str) -> Result<PadId, PadIdError> {
        if raw.is_empty() {
            return Err(PadIdError::Empty);
        }
        if raw.chars().count() > MAX_PAD_ID_CHARS {
            return Err(PadIdError::TooLong);
        }
        // The one `$` a group pad has separates its group from its name.
        let name = group_split(raw).map_or(raw, |(_, name)| name);
        if let Some(c) = name
            .chars()
            .find(|&c| c == '/' || c == '$' || c == '\\' || c.is_control())
        {
            return Err(PadIdError::ForbiddenChar(c));
        }
        if raw == "." || raw == ".." {
            return Err(PadIdError::Dots);
        }
        Ok(PadId(raw.to_owned()))
    }

    /// Turns a user-typed name into a pad id the way Etherpad does: spaces and `:` become `_`.
    pub fn sanitize(raw: &str) -> Result<PadId, PadIdError> {
        let cleaned: String = raw
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == ':' { '_' } else { c })
            .collect();
        PadId::parse(&cleaned)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The group of a group pad (`g.…$name`): its pads open only through the group's sessions.
    pub fn group(&self) -> Option<&str> {
        group_split(&self.0).map(|(group, _)| group)
    }

    /// A read-only id (`r.…`) names a view of another pad, never a pad of its own.
    pub fn is_read_only(&self) -> bool {
        self.0.starts_with(READ_ONLY_PREFIX)
    }
}

/// `(group, name)` of a group pad id: `g.` + 16 ASCII letters or digits, `$`, a name.
fn group_split(raw: &str) -> Option<(&str, &str)> {
    let (group, name) = raw.split_once('$')?;
    let valid = group.len() == 18
        && group.starts_with("g.")
        && group[2..].bytes().all(|b| b.is_ascii_alphanumeric())
        && !name.is_empty();
    valid.then_some((group, name))
}

impl fmt::Display for PadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PadId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: &str, expected: Result<&str, PadIdError>) {
        assert_eq!(
            PadId::parse(raw).as_ref().map(PadId::as_str),
            expected.as_ref().map(|s| *s)
        );
    }

    #[test]
    fn rules() {
        check("kilo-oslo-sessions", Ok("kilo-oslo-sessions"));
        check("Ünïcödé pad", Ok("Ünïcödé pad"));
        check("", Err(PadIdError::Empty));
        check(&"x".repeat(50), Ok(&"x".repeat(50)));
        check(&"x".repeat(51), Err(PadIdError::TooLong));
        check(&"é".repeat(50), Ok(&"é".repeat(50)));
        check("a/b", Err(PadIdError::ForbiddenChar('/')));
        check("g.abc$name", Err(PadIdError::ForbiddenChar('$')));
        check("a\0b", Err(PadIdError::ForbiddenChar('\0')));
        check("a\nb", Err(PadIdError::ForbiddenChar('\n')));
        check("..", Err(PadIdError::Dots));
        check("..x", Ok("..x"));
    }

    #[test]
    fn sanitize_like_etherpad() {
        assert_eq!(PadId::sanitize(" my pad:2 ").unwrap().as_str(), "my_pad_2");
    }

    #[test]
    fn group_pads() {
        let pad = PadId::parse("g.s8oes9dhwrvt0zif$notes").unwrap();
        assert_eq!(pad.group(), Some("g.s8oes9dhwrvt0zif"));
        check(
            "g.s8oes9dhwrvt0zif$a$b",
            Err(PadIdError::ForbiddenChar('$')),
        );
        check("g.s8oes9dhwrvt0zif$", Err(PadIdError::ForbiddenChar('$')));
        check("g.short$notes", Err(PadIdError::ForbiddenChar('$')));
        assert_eq!(PadId::parse("notes").unwrap().group(), None);
    }

    #[test]
    fn read_only_prefix() {
        assert!(PadId::parse("r.abc").unwrap().is_read_only());
        assert!(!PadId::parse("ro.abc").unwrap().is_read_only());
    }
}
