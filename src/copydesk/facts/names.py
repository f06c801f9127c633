"""Names: people, organisations and places found by spaCy NER, with titles folded in.

spaCy is the slow part of fact extraction (a few thousand tokens a second per core for the small
pipeline), so ``NameTagger`` keeps a memo of what spaCy decided: every capitalised word it has seen and
every name it tagged. A sentence whose capitalised words are all known is tagged from the memo (longest
known name first); only sentences with an unseen capitalised word go through spaCy, in batches. The memo
lives on the tagger instance, one per stage, and only grows with spaCy's own answers.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from copydesk.errors import MissingExtraError
from copydesk.extras import require
from copydesk.facts.text import STOPWORDS, Sentence, capitalised, fold, tokenize, word_set
from copydesk.records import EntityLabel

SPACY_LABELS: dict[str, EntityLabel] = {
    "PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place",
}  # fmt: skip
OTHER = "other"  # the memo's label for spaCy entities that are not names (NORP, DATE, ...)
Span = tuple[int, int, str]  # a name's start and end in its sentence, and its label
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "mr.", "mrs.", "ms.", "dr."})
# Nouns that make the words before a name its title ("Kremlin spokesperson Dmitry Peskov").
ROLE_NOUNS = word_set(
    """
    spokesperson spokesman spokeswoman minister president leader secretary chief director analyst
    ambassador general colonel commander chancellor official governor mayor senator envoy adviser
    advisor ceo chairman chairwoman chair head premier king queen prince judge lawyer professor
    researcher fellow correspondent editor founder manager captain lieutenant sergeant admiral
    representative diplomat economist expert inspector officer prosecutor spokesperson's deputy
    chef astronomer archaeologist historian ecologist scientist engineer teacher nurse doctor coach
    pilot driver farmer activist artist author novelist architect detective witness
    """
)
TITLE_WORDS = ROLE_NOUNS | word_set(
    """
    foreign defence defense interior finance prime vice deputy former senior national security state
    department white house kremlin u.s. us federal regional local chief executive general attorney
    acting interim top
    """
)
_TITLE_LEADS = ROLE_NOUNS | HONORIFICS  # words that make the words after them a titled name
# Tokens of context kept each side of an unseen word sent to spaCy: the small pipeline's tok2vec sees
# four tokens each side, so a name's tags come out as they would in the whole sentence.
CONTEXT_TOKENS = 4
_SPACY_EXCLUDE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
_BAD_NAME = re.compile(r"[|\n\d@#]")
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")
# ", the foreign minister": a title after the name (compiled once; it lists every role noun).
_APPOSITIVE = re.compile(
    r",\s+((?:the\s+|a\s+)?[\w’'. -]{0,60}?\b(?:" + "|".join(sorted(ROLE_NOUNS)) + r"))\b"
)


def load_spacy(model: str) -> Any:
    """Load the spaCy pipeline for NER only; fail early, naming the extra, if it is not installed."""
    spacy = require("spacy", extra="nlp", feature="name extraction")
    try:
        nlp = spacy.load(model, exclude=list(_SPACY_EXCLUDE))
    except OSError as exc:  # spaCy raises OSError [E050] for a model that is not installed
        raise MissingExtraError("nlp", "name extraction", f"the spaCy model {model!r}") from exc
    # A shared tok2vec that no kept component listens to (the small English NER has its own) would
    # still run on every text: about half of spaCy's time, for nothing.
    for name in list(nlp.pipe_names):
        if name != "ner" and not getattr(nlp.get_pipe(name), "listening_components", ()):
            nlp.remove_pipe(name)
    return nlp


@dataclass(frozen=True, slots=True)
class Mention:
    """One name as one article wrote it; ``name`` is the bare name, ``text`` keeps an honorific."""

    name: str
    text: str
    label: EntityLabel
    sentence: int
    start: int
    title: str | None = None
    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()


@dataclass(slots=True)
class _Memo:
    seen_capitals: set[str] = field(default_factory=set)
    names: dict[tuple[str, ...], Counter[str]] = field(default_factory=dict)
    # The longest known name starting with each word: most capitalised words start none, and are skipped.
    longest: dict[str, int] = field(default_factory=dict)

    def add(self, key: tuple[str, ...], label: str, count: int = 1) -> None:
        self.names.setdefault(key, Counter())[label] += count
        self.longest[key[0]] = max(self.longest.get(key[0], 0), len(key))


@lru_cache(maxsize=131072)
def _key(word: str) -> str:
    """A word without its possessive ending (``Korea’s`` -> ``Korea``)."""
    if word.endswith(("s", "’", "'")):
        return _POSSESSIVE.sub("", word)
    return word


def _capitals(sentence: str) -> set[str]:
    return {_key(w) for w in capitalised(sentence)}


def _clean(text: str) -> str:
    return _POSSESSIVE.sub("", _LEADING_THE.sub("", text.strip())).strip(" ,.;:")


class NameTagger:
    """Finds names in sentences with spaCy, answering from its memo where spaCy already decided."""

    def __init__(self, nlp: Any, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self._memo = _Memo()
        self.spacy_sentences = 0
        self.memo_sentences = 0

    def _learn(self, sentence: str, ents: list[tuple[str, str]]) -> None:
        self._memo.seen_capitals |= _capitals(sentence)
        for text, label in ents:
            key = tuple(_key(t.text) for t in tokenize(text))
            while label != OTHER and len(key) > 1 and fold(key[0]).rstrip(".") in _TITLE_LEADS:
                key, label = key[1:], "person"  # remember the name without its title
            if key:
                self._memo.add(key, label)
            if label == "person" and len(key) >= 2:
                # The surname alone ("Fischer said") is the same person; spaCy would tag it so.
                self._memo.add(key[-1:], "person", 0)

    def _from_memo(self, sentence: str) -> list[Span]:
        longest = self._memo.longest
        if not any(longest.get(_key(w)) for w in capitalised(sentence)):
            return []  # no capitalised word starts a known name (and only those are looked up)
        tokens = tokenize(sentence)
        names = self._memo.names
        out: list[Span] = []
        after = 0  # tokens before this one are inside a name already found
        for i in [i for i, t in enumerate(tokens) if t.text[:1].isupper()]:
            if i < after:
                continue
            first = _key(tokens[i].text)
            for n in range(min(longest.get(first, 0), len(tokens) - i), 0, -1):
                key = (first, *(_key(t.text) for t in tokens[i + 1 : i + n]))
                labels = names.get(key)
                if labels:
                    label = labels.most_common(1)[0][0]
                    if label != OTHER:
                        out.append((tokens[i].start, tokens[i + n - 1].start + len(key[-1]), label))
                    after = i + n
                    break
        return out

    def _windows(self, text: str, queued: set[str]) -> list[tuple[int, int]]:
        """Character spans around the capitalised words neither the memo has seen nor an earlier
        sentence of this chunk sends to spaCy (merged when close); ``queued`` gains this one's."""
        seen = self._memo.seen_capitals
        if all((word := _key(w)) in seen or word in queued for w in capitalised(text)):
            return []  # the usual case once the memo has grown: not even tokenised
        tokens = tokenize(text)
        out: list[tuple[int, int]] = []
        last = -1
        for i, t in enumerate(tokens):
            if not t.text[:1].isupper() or (word := _key(t.text)) in seen or word in queued:
                continue
            queued.add(word)
            a, b = max(0, i - CONTEXT_TOKENS), min(len(tokens) - 1, i + CONTEXT_TOKENS)
            if out and a <= last + 1:
                out[-1] = (out[-1][0], tokens[b].end)
            else:
                out.append((tokens[a].start, tokens[b].end))
            last = b
        return out

    def tag(self, articles: Sequence[Sequence[Sentence]]) -> list[list[Mention]]:
        """Mentions for each article's sentences (same order as given)."""
        return [
            mentions_from_spans(sentences, spans)
            for sentences, spans in zip(articles, self.tag_spans(articles), strict=True)
        ]

    def tag_spans(self, articles: Sequence[Sequence[Sentence]]) -> list[list[list[Span]]]:
        """Name spans of each sentence of each article (same order as given): the part that needs
        spaCy and the memo; ``mentions_from_spans`` makes the mentions anywhere.

        Sentences are taken in order, a chunk at a time, so the memo learns from each chunk before
        deciding what the next one needs; spaCy sees only windows around unseen capitalised words.
        """
        spans: dict[tuple[int, int], list[Span]] = {}
        order = [(a, s) for a, sentences in enumerate(articles) for s in sentences]
        pos = 0
        while pos < len(order):
            jobs: list[tuple[tuple[int, int], int, str]] = []
            queued: set[str] = set()  # a word already going to spaCy in this chunk is not sent twice
            while pos < len(order) and len(jobs) < self.batch_size:
                a, sentence = order[pos]
                pos += 1
                windows = self._windows(sentence.text, queued)
                if windows:
                    spans[(a, sentence.index)] = []
                    self.spacy_sentences += 1
                    jobs.extend(((a, sentence.index), x, sentence.text[x:y]) for x, y in windows)
            docs = self.nlp.pipe([text for _, _, text in jobs], batch_size=self.batch_size)
            for (key, offset, text), doc in zip(jobs, docs, strict=True):
                ents: list[Span] = [
                    (e.start_char, e.end_char, SPACY_LABELS[e.label_])
                    for e in doc.ents
                    if e.label_ in SPACY_LABELS
                ]
                spans[key].extend((offset + a, offset + b, label) for a, b, label in ents)
                # Other entity types ("North Korean" NORP, dates) are remembered as not-names, so the
                # memo does not later tag the "North" inside "North Korean" as a place.
                others = [
                    (_clean(text[e.start_char : e.end_char]), OTHER)
                    for e in doc.ents
                    if e.label_ not in SPACY_LABELS
                ]
                self._learn(text, [(_clean(text[a:b]), label) for a, b, label in ents] + others)
        out: list[list[list[Span]]] = []
        for a, sentences in enumerate(articles):
            per_sentence: list[list[Span]] = []
            for s in sentences:
                found = spans.get((a, s.index))
                if found is None:
                    self.memo_sentences += 1
                    found = self._from_memo(s.text)
                else:  # names spaCy tagged elsewhere but missed here ("Fischer said")
                    found = found + [
                        span
                        for span in self._from_memo(s.text)
                        if not any(x < span[1] and span[0] < y for x, y, _ in found)
                    ]
                    found.sort()
                per_sentence.append(found)
            out.append(per_sentence)
        return out


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A name folded for comparing: lower case, accents, dots and hyphens gone."""
    return re.sub(r"[-\s]+", " ", fold(name).replace(".", "")).strip()


def dateline_places(dateline: str | None) -> frozenset[str]:
    """The places a dateline gives (``KELLEN, Sarvania``: Kellen and Sarvania), as ``name_key``s."""
    return frozenset(key for part in (dateline or "").split(",") if (key := name_key(part)))


def as_places(mentions: list[Mention], places: frozenset[str]) -> list[Mention]:
    """Mentions of the dateline's places labelled places, whatever the tagger called them (the small
    model takes rare towns for people; a "she said" was then resolved to a town)."""
    if not places:
        return mentions
    return [
        dataclasses.replace(m, label="place") if m.label != "place" and name_key(m.name) in places else m
        for m in mentions
    ]


def mentions_from_spans(sentences: Sequence[Sentence], spans: Sequence[Sequence[Span]]) -> list[Mention]:
    """An article's mentions from its sentences' name spans (a pure function: runs in any process)."""
    return [
        m
        for s, found in zip(sentences, spans, strict=True)
        for m in (_mention(s, *span) for span in found)
        if m is not None
    ]


def _mention(sentence: Sentence, start: int, end: int, label: str) -> Mention | None:
    """A mention from a span: cleaned, its honorific and role title folded in, its context kept."""
    text = sentence.text
    raw = text[start:end]
    lead = _LEADING_THE.match(raw)
    if lead:
        start += lead.end()
    name = _clean(text[start:end])
    if not name or _BAD_NAME.search(name) or not name[0].isupper():
        return None
    words = name.split()
    # spaCy sometimes puts a title inside the name ("Foreign Minister Sergei Lavrov").
    title_words: list[str] = []
    while len(words) > 1 and (
        fold(words[0]).rstrip(".") in HONORIFICS
        or (label == "person" and fold(words[0]) in TITLE_WORDS)
        or fold(words[0]) in ROLE_NOUNS  # "Chef Marco Bellini", tagged ORG: a person with a title
    ):
        if fold(words[0]) in ROLE_NOUNS:
            label = "person"
        title_words.append(words.pop(0))
    name = " ".join(words)
    # where it stands in the sentence, its title left out: its words may be spaced by more than one
    # space there ("Pabralo,  Selvik Tolotes"; looking for the joined name failed the whole article)
    placed = re.compile(r"\s+".join(map(re.escape, words))).search(text, start)
    if placed is None:
        return None
    start, name_end = placed.span()
    tokens = tokenize(text)  # memoised for the sentence; the name's neighbours are looked up in it
    first = bisect_left(tokens, start, key=lambda t: t.start)
    before = [t.text for t in tokens[max(0, first - 8) : first]]
    honorific = None
    if before and fold(before[-1]).rstrip(".") in HONORIFICS:
        honorific = before[-1]
        before = before[:-1]
    if label == "person" or honorific or title_words:
        label = "person"
        title_before: list[str] = []
        for word in reversed(before[-5:]):
            low = fold(word)
            if low in STOPWORDS or low.endswith(("ing", "ed")):
                break
            if low in TITLE_WORDS or (word[:1].isupper() and title_before):
                title_before.insert(0, word)
            else:
                break
        if title_before and fold(title_before[-1]) not in ROLE_NOUNS:
            title_before = []
        if title_words and title_before[-len(title_words) :] == title_words:
            title_before = title_before[: -len(title_words)]  # the span's own title, found again
        title_words = title_before + title_words
    after = text[name_end:]
    if not title_words and label == "person":
        appositive = _APPOSITIVE.match(after)
        if appositive:
            title_words = [appositive.group(1)]
    shown = f"{honorific} {name}" if honorific else name
    left = tuple(fold(w) for w in before[-2:] if w[:1].isalnum())
    following = tokens[bisect_left(tokens, name_end, key=lambda t: t.start) :][:2]
    right = tuple(fold(t.text) for t in following if t.text[:1].isalnum())
    return Mention(
        name=name,
        text=shown,
        label=label,  # type: ignore[arg-type]
        sentence=sentence.index,
        start=sentence.start + start,
        title=" ".join(title_words) or None,
        left=left,
        right=right,
    )
