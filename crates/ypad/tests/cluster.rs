//! A cluster of real `ypad` processes on one PostgreSQL database: a pad's owner is killed,
//! paused or stopped under load, and the pad moves to another node with nothing lost, doubled
//! or numbered twice.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ypad_tests::Client;

mod common;

use common::cluster::{Node, assert_dense, assert_nodes_agree, metric, type_one, union, until};

#[tokio::test]
async fn kill_9_of_the_owner_moves_its_pads_and_loses_no_edit() {
    const TTL_MS: u64 = 1500;
    let seed: u64 = rand::random();
    println!("cluster seed: {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let database = ypad_store::pg_testing::fresh_database();
    let a = Node::start(&database, TTL_MS);
    let b = Node::start(&database, TTL_MS);
    let c = Node::start(&database, TTL_MS);

    // `main` is owned by a (its first client is there); the side pads by whoever loads first.
    let mut on_a = vec![Client::connect(&a.ws("main"), 100).await];
    until("a to own main", Duration::from_secs(5), || a.owns("main")).await;
    on_a.push(Client::connect(&a.ws("main"), 101).await);
    let mut survivors = Vec::new();
    for (i, node) in [&b, &c, &b, &c].into_iter().enumerate() {
        survivors.push(Client::connect(&node.ws("main"), 200 + i as u64).await);
    }
    let mut sides: Vec<(String, Vec<Client>)> = Vec::new();
    for i in 0..3u64 {
        let pad = format!("side-{i}");
        let first = [&a, &b, &c][i as usize];
        let second = [&b, &c, &a][i as usize];
        sides.push((
            pad.clone(),
            vec![
                Client::connect(&first.ws(&pad), 300 + i).await,
                Client::connect(&second.ws(&pad), 400 + i).await,
            ],
        ));
    }
    for _ in 0..120 {
        if rng.random_bool(0.3) {
            type_one(&mut rng, &mut on_a).await;
        } else {
            type_one(&mut rng, &mut survivors).await;
        }
    }
    for (_, clients) in &mut sides {
        for _ in 0..20 {
            type_one(&mut rng, clients).await;
        }
    }
    let everyone: Vec<&Client> = on_a.iter().chain(&survivors).collect();
    let before = {
        let mut all = Client::new(1);
        for cl in &everyone {
            all.merge(&cl.diff(&[0]));
        }
        all.text()
    };
    for s in &mut survivors {
        s.wait_text(&before).await;
    }

    // SIGKILL: no flush, no release; a's clients lose their socket and come back through b.
    let killed = Instant::now();
    drop(a);
    for cl in &mut on_a {
        cl.disconnect();
    }
    for (_, clients) in &mut sides {
        // The side pads' clients on a are gone with it.
        let on_a = [300, 402];
        clients.retain(|cl| !on_a.contains(&cl.client_id()));
    }
    for _ in 0..40 {
        type_one(&mut rng, &mut survivors).await;
    }
    for cl in &mut on_a {
        cl.reconnect(&b.ws("main")).await;
    }
    let mut all: Vec<Client> = on_a.into_iter().chain(survivors).collect();
    let expected = union(&all);
    for cl in &mut all {
        cl.wait_text(&expected).await;
    }
    let converged = killed.elapsed();
    assert!(
        converged < Duration::from_millis(TTL_MS + 3000),
        "converged {converged:?} after the kill (seed {seed})"
    );
    until("b or c to own the pad", Duration::from_secs(5), || async {
        b.owns("main").await || c.owns("main").await
    })
    .await;
    // Edits made after convergence are accepted and reach every node.
    all[2].insert(0, "!").await;
    let expected = format!("!{expected}");
    for cl in &mut all {
        cl.wait_text(&expected).await;
    }

    assert_nodes_agree(&database, &[&b, &c], "main", &expected).await;
    for (pad, clients) in &mut sides {
        let text = union(clients);
        for cl in clients.iter_mut() {
            cl.wait_text(&text).await;
        }
        assert_dense(&database, pad);
    }
    let failovers =
        metric(&b, "ypad_failovers_total").await + metric(&c, "ypad_failovers_total").await;
    assert!(failovers >= 1.0, "the pads were taken over, not released");
}

#[tokio::test]
async fn sigterm_moves_the_owners_pads_without_waiting_for_the_lease() {
    // A long lease: a move that waited for it would fail the bound below.
    const TTL_MS: u64 = 20_000;
    let database = ypad_store::pg_testing::fresh_database();
    let a = Node::start(&database, TTL_MS);
    let b = Node::start(&database, TTL_MS);
    let c = Node::start(&database, TTL_MS);
    let mut owner_client = Client::connect(&a.ws("drain"), 1).await;
    until("a to own the pad", Duration::from_secs(5), || {
        a.owns("drain")
    })
    .await;
    let mut on_b = Client::connect(&b.ws("drain"), 2).await;
    let mut on_c = Client::connect(&c.ws("drain"), 3).await;
    for i in 0..50u32 {
        on_b.insert(i, "b").await;
        on_c.insert(0, "c").await;
    }
    owner_client.insert(0, "a").await;
    // Accepted by the owner (it reached another node) before the owner is told to stop: it
    // must be flushed before the owner leaves.
    let mut seen = Client::connect(&c.ws("drain"), 4).await;
    ypad_tests::within("the owner's edit on another node", async {
        while !seen.text().contains('a') {
            let _ = seen.next_event().await;
        }
    })
    .await;

    let terminated = Instant::now();
    a.signal(15);
    // Still typing while a drains.
    for _ in 0..20 {
        on_b.insert(0, "B").await;
        on_c.insert(0, "C").await;
    }
    // A write on b must reach c: the pad has an owner again, and both relay or own it.
    let mut clients = vec![on_b, on_c];
    let expected = {
        let mut all = Client::new(9);
        for cl in clients.iter().chain([&owner_client]) {
            all.merge(&cl.diff(&[0]));
        }
        all.text()
    };
    for cl in &mut clients {
        cl.wait_text(&expected).await;
    }
    // The clients may agree through the draining owner before it lets the pad go.
    until(
        "b or c to own the pad",
        Duration::from_millis(TTL_MS / 4),
        || async { b.owns("drain").await || c.owns("drain").await },
    )
    .await;
    let moved = terminated.elapsed();
    assert!(
        moved < Duration::from_millis(TTL_MS / 4),
        "the pad moved only after {moved:?}"
    );
    assert!(
        expected.contains('a'),
        "the owner's last edit was flushed before it left"
    );
    assert_eq!(expected.matches('B').count(), 20);
    assert_nodes_agree(&database, &[&b, &c], "drain", &expected).await;
}

#[tokio::test]
async fn a_paused_owner_is_fenced_and_its_clients_resync_elsewhere() {
    const TTL_MS: u64 = 1000;
    let database = ypad_store::pg_testing::fresh_database();
    let a = Node::start(&database, TTL_MS);
    let b = Node::start(&database, TTL_MS);
    let mut on_a = Client::connect(&a.ws("paused"), 1).await;
    until("a to own the pad", Duration::from_secs(5), || {
        a.owns("paused")
    })
    .await;
    let mut on_b = Client::connect(&b.ws("paused"), 2).await;
    for i in 0..10u32 {
        on_a.insert(i, "a").await;
        on_b.insert(0, "b").await;
    }
    let mut both = vec![on_a, on_b];
    let before = union(&both);
    for cl in &mut both {
        cl.wait_text(&before).await;
    }

    // SIGSTOP past the lease: b's relay finds the lease lapsed and takes the pad, while the
    // paused owner still holds its sockets and, resumed, what its client sent meanwhile.
    a.signal(19);
    let paused = Instant::now();
    for _ in 0..10 {
        both[0].insert(0, "X").await;
        both[1].insert(0, "Y").await;
    }
    until(
        "b to take the pad",
        Duration::from_millis(TTL_MS * 5),
        || b.owns("paused"),
    )
    .await;
    assert!(paused.elapsed() >= Duration::from_millis(TTL_MS / 2));
    a.signal(18);
    // The old owner notices it lost the pad: its client is told to reconnect, and does so
    // through b, bringing what it typed while a was paused.
    // 4000 once it finds the pad claimed elsewhere; 1013 if its commit failed first, since
    // its lease had lapsed. Either way the client comes back and resyncs.
    let code = both[0].wait_closed().await;
    assert!(
        matches!(code, Some(4000 | 1013)),
        "the old owner's sockets close: {code:?}"
    );
    both[0].reconnect(&b.ws("paused")).await;
    let expected = union(&both);
    for cl in &mut both {
        cl.wait_text(&expected).await;
    }
    assert_eq!(
        expected.matches('X').count(),
        10,
        "nothing doubled: {expected}"
    );
    assert_eq!(
        expected.matches('Y').count(),
        10,
        "nothing doubled: {expected}"
    );
    until("a to drop the pad", Duration::from_secs(5), || async {
        !a.owns("paused").await
    })
    .await;
    let health = a.health().await;
    assert_eq!(health["cluster"]["leaseLive"], true, "{health}");
    assert_nodes_agree(&database, &[&a, &b], "paused", &expected).await;
}

#[tokio::test]
async fn export_and_import_work_on_the_clusters_database() {
    let database = ypad_store::pg_testing::fresh_database();
    let a = Node::start(&database, 5000);
    let mut writer = Client::connect(&a.ws("live"), 1).await;
    until("a to own the pad", Duration::from_secs(5), || {
        a.owns("live")
    })
    .await;
    writer.insert(0, "# Live\n").await;
    Client::connect(&a.ws("live"), 2)
        .await
        .wait_text("# Live\n")
        .await;
    let files = tempfile::tempdir().unwrap();
    let notes = files.path().join("fresh.md");
    std::fs::write(&notes, "imported beside a running node\n").unwrap();
    let live = files.path().join("live.md");
    std::fs::write(&live, "would overwrite an open pad\n").unwrap();

    let run = |args: &[&std::ffi::OsStr]| {
        common::ypad()
            .args(args)
            .args([
                "--database-url".as_ref(),
                database.as_ref() as &std::ffi::OsStr,
            ])
            .output()
            .unwrap()
    };
    let imported = run(&["import".as_ref(), notes.as_os_str()]);
    assert!(imported.status.success(), "{imported:?}");
    let refused = run(&["import".as_ref(), live.as_os_str()]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("is open on node") && why.contains(&a.addr),
        "{why}"
    );

    // The node claims the imported pad as soon as a browser opens it.
    Client::connect(&a.ws("fresh"), 3)
        .await
        .wait_text("imported beside a running node\n")
        .await;
    let out = tempfile::tempdir().unwrap();
    let exported = run(&["export".as_ref(), "--out".as_ref(), out.path().as_os_str()]);
    assert!(exported.status.success(), "{exported:?}");
    assert_eq!(
        std::fs::read_to_string(out.path().join("live.md")).unwrap(),
        "# Live\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("fresh.md")).unwrap(),
        "imported beside a running node\n"
    );
}
