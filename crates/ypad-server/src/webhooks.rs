//! Webhooks: a `pad.changed` POST to each `--webhook-url` when a pad changes, signed with an
//! HMAC-SHA256 of the body.
//!
//! Two kinds of task, fed by the engine's commit notifications (which never wait for them):
//! the debouncer, which turns a stream of commits into at most one POST a pad every
//! `webhook_every` while it is edited and one more (`"settled": true`) once it has been quiet
//! for `webhook_settle`; and one delivery worker per URL, which sends its queue in order and
//! retries a failed POST with capped exponential backoff. A slow or failing receiver delays
//! only its own queue, which keeps the newest notice per pad (a newer head replaces an older
//! one still waiting) and drops the oldest when full. Failures are logged and counted in
//! `/health`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use ypad_engine::{Commit, Engine};

/// The header carrying `sha256=` and the hex HMAC-SHA256 of the body under the secret.
pub const SIGNATURE_HEADER: &str = "x-ypad-signature";
/// Notices waiting per receiver; past this the oldest is dropped (and counted).
const QUEUE_LEN: usize = 1024;
/// Tries of one POST before it is given up.
const ATTEMPTS: u32 = 6;
/// Wait before the first retry; doubled for each next one, up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long one POST may take.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the webhooks are told to do.
pub(crate) struct WebhookSettings {
    pub urls: Vec<String>,
    pub secret: String,
    /// At most one notice a pad this often while it is being edited.
    pub every: Duration,
    /// A pad quiet this long has settled.
    pub settle: Duration,
}

/// Counts shown in `/health`.
#[derive(Default)]
pub(crate) struct WebhookStats {
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    given_up: AtomicU64,
    dropped: AtomicU64,
    /// The newest failure, for the operator (a std mutex: held only to swap a string).
    last_error: Mutex<Option<String>>,
}

impl WebhookStats {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let last_error = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        serde_json::json!({
            "delivered": self.delivered.load(Ordering::Relaxed),
            "failedAttempts": self.failed_attempts.load(Ordering::Relaxed),
            "givenUp": self.given_up.load(Ordering::Relaxed),
            "dropped": self.dropped.load(Ordering::Relaxed),
            "lastError": last_error,
        })
    }

    fn failed(&self, error: String) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }
}

/// The body of a `pad.changed` POST.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Notice {
    event: &'static str,
    pad: String,
    head: u64,
    time_ms: u64,
    /// The pad has been quiet for the settle time: this is its head until it changes again.
    settled: bool,
}

/// Starts the debouncer and one delivery worker per URL (none without URLs); they end when
/// `stop` is cancelled.
pub(crate) fn start(
    settings: WebhookSettings,
    engine: &Engine,
    stop: &CancellationToken,
    tracker: &TaskTracker,
) -> Arc<WebhookStats> {
    let stats = Arc::new(WebhookStats::default());
    if settings.urls.is_empty() {
        return stats;
    }
    let client = match reqwest::Client::builder().timeout(POST_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(cause = %err, "webhooks are off: no HTTP client");
            return stats;
        }
    };
    let secret: Arc<str> = settings.secret.into();
    let queues: Vec<Arc<Queue>> = settings
        .urls
        .into_iter()
        .map(|url| {
            let queue = Arc::new(Queue::default());
            let receiver = Receiver {
                url,
                client: client.clone(),
                secret: secret.clone(),
                stats: stats.clone(),
            };
            tracker.spawn(receiver.run(queue.clone(), stop.clone()));
            queue
        })
        .collect();
    let debouncer = Debouncer {
        every: settings.every,
        settle: settings.settle,
        pads: HashMap::new(),
    };
    tracker.spawn(debouncer.run(
        engine.subscribe_commits(),
        queues,
        stats.clone(),
        stop.clone(),
    ));
    stats
}

/// One pad's state between its change and its notices.
struct Pending {
    head: u64,
    time_ms: u64,
    changed_at: Instant,
    /// The first change not yet sent: a notice is due `every` after it.
    unsent_since: Option<Instant>,
}

struct Debouncer {
    every: Duration,
    settle: Duration,
    /// Pads owed a settled notice; one leaves once it has had it.
    pads: HashMap<String, Pending>,
}

impl Debouncer {
    fn due(&self, p: &Pending) -> Instant {
        let settled = p.changed_at + self.settle;
        p.unsent_since
            .map_or(settled, |since| settled.min(since + self.every))
    }

    fn note(&mut self, commit: &Commit, now: Instant) {
        for c in &commit.pads {
            let p = self.pads.entry(c.pad.clone()).or_insert(Pending {
                head: 0,
                time_ms: 0,
                changed_at: now,
                unsent_since: None,
            });
            if c.head >= p.head {
                (p.head, p.time_ms) = (c.head, c.time_ms);
            }
            p.changed_at = now;
            p.unsent_since.get_or_insert(now);
        }
    }

    /// The notices due at `now`, taking settled pads out.
    fn take_due(&mut self, now: Instant) -> Vec<Notice> {
        let mut out = Vec::new();
        let settle = self.settle;
        self.pads.retain(|pad, p| {
            let settled = now >= p.changed_at + settle;
            let throttled_due = p
                .unsent_since
                .is_some_and(|since| now >= since + self.every);
            if settled || throttled_due {
                out.push(Notice {
                    event: "pad.changed",
                    pad: pad.clone(),
                    head: p.head,
                    time_ms: p.time_ms,
                    settled,
                });
                p.unsent_since = None;
            }
            !settled
        });
        out
    }

    async fn run(
        mut self,
        mut commits: tokio::sync::broadcast::Receiver<Arc<Commit>>,
        queues: Vec<Arc<Queue>>,
        stats: Arc<WebhookStats>,
        stop: CancellationToken,
    ) {
        loop {
            let next = self.pads.values().map(|p| self.due(p)).min();
            tokio::select! {
                () = stop.cancelled() => return,
                got = commits.recv() => match got {
                    Ok(commit) => self.note(&commit, Instant::now()),
                    Err(RecvError::Lagged(missed)) => {
                        // Only when this task was starved; those pads are noticed at their
                        // next change.
                        tracing::warn!(missed, "webhooks fell behind the commits");
                        stats.dropped.fetch_add(missed, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => return,
                },
                () = sleep_until_some(next) => {}
            }
            for notice in self.take_due(Instant::now()) {
                for queue in &queues {
                    queue.push(notice.clone(), &stats);
                }
            }
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One receiver's notices waiting to be sent.
#[derive(Default)]
struct Queue {
    /// A std mutex: held only to push or pop.
    notices: Mutex<VecDeque<Notice>>,
    ready: Notify,
}

impl Queue {
    fn push(&self, notice: Notice, stats: &WebhookStats) {
        {
            let mut notices = self.notices.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waiting) = notices.iter_mut().find(|n| n.pad == notice.pad) {
                // The receiver wants the newest head; the older notice is still unsent.
                waiting.head = waiting.head.max(notice.head);
                waiting.time_ms = notice.time_ms;
                waiting.settled = notice.settled;
            } else {
                if notices.len() >= QUEUE_LEN {
                    notices.pop_front();
                    stats.dropped.fetch_add(1, Ordering::Relaxed);
                }
                notices.push_back(notice);
            }
        }
        self.ready.notify_one();
    }

    fn pop(&self) -> Option<Notice> {
        self.notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

struct Receiver {
    url: String,
    client: reqwest::Client,
    secret: Arc<str>,
    stats: Arc<WebhookStats>,
}

impl Receiver {
    async fn run(self, queue: Arc<Queue>, stop: CancellationToken) {
        loop {
            while let Some(notice) = queue.pop() {
                if !self.deliver(&notice, &stop).await {
                    return;
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = queue.ready.notified() => {}
            }
        }
    }

    /// Sends one notice, retrying with backoff; false if the server is stopping.
    async fn deliver(&self, notice: &Notice, stop: &CancellationToken) -> bool {
        let body = serde_json::to_vec(notice).unwrap_or_default();
        let signature = format!("sha256={}", sign(&self.secret, &body));
        let delivery = uuid::Uuid::new_v4().to_string();
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            let request = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("x-ypad-event", notice.event)
                .header("x-ypad-delivery", &delivery)
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send();
            // A receiver that hangs must not hold up the server's shutdown.
            let sent = tokio::select! {
                () = stop.cancelled() => return false,
                sent = request => sent,
            };
            let error = match sent {
                Ok(resp) if resp.status().is_success() => {
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Ok(resp) => format!("{} answered {}", self.url, resp.status()),
                Err(err) => format!("{}: {err}", self.url),
            };
            tracing::warn!(pad = %notice.pad, attempt, cause = %error, "webhook delivery failed");
            self.stats.failed(error);
            if attempt == ATTEMPTS {
                break;
            }
            tokio::select! {
                () = stop.cancelled() => return false,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        self.stats.given_up.fetch_add(1, Ordering::Relaxed);
        tracing::error!(pad = %notice.pad, url = %self.url, "webhook given up after {ATTEMPTS} attempts");
        true
    }
}

/// Hex HMAC-SHA256 of `body` under `secret`.
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ypad_engine::CommittedPad;

    fn commit(pad: &str, head: u64) -> Commit {
        Commit {
            pads: vec![CommittedPad {
                pad: pad.into(),
                head,
                time_ms: head,
            }],
        }
    }

    #[test]
    fn edits_notify_every_so_often_and_once_settled() {
        let mut d = Debouncer {
            every: Duration::from_secs(5),
            settle: Duration::from_secs(2),
            pads: HashMap::new(),
        };
        let t0 = Instant::now();
        let s = Duration::from_secs;
        // An edit a second for 11 seconds.
        let mut sent = Vec::new();
        for i in 0..=11 {
            let now = t0 + s(i);
            d.note(&commit("p", i + 1), now);
            sent.extend(d.take_due(now).into_iter().map(|n| (i, n.head, n.settled)));
        }
        // Then quiet: nothing until the pad has settled.
        assert!(d.take_due(t0 + s(12)).is_empty());
        sent.extend(
            d.take_due(t0 + s(13))
                .into_iter()
                .map(|n| (13, n.head, n.settled)),
        );
        assert_eq!(sent, [(5, 6, false), (11, 12, false), (13, 12, true)]);
        assert!(d.pads.is_empty());
        assert!(d.take_due(t0 + s(60)).is_empty());
    }

    #[test]
    fn a_full_queue_keeps_the_newest_notice_per_pad() {
        let queue = Queue::default();
        let stats = WebhookStats::default();
        let notice = |pad: &str, head| Notice {
            event: "pad.changed",
            pad: pad.into(),
            head,
            time_ms: 0,
            settled: false,
        };
        queue.push(notice("a", 1), &stats);
        queue.push(notice("a", 3), &stats);
        assert_eq!(queue.pop().map(|n| n.head), Some(3));
        for i in 0..=QUEUE_LEN as u64 {
            queue.push(notice(&format!("p{i}"), i), &stats);
        }
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(queue.pop().map(|n| n.pad), Some("p1".into()));
    }
}
