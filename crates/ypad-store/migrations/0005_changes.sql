-- Version 5: the changes feed (`Store::changes_since`). Each pad has one row, moved to a new
-- sequence number in the same transaction as the revisions that changed it.
--
-- The numbers come from one counter row rather than a SEQUENCE: nodes commit concurrently, and
-- a sequence hands out numbers in the order transactions ask, not the order they commit, so a
-- reader could pass number 6 while number 5 is still uncommitted and never see it. Updating the
-- row locks it until the transaction commits, so numbers become visible in order. The lock is
-- taken last in a group commit's transaction and held only for its commit.

CREATE TABLE change_clock (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    seq      BIGINT NOT NULL
);
INSERT INTO change_clock (only_row, seq) VALUES (TRUE, 0);

CREATE TABLE pad_changes (
    pad     TEXT COLLATE "C" PRIMARY KEY,
    seq     BIGINT NOT NULL UNIQUE,
    head    BIGINT NOT NULL,
    time_ms BIGINT NOT NULL
);
