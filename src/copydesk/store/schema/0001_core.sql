-- Articles, their removals, and the bookkeeping that makes ingest idempotent and resumable.
CREATE TABLE articles (
    id            TEXT PRIMARY KEY,          -- hash of source_id + content hash
    source_id     TEXT NOT NULL,
    origin        TEXT NOT NULL,             -- file path, WARC file#uri, URL or "-"
    input_kind    TEXT NOT NULL CHECK (input_kind IN ('html', 'text')),
    content_hash  TEXT NOT NULL,
    url           TEXT,
    site          TEXT,
    title         TEXT,
    published     TEXT,                      -- ISO 8601 or NULL
    authors       TEXT NOT NULL DEFAULT '[]',
    credits       TEXT NOT NULL DEFAULT '[]',
    language      TEXT,
    dateline      TEXT,
    raw_text      TEXT NOT NULL,
    text          TEXT NOT NULL,
    signals       TEXT NOT NULL DEFAULT '{}',
    metadata      TEXT NOT NULL DEFAULT '{}',
    ingested_at   TEXT NOT NULL,
    seq           INTEGER NOT NULL            -- insertion order, for stable listings
);
CREATE INDEX articles_source_id ON articles (source_id);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX articles_seq ON articles (seq);

CREATE TABLE removals (
    article_id   TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    position     INTEGER NOT NULL,
    repaired_as  TEXT,
    PRIMARY KEY (article_id, seq)
);

CREATE TABLE ingest_runs (
    id           INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    status       TEXT NOT NULL,              -- running | done | failed
    stored       INTEGER NOT NULL DEFAULT 0,
    duplicates   INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0
);

-- An input (file) whose every article was stored; a rerun skips it while its fingerprint holds.
CREATE TABLE ingest_inputs (
    origin       TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    articles     INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    finished_at  TEXT NOT NULL
);

CREATE TABLE skipped_inputs (
    run_id       INTEGER NOT NULL,
    origin       TEXT NOT NULL,
    source_id    TEXT,
    error_kind   TEXT NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX skipped_inputs_run ON skipped_inputs (run_id);
