-- Stories: per-article fingerprints, stories and topics, membership with copy families, and a log of
-- every opening, merge, split and topic link so story ids stay explainable over time.
CREATE TABLE story_features (
    article_id    TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    published     TEXT,                      -- ISO 8601 or NULL (copied for time windows)
    norm_hash     TEXT NOT NULL,             -- normalised content hash: equal for exact copies
    minhash_key   TEXT NOT NULL,             -- MinHashConfig.key the signature was computed with
    signature     BLOB NOT NULL,             -- uint32 x num_perm
    vector        BLOB NOT NULL,             -- float16 x 2 VECTOR_DIM: event then kind vector, unit each
    names         TEXT NOT NULL DEFAULT '[]',
    numbers       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX story_features_norm_hash ON story_features (norm_hash);

CREATE TABLE topics (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL
);

CREATE TABLE stories (
    id                   TEXT PRIMARY KEY,
    topic_id             TEXT REFERENCES topics (id),
    title                TEXT NOT NULL DEFAULT '',
    first_seen           TEXT,
    last_seen            TEXT,
    size                 INTEGER NOT NULL DEFAULT 0,
    independent_sources  INTEGER NOT NULL DEFAULT 0,
    sites                INTEGER NOT NULL DEFAULT 0,
    credited_wires       TEXT NOT NULL DEFAULT '[]',
    vector_sum           BLOB NOT NULL,      -- float32 x 2 VECTOR_DIM: sum of member rows
    merged_into          TEXT,               -- set when the story was merged away (its id stays valid)
    opened_at            TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX stories_topic ON stories (topic_id);
CREATE INDEX stories_last_seen ON stories (last_seen);

CREATE TABLE story_members (
    article_id    TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    story_id      TEXT NOT NULL REFERENCES stories (id),
    copy_family   TEXT NOT NULL,
    relation      TEXT NOT NULL CHECK (relation IN
                    ('original', 'exact-copy', 'near-copy', 'rewrite', 'translation-like', 'credited-wire',
                     'independent')),
    evidence      TEXT NOT NULL DEFAULT '',
    similarity    REAL NOT NULL DEFAULT 0,   -- average-link similarity when the article joined
    joined_at     TEXT NOT NULL
);
CREATE INDEX story_members_story ON story_members (story_id);

CREATE TABLE story_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('open', 'join', 'merge', 'split', 'topic')),
    story_id      TEXT NOT NULL,
    other_id      TEXT,
    article_id    TEXT,
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX story_log_story ON story_log (story_id);
