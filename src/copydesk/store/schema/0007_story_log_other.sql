-- A story's log lists the merges and splits that name it as the *other* story too: without this
-- index that half of the lookup read the whole log.
CREATE INDEX story_log_other ON story_log (other_id);
