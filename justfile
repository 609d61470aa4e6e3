# ypad's everyday commands. Each is a one-liner around cargo or npm; CI runs the same ones.

# Serve the editor on http://127.0.0.1:9001/ with data in ./ypad-data.
run *ARGS:
    cargo run --release -- {{ARGS}}

# The whole test suite (installs npm packages and chromium as needed).
test:
    bash tests/run.sh

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --check && cargo clippy --workspace --all-targets -- -D warnings

fmt:
    cargo fmt

# Rebuild the browser bundle in web/dist after changing web/src.
web:
    cd web && npm ci && npm run build

# Benchmarks; results go to BENCHMARKS.md.
bench *ARGS:
    cargo run --release -p ypad-bench -- {{ARGS}}

# Three ypad nodes on a private PostgreSQL (tests/pg.sh): the owner's CPU per keystroke with 50
# and 5,000 readers on relaying nodes, p99 through a relay, and 10 failovers after kill -9.
bench-cluster *ARGS:
    cargo build --release -p ypad && bash -c 'source tests/pg.sh && cargo run --release -p ypad-bench -- cluster "$@"' _ {{ARGS}}

# History at scale: a pad of REVISIONS keystrokes by 20 authors, at random places or (MODE
# `cursor`) at moving cursors; cold open, any revision's text and authors, bytes per revision.
# Figures go to BENCHMARKS.md by hand.
bench-history REVISIONS="100000" EVERY="1000" MODE="random":
    cargo bench -p ypad-engine --bench history -- {{REVISIONS}} {{EVERY}} {{MODE}}

# Searching an event: the scan alone, then through the engine over a sled store.
bench-search PADS="1000" BYTES="10240":
    cargo bench -p ypad-formats --bench search -- {{PADS}} {{BYTES}} && cargo bench -p ypad-engine --bench event_search -- {{PADS}} {{BYTES}}

# Hostile-input fuzzing of the protocol session; CASES sets how many random frame sequences.
fuzz CASES="200000":
    PROPTEST_CASES={{CASES}} cargo test --release -p ypad-core --test fuzz_session

# Summit-day load on one ypad for MINUTES, with clients and pads coming and going each round;
# lost updates, disconnects and server RSS go to BENCHMARKS.md.
soak MINUTES="10":
    cargo build --release -p ypad && cargo run --release -p ypad-bench -- soak --minutes {{MINUTES}}

# The pad page in headless Chromium on a busy pad: ITEMS scattered keystrokes by 20 authors, then
# all of them typing with cursor updates while tabs watch and one types; per tab the main thread's
# busy share, task waits, lag and own-key latency, and main-thread time per remote key against pad
# size. Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium); figures go to BENCHMARKS.md by hand.
bench-browser *ARGS:
    cargo build --release -p ypad && cd crates/ypad-bench/browser && npm ci && node bench.mjs {{ARGS}}
