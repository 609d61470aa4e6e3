//! History at scale: a pad built from 100,000 single-keystroke revisions by 20 authors, in a
//! real sled store with the server's checkpointing. Measures opening the pad cold, rebuilding
//! random revisions, bytes on disk per revision and the memory of the loaded pad.
//!
//! `cargo bench -p ypad-server --bench history [-- REVISIONS CHECKPOINT_EVERY [cursor]]`

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_core::PadDoc;
use ypad_engine::HistoryIndex;
use ypad_store::{LogEntry, SledStore, Store};

const AUTHORS: u64 = 20;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Where each keystroke lands.
#[derive(Clone, Copy, PartialEq)]
enum Typing {
    /// Anywhere: nearly every keystroke stays a separate item, the CRDT's worst case.
    Random,
    /// At the author's cursor, which moves on with each keystroke and now and then jumps to a
    /// random place: how people type, so consecutive keystrokes merge into one item.
    Cursor,
}

fn main() {
    let typing = if std::env::args().any(|a| a == "cursor") {
        Typing::Cursor
    } else {
        Typing::Random
    };
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let revisions = args.first().copied().unwrap_or(100_000);
    let block_len = args.get(1).copied().unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(7);

    // Generating the keystrokes is the slow part (every replica catches up before it types), so
    // they are kept in a cache file under `target/` and reused by later runs.
    let build = Instant::now();
    let keystrokes = keystrokes(revisions, typing, &mut rng);
    let generated = build.elapsed();
    let mut indexing = Duration::ZERO;
    {
        let store = SledStore::open(dir.path()).unwrap();
        // The server's compactor: positional history and a checkpoint every interval.
        let history = HistoryIndex::new(block_len);
        let mut batch = Vec::with_capacity(1000);
        for (i, (a, update)) in keystrokes.iter().enumerate() {
            let rev = i as u64 + 1;
            batch.push(LogEntry {
                pad: "big".into(),
                rev,
                time_ms: rev,
                author: Some(format!("a.author{a:02}")),
                update: update.clone().into(),
                new_clients: if rev <= AUTHORS {
                    vec![1000 + *a as u64]
                } else {
                    Vec::new()
                },
            });
            if batch.len() == 1000 {
                store.append(&batch).unwrap();
                batch.clear();
            }
            if rev.is_multiple_of(block_len) {
                store.append(&batch).unwrap();
                batch.clear();
                let t = Instant::now();
                history.advance(&store, "big").unwrap();
                indexing += t.elapsed();
            }
        }
        store.append(&batch).unwrap();
        store.flush().unwrap();
    }
    let build_time = build.elapsed();

    let size = fs_size(dir.path());
    let rss_before = rss_kib();
    let open = Instant::now();
    let store = SledStore::open(dir.path()).unwrap();
    let opened_store = open.elapsed();
    let loaded = store.load("big").unwrap().unwrap();
    let doc = PadDoc::from_updates(loaded.updates()).unwrap();
    let cold_open = open.elapsed();
    assert_eq!(doc.text_len() as u64, revisions);
    // For profiling the load alone: `YPAD_LOAD_LOOPS=50 perf record …`.
    let loops: usize = std::env::var("YPAD_LOAD_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..loops {
        let again = store.load("big").unwrap().unwrap();
        std::hint::black_box(PadDoc::from_updates(again.updates()).unwrap());
    }
    let rss_loaded = rss_kib();

    let mut times = Vec::new();
    for _ in 0..200 {
        let rev = rng.random_range(1..=revisions);
        let t = Instant::now();
        // A fresh index each time: nothing but the store is warm.
        let at = HistoryIndex::new(block_len)
            .render(&store, "big", rev)
            .unwrap();
        let (text, spans) = (at.text(), at.spans());
        if t.elapsed() > Duration::from_millis(30) {
            eprintln!("  slow: revision {rev} took {:.1} ms", ms(t.elapsed()));
        }
        times.push(t.elapsed());
        assert_eq!(text.len() as u64, rev);
        assert_eq!(spans.iter().map(|s| u64::from(s.len)).sum::<u64>(), rev);
    }
    times.sort();
    let authorship = Instant::now();
    let spans = doc.authorship();
    let authorship_time = authorship.elapsed();

    println!(
        "history benchmark: {revisions} revisions by {AUTHORS} authors typing {}, history blocks of {block_len}",
        match typing {
            Typing::Random => "at random places",
            Typing::Cursor => "at their cursors",
        }
    );
    println!(
        "  build: {:.1} s (of which generating or reading the keystrokes {:.1} s)",
        build_time.as_secs_f64(),
        generated.as_secs_f64()
    );
    println!(
        "  positional history and checkpoints (the compactor's work): {:.1} s, {:.0} µs per revision",
        indexing.as_secs_f64(),
        indexing.as_secs_f64() * 1e6 / revisions as f64
    );
    println!(
        "  store on disk: {:.1} MB, {:.0} bytes per revision",
        size as f64 / 1e6,
        size as f64 / revisions as f64
    );
    println!(
        "  cold open (open sled + load + build doc): {:.1} ms (sled open {:.1} ms, tail {} updates)",
        ms(cold_open),
        ms(opened_store),
        loaded.tail.len()
    );
    println!(
        "  loaded pad memory (RSS delta): {:.1} MB",
        (rss_loaded.saturating_sub(rss_before)) as f64 / 1024.0
    );
    println!(
        "  a random revision, text and authors: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms (200 samples)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(*times.last().unwrap())
    );
    println!(
        "  authorship spans of the head: {:.2} ms ({} spans)",
        ms(authorship_time),
        spans.len()
    );
}

/// `(author, update)` per keystroke: twenty authors typing one character at a time at random
/// places, each on its own replica kept in sync as a browser would be.
fn keystrokes(revisions: u64, typing: Typing, rng: &mut StdRng) -> Vec<(usize, Vec<u8>)> {
    let mode = match typing {
        Typing::Random => "",
        Typing::Cursor => "-cursor",
    };
    let cache = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/history-bench")
        .join(format!("keystrokes-{revisions}-{AUTHORS}{mode}.bin"));
    if let Ok(bytes) = std::fs::read(&cache)
        && let Some(parsed) = parse_keystrokes(&bytes)
    {
        return parsed;
    }
    let mut replicas: Vec<(PadDoc, usize)> = (0..AUTHORS)
        .map(|a| (PadDoc::with_client_id(1000 + a), 0))
        .collect();
    let mut log: Vec<(usize, Vec<u8>)> = Vec::with_capacity(revisions as usize);
    // Each author's last keystroke: the cursor follows it.
    let mut last: Vec<Option<(u64, u32)>> = vec![None; AUTHORS as usize];
    for _ in 0..revisions {
        let a = rng.random_range(0..AUTHORS as usize);
        let (replica, seen) = &mut replicas[a];
        // Catch up on what the others typed since this author's last keystroke, in one go.
        let missed: Vec<Vec<u8>> = log[*seen..].iter().map(|(_, u)| u.clone()).collect();
        if !missed.is_empty() {
            replica
                .apply_update(&ypad_core::doc::merge_updates(&missed).unwrap())
                .unwrap();
        }
        *seen = log.len() + 1;
        let cursor = match (typing, last[a]) {
            (Typing::Cursor, Some((client, clock))) if rng.random_range(0..30) != 0 => {
                let id = yrs::ID::new(yrs::block::ClientID::new(client), clock);
                yrs::StickyIndex::new(yrs::IndexScope::Relative(id), yrs::Assoc::After)
                    .get_offset(&yrs::Transact::transact(replica.doc()))
                    .map(|o| o.index + 1)
            }
            _ => None,
        };
        let at = cursor.unwrap_or_else(|| rng.random_range(0..=replica.text_len()));
        let key = char::from(rng.random_range(b'a'..=b'z')).to_string();
        let clock = yrs::ReadTxn::state_vector(&yrs::Transact::transact(replica.doc()))
            .get(&yrs::block::ClientID::new(1000 + a as u64));
        last[a] = Some((1000 + a as u64, clock));
        log.push((a, replica.insert(at, &key).unwrap()));
    }
    let mut bytes = Vec::new();
    for (a, update) in &log {
        bytes.push(*a as u8);
        bytes.extend_from_slice(&(update.len() as u32).to_le_bytes());
        bytes.extend_from_slice(update);
    }
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(&cache, bytes).unwrap();
    log
}

fn parse_keystrokes(mut bytes: &[u8]) -> Option<Vec<(usize, Vec<u8>)>> {
    let mut out = Vec::new();
    while let [a, rest @ ..] = bytes {
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        out.push((*a as usize, rest.get(4..4 + len)?.to_vec()));
        bytes = &rest[4 + len..];
    }
    Some(out)
}

fn fs_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            fs_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}
