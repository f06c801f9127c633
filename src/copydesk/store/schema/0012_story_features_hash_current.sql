-- Whether a fingerprint row's normalised hash is known to be the hash of its article's current text:
-- the ingest and the stories stage write it so (they hash the text they store or read), and
-- rewriting an article's text (articles.update_articles) clears it. The stories stage then reuses a
-- pending article's stored vector without hashing its text again (5,000 600-word articles: 50 ms of
-- CPU); a row from before this migration, or of a rewritten text, is still checked by hashing.
ALTER TABLE story_features ADD COLUMN hash_current INTEGER NOT NULL DEFAULT 0;
