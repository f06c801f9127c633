"""Sentences, tokens and word stems: the shared, dependency-free text plumbing of the fact extractors.

Sentence splitting is rule-based (abbreviation-aware, paragraph-aware) so every extractor sees the same
sentence offsets, and so spaCy never has to run its parser just to find sentence ends.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (keeps word lists readable)."""
    return frozenset(text.split())


# Abbreviations whose trailing period does not end a sentence (lowercased, without the period).
ABBREVIATIONS = word_set(
    """
    mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep rev st jr sr inc ltd co corp no vs
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e etc approx est dept
    """
)
STOPWORDS = word_set(
    """
    a an the and or but if of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own same so than
    too very can will just should now is are was were be been being have has had having do does did
    doing i me my we our you your he him his she her it its they them their what which who whom this
    that these those am would could may might must shall also as said says say told while since
    until per via de la le il
    """
)

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)|[.!?]+[\"'”’]+(?=\S)")
_WORD = re.compile(r"\w+(?:[-’'.]\w+)*\.?|[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
# A trailing period belongs to a word only for abbreviations ("Mr.") and initials ("U.S."). The
# lookahead (a short run of letters, then the period) spares most words the long list of abbreviations.
_ABBREVIATION_MAX = max(len(a) for a in ABBREVIATIONS)
_TOKEN = re.compile(
    rf"(?:[A-Za-z]\.){{2,}}|(?=[A-Za-z]{{1,{_ABBREVIATION_MAX}}}\.(?!\w))(?i:"
    + "|".join(sorted((re.escape(a) for a in ABBREVIATIONS if "." not in a), key=len, reverse=True))
    + r")\.(?!\w)|\w+(?:[-’'.]\w+)*|[^\w\s]"
)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article: its text, where it starts, its index and its paragraph."""

    text: str
    start: int
    index: int
    paragraph: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


class Token(NamedTuple):
    """A word or symbol and its offset (a named tuple: tokens are made by the hundred thousand)."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-empty lines with their offsets; crawled news puts one paragraph per line."""
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            out.append((pos + line.index(stripped[0]), stripped))
        pos += len(line) + 1
    return out


def _is_abbreviation(chunk: str, end: int) -> bool:
    """Whether the period at ``end`` closes an abbreviation or an initial rather than a sentence."""
    start = end
    while start > 0 and not chunk[start - 1].isspace():
        start -= 1
    word = chunk[start:end].strip("\"'“‘(").lower().rstrip(".")
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    # A single capital initial ("J. Smith") or a dotted acronym ("U.S.").
    return bool(re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", word))


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with character offsets into ``text``; a paragraph break always ends a sentence."""
    out: list[Sentence] = []
    for p_index, (p_start, para) in enumerate(paragraphs(text)):
        cursor = 0
        for match in _SENTENCE_END.finditer(para):
            end = match.end()
            if para[match.start()] == "." and _is_abbreviation(para, match.start()):
                continue
            rest = para[end:].lstrip()
            # A lowercase continuation after '?' or '!' inside a quote is not a new sentence.
            if rest and rest[0].islower():
                continue
            piece = para[cursor:end].strip()
            if piece:
                offset = p_start + cursor + (len(para[cursor:end]) - len(para[cursor:end].lstrip()))
                out.append(Sentence(piece, offset, len(out), p_index))
            cursor = end
        piece = para[cursor:].strip()
        if piece:
            offset = p_start + cursor + (len(para[cursor:]) - len(para[cursor:].lstrip()))
            out.append(Sentence(piece, offset, len(out), p_index))
    return out


def tokenize(text: str) -> list[Token]:
    """Words (keeping hyphens, apostrophes and inner periods: ``Kim Jong-Un``, ``U.S.``) and symbols."""
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[Token, ...]:
    """Tokenising is pure and the same sentence is tokenised by several extractors: memoised."""
    new = tuple.__new__  # a named tuple's own constructor is a slow Python function
    return tuple([new(Token, (m.group(), m.start())) for m in _TOKEN.finditer(text)])


@lru_cache(maxsize=65536)
def capitalised(text: str) -> tuple[str, ...]:
    """The tokens of a text that start with a capital, as ``tokenize`` cuts them but without offsets:
    a cheap first look (the name tagger tokenises only sentences where one of them is news)."""
    return tuple(w for w in _TOKEN.findall(text) if w[:1].isupper())


# The only characters that a case-blind regular expression matches to ASCII letters but that do not
# lower-case to them: "İt" matches ``it`` and lower-cases to "i̇t", which no table of ASCII words has.
_ASCII_LOOKALIKES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def match_key(matched: str) -> str:
    """The lower-case key of text a case-blind pattern of ASCII words matched (see ``_ASCII_LOOKALIKES``)."""
    return matched.translate(_ASCII_LOOKALIKES).lower()


@lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Lowercase, accents removed, curly apostrophes straightened, spaces collapsed (memoised: the same
    words are folded again by every extractor and for every pair compared)."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", plain.replace("’", "'").replace("‘", "'").lower()).strip()


def stem(word: str) -> str:
    """A light suffix stripper: enough to match ``provided``/``providing`` or ``shells``/``shell``."""
    w = fold(word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + keep
            break
    return w


# Nouns in -o whose plural adds -es (most add -s: "radios"; "shoes" is "shoe").
_O_PLURAL_ES = frozenset(
    {
        "cargo",
        "tomato",
        "potato",
        "hero",
        "volcano",
        "echo",
        "veto",
        "torpedo",
        "embargo",
        "mosquito",
        "tornado",
    }
)


def singular(noun: str) -> str:
    """The singular of a plural counted noun (``journeys`` -> ``journey``; ``shells`` -> ``shell``)."""
    w = fold(noun)
    if w.endswith("oes") and w[:-2] in _O_PLURAL_ES:
        return w[:-2]
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


@lru_cache(maxsize=131072)
def _content_stem(token: str) -> str | None:
    """The stem of one token, or ``None`` for a stopword or punctuation (a pure, memoised function)."""
    low = fold(token).strip(".").removesuffix("'s").rstrip("'")
    if not low or not low[0].isalnum() or low in STOPWORDS:
        return None
    return stem(low)


def content_stems(text: str) -> list[str]:
    """Stems of the content words of a text, in order (stopwords and punctuation dropped)."""
    return [s for tok in _WORD.findall(text) if (s := _content_stem(tok)) is not None]


def words(text: str) -> list[str]:
    """Word tokens only (no punctuation), as written."""
    return [t.text for t in tokenize(text) if t.text[0].isalnum()]
