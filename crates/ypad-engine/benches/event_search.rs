//! Searching an event through the engine: an event of 1,000 session pads of 10 KB each in a real
//! sled store, searched for one word, two words and a phrase. A search reads every pad's head
//! revision from the store, takes each text from the per-node cache (read once per revision:
//! the first, cold search also renders every pad), scores and ranks them. The time of the whole
//! `Engine::search_event` call, which the HTTP route wraps.
//!
//! `cargo bench -p ypad-engine --bench event_search [-- PADS BYTES]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use ypad_engine::{Engine, EventTexts, Settings};
use ypad_formats::search::Query;
use ypad_store::{Event, EventSession, SledStore};

#[path = "../../ypad-formats/benches/corpus.rs"]
mod corpus;
use corpus::{pad_text, vocabulary};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let pads = args.first().copied().unwrap_or(1000);
    let bytes = args.get(1).copied().unwrap_or(10 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = Engine::start(
            store,
            &Settings {
                history_block_len: ypad_engine::DEFAULT_HISTORY_BLOCK_LEN,
                idle_evict: Duration::from_secs(1),
                max_pad_chars: u64::MAX,
                cluster: None,
            },
        );
        let mut rng = StdRng::seed_from_u64(7);
        let words = vocabulary(&mut rng);
        let event = Event {
            id: "bench".into(),
            title: "Bench".into(),
            time_zone: "UTC".into(),
            template: Some(String::new()),
            sessions: (0..pads)
                .map(|i| EventSession {
                    pad: format!("bench-{i}"),
                    title: format!("Session {i}"),
                    starts_ms: 1_000,
                    ends_ms: 2_000,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        engine.put_event(event.clone(), "").await.unwrap();
        for s in &event.sessions {
            let id = ypad_core::PadId::parse(&s.pad).unwrap();
            let body = pad_text(&mut rng, &words, bytes);
            engine
                .import(&id, ypad_engine::Import::Text(body))
                .await
                .unwrap();
        }
        engine.barrier().await;
        // Nothing holds the pads: let them leave memory, as an event's pads do between visits.
        tokio::time::sleep(Duration::from_secs(2)).await;
        engine.sweep();
        let texts = EventTexts::default();
        println!(
            "{pads} pads of {bytes} bytes, {} loaded",
            engine.loaded().len()
        );
        let queries = [
            words[40].clone(),
            format!("{} {}", words[3], words[900]),
            format!("\"{} {}\"", words[1], words[2]),
        ];
        for (n, q) in queries.iter().enumerate() {
            let query = Query::parse(q).unwrap();
            let mut times = Vec::new();
            let mut found = 0;
            for _ in 0..30 {
                let t = Instant::now();
                found = engine
                    .search_event(&event, &query, &texts)
                    .await
                    .unwrap()
                    .len();
                times.push(t.elapsed());
            }
            // The first search of all reads every pad's text: reported apart from the warm ones.
            let cold = (n == 0).then(|| times.remove(0));
            times.sort();
            println!(
                "query {q:<24} results {found:>3}  {}warm: median {:>6.2} ms  max {:>6.2} ms",
                cold.map_or(String::new(), |c| format!("cold {:>7.1} ms  ", ms(c))),
                ms(times[times.len() / 2]),
                ms(times[times.len() - 1])
            );
        }
        engine.shutdown().await;
    });
}
