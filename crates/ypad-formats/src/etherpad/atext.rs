//! Attributed text: Etherpad's `{text, attribs}` pair, and the run-length working form in
//! which changesets are applied. Positions are UTF-16 code units throughout, because that is
//! what every Easysync number counts.

use serde_json::{Value, json};

use super::changeset::Changeset;
use super::ops::{Assembler, OpKind, ParseError, base36, ops};
use super::pool::AttributePool;

/// An attributed text as Etherpad stores it: the text (always ending in `\n`) and an
/// attribs string of `*I|L+N` inserts covering it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AText {
    pub text: String,
    pub attribs: String,
}

/// Why a `{text, attribs}` pair is not a valid attributed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ATextError {
    #[error("attribs: {0}")]
    Parse(#[from] ParseError),
    #[error("attribs cover {covered} code units, the text has {len}")]
    Length { covered: usize, len: usize },
}

/// Why a changeset could not be applied to a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("expected old length {expected}, text has {actual}")]
    OldLength { expected: usize, actual: usize },
    #[error("`{op}` at {at} runs past the end of the text ({len} code units)")]
    PastEnd { op: String, at: usize, len: usize },
    #[error("the char bank holds {have} code units but the ops insert more")]
    BankShort { have: usize },
    #[error("expected new length {expected}, the result has {actual}")]
    NewLength { expected: usize, actual: usize },
    #[error("attribute *{0} is not in the pool")]
    UnknownAttrib(String),
    #[error("the text it applies to is not a valid atext: {0}")]
    BadAText(#[from] ATextError),
}

impl AText {
    /// An empty pad: Etherpad's texts always end in a newline.
    pub fn new() -> Self {
        Self {
            text: "\n".to_owned(),
            attribs: "|1+1".to_owned(),
        }
    }

    /// Reads `{"text": …, "attribs": …}`.
    pub fn from_json(value: &Value) -> Option<Self> {
        Some(Self {
            text: value.get("text")?.as_str()?.to_owned(),
            attribs: value.get("attribs")?.as_str()?.to_owned(),
        })
    }

    pub fn to_json(&self) -> Value {
        json!({ "text": self.text, "attribs": self.attribs })
    }

    /// Applies `changeset`, as Etherpad's `applyToAText` does.
    pub fn apply(&self, changeset: &Changeset, pool: &AttributePool) -> Result<Self, ApplyError> {
        let mut working = Attributed::from_atext(self)?;
        working.apply(changeset, pool)?;
        Ok(working.to_atext(pool))
    }
}

impl Default for AText {
    fn default() -> Self {
        Self::new()
    }
}

/// One stretch of text with the same attributes (pool numbers, sorted).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    len: usize,
    attribs: Vec<u32>,
}

/// The working form: UTF-16 text and attribute runs, so that applying a changeset is one
/// linear pass with no re-parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attributed {
    text: Vec<u16>,
    runs: Vec<Run>,
}

/// One line of an attributed text without its newline, with the runs covering it.
pub(crate) struct LineView<'a> {
    pub text: &'a [u16],
    pub runs: Vec<(usize, &'a [u32])>,
}

const NEWLINE: u16 = b'\n' as u16;

impl Attributed {
    pub fn new() -> Self {
        Self {
            text: vec![NEWLINE],
            runs: vec![Run {
                len: 1,
                attribs: Vec::new(),
            }],
        }
    }

    pub fn from_atext(atext: &AText) -> Result<Self, ATextError> {
        let text: Vec<u16> = atext.text.encode_utf16().collect();
        let mut runs = Vec::new();
        let mut covered = 0;
        for op in ops(&atext.attribs) {
            let op = op?;
            if op.kind != OpKind::Insert {
                let symbol = if op.kind == OpKind::Keep { '=' } else { '-' };
                return Err(ParseError::NotInsert(symbol).into());
            }
            covered += op.chars;
            let mut attribs = op.attribs;
            attribs.sort_unstable();
            push_run(&mut runs, op.chars, attribs);
        }
        if covered != text.len() {
            return Err(ATextError::Length {
                covered,
                len: text.len(),
            });
        }
        Ok(Self { text, runs })
    }

    pub fn to_atext(&self, pool: &AttributePool) -> AText {
        let mut asm = Assembler::default();
        let mut at = 0;
        for run in &self.runs {
            asm.append_text(
                OpKind::Insert,
                &self.text[at..at + run.len],
                &etherpad_order(&run.attribs, pool),
            );
            at += run.len;
        }
        AText {
            text: String::from_utf16_lossy(&self.text),
            attribs: asm.finish(false),
        }
    }

    pub fn same_text(&self, other: &Self) -> bool {
        self.text == other.text
    }

    pub fn apply(&mut self, cs: &Changeset, pool: &AttributePool) -> Result<(), ApplyError> {
        if cs.old_len != self.text.len() {
            return Err(ApplyError::OldLength {
                expected: cs.old_len,
                actual: self.text.len(),
            });
        }
        let bank: Vec<u16> = cs.char_bank.encode_utf16().collect();
        let mut bank_at = 0;
        let mut text = Vec::with_capacity(cs.new_len);
        let mut runs = Vec::with_capacity(self.runs.len() + 2);
        let mut cursor = RunCursor::default();
        for op in &cs.ops {
            for n in &op.attribs {
                if pool.get(*n).is_none() {
                    return Err(ApplyError::UnknownAttrib(base36(*n as usize)));
                }
            }
            match op.kind {
                OpKind::Insert => {
                    let end = bank_at + op.chars;
                    if end > bank.len() {
                        return Err(ApplyError::BankShort { have: bank.len() });
                    }
                    text.extend_from_slice(&bank[bank_at..end]);
                    bank_at = end;
                    let mut attribs = op.attribs.clone();
                    attribs.sort_unstable();
                    push_run(&mut runs, op.chars, attribs);
                }
                OpKind::Keep | OpKind::Delete => {
                    let start = cursor.pos;
                    if start + op.chars > self.text.len() {
                        return Err(ApplyError::PastEnd {
                            op: op.to_string(),
                            at: start,
                            len: self.text.len(),
                        });
                    }
                    let pieces = cursor.take(&self.runs, op.chars);
                    if op.kind == OpKind::Keep {
                        text.extend_from_slice(&self.text[start..start + op.chars]);
                        for (len, attribs) in pieces {
                            push_run(&mut runs, len, compose(attribs, &op.attribs, pool));
                        }
                    }
                }
            }
        }
        let start = cursor.pos;
        let rest = self.text.len() - start;
        text.extend_from_slice(&self.text[start..]);
        for (len, attribs) in cursor.take(&self.runs, rest) {
            push_run(&mut runs, len, attribs.to_vec());
        }
        if text.len() != cs.new_len {
            return Err(ApplyError::NewLength {
                expected: cs.new_len,
                actual: text.len(),
            });
        }
        self.text = text;
        self.runs = runs;
        Ok(())
    }

    /// The lines as Etherpad's exporters see them: the final newline ends the last line
    /// rather than starting an empty one.
    pub fn lines(&self) -> Vec<LineView<'_>> {
        let body = match self.text.last() {
            Some(&NEWLINE) => &self.text[..self.text.len() - 1],
            _ => &self.text[..],
        };
        let mut cursor = RunCursor::default();
        let mut lines = Vec::new();
        for (i, segment) in body.split(|&u| u == NEWLINE).enumerate() {
            if i > 0 {
                cursor.take(&self.runs, 1);
            }
            let runs = cursor.take(&self.runs, segment.len());
            lines.push(LineView {
                text: segment,
                runs,
            });
        }
        lines
    }
}

/// Walks runs, handing out pieces of the requested length.
#[derive(Default)]
struct RunCursor {
    pos: usize,
    run: usize,
    offset: usize,
}

impl RunCursor {
    fn take<'a>(&mut self, runs: &'a [Run], mut n: usize) -> Vec<(usize, &'a [u32])> {
        let mut out = Vec::new();
        while n > 0 && self.run < runs.len() {
            let run = &runs[self.run];
            let take = (run.len - self.offset).min(n);
            out.push((take, run.attribs.as_slice()));
            n -= take;
            self.pos += take;
            self.offset += take;
            if self.offset == run.len {
                self.run += 1;
                self.offset = 0;
            }
        }
        out
    }
}

fn push_run(runs: &mut Vec<Run>, len: usize, attribs: Vec<u32>) {
    if len == 0 {
        return;
    }
    match runs.last_mut() {
        Some(last) if last.attribs == attribs => last.len += len,
        _ => runs.push(Run { len, attribs }),
    }
}

/// Etherpad's `composeAttributes` for a keep op over existing text: each of the op's
/// attributes replaces any with the same key, and an empty value removes the key.
fn compose(old: &[u32], change: &[u32], pool: &AttributePool) -> Vec<u32> {
    if change.is_empty() {
        return old.to_vec();
    }
    let mut out = old.to_vec();
    for &n in change {
        let Some((key, value)) = pool.get(n) else {
            continue;
        };
        out.retain(|&m| pool.get(m).is_none_or(|(k, _)| k != key));
        if !value.is_empty() {
            out.push(n);
        }
    }
    out.sort_unstable();
    out
}

/// Etherpad lists a run's attributes sorted by their `key,value` text (a JavaScript array
/// sort of the pairs); writing them that way keeps our atexts identical to its own.
fn etherpad_order(attribs: &[u32], pool: &AttributePool) -> Vec<u32> {
    let mut keyed: Vec<(String, u32)> = attribs
        .iter()
        .map(|&n| {
            let (k, v) = pool.get(n).unwrap_or_default();
            (format!("{k},{v}"), n)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> AttributePool {
        let mut pool = AttributePool::new();
        pool.put("author", "a.1"); // 0
        pool.put("bold", "true"); // 1
        pool.put("bold", ""); // 2
        pool.put("author", "a.2"); // 3
        pool
    }

    /// Applies changesets in turn to an empty pad and compares the resulting atext.
    fn check(changesets: &[&str], text: &str, attribs: &str) {
        let pool = pool();
        let mut atext = AText::new();
        for cs in changesets {
            atext = atext.apply(&Changeset::parse(cs).unwrap(), &pool).unwrap();
        }
        assert_eq!(atext.text, text);
        assert_eq!(atext.attribs, attribs);
    }

    fn check_err(start: &str, cs: &str, err: &str) {
        let atext = AText {
            text: start.into(),
            attribs: format!("|1+{}", base36(start.encode_utf16().count())),
        };
        let got = atext
            .apply(&Changeset::parse(cs).unwrap(), &pool())
            .unwrap_err();
        assert_eq!(got.to_string(), err);
    }

    #[test]
    fn applies_inserts_keeps_and_deletes() {
        check(&["Z:1>5*0+5$hello"], "hello\n", "*0+5|1+1");
        check(
            &["Z:1>5*0+5$hello", "Z:6>1=5*3|1+1$\n"],
            "hello\n\n",
            "*0+5*3|1+1|1+1",
        );
        check(&["Z:1>5*0+5$hello", "Z:6<2=1-2$"], "hlo\n", "*0+3|1+1");
    }

    #[test]
    fn keep_ops_set_and_remove_attributes() {
        check(
            &["Z:1>5*0+5$hello", "Z:6>0=1*1=2$"],
            "hello\n",
            "*0+1*0*1+2*0+2|1+1",
        );
        check(
            &["Z:1>5*0+5$hello", "Z:6>0*1=5$", "Z:6>0=2*2=1$"],
            "hello\n",
            "*0*1+2*0+1*0*1+2|1+1",
        );
    }

    #[test]
    fn bad_changesets_say_why() {
        check_err("ab\n", "Z:4>1*0+1$x", "expected old length 4, text has 3");
        check_err(
            "ab\n",
            "Z:3>0=5$",
            "`=5` at 0 runs past the end of the text (3 code units)",
        );
        check_err(
            "ab\n",
            "Z:3>2*0+2$x",
            "the char bank holds 1 code units but the ops insert more",
        );
        check_err(
            "ab\n",
            "Z:3>2*0+1$x",
            "expected new length 5, the result has 4",
        );
        check_err("ab\n", "Z:3>1*z+1$x", "attribute *z is not in the pool");
    }

    #[test]
    fn lines_split_runs_at_newlines() {
        let atext = AText {
            text: "*ab\ncd\n".into(),
            attribs: "*1+1*0|1+3*3+2|1+1".into(),
        };
        let working = Attributed::from_atext(&atext).unwrap();
        let lines = working.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].runs, vec![(1, &[1][..]), (2, &[0][..])]);
        assert_eq!(lines[1].runs, vec![(2, &[3][..])]);
        assert_eq!(working.to_atext(&pool()), atext);
    }
}
