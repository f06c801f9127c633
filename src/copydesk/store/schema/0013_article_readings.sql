-- Each article's reading by the facts stage (its names, figures and quotes; copydesk.facts.cache),
-- under the key of what the reading depends on (the extraction code, the spaCy model, the date its
-- relative dates resolve against, its text): a story that gains an article reads only the new one.
CREATE TABLE article_readings (
    article_id   TEXT PRIMARY KEY,
    reading_key  TEXT NOT NULL,
    reading      BLOB NOT NULL
);
