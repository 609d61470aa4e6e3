//! Easysync operations: the `*I|L+N` words that make up both a changeset's body and an
//! attributed text's `attribs` string, their base-36 numbers, and the canonical way Etherpad
//! assembles them (it rejects changesets that are not canonical).

use std::fmt;

/// What an operation does to the text it walks over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `=`: keep characters, optionally changing their attributes.
    Keep,
    /// `+`: insert characters taken from the char bank.
    Insert,
    /// `-`: delete characters.
    Delete,
}

impl OpKind {
    fn symbol(self) -> char {
        match self {
            OpKind::Keep => '=',
            OpKind::Insert => '+',
            OpKind::Delete => '-',
        }
    }
}

/// One operation. `chars` counts UTF-16 code units (JavaScript string length), `lines` the
/// newlines among them, `attribs` attribute-pool numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub chars: usize,
    pub lines: usize,
    pub attribs: Vec<u32>,
}

/// Why an op string, attribs string or changeset could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("does not start with `Z:`")]
    NoHeader,
    #[error("bad length header `{0}`")]
    BadHeader(String),
    #[error("no `$` before the char bank")]
    NoCharBank,
    #[error("unexpected `{found}` at op offset {at}")]
    Unexpected { found: char, at: usize },
    #[error("operation ends without an opcode")]
    Truncated,
    #[error("number `{0}` is not base 36 or too large")]
    BadNumber(String),
    #[error("an attribs string may only insert (found `{0}`)")]
    NotInsert(char),
}

/// Parses a base-36 number as Etherpad writes them (`0-9a-z`).
pub fn parse_base36(s: &str) -> Result<usize, ParseError> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return Err(ParseError::BadNumber(s.to_owned()));
    }
    usize::from_str_radix(s, 36).map_err(|_| ParseError::BadNumber(s.to_owned()))
}

/// Writes `n` in base 36, lower case, as JavaScript's `n.toString(36)` does.
pub fn base36(mut n: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Iterates the ops of an op string (a changeset body without header and bank, or an
/// `attribs` string).
pub fn ops(s: &str) -> OpIter<'_> {
    OpIter { s, pos: 0 }
}

/// Iterator returned by [`ops`]; stops at the first error.
pub struct OpIter<'a> {
    s: &'a str,
    pos: usize,
}

impl OpIter<'_> {
    fn number(&mut self) -> Result<usize, ParseError> {
        let rest = &self.s[self.pos..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            .count();
        self.pos += len;
        parse_base36(&rest[..len])
    }

    fn next_op(&mut self) -> Result<Op, ParseError> {
        let mut attribs = Vec::new();
        let mut lines = 0;
        loop {
            let Some(c) = self.s[self.pos..].chars().next() else {
                return Err(ParseError::Truncated);
            };
            self.pos += c.len_utf8();
            match c {
                '*' => {
                    let n = self.number()?;
                    attribs.push(u32::try_from(n).map_err(|_| ParseError::BadNumber(base36(n)))?);
                }
                '|' => lines = self.number()?,
                '=' | '+' | '-' => {
                    let kind = match c {
                        '=' => OpKind::Keep,
                        '+' => OpKind::Insert,
                        _ => OpKind::Delete,
                    };
                    let chars = self.number()?;
                    return Ok(Op {
                        kind,
                        chars,
                        lines,
                        attribs,
                    });
                }
                found => {
                    return Err(ParseError::Unexpected {
                        found,
                        at: self.pos - c.len_utf8(),
                    });
                }
            }
        }
    }
}

impl Iterator for OpIter<'_> {
    type Item = Result<Op, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.s.len() {
            return None;
        }
        let op = self.next_op();
        if op.is_err() {
            self.pos = self.s.len();
        }
        Some(op)
    }
}

/// Writes one op in Etherpad's syntax.
pub fn write_op(out: &mut String, op: &Op) {
    for a in &op.attribs {
        out.push('*');
        out.push_str(&base36(*a as usize));
    }
    if op.lines > 0 {
        out.push('|');
        out.push_str(&base36(op.lines));
    }
    out.push(op.kind.symbol());
    out.push_str(&base36(op.chars));
}

/// Builds an op string the way Etherpad's `smartOpAssembler` does, because Etherpad's
/// `checkRep` re-assembles every changeset it loads and refuses any whose text differs:
/// adjacent ops of one kind and attributes merge, a multi-line stretch becomes `|L` ops up
/// to its last newline plus one op for the rest, and a document-final plain keep is dropped.
#[derive(Default)]
pub struct Assembler {
    out: String,
    /// The op being merged into, and the characters after its last newline, which are
    /// still mergeable into it if another newline-carrying op follows.
    pending: Option<(Op, usize)>,
}

impl Assembler {
    /// Appends `chars` code units containing `lines` newlines; when `lines > 0` the text
    /// is assumed to end in a newline (use [`Assembler::append_text`] otherwise).
    pub fn append(&mut self, kind: OpKind, chars: usize, lines: usize, attribs: &[u32]) {
        if chars == 0 {
            return;
        }
        if let Some((op, after)) = &mut self.pending
            && op.kind == kind
            && op.attribs == attribs
        {
            if lines > 0 {
                op.chars += *after + chars;
                op.lines += lines;
                *after = 0;
            } else if op.lines == 0 {
                op.chars += chars;
            } else {
                *after += chars;
            }
            return;
        }
        self.flush();
        let op = Op {
            kind,
            chars,
            lines,
            attribs: attribs.to_vec(),
        };
        self.pending = Some((op, 0));
    }

    /// Appends an op over `text` (UTF-16), splitting it at its last newline as Etherpad does.
    pub fn append_text(&mut self, kind: OpKind, text: &[u16], attribs: &[u32]) {
        let newline = u16::from(b'\n');
        match text.iter().rposition(|&u| u == newline) {
            Some(last) => {
                let lines = text.iter().filter(|&&u| u == newline).count();
                self.append(kind, last + 1, lines, attribs);
                self.append(kind, text.len() - last - 1, 0, attribs);
            }
            None => self.append(kind, text.len(), 0, attribs),
        }
    }

    fn flush(&mut self) {
        if let Some((op, after)) = self.pending.take() {
            write_op(&mut self.out, &op);
            if after > 0 {
                let rest = Op {
                    lines: 0,
                    chars: after,
                    ..op
                };
                write_op(&mut self.out, &rest);
            }
        }
    }

    /// Finishes the op string; `drop_final_keep` is true for changesets, false for atexts.
    pub fn finish(mut self, drop_final_keep: bool) -> String {
        if drop_final_keep
            && let Some((op, _)) = &self.pending
            && op.kind == OpKind::Keep
            && op.attribs.is_empty()
        {
            self.pending = None;
        }
        self.flush();
        self.out
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_op(&mut s, self);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_ops(input: &str, expected: &[&str]) {
        let got: Vec<String> = ops(input).map(|op| op.unwrap().to_string()).collect();
        assert_eq!(got, expected, "ops of {input:?}");
    }

    #[test]
    fn base36_round_trips() {
        for (n, s) in [(0, "0"), (35, "z"), (36, "10"), (166, "4m"), (1295, "zz")] {
            assert_eq!(base36(n), s);
            assert_eq!(parse_base36(s).unwrap(), n);
        }
        assert!(parse_base36("A").is_err());
        assert!(parse_base36("").is_err());
    }

    #[test]
    fn op_strings_parse() {
        check_ops("*0|1+k*0+g", &["*0|1+k", "*0+g"]);
        check_ops("|2=1w*6=1=i", &["|2=1w", "*6=1", "=i"]);
        check_ops("*9*c+6-3", &["*9*c+6", "-3"]);
        check_ops("", &[]);
    }

    #[test]
    fn op_strings_reject_garbage() {
        assert_eq!(
            ops("+1?").nth(1).unwrap(),
            Err(ParseError::Unexpected { found: '?', at: 2 })
        );
        assert_eq!(ops("*1").next().unwrap(), Err(ParseError::Truncated));
        assert!(ops("+").next().unwrap().is_err());
    }

    #[test]
    fn assembler_merges_like_etherpad() {
        let mut a = Assembler::default();
        let text: Vec<u16> = "ab\ncd\nef".encode_utf16().collect();
        a.append_text(OpKind::Insert, &text[..4], &[0]);
        a.append_text(OpKind::Insert, &text[4..], &[0]);
        assert_eq!(a.finish(true), "*0|2+6*0+2");

        let mut a = Assembler::default();
        a.append(OpKind::Keep, 3, 1, &[]);
        a.append(OpKind::Insert, 2, 0, &[1]);
        a.append(OpKind::Keep, 4, 0, &[]);
        assert_eq!(a.finish(true), "|1=3*1+2");
    }
}
