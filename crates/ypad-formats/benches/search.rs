//! Searching an event: 1,000 pads of 10 KB of notes-like text, scanned for one word, two
//! words and a phrase; the time of the whole search (every pad scored, snippets made, results
//! ranked), which must stay under 50 ms.
//!
//! `cargo bench -p ypad-formats --bench search [-- PADS BYTES]`

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use ypad_formats::search::{Query, Searchable, hit, score};

mod corpus;
use corpus::{pad_text, vocabulary};

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
