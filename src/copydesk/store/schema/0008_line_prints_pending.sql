-- What the recurring-chrome stage will read of an article it has not read yet, noted at ingest by the
-- cleaning workers, which have the article's lines at hand: its body signature and its normalised
-- short lines (a JSON list). The stage reads these instead of splitting and measuring the text again;
-- a row goes when the article is read, or rewritten (the stage then reads the text itself).
CREATE TABLE line_prints_pending (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    line_keys TEXT NOT NULL
) WITHOUT ROWID;
