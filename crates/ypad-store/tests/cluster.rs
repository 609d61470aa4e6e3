//! The cluster's coordination on the test command's private PostgreSQL: leases, claims under
//! a growing fence, and commits refused once their node no longer owns the pad.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ypad_store::{Claim, Cluster, LogEntry, NodeInfo, PgStore, Store, StoreError, pg_testing};

const LONG: Duration = Duration::from_secs(60);

fn node(id: &str) -> NodeInfo {
    NodeInfo {
        id: id.into(),
        advertise_url: format!("http://{id}.test"),
    }
}

fn entry(pad: &str, rev: u64) -> LogEntry {
    LogEntry {
        pad: pad.into(),
        rev,
        time_ms: rev,
        author: None,
        update: vec![0, 0].into(),
        new_clients: Vec::new(),
    }
}

fn fences(pad: &str, fence: u64) -> BTreeMap<String, u64> {
    BTreeMap::from([(pad.to_owned(), fence)])
}

fn mine(claim: Claim) -> u64 {
    match claim {
        Claim::Mine { fence, .. } => fence,
        other => panic!("expected the pad, got {other:?}"),
    }
}

#[test]
fn concurrent_claims_give_the_pad_to_one_node() {
    let url = pg_testing::fresh_database();
    let store = PgStore::open(&url).unwrap();
    for i in 0..8 {
        assert!(!store.renew_lease(&node(&format!("n{i}")), LONG).unwrap());
    }
    let store = std::sync::Arc::new(store);
    let claims: Vec<Claim> = (0..8)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || store.claim("busy", &format!("n{i}")).unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let winners = claims
        .iter()
        .filter(|c| matches!(c, Claim::Mine { .. }))
        .count();
    assert_eq!(winners, 1, "{claims:?}");
    let owners: std::collections::BTreeSet<_> = claims
        .iter()
        .filter_map(|c| match c {
            Claim::Theirs { owner, fence } => Some((owner.id.clone(), *fence)),
            Claim::Mine { .. } => None,
        })
        .collect();
    assert_eq!(
        owners.len(),
        1,
        "every loser names the same owner: {owners:?}"
    );
}

#[test]
fn a_lapsed_lease_loses_its_pads_and_its_commits_are_fenced() {
    let url = pg_testing::fresh_database();
    let store = PgStore::open(&url).unwrap();
    let short = Duration::from_millis(300);
    store.renew_lease(&node("old"), short).unwrap();
    store.renew_lease(&node("new"), LONG).unwrap();
    let old_fence = mine(store.claim("p", "old").unwrap());
    assert_eq!(old_fence, 1);
    store
        .append_fenced(
            "old",
            &fences("p", old_fence),
            &[entry("p", 1), entry("p", 2)],
        )
        .unwrap();
    // While the old lease is live, the pad is the old node's.
    assert!(
        matches!(store.claim("p", "new").unwrap(), Claim::Theirs { ref owner, fence: 1 } if owner.id == "old")
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let new_fence = loop {
        match store.claim("p", "new").unwrap() {
            Claim::Mine { fence, took_over } => {
                assert!(took_over);
                break fence;
            }
            Claim::Theirs { .. } => {
                assert!(Instant::now() < deadline, "the lease never lapsed");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert_eq!(new_fence, old_fence + 1);
    // The old owner's next commit is refused, and still after it renews its lease.
    let refused = store.append_fenced("old", &fences("p", old_fence), &[entry("p", 3)]);
    assert!(
        matches!(refused, Err(StoreError::LeaseLapsed)),
        "{refused:?}"
    );
    assert!(matches!(
        store.claim("x", "old"),
        Err(StoreError::LeaseLapsed)
    ));
    assert!(
        !store.renew_lease(&node("old"), LONG).unwrap(),
        "the lease had lapsed"
    );
    let refused = store.append_fenced("old", &fences("p", old_fence), &[entry("p", 3)]);
    assert!(
        matches!(refused, Err(StoreError::Fenced { ref pads }) if pads == &["p"]),
        "{refused:?}"
    );
    assert_eq!(store.owned_pads("old").unwrap(), vec![]);
    assert_eq!(store.owned_pads("new").unwrap(), vec![("p".to_owned(), 2)]);
    // The new owner goes on from the head; the log stays dense.
    store
        .append_fenced("new", &fences("p", new_fence), &[entry("p", 3)])
        .unwrap();
    let revs: Vec<u64> = store
        .log("p", 1, 100)
        .unwrap()
        .iter()
        .map(|e| e.rev)
        .collect();
    assert_eq!(revs, vec![1, 2, 3]);
}

#[test]
fn a_commit_must_continue_the_head_and_a_retry_is_harmless() {
    let url = pg_testing::fresh_database();
    let store = PgStore::open(&url).unwrap();
    store.renew_lease(&node("a"), LONG).unwrap();
    let fence = mine(store.claim("p", "a").unwrap());
    let gap = store.append_fenced("a", &fences("p", fence), &[entry("p", 2)]);
    assert!(matches!(gap, Err(StoreError::Fenced { .. })), "{gap:?}");
    let batch = [entry("p", 1), entry("p", 2)];
    store
        .append_fenced("a", &fences("p", fence), &batch)
        .unwrap();
    // The same batch again, as after a commit whose answer was lost.
    store
        .append_fenced("a", &fences("p", fence), &batch)
        .unwrap();
    let overlap = store.append_fenced("a", &fences("p", fence), &[entry("p", 2), entry("p", 3)]);
    assert!(
        matches!(overlap, Err(StoreError::Fenced { .. })),
        "{overlap:?}"
    );
    // A batch is all or nothing: one pad not held refuses the other's rows too.
    let both = BTreeMap::from([("p".to_owned(), fence), ("q".to_owned(), 1)]);
    let refused = store.append_fenced("a", &both, &[entry("p", 3), entry("q", 1)]);
    assert!(
        matches!(refused, Err(StoreError::Fenced { ref pads }) if pads == &["q"]),
        "{refused:?}"
    );
    assert_eq!(store.meta("p").unwrap().unwrap().revisions, 2);
}

#[test]
fn released_pads_are_claimed_at_once_and_the_fence_still_grows() {
    let url = pg_testing::fresh_database();
    let store = PgStore::open(&url).unwrap();
    store.renew_lease(&node("a"), LONG).unwrap();
    store.renew_lease(&node("b"), LONG).unwrap();
    let f1 = mine(store.claim("p", "a").unwrap());
    mine(store.claim("q", "a").unwrap());
    store.release_pad("p", "a", f1).unwrap();
    assert_eq!(mine(store.claim("p", "b").unwrap()), f1 + 1);
    // A stale release (an old fence) does nothing.
    store.release_pad("p", "b", f1).unwrap();
    assert!(matches!(
        store.claim("p", "a").unwrap(),
        Claim::Theirs { .. }
    ));
    store.leave("a").unwrap();
    assert_eq!(mine(store.claim("q", "b").unwrap()), 2);
    // Claiming one's own pad again raises the fence too: a reload is a new claim.
    assert_eq!(mine(store.claim("q", "b").unwrap()), 3);
}
