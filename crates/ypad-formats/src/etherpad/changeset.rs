//! Easysync changesets: reading `Z:{oldLen}>{n}{ops}${chars}`, writing it back, and making
//! the one-splice changeset that turns one revision's text into the next.

use std::fmt;
use std::str::FromStr;

use super::ops::{Assembler, Op, OpKind, ParseError, base36, ops, parse_base36};

/// A parsed changeset. Lengths count UTF-16 code units, as JavaScript strings do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changeset {
    pub old_len: usize,
    pub new_len: usize,
    pub ops: Vec<Op>,
    pub char_bank: String,
}

impl Changeset {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let rest = s.strip_prefix("Z:").ok_or(ParseError::NoHeader)?;
        let sign_at = rest
            .find(['>', '<'])
            .ok_or_else(|| ParseError::BadHeader(rest.chars().take(16).collect()))?;
        let old_len = parse_base36(&rest[..sign_at])?;
        let after_sign = &rest[sign_at + 1..];
        let diff_len = after_sign
            .bytes()
            .take_while(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            .count();
        let diff = parse_base36(&after_sign[..diff_len])?;
        let new_len = if rest.as_bytes()[sign_at] == b'>' {
            old_len.checked_add(diff)
        } else {
            old_len.checked_sub(diff)
        }
        .ok_or_else(|| ParseError::BadHeader(rest[..sign_at + 1 + diff_len].to_owned()))?;
        let body = &after_sign[diff_len..];
        let bank_at = body.find('$').ok_or(ParseError::NoCharBank)?;
        let ops = ops(&body[..bank_at]).collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            old_len,
            new_len,
            ops,
            char_bank: body[bank_at + 1..].to_owned(),
        })
    }

    /// The changeset that replaces the differing middle of `old` with that of `new`,
    /// inserting with `attribs`. Both texts are Etherpad texts ending in `\n`; the final
    /// newline is kept out of the splice so that it is never deleted and re-inserted,
    /// which Etherpad's editor assumes.
    pub fn splice(old: &str, new: &str, attribs: &[u32]) -> Self {
        let old_body = old.strip_suffix('\n').unwrap_or(old);
        let new_body = new.strip_suffix('\n').unwrap_or(new);
        let prefix: usize = old_body
            .chars()
            .zip(new_body.chars())
            .take_while(|(a, b)| a == b)
            .map(|(c, _)| c.len_utf8())
            .sum();
        let suffix: usize = old_body[prefix..]
            .chars()
            .rev()
            .zip(new_body[prefix..].chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(c, _)| c.len_utf8())
            .sum();
        let utf16 = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        let removed = &old_body[prefix..old_body.len() - suffix];
        let inserted = &new_body[prefix..new_body.len() - suffix];

        let mut asm = Assembler::default();
        asm.append_text(OpKind::Keep, &utf16(&old_body[..prefix]), &[]);
        asm.append_text(OpKind::Delete, &utf16(removed), &[]);
        asm.append_text(OpKind::Insert, &utf16(inserted), attribs);
        let body = asm.finish(true);
        Self {
            old_len: old.encode_utf16().count(),
            new_len: new.encode_utf16().count(),
            ops: ops(&body).collect::<Result<_, _>>().unwrap_or_default(),
            char_bank: inserted.to_owned(),
        }
    }
}

impl FromStr for Changeset {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Changeset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, diff) = if self.new_len >= self.old_len {
            ('>', self.new_len - self.old_len)
        } else {
            ('<', self.old_len - self.new_len)
        };
        write!(f, "Z:{}{sign}{}", base36(self.old_len), base36(diff))?;
        for op in &self.ops {
            write!(f, "{op}")?;
        }
        write!(f, "${}", self.char_bank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and re-serialises a changeset: the text must survive unchanged.
    fn check_round_trip(cs: &str) {
        assert_eq!(Changeset::parse(cs).unwrap().to_string(), cs);
    }

    fn check_splice(old: &str, new: &str, expected: &str) {
        assert_eq!(
            Changeset::splice(old, new, &[0]).to_string(),
            expected,
            "{old:?} -> {new:?}"
        );
    }

    #[test]
    fn fixture_changesets_round_trip() {
        check_round_trip("Z:1>4m|2+4m$\nWarning: DirtyDB\n");
        check_round_trip("Z:4n<4m|2-4m$");
        check_round_trip("Z:2g>c|2=1w*6=1=i*0|1+2*0*3*4*5*7+1*0+9$t\n*Python 3 ");
        check_round_trip("Z:6j>7|9=5w=m*0+7$ünïcödé");
        check_round_trip("Z:5w>0|7=4u=l*c=6$");
    }

    #[test]
    fn malformed_changesets_say_why() {
        let check = |cs: &str, err: &str| {
            assert_eq!(Changeset::parse(cs).unwrap_err().to_string(), err, "{cs}");
        };
        check("X:1>0$", "does not start with `Z:`");
        check("Z:1>0", "no `$` before the char bank");
        check("Z:1>0+1?$a", "unexpected `?` at op offset 2");
        check("Z:1!0$", "bad length header `1!0$`");
        check("Z:1<5$", "bad length header `1<5`");
    }

    #[test]
    fn splices_are_canonical() {
        check_splice("\n", "hello\n", "Z:1>5*0+5$hello");
        check_splice("hello\n", "help\n", "Z:6<1=3-2*0+1$p");
        check_splice("a\nb\n", "a\nxb\n", "Z:4>1|1=2*0+1$x");
        check_splice("a\n", "a\nb\n", "Z:2>2=1*0|1+1*0+1$\nb");
        check_splice("a\nb\nc\n", "a\nc\n", "Z:6<2|1=2|1-2$");
        check_splice("same\n", "same\n", "Z:5>0$");
    }

    #[test]
    fn splice_counts_utf16_code_units() {
        // "é" is one code unit, "😀" two: Etherpad measures JavaScript strings.
        check_splice("\n", "é😀\n", "Z:1>3*0+3$é😀");
        check_splice("😀a\n", "😀b\n", "Z:4>0=2-1*0+1$b");
        // Two emoji sharing their high surrogate must not be split mid-character.
        check_splice("😀\n", "😁\n", "Z:3>0-2*0+2$😁");
    }
}
