-- Version 2: who may write and see. Pad locks (every change kept, the newest in force), groups
-- with their portals' mappings, group sessions, and which group pads are public.

CREATE TABLE pad_locks (
    seq     BIGSERIAL PRIMARY KEY,
    pad     TEXT COLLATE "C" NOT NULL,
    locked  BOOLEAN NOT NULL,
    lock_at BIGINT,
    by_author TEXT,
    time_ms BIGINT NOT NULL,
    chat    BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX pad_locks_by_pad ON pad_locks (pad, seq);

CREATE TABLE groups (
    id         TEXT COLLATE "C" PRIMARY KEY,
    mapper     TEXT COLLATE "C" UNIQUE,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    id          TEXT COLLATE "C" PRIMARY KEY,
    group_id    TEXT COLLATE "C" NOT NULL,
    author_id   TEXT COLLATE "C" NOT NULL,
    valid_until BIGINT NOT NULL
);
CREATE INDEX sessions_by_group ON sessions (group_id);

CREATE TABLE public_pads (
    pad TEXT COLLATE "C" PRIMARY KEY
);
