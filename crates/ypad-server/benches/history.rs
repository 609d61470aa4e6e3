//! History at scale: a pad built from 100,000 single-keystroke revisions by 20 authors, in a
//! real sled store with the server's checkpointing. Measures opening the pad cold, rebuilding
//! random revisions, bytes on disk per revision and the memory of the loaded pad.
//!
//! `cargo bench -p ypad-server --bench history [-- REVISIONS CHECKPOINT_EVERY]`

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_core::PadDoc;
use ypad_server::history::doc_at_in;
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

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let revisions = args.first().copied().unwrap_or(100_000);
    let checkpoint_every = args.get(1).copied().unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(7);

    // Twenty authors typing one character at a time at random places, each on its own replica
    // kept in sync as a browser would be.
    let build = Instant::now();
    {
        let store = SledStore::open(dir.path()).unwrap();
        let mut replicas: Vec<(PadDoc, usize)> = (0..AUTHORS)
            .map(|a| (PadDoc::with_client_id(1000 + a), 0))
            .collect();
        let mut server = PadDoc::new();
        let mut log: Vec<Vec<u8>> = Vec::with_capacity(revisions as usize);
        let mut batch = Vec::with_capacity(1000);
        for rev in 1..=revisions {
            let a = rng.random_range(0..AUTHORS as usize);
            let (replica, seen) = &mut replicas[a];
            // Catch up on what the others typed since this author's last keystroke.
            for update in &log[*seen..] {
                replica.apply_update(update).unwrap();
            }
            *seen = log.len() + 1;
            let at = rng.random_range(0..=replica.text_len());
            let key = char::from(rng.random_range(b'a'..=b'z')).to_string();
            let update = replica.insert(at, &key).unwrap();
            server.apply_update(&update).unwrap();
            log.push(update.clone());
            batch.push(LogEntry {
                pad: "big".into(),
                rev,
                time_ms: rev,
                author: Some(format!("a.author{a:02}")),
                update: update.into(),
                new_clients: if rev <= AUTHORS {
                    vec![1000 + a as u64]
                } else {
                    Vec::new()
                },
            });
            if batch.len() == 1000 {
                store.append(&batch).unwrap();
                batch.clear();
            }
            if rev % checkpoint_every == 0 {
                store.append(&batch).unwrap();
                batch.clear();
                store.compact("big").unwrap();
            }
        }
        store.append(&batch).unwrap();
        store.flush().unwrap();
        assert_eq!(server.text_len() as u64, revisions);
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
    let rss_loaded = rss_kib();

    let mut times = Vec::new();
    for _ in 0..200 {
        let rev = rng.random_range(1..=revisions);
        let t = Instant::now();
        let at = doc_at_in(&store, "big", rev).unwrap();
        times.push(t.elapsed());
        assert_eq!(at.text_len() as u64, rev);
    }
    times.sort();
    let authorship = Instant::now();
    let spans = doc.authorship();
    let authorship_time = authorship.elapsed();

    println!(
        "history benchmark: {revisions} revisions by {AUTHORS} authors, checkpoint every {checkpoint_every}"
    );
    println!(
        "  build (generation + store): {:.1} s",
        build_time.as_secs_f64()
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
        "  rebuild a random revision: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms (200 samples)",
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
