"""Word evidence for the cleaning stages: word frequencies, scripts, language hints.

Frequencies come from wordfreq's word lists (``frequency_buckets``). Looking a word up through
wordfreq's ``zipf_frequency`` costs microseconds, so the
Zipf table of a language is built once per process (``zipf_table``, an ``lru_cache``; the stories
stage's lexicon reads the same table) and single lookups are cached too (``zipf``). The caches only
memoise pure functions of their arguments: results never change between calls, so this is not hidden
state.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

import msgpack

from copydesk.cachedir import derived_path, keep

try:  # the word list indexed where it lies (see ``zipf_table``)
    from copydesk._wordtable import IMAGE_VERSION as _IMAGE_VERSION
    from copydesk._wordtable import WordTable
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    WordTable = None  # type: ignore[assignment,misc]
    _IMAGE_VERSION = 0

# A token "is a word" of the language above this Zipf value (3 = once per million words); single
# letters other than the real one-letter words are never words, whatever wordfreq says about them.
WORD_ZIPF = 3.0
NONWORD_ZIPF = 2.3
SHORT_NONWORD_ZIPF = 4.5
ONE_LETTER_WORDS = frozenset({"a", "i"})

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_EDGE_PUNCT = "\"'“”‘’«»()[]{}<>.,;:!?…*-–—/\\|#@&%$+=~`^_"


def vocabulary(words: str) -> frozenset[str]:
    """A word set written as one whitespace-separated string (easier to read and extend)."""
    return frozenset(words.split())


@lru_cache(maxsize=8)
def frequency_buckets(lang: str) -> list[list[str]]:
    """wordfreq's best word list for ``lang`` (``wordfreq.get_frequency_list``): its words in buckets
    of one centibel, the most frequent first. Read here from wordfreq's own data file where one is
    named for ``lang`` exactly: importing wordfreq finds that folder by walking the importer's stack
    (reading the source of every frame) and loads its language-code tables, 0.06-0.13 s of every
    process start. Other names (regional variants) and unexpected files go through wordfreq."""
    found = _wordlist_file(lang)
    if found is not None:
        with gzip.open(found, "rb") as infile:
            data = msgpack.load(infile, raw=False)
        if data and _centibel_header(data[0]):
            return list(data[1:])
    import wordfreq

    return list(wordfreq.get_frequency_list(lang))


def _centibel_header(header: object) -> bool:
    """Whether a word list file's first item is the header of wordfreq's format this module reads:
    buckets of one centibel, format version 1."""
    return isinstance(header, dict) and header.get("format") == "cB" and header.get("version") == 1


def _wordlist_file(lang: str) -> Path | None:
    """wordfreq's ``best`` list file for ``lang``: the large list where there is one, else the small."""
    spec = importlib.util.find_spec("wordfreq")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    for size in ("large", "small"):
        path = folder / f"{size}_{lang}.msgpack.gz"
        if path.is_file():
            return path
    return None


def _centibel_frequency(index: int) -> float:
    """The frequency of bucket ``index`` (``wordfreq.cB_to_freq(-index)``, the same arithmetic)."""
    return float(10 ** (-index / 100))


def _bucket_zipf(index: int) -> float | None:
    """The Zipf value of bucket ``index``'s words (None for a bucket of frequency 0, left out)."""
    freq = _centibel_frequency(index)
    return math.log10(freq) + 9.0 if freq > 0 else None


@lru_cache(maxsize=8)
def zipf_table(lang: str) -> Mapping[str, float]:
    """The Zipf value (log10 of the frequency + 9, unrounded) of every word wordfreq lists for ``lang``:
    the values ``get_frequency_dict`` gives (its words come in buckets of one centibel; one logarithm
    a bucket; a word listed twice keeps its last, lowest value). Shared, never changed.

    Where the compiled ``copydesk._wordtable`` is built and wordfreq's data file is read directly, the
    words are looked up where they lie in the decompressed list (``WordTable``) instead of being made
    into a dict of 321k strings: 0.09 -> 0.03 s at every process start, on one core, before the ingest
    workers can begin. The table made is kept in copydesk's cache (``copydesk.cachedir``) and read
    from there at the next start: decompressing the list and indexing its words took ~50 ms of CPU,
    reading the kept table back takes ~12. Elsewhere, the same values in a dict."""
    found = _wordlist_file(lang) if WordTable is not None else None
    if found is not None:
        image = derived_path(f"words-{lang}", found, str(_IMAGE_VERSION), ".table")
        if image is not None:
            try:
                return WordTable.load(str(image))
            except (OSError, ValueError):
                pass  # none kept yet, or of another build or damaged: made (and kept) below
        data = gzip.decompress(found.read_bytes())
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(data)
        count = unpacker.read_array_header()
        if count and _centibel_header(unpacker.unpack()):
            made = WordTable(data, unpacker.tell(), [_bucket_zipf(k) for k in range(count - 1)])
            if image is not None:
                keep(image, made.dump())
            return made
    table: dict[str, float] = {}
    for index, bucket in enumerate(frequency_buckets(lang)):
        value = _bucket_zipf(index)
        if value is not None:
            table.update(dict.fromkeys(bucket, value))
    return table


def _final_bucket_words(lang: str) -> tuple[int, Callable[[int], list[str]]]:
    """How many buckets the list has, and bucket k's words that take its value: those no later
    bucket lists again (a word listed twice keeps its last, lowest value). From the word table where
    it has them (``WordTable.final_words``), else from the lists and the dict."""
    table = zipf_table(lang)
    if WordTable is not None and isinstance(table, WordTable):
        return table.bucket_count(), table.final_words
    buckets = frequency_buckets(lang)

    def final_words(index: int) -> list[str]:
        value = _bucket_zipf(index)  # None: the bucket is left out of the table, as in the word table's
        return [] if value is None else [word for word in buckets[index] if table.get(word) == value]

    return len(buckets), final_words


@lru_cache(maxsize=1 << 18)
def zipf(word: str, lang: str = "en") -> float:
    """Zipf frequency of ``word`` in ``lang`` (0 when unknown); cached per process."""
    value = zipf_table(lang).get(word.lower().translate(_APOSTROPHES))
    return round(value, 2) if value is not None else 0.0


@lru_cache(maxsize=2)
def known_words(lang: str = "en") -> frozenset[str]:
    """Every word for which ``is_word`` holds and ``is_nonword`` does not, as one set (a membership
    test instead of two lookups and a logarithm; built once per process, a few MB).

    Only the buckets at or above ``WORD_ZIPF`` can hold such words (29k of 321k English words): the
    list is read from its top down to there, each word judged once, in the last bucket that lists it
    (its value in the table), by that bucket's value. The set made is kept in copydesk's cache, a
    word a line, and read from there at the next start (~11 ms of Python, holding the interpreter
    lock while the ingest opens its store, down to ~5)."""
    found = _wordlist_file(lang)
    kept = derived_path(f"known-{lang}", found, _KNOWN_FORMAT, ".txt") if found is not None else None
    if kept is not None:
        try:
            text = kept.read_text("utf-8")
            return frozenset(text.split("\n")) if text else frozenset()
        except (OSError, UnicodeError):
            pass  # none kept yet (or unreadable): made (and kept) below
    made = _judged_known_words(lang)
    if kept is not None:
        keep(kept, "\n".join(sorted(made)).encode("utf-8"))
    return made


# what the kept known words depend on besides the list: this format and the limits that judge them
_KNOWN_FORMAT = f"1|{WORD_ZIPF}|{SHORT_NONWORD_ZIPF}"


def _judged_known_words(lang: str) -> frozenset[str]:
    """``known_words`` worked out from the table: one rounding and one comparison a bucket, the words
    filtered by their length."""
    known = {"a", "i"} if lang == "en" else set()
    count, final_words = _final_bucket_words(lang)
    for index in range(count):
        freq = _centibel_frequency(index)
        zipf_value = round(math.log10(freq) + 9.0, 2) if freq > 0 else 0.0
        if zipf_value < WORD_ZIPF:
            break  # buckets come in falling frequency
        words = [word for word in final_words(index) if len(word) > 1]
        if zipf_value < SHORT_NONWORD_ZIPF:
            # is_nonword holds a short word to the higher limit, if it starts with a letter
            words = [word for word in words if len(word) > 3 or not word[0].isalpha()]
        known.update(words)
        for word in words:
            if "'" in word:  # zipf() reads typographic apostrophes as straight ones
                known.update(word.replace("'", mark) for mark in "’‘ʼ")
    return frozenset(known)


def core(token: str) -> str:
    """A token without the punctuation around it ("Ukraine," -> "Ukraine")."""
    return token.strip(_EDGE_PUNCT)


def is_word(token: str, lang: str = "en", extra: frozenset[str] | set[str] = frozenset()) -> bool:
    """True for a known word of the language, or one the article itself uses as a whole token."""
    low = token.lower()
    if len(low) == 1:
        return low in ONE_LETTER_WORDS
    return zipf(low, lang) >= WORD_ZIPF or low in extra


@lru_cache(maxsize=1 << 18)
def is_nonword(token: str, lang: str = "en", extra: frozenset[str] = frozenset()) -> bool:
    """True for a fragment: unknown or very rare in the language and not used elsewhere in the article."""
    low = token.lower()
    if not low or not low[0].isalpha():
        return False
    if len(low) == 1:
        return low not in ONE_LETTER_WORDS
    # Two- and three-letter strings are frequent as abbreviations and names ("sk", "len", "te"), so a
    # short token must be a common word to count as one.
    limit = SHORT_NONWORD_ZIPF if len(low) <= 3 else NONWORD_ZIPF
    return zipf(low, lang) < limit and low not in extra


# --- scripts -------------------------------------------------------------------------------------

_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1E00, 0x1EFF, "latin"),
    (0x3040, 0x30FF, "kana"),
    (0x3400, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xF900, 0xFAFF, "han"),
)


def _script(ch: str) -> str | None:
    code = ord(ch)
    for low, high, name in _SCRIPT_RANGES:
        if low <= code <= high:
            return name if ch.isalpha() else None
    return "other" if ch.isalpha() else None


# Characters outside Latin letters, general punctuation and currency signs: a line without any is
# written in Latin script (the common case, told by one regex search instead of a loop per letter).
_BEYOND_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]")


def dominant_script(text: str) -> str | None:
    """The script most letters of ``text`` are written in (None for a line without letters)."""
    if text.isascii() or not _BEYOND_LATIN.search(text):
        return "latin" if has_letters(text) else None
    counts: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            name = "latin" if ch < "\u0250" else _script(ch)
            if name:
                counts[name] += 1
    return counts.most_common(1)[0][0] if counts else None


# --- language hints from function words ----------------------------------------------------------

# Function words that mark a language; a comment form in Spanish under an English article is told
# apart by these, not by what the form says.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": vocabulary("the of and to in is was for that with on by are be this from at not your will"),
    "es": vocabulary("el la los las de del que y en por con para una es su se al tu no será"),
    "fr": vocabulary("le la les des du de et est un une pour dans que qui sur au ne pas votre vous"),
    "de": vocabulary("der die das und ist nicht ein eine zu mit den dem von für auf ihre sie wird"),
    "it": vocabulary("il lo gli della di che è per una con non sono nel alla tuo tua"),
    "pt": vocabulary("o os da do das dos de que é em um uma para com não seu sua será"),
    "nl": vocabulary("de het een van en is niet op met voor zijn wordt uw je"),
}


LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in FUNCTION_WORDS.items():
    for _word in _words:
        LANGUAGES_OF[_word] = (*LANGUAGES_OF.get(_word, ()), _lang)


def known_share(words: list[str], lang: str = "en") -> float:
    """Share of the words that are words of ``lang`` (how 'English' a line reads)."""
    if not words:
        return 1.0
    return sum(1 for w in words if zipf(w, lang) >= WORD_ZIPF) / len(words)


_TITLE_STOP = vocabulary(
    "a an the of and or to in on at for by with from as is are was were be but not into over after"
)


def is_stopword(word: str) -> bool:
    return word.lower() in _TITLE_STOP


_ALPHA = re.compile(r"[^\W\d_]")


def has_letters(text: str) -> bool:
    return bool(_ALPHA.search(text))


# Words with which a site talks to its reader about the page rather than the news. One feature among
# several: a line that has them still needs a shape or position that is not the body's.
READER_ADDRESS = vocabulary(
    """share shares sharing comment comments reply replies email e-mail subscribe subscribed newsletter
    cookie cookies click login whatsapp facebook twitter telegram linkedin pinterest reddit required
    fields advertisement sponsored related button menu tags categories template website notify accept
    privacy policy"""
)

_SECOND_PERSON = frozenset({"you", "your", "our", "we", "us"})


def site_talk(words: list[str]) -> bool:
    """``Subscribe to our newsletter``, ``This website uses cookies to ...``: the page, not the news."""
    return site_talk_in(set(map(str.lower, words)))


def site_talk_in(lowered: set[str] | frozenset[str]) -> bool:
    """site_talk of a line's lowercased words, given as a set."""
    return len(lowered & READER_ADDRESS) >= 2 and not lowered.isdisjoint(_SECOND_PERSON)
