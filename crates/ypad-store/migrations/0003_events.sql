-- Version 3: events (a summit's pads made and listed together), one JSON record each.

CREATE TABLE events (
    id   TEXT COLLATE "C" PRIMARY KEY,
    body TEXT NOT NULL
);
