-- Version 4: the cluster. Nodes hold leases they renew; a pad is owned by one node at a time
-- under a fencing token that grows on every claim. Times are PostgreSQL's own clock
-- (`clock_timestamp()`), so the nodes' clocks never have to agree.

CREATE TABLE nodes (
    node_id       TEXT COLLATE "C" PRIMARY KEY,
    -- Where the other nodes reach this one (`http://host:port`).
    advertise_url TEXT NOT NULL,
    lease_until   TIMESTAMPTZ NOT NULL
);

-- One row a pad ever claimed; kept when released (node_id NULL) so that its fence only grows.
CREATE TABLE pad_owners (
    pad        TEXT COLLATE "C" PRIMARY KEY,
    node_id    TEXT COLLATE "C",
    fence      BIGINT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pad_owners_by_node ON pad_owners (node_id);
