-- Corroboration per story: merged names, figures and quotes of each source, the groups that line them up,
-- and rewrites aligned with their closest sibling. A story's rows are replaced whole when it is recomputed.
CREATE TABLE fact_stories (
    story_id      TEXT PRIMARY KEY,
    members_key   TEXT NOT NULL,             -- hash of the member ids and relations the facts were built from
    computed_at   TEXT NOT NULL
);

CREATE TABLE fact_entities (
    story_id      TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    label         TEXT NOT NULL,             -- person | org | place
    canonical     TEXT NOT NULL,
    surface_forms TEXT NOT NULL,             -- JSON list
    article_ids   TEXT NOT NULL,             -- JSON list
    roles         TEXT NOT NULL DEFAULT '[]',
    mentions      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (story_id, entity_id)
);

CREATE TABLE fact_figures (
    story_id      TEXT NOT NULL,
    figure_id     TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,             -- number | date
    text          TEXT NOT NULL,
    sentence      TEXT NOT NULL,
    position      INTEGER NOT NULL,
    value         REAL,
    qualifier     TEXT,
    unit          TEXT,
    counted       TEXT,
    time_value    TEXT,                      -- ISO date / month / year / start/end for dates
    scope         TEXT,
    group_id      TEXT NOT NULL,
    PRIMARY KEY (story_id, figure_id)
);
CREATE INDEX fact_figures_article ON fact_figures (article_id);

CREATE TABLE fact_quotes (
    story_id      TEXT NOT NULL,
    quote_id      TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,             -- direct | indirect
    text          TEXT NOT NULL,
    sentence      TEXT NOT NULL,
    position      INTEGER NOT NULL,
    speaker       TEXT,
    speaker_text  TEXT,
    cue           TEXT,
    group_id      TEXT NOT NULL,
    PRIMARY KEY (story_id, quote_id)
);
CREATE INDEX fact_quotes_article ON fact_quotes (article_id);

CREATE TABLE fact_groups (
    story_id      TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,             -- figure | quote
    status        TEXT NOT NULL,
    about         TEXT NOT NULL DEFAULT '',
    members       TEXT NOT NULL,             -- JSON list of figure or quote ids
    related       TEXT NOT NULL DEFAULT '[]',
    drift         TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (story_id, group_id)
);

CREATE TABLE fact_rewrites (
    story_id      TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    sibling_id    TEXT NOT NULL,
    similarity    REAL NOT NULL,
    pairs         TEXT NOT NULL,             -- JSON: aligned sentence pairs with their word swaps
    PRIMARY KEY (story_id, article_id)
);
