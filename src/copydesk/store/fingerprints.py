"""Articles' story fingerprints in the store (``story_features``): normalised hash, MinHash
signature and feature vector, as the ingest writes them and the stories stage signs and reads them."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from copydesk.records import Article
from copydesk.store.db import Database, in_chunks, json_strings
from copydesk.store.stories import iso_text, parsed_date
from copydesk.store.vectors import pack_vector, unpack_vector


@dataclass(slots=True)
class StoredFeatures:
    """One article's fingerprints as stored: what story assignment and copy families read back."""

    article_id: str
    published: datetime | None
    norm_hash: str
    minhash_key: str
    signature: np.ndarray
    vector: np.ndarray
    names: list[str]
    numbers: list[str]
    # norm_hash is known to be the hash of the article's current text (migration 0012)
    hash_current: bool = False


def put_features(db: Database, rows: Sequence[StoredFeatures]) -> None:
    with db.atomic() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO story_features (article_id, published, norm_hash, minhash_key, "
            "signature, vector, names, numbers, hash_current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                (
                    r.article_id,
                    iso_text(r.published),
                    r.norm_hash,
                    r.minhash_key,
                    r.signature.astype(np.uint32).tobytes(),
                    pack_vector(r.vector),
                    json.dumps(r.names, ensure_ascii=False),
                    json.dumps(r.numbers),
                )
                for r in rows
            ],
        )


def sign_features(db: Database, rows: Sequence[StoredFeatures]) -> None:
    """Set the signature (and MinHash key and date) of stored rows whose vector stays as it is (their
    hash checked against, or known to be, the current text's)."""
    with db.atomic() as conn:
        conn.executemany(
            "UPDATE story_features SET published = ?, minhash_key = ?, signature = ?, hash_current = 1 "
            "WHERE article_id = ?",
            [
                (iso_text(r.published), r.minhash_key, r.signature.astype(np.uint32).tobytes(), r.article_id)
                for r in rows
            ],
        )


def put_ingest_prints(db: Database, articles: Sequence[Article]) -> None:
    """Store the fingerprints the workers computed at ingest (signed, or with ``minhash_key`` empty
    where they were not: the stories stage signs those): the stage keeps the vector while the text
    is unchanged, and the signature where it has the stage's MinHash configuration. An article
    that already has a row keeps it."""
    rows = [
        (
            a.id,
            iso_text(a.published),
            prints.norm_hash,
            prints.minhash_key,
            prints.signature,
            prints.vector,
            json_strings(prints.names, ensure_ascii=False),
            json_strings(prints.numbers),
        )
        for a in articles
        if (prints := a.story_prints) is not None
    ]
    if not rows:
        return
    with db.atomic() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO story_features (article_id, published, norm_hash, minhash_key, "
            "signature, vector, names, numbers, hash_current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            rows,
        )


def hashes_and_signatures(
    db: Database, ids: Sequence[str], minhash_key: str
) -> dict[str, tuple[str, np.ndarray]]:
    """(normalised hash, signature) of the given articles signed with ``minhash_key``."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    for chunk, marks in in_chunks(ids):
        for r in db.query(
            f"SELECT article_id, norm_hash, signature FROM story_features WHERE minhash_key = ? "
            f"AND article_id IN ({marks})",
            [minhash_key, *chunk],
        ):
            out[r[0]] = (r[1], np.frombuffer(r[2], dtype=np.uint32))
    return out


def _features(row: Any, lists: bool) -> StoredFeatures:
    return StoredFeatures(
        article_id=row[0],
        published=parsed_date(row[1]),
        norm_hash=row[2],
        minhash_key=row[3],
        signature=np.frombuffer(row[4], dtype=np.uint32),
        vector=unpack_vector(row[5]),
        hash_current=bool(row[6]),
        names=json.loads(row[7]) if lists else [],
        numbers=json.loads(row[8]) if lists else [],
    )


def get_features(db: Database, ids: Sequence[str], *, lists: bool = True) -> dict[str, StoredFeatures]:
    """The given articles' stored fingerprints; ``lists=False`` leaves names and figures empty (the
    stories stage, which only signs and places, does not decode them)."""
    columns = "article_id, published, norm_hash, minhash_key, signature, vector, hash_current"
    columns += ", names, numbers" if lists else ""
    out: dict[str, StoredFeatures] = {}
    for chunk, marks in in_chunks(ids):
        for row in db.query(f"SELECT {columns} FROM story_features WHERE article_id IN ({marks})", chunk):
            out[row[0]] = _features(row, lists)
    return out


def features_bound(db: Database) -> int:
    """At least as many as the stored fingerprint rows (the highest row number: no table scan)."""
    return int(db.query("SELECT COALESCE(MAX(rowid), 0) FROM story_features")[0][0])


def iter_signatures(
    db: Database, minhash_key: str, batch: int = 20_000
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Stored signatures of one MinHash configuration of articles placed in a story, in batches and
    article id order (for the LSH index: a near copy joins the story of what it copies; articles
    waiting to be placed, signed at ingest, are indexed by the run that places them)."""
    last = ""
    while True:
        rows = db.query(
            "SELECT f.article_id, f.signature FROM story_features f "
            "JOIN story_members m ON m.article_id = f.article_id "
            "WHERE f.minhash_key = ? AND f.article_id > ? ORDER BY f.article_id LIMIT ?",
            (minhash_key, last, batch),
        )
        if not rows:
            return
        yield [r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.uint32) for r in rows])
        last = rows[-1][0]
