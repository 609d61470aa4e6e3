-- The PostgreSQL store, version 1: the same records as the embedded store, one table a kind.
-- Ids compare bytewise (COLLATE "C") so that listings come out in the same order from either
-- backend. Numbers the Store trait carries as u64 are BIGINT.

CREATE TABLE pads (
    id         TEXT COLLATE "C" PRIMARY KEY,
    created_ms BIGINT NOT NULL
);

-- One row a revision; never updated. Head revision and last-edited time are read from here.
CREATE TABLE log (
    pad       TEXT COLLATE "C" NOT NULL,
    rev       BIGINT NOT NULL,
    time_ms   BIGINT NOT NULL,
    author    TEXT COLLATE "C",
    update_v1 BYTEA NOT NULL,
    PRIMARY KEY (pad, rev)
);

CREATE TABLE checkpoints (
    pad   TEXT COLLATE "C" NOT NULL,
    rev   BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (pad, rev)
);

CREATE TABLE history_blocks (
    pad       TEXT COLLATE "C" NOT NULL,
    start_rev BIGINT NOT NULL,
    block     BYTEA NOT NULL,
    PRIMARY KEY (pad, start_rev)
);

CREATE TABLE read_only_ids (
    pad          TEXT COLLATE "C" PRIMARY KEY,
    read_only_id TEXT COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE authors (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT,
    color      TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- External ids (browser tokens, the API's authorMapper) → author id.
CREATE TABLE author_mappers (
    mapper TEXT COLLATE "C" PRIMARY KEY,
    author TEXT COLLATE "C" NOT NULL
);

CREATE TABLE pad_authors (
    pad    TEXT COLLATE "C" NOT NULL,
    author TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pad, author)
);
CREATE INDEX pad_authors_by_author ON pad_authors (author, pad);

-- Yjs client ids are u64 on the wire but below 2^53 in practice; stored as their bit pattern.
CREATE TABLE client_authors (
    pad    TEXT COLLATE "C" NOT NULL,
    client BIGINT NOT NULL,
    author TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pad, client)
);

-- `seq` orders a pad's saved revisions; a sequence lets two nodes save at once without racing
-- for the next number.
CREATE TABLE saved_revisions (
    seq     BIGSERIAL PRIMARY KEY,
    pad     TEXT COLLATE "C" NOT NULL,
    rev     BIGINT NOT NULL,
    label   TEXT NOT NULL,
    author  TEXT,
    time_ms BIGINT NOT NULL
);
CREATE INDEX saved_revisions_by_pad ON saved_revisions (pad, seq);

-- Settings every node shares, such as the API key.
CREATE TABLE settings (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
