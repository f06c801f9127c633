"""Each article's extracted facts kept in the store, so that a story which gains an article does not
read all its other members again.

A story's facts are worked out again whenever its members change (``copydesk.facts.stage``), and
reading each member (spaCy's names, then figures, dates and quotes) was half of that work: a wire
story reprinted by 3,000 sites took 20 s for every new reprint. What an article's reading gives
depends only on its text, the date its relative dates resolve against, the spaCy model and the
extraction code, so those are its key; the alignment, which depends on the whole story, is always
done again. The code's part of the key is a hash of the extraction modules' source: any change to
how facts are read makes every kept reading stale, with nothing to remember to bump.

Names come from spaCy through a memo that learns from what it has read (``NameTagger``): a reading
kept from an earlier run is the names as that run's memo saw them, which a run from scratch may
see slightly differently, as two runs in a different order already could.

Kept compactly: the name spans, and the figures and quotes without the sentence texts they repeat
(the sentences are split again from the text on the way back: a pure function).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from copydesk.facts.extract import ArticleFacts, reference_date
from copydesk.facts.names import Span, as_places, dateline_places, mentions_from_spans
from copydesk.facts.text import Sentence, split_sentences
from copydesk.records import Article, Figure, Quote

# The modules whose output is kept: their source is part of every key.
_READING_MODULES = ("cache", "dates", "extract", "figures", "names", "numbers", "quotes", "text")


def _code_version() -> str:
    digest = hashlib.blake2b(digest_size=8)
    here = Path(__file__).resolve().parent
    for name in _READING_MODULES:
        try:
            digest.update((here / f"{name}.py").read_bytes())
        except OSError:  # an install without sources: the package's version stands in for them
            from copydesk import __version__

            digest.update(f"{name}:{__version__}".encode())
    return digest.hexdigest()


READING_CODE = _code_version()


def reading_key(article: Article, story_date: date | None, model: str) -> str:
    """What an article's reading depends on: the extraction code, the spaCy model, the date its
    relative dates resolve against, and its text."""
    ref = reference_date(article, story_date)
    text = hashlib.blake2b(article.text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
    return f"{READING_CODE}:{model}:{ref.isoformat() if ref else '-'}:{text}"


def encode_reading(facts: ArticleFacts, spans: list[list[Span]]) -> bytes:
    """An article's reading as stored: its name spans, figures and quotes (ids without the article's,
    a figure's sentence by its index where it is one of the article's sentences)."""
    cut = len(facts.article_id) + 1
    starts = [s.start for s in facts.sentences]
    figures = []
    for f in facts.figures:
        k = bisect.bisect_right(starts, f.position) - 1
        sentence: int | str = k if k >= 0 and facts.sentences[k].text == f.sentence else f.sentence
        figures.append(
            [
                f.id[cut:],
                f.kind,
                f.text,
                sentence,
                f.position,
                f.value,
                f.qualifier,
                f.unit,
                f.counted,
                f.when,
                f.scope,
            ]
        )
    quotes = [
        [q.id[cut:], q.kind, q.text, q.sentence, q.position, q.speaker, q.speaker_text, q.cue]
        for q in facts.quotes
    ]
    payload = {"spans": spans, "figures": figures, "quotes": quotes}
    return zlib.compress(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def decode_reading(article: Article, blob: bytes) -> tuple[ArticleFacts, list[list[Span]]]:
    """The reading ``encode_reading`` kept, for ``article`` (whose text it was read from); raises
    ``ValueError`` for one that cannot be read back or does not fit the text (a damaged store)."""
    try:
        payload: dict[str, Any] = json.loads(zlib.decompress(blob))
        sentences: list[Sentence] = split_sentences(article.text)
        spans = [[(int(a), int(b), str(label)) for a, b, label in found] for found in payload["spans"]]
        if len(spans) != len(sentences):
            raise ValueError("the kept names do not fit the article's sentences")
        mentions = as_places(mentions_from_spans(sentences, spans), dateline_places(article.dateline))
        figures = [
            Figure(
                f"{article.id}/{row[0]}",
                article.id,
                row[1],
                row[2],
                sentences[row[3]].text if isinstance(row[3], int) else row[3],
                *row[4:],
            )
            for row in payload["figures"]
        ]
        quotes = [
            Quote(
                f"{article.id}/{suffix}",
                article.id,
                kind,
                text,
                sentence,
                position,
                speaker,
                speaker_text,
                cue,
            )
            for suffix, kind, text, sentence, position, speaker, speaker_text, cue in payload["quotes"]
        ]
    except (zlib.error, json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as exc:
        raise ValueError(f"a kept reading of article {article.id} cannot be read back: {exc}") from exc
    return ArticleFacts(article.id, sentences, mentions, figures, quotes), spans
