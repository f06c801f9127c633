-- Every URL the fetcher asked for and what came back; a rerun skips article pages fetched before
-- (once their articles are committed, see ingest_inputs) unless --refetch is given.
CREATE TABLE fetched_urls (
    url           TEXT PRIMARY KEY,          -- as asked (normalised, fragment dropped)
    kind          TEXT NOT NULL,             -- page | feed | sitemap | sitemap-index | unknown
    final_url     TEXT,                      -- after redirects; NULL when nothing came back
    status        INTEGER,                   -- HTTP status of the final response, NULL if none
    outcome       TEXT NOT NULL,             -- fetched, or the kind of failure (network, robots...)
    reason        TEXT,                      -- why it failed, for the summary and later runs
    content_type  TEXT,
    content_hash  TEXT,                      -- blake2b-64 of the body bytes
    bytes         INTEGER,
    fetched_at    TEXT NOT NULL
);
CREATE INDEX fetched_urls_final ON fetched_urls (final_url);
