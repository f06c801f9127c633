"""Editorial corrections to the story map: split articles out of a story into a new one.

A split is recorded in ``story_log`` like a merge, the old story keeps its id, and the new story's id is
derived from the split-off articles, so repeating the same split is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copydesk.errors import UsageError
from copydesk.fingerprint.minhash import MinHashConfig
from copydesk.records import content_digest
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.cluster import as_rows, day_number
from copydesk.stories.family_refresh import refresh_stories
from copydesk.stories.features import Lexicon


def _state(db: Database, story_id: str, members: Sequence[str], topic_id: str) -> story_store.StoredStory:
    features = fingerprint_store.get_features(db, list(members))
    rows = as_rows(np.stack([features[a].vector for a in members]))
    dates = [features[a].published for a in members if features[a].published is not None]
    dates.sort(key=day_number)
    return story_store.StoredStory(
        story_id,
        topic_id,
        dates[0] if dates else None,
        dates[-1] if dates else None,
        len(members),
        rows.sum(axis=0),
    )


def split_story(
    db: Database, story_id: str, article_ids: Sequence[str], lexicon: Lexicon, minhash: MinHashConfig
) -> str:
    """Move ``article_ids`` (ids or source_ids) out of ``story_id`` into a new story; returns its id."""
    story = story_store.get_story(db, story_id)
    members = {m.article_id for m in story.members}
    by_source = {
        r[0]: r[1]
        for r in db.query(
            f"SELECT source_id, id FROM articles WHERE id IN ({','.join('?' * len(members))})",
            sorted(members),
        )
    }
    chosen = sorted({a if a in members else by_source.get(a, "") for a in article_ids})
    if not chosen or "" in chosen:
        raise UsageError(f"every article to split off must be a member of story {story.id}")
    remaining = sorted(members - set(chosen))
    if not remaining:
        raise UsageError("a split must leave at least one article in the story")
    new_id = "s" + content_digest("split\x00" + "\x00".join(chosen))[:12]
    topic = story.topic_id or ""
    story_store.save_story_states(
        db, [_state(db, story.id, remaining, topic), _state(db, new_id, chosen, topic)]
    )
    with db.atomic() as conn:
        conn.executemany(
            "UPDATE story_members SET story_id = ? WHERE article_id = ?", [(new_id, a) for a in chosen]
        )
    story_store.put_log(db, [("split", story.id, new_id, None, f"{len(chosen)} articles moved")])
    refresh_stories(db, [story.id, new_id], lexicon, minhash)
    return new_id
