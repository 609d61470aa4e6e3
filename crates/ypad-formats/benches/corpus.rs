//! Generated pad texts for the search benchmarks (this one and the engine's `event_search`,
//! which includes this file): words from a long-tailed vocabulary, some rare, some everywhere.

use rand::Rng;
use rand::rngs::StdRng;

/// A vocabulary with a long tail, so some words are rare and some everywhere.
pub fn vocabulary(rng: &mut StdRng) -> Vec<String> {
    (0..5000)
        .map(|_| {
            let len = rng.random_range(2..10);
            (0..len)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect()
        })
        .collect()
}

pub fn pad_text(rng: &mut StdRng, words: &[String], bytes: usize) -> String {
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
