//! Randomized convergence: clients edit at random, drop and rejoin, the server restarts; at
//! the end every replica and the reloaded store hold the same text. The seed is printed so a
//! failure can be replayed with `YPAD_SEED=…`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_tests::{Client, TestServer};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{GetString, ReadTxn, StateVector, Transact, Update};

const CLIENTS: usize = 5;
const ROUNDS: usize = 300;

#[tokio::test]
async fn random_edits_disconnects_and_a_restart_converge() {
    let seed: u64 = std::env::var("YPAD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("convergence seed: {seed} (rerun with YPAD_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        clients.push(Client::connect(&server.ws_url("random"), 1000 + i as u64).await);
    }
    let restart_at = rng.random_range(ROUNDS / 3..2 * ROUNDS / 3);
    for round in 0..ROUNDS {
        if round == restart_at {
            for c in &mut clients {
                c.disconnect();
            }
            server = server.restart().await;
        }
        let c = &mut clients[rng.random_range(0..CLIENTS)];
        match rng.random_range(0..100) {
            0..=4 if c.is_connected() => c.disconnect(),
            0..=14 if !c.is_connected() => c.reconnect(&server.ws_url("random")).await,
            0..=69 => {
                let at = rng.random_range(0..=c.text_len());
                let s: String = (0..rng.random_range(1..4))
                    .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                    .collect();
                c.insert(at, &s).await;
            }
            _ if c.text_len() > 0 => {
                let at = rng.random_range(0..c.text_len());
                let n = rng.random_range(1..=(c.text_len() - at).min(3));
                c.delete(at, n).await;
            }
            _ => {}
        }
    }

    // What every replica must converge to: the union of all of them.
    let reference = yrs::Doc::new();
    for c in &clients {
        let state = c
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        reference
            .transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
    }
    let expected = reference
        .get_or_insert_text(ypad_core::doc::TEXT_NAME)
        .get_string(&reference.transact());
    let _ = reference.transact().state_vector().encode_v1();

    for c in &mut clients {
        if !c.is_connected() {
            c.reconnect(&server.ws_url("random")).await;
        }
    }
    for c in &mut clients {
        c.wait_text(&expected).await;
    }
    assert_eq!(
        server.text("random").await.as_deref(),
        Some(expected.as_str()),
        "seed {seed}"
    );
    let server = server.restart().await;
    assert_eq!(
        server.text("random").await.as_deref(),
        Some(expected.as_str()),
        "seed {seed}"
    );
    server.stop().await;
}
