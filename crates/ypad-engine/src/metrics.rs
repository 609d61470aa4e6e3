//! The engine's metrics, in a Prometheus registry. Counters and the histogram are atomics
//! updated where things happen (no lock, no allocation); the gauges are read from the engine's
//! state when the metrics are gathered.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder};

pub(crate) struct Metrics {
    registry: Registry,
    /// Revisions accepted (from connections and server-side edits).
    pub(crate) updates: IntCounter,
    /// Frames queued on connections' outboxes by fan-out (updates and awareness).
    pub(crate) fanout_frames: IntCounter,
    /// How long one group commit's append and flush took, retries included.
    pub(crate) commit_seconds: Histogram,
    /// Cluster: lease renewals, pads taken over from a node whose lease lapsed, batches that
    /// found a pad fenced (claimed by another node).
    pub(crate) lease_renewals: IntCounter,
    pub(crate) failovers: IntCounter,
    pub(crate) fenced_batches: IntCounter,
    pub(crate) pads_owned: IntGauge,
    pub(crate) pads_relayed: IntGauge,
    pub(crate) connections: IntGauge,
    pub(crate) pads: IntGauge,
    pub(crate) store_healthy: IntGauge,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let registry =
            Registry::new_custom(Some("ypad".into()), None).expect("a valid metric prefix");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("a valid counter");
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("a valid gauge");
            registry
                .register(Box::new(g.clone()))
                .expect("registered once");
            g
        };
        let updates = counter("updates_accepted_total", "Revisions accepted.");
        let fanout_frames = counter(
            "fanout_frames_total",
            "Frames queued on connections' outboxes by fan-out.",
        );
        let lease_renewals = counter("lease_renewals_total", "Cluster lease renewals.");
        let failovers = counter(
            "failovers_total",
            "Pads this node took over from a node whose lease lapsed.",
        );
        let fenced_batches = counter(
            "fenced_commits_total",
            "Group commits that found a pad claimed by another node.",
        );
        let pads_owned = gauge("pads_owned", "Loaded pads this node owns.");
        let pads_relayed = gauge(
            "pads_relayed",
            "Loaded pads this node relays from their owner.",
        );
        let connections = gauge("connections", "Open WebSocket connections.");
        let pads = gauge("pads_loaded", "Pads loaded in memory.");
        let store_healthy = gauge("store_healthy", "1 while the store takes writes, else 0.");
        // Group commits gather for 20 ms and then flush: buckets from 1 ms to 10 s.
        let commit_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "commit_batch_seconds",
                "Duration of one group commit (append and flush of a batch).",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
        )
        .expect("a valid histogram");
        registry
            .register(Box::new(commit_seconds.clone()))
            .expect("registered once");
        Metrics {
            registry,
            updates,
            fanout_frames,
            commit_seconds,
            lease_renewals,
            failovers,
            fenced_batches,
            pads_owned,
            pads_relayed,
            connections,
            pads,
            store_healthy,
        }
    }

    /// Every metric in Prometheus's text exposition format.
    pub(crate) fn encode(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec fails only on metrics the registry would not have accepted.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;
