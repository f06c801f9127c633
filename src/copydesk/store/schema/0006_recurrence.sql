-- What the recurring-chrome stage needs to know about articles it has already read, so that a run
-- reads only the new articles instead of the whole store.
-- line_prints: the short lines each article printed (normalised), with the article's body
-- signature; a line is furniture once it is printed under enough different bodies.
CREATE TABLE line_prints (
    line_key TEXT NOT NULL,
    body TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (line_key, article_id)
) WITHOUT ROWID;
CREATE INDEX line_prints_article ON line_prints (article_id);

-- Articles whose lines and spam runs the stage has read (articles with no short line have no
-- line_prints row, so reading is recorded apart).
CREATE TABLE recurrence_read (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Commercial spam runs proven in some article: by site, and corpus-wide (site '') for runs of two
-- or more words.
CREATE TABLE proven_runs (
    site TEXT NOT NULL,
    run TEXT NOT NULL,
    PRIMARY KEY (site, run)
) WITHOUT ROWID;
