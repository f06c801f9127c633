-- The search index of new articles is written by the article writer (store.articles.put_articles), in
-- the same transaction, one executemany per batch: FTS5 run from a row trigger flushed its pending
-- terms row by row, which made indexing cost 3x more (0.09 against 0.03 ms an article on 20k).
-- Updates and deletes keep their triggers (the corpus passes rewrite few articles).
DROP TRIGGER articles_fts_insert;
