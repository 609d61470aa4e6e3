//! Searching an event: 1,000 pads of 10 KB of notes-like text, scanned for one word, two
//! words and a phrase; the time of the whole search (every pad scored, snippets made, results
//! ranked), which must stay under 50 ms.
//!
//! `cargo bench -p ypad-formats --bench search [-- PADS BYTES]`

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_formats::search::{Query, Searchable, hit, score};

/// A vocabulary with a long tail, so some words are rare and some everywhere.
fn vocabulary(rng: &mut StdRng) -> Vec<String> {
    (0..5000)
        .map(|_| {
            let len = rng.random_range(2..10);
            (0..len)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect()
        })
        .collect()
}

fn pad_text(rng: &mut StdRng, words: &[String], bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        // Zipf-like: low indexes far more often.
        let i = (rng.random::<f64>().powi(3) * words.len() as f64) as usize;
        text.push_str(&words[i.min(words.len() - 1)]);
        text.push(if rng.random_range(0..12) == 0 {
            '\n'
        } else {
            ' '
        });
    }
    text
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let pads = args.first().copied().unwrap_or(1000);
    let bytes = args.get(1).copied().unwrap_or(10 * 1024);
    let mut rng = StdRng::seed_from_u64(7);
    let words = vocabulary(&mut rng);
    let corpus: Vec<(String, Searchable)> = (0..pads)
        .map(|i| {
            (
                format!("Session {i}"),
                Searchable::new(pad_text(&mut rng, &words, bytes)),
            )
        })
        .collect();
    let queries = [
        words[40].clone(),
        format!("{} {}", words[3], words[900]),
        format!("\"{} {}\"", words[1], words[2]),
        words[4000].clone(),
    ];
    println!("{pads} pads of {bytes} bytes");
    for q in &queries {
        let query = Query::parse(q).unwrap_or_else(|| panic!("query {q:?} has no terms"));
        let mut times: Vec<Duration> = Vec::new();
        let mut found = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let mut scored: Vec<_> = corpus
                .iter()
                .filter_map(|(title, pad)| Some((score(&query, title, pad)?, pad)))
                .collect();
            scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
            scored.truncate(50);
            let hits: Vec<_> = scored
                .into_iter()
                .map(|(s, pad)| hit(&query, pad, s))
                .collect();
            times.push(t.elapsed());
            found = hits.len();
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "query {q:<24} results {found:>3}  median {:>6.2} ms  max {:>6.2} ms",
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
}
