//! Full-text search over a set of pads' current text (an event's): words and `"quoted
//! phrases"`, all of which must occur, each matched case-insensitively at the start of a word,
//! so `plan` finds `Planning`. Pads are ranked by how often the terms occur (dampened, so one
//! pad repeating a word does not bury the rest) with a bonus for terms in the title, and each
//! result carries a snippet around its rarest term with every term marked.
//!
//! A scan, not an index: an event's pads are a few thousand at most, and `BENCHMARKS.md`
//! shows 1,000 pads of 10 KB searched well within the 50 ms target; a scan needs no index to
//! keep in step with live edits.

/// A parsed query: lowercase words and phrases, each with its substring searcher built once
/// for all the pads it is run over.
#[derive(Debug, Clone)]
pub struct Query {
    terms: Vec<String>,
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl PartialEq for Query {
    fn eq(&self, other: &Query) -> bool {
        self.terms == other.terms
    }
}

/// Longest query honoured, in terms; the rest is ignored so a pasted essay stays cheap.
const MAX_TERMS: usize = 8;
/// Characters of context on each side of a snippet's first hit.
const CONTEXT_CHARS: usize = 70;

impl Query {
    /// `None` when the query has no term.
    pub fn parse(q: &str) -> Option<Query> {
        let mut terms = Vec::new();
        for (i, part) in q.split('"').enumerate() {
            if i % 2 == 1 {
                let phrase = part.split_whitespace().collect::<Vec<_>>().join(" ");
                if !phrase.is_empty() {
                    terms.push(phrase.to_lowercase());
                }
            } else {
                terms.extend(part.split_whitespace().map(str::to_lowercase));
            }
        }
        terms.dedup();
        terms.truncate(MAX_TERMS);
        let finders = terms
            .iter()
            .map(|t| memchr::memmem::Finder::new(t.as_bytes()).into_owned())
            .collect();
        (!terms.is_empty()).then_some(Query { terms, finders })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

/// A pad's text as search reads it: kept with its lowercase form, made once per revision.
#[derive(Debug, Clone)]
pub struct Searchable {
    text: String,
    lower: String,
}

impl Searchable {
    pub fn new(text: String) -> Searchable {
        let lower = text.to_lowercase();
        Searchable { text, lower }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A pad that matched, before its snippet is made (only the best few get one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub score: f64,
    /// Where in the text the snippet centres: the first hit of the rarest term (none when
    /// only the title matched).
    anchor: Option<usize>,
}

/// A pad that matched, with its snippet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub score: f64,
    /// The snippet, as runs of text that are (`mark`) or are not a match.
    pub snippet: Vec<Run>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub text: String,
    pub mark: bool,
}

/// Scores one pad; `None` unless every term occurs in its title or text.
pub fn score(query: &Query, title: &str, pad: &Searchable) -> Option<Scored> {
    let title = title.to_lowercase();
    let mut score = 0.0;
    // The term with the fewest hits in the text: the snippet is built around it.
    let mut rarest: Option<(usize, usize)> = None;
    for (term, finder) in query.terms.iter().zip(&query.finders) {
        let in_title = word_starts(&title, term).next().is_some();
        let mut count = 0usize;
        let mut first = None;
        for at in finder.find_iter(pad.lower.as_bytes()) {
            if starts_word(&pad.lower, at) {
                first.get_or_insert(at);
                count += 1;
            }
        }
        if count == 0 && !in_title {
            return None;
        }
        score += (1.0 + count as f64).ln() + if in_title { 2.0 } else { 0.0 };
        if let Some(at) = first
            && rarest.is_none_or(|(c, _)| count < c)
        {
            rarest = Some((count, at));
        }
    }
    Some(Scored {
        score,
        anchor: rarest.map(|(_, at)| at),
    })
}

/// The snippet of a pad [`score`] matched.
pub fn hit(query: &Query, pad: &Searchable, scored: Scored) -> Hit {
    let snippet = match scored.anchor {
        Some(at) => snippet(pad, &query.terms, at),
        None => plain_start(pad),
    };
    Hit {
        score: scored.score,
        snippet,
    }
}

/// Byte offsets in `haystack` where `term` starts a word.
fn word_starts<'a>(haystack: &'a str, term: &'a str) -> impl Iterator<Item = usize> + 'a {
    haystack
        .match_indices(term)
        .map(|(at, _)| at)
        .filter(move |&at| starts_word(haystack, at))
}

fn starts_word(haystack: &str, at: usize) -> bool {
    // A match of a valid UTF-8 term starts on a char boundary.
    !haystack[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// Text around `at` (an offset in the lowercase text) with the terms marked.
fn snippet(pad: &Searchable, terms: &[String], at: usize) -> Vec<Run> {
    // Lowercasing keeps byte offsets for nearly all text; where it did not (a few scripts'
    // letters change length), the snippet shows the lowercase text rather than misplace marks.
    let shown = if pad.lower.len() == pad.text.len() {
        &pad.text
    } else {
        &pad.lower
    };
    let start = back_chars(&pad.lower, at, CONTEXT_CHARS);
    let end = forward_chars(&pad.lower, at, CONTEXT_CHARS * 2);
    let window = &pad.lower[start..end];
    let mut marks: Vec<(usize, usize)> = terms
        .iter()
        .flat_map(|t| word_starts(window, t).map(move |s| (s, s + t.len())))
        .collect();
    marks.sort_unstable();
    let mut runs = Vec::new();
    let mut pos = 0;
    let push = |runs: &mut Vec<Run>, text: &str, mark: bool| {
        let text = collapse(text);
        if !text.is_empty() {
            runs.push(Run { text, mark });
        }
    };
    if start > 0 {
        runs.push(Run {
            text: "…".into(),
            mark: false,
        });
    }
    for (s, e) in marks {
        if s < pos {
            continue;
        }
        push(&mut runs, &shown[start + pos..start + s], false);
        push(&mut runs, &shown[start + s..start + e], true);
        pos = e;
    }
    push(&mut runs, &shown[start + pos..end], false);
    if end < pad.lower.len() {
        runs.push(Run {
            text: "…".into(),
            mark: false,
        });
    }
    runs
}

/// Runs of whitespace (line breaks included) as one space, edges kept: a snippet is one line.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_whitespace() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out
}

/// A pad matched by its title only: the start of its text.
fn plain_start(pad: &Searchable) -> Vec<Run> {
    let end = forward_chars(&pad.text, 0, CONTEXT_CHARS * 2);
    let text = pad.text[..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        Vec::new()
    } else {
        vec![Run { text, mark: false }]
    }
}

fn back_chars(s: &str, at: usize, n: usize) -> usize {
    s[..at].char_indices().rev().nth(n).map_or(0, |(i, _)| i)
}

fn forward_chars(s: &str, at: usize, n: usize) -> usize {
    s[at..]
        .char_indices()
        .nth(n)
        .map_or(s.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(hit: &Hit) -> Vec<&str> {
        hit.snippet
            .iter()
            .filter(|r| r.mark)
            .map(|r| r.text.as_str())
            .collect()
    }

    #[test]
    fn words_match_at_word_starts_and_all_must_occur() {
        let pad = Searchable::new("We are Planning the release. Unplanned work waits.".into());
        let q = Query::parse("plan release").unwrap();
        let hit = hit(&q, &pad, score(&q, "", &pad).unwrap());
        assert_eq!(marked(&hit), ["Plan", "release"]);
        let shown: String = hit.snippet.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(shown, "We are Planning the release. Unplanned work waits.");
        assert!(score(&Query::parse("plan zebra").unwrap(), "", &pad).is_none());
        assert!(score(&Query::parse("lanning").unwrap(), "", &pad).is_none());
    }

    #[test]
    fn phrases_match_as_a_whole() {
        let pad = Searchable::new("the release notes\nnotes on the release".into());
        let q = Query::parse("\"release notes\"").unwrap();
        assert_eq!(q.terms(), ["release notes"]);
        assert_eq!(
            marked(&hit(&q, &pad, score(&q, "", &pad).unwrap())),
            ["release notes"]
        );
        let q = Query::parse("\"notes release\"").unwrap();
        assert!(score(&q, "", &pad).is_none());
    }

    #[test]
    fn more_occurrences_and_title_hits_rank_higher() {
        let q = Query::parse("nova").unwrap();
        let once = score(&q, "", &Searchable::new("nova".into())).unwrap();
        let thrice = score(&q, "", &Searchable::new("nova nova nova".into())).unwrap();
        let titled = score(&q, "Nova planning", &Searchable::new("nova".into())).unwrap();
        assert!(thrice.score > once.score);
        assert!(titled.score > thrice.score);
    }

    #[test]
    fn snippets_are_cut_around_the_hit() {
        let text = format!("{} needle {}", "a ".repeat(200), "b ".repeat(200));
        let (q, pad) = (Query::parse("needle").unwrap(), Searchable::new(text));
        let hit = hit(&q, &pad, score(&q, "", &pad).unwrap());
        let shown: String = hit.snippet.iter().map(|r| r.text.as_str()).collect();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() < 250, "{shown}");
        assert_eq!(marked(&hit), ["needle"]);
    }

    #[test]
    fn empty_queries_are_none() {
        assert_eq!(Query::parse("  \"\" "), None);
    }
}
