"""Tokens as the spam search reads them, and the cheap tests that say where a span cannot be.

Every token's facts (its word, whether it is bare, a fragment, a trade or topic word, and what it
gives as either half of a split word) are a pure function of its text, memoised per process. The
screens here ask less than the exact search in ``copydesk.clean.spam`` (any known word, any word of
the article), so a line or place they let go holds nothing the search would find.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from operator import itemgetter

from copydesk.clean.spamwords import COMMERCE, TOPIC
from copydesk.clean.textscan import first_items
from copydesk.clean.words import core, is_nonword, known_words

MAX_RUN = 6  # longest injected run looked for between two halves of a word
OPENERS = "\"'“‘«([{"
CLOSERS = "\"'”’»)]}.,;:!?…"


@dataclass(frozen=True, slots=True)
class Tokens:
    """A line's whitespace-separated tokens with what every decision asks of them, as parallel lists
    (lines have many tokens and a tuple per token is slow to build)."""

    texts: list[str]
    words: list[str]
    bare: list[bool]
    frag: list[bool]
    spammy: list[bool]
    lefts: list[str]  # what each token gives as the left half of a split word ("" for nothing)
    rights: list[str]  # ... and as the right half


TokenFacts = tuple[str, bool, bool, bool, bool, str, str]


def _token_facts(text: str) -> TokenFacts:
    """(word, bare, fragment, trade word, topic word, as left half, as right half) of one token; a
    pure function, memoised per process. The halves are the lowercased part a split word would
    contribute on that side ("" when the token cannot be that half: see copydesk.clean.spam._join)."""
    bare_core = core(text)
    word = bare_core.lower()
    # a capitalised commercial word mid-sentence is a name ("Rescue Service"), not an advert
    topic = word in TOPIC
    trade = topic or (word in COMMERCE and bare_core[:1].islower())
    left = text.lstrip(OPENERS) if text[-1:] not in CLOSERS else ""
    right = text.rstrip(CLOSERS) if text[:1] not in OPENERS else ""
    if not left[-1:].isalpha():
        left = ""
    if not right[:1].isalpha() or (right[0].isupper() and (len(right) == 1 or not right.isupper())):
        right = ""
    fragment = is_nonword(word)
    return word, text == bare_core and bool(bare_core), fragment, trade, topic, left.lower(), right.lower()


_MEMO_BOUND = 1 << 18  # tokens remembered before the memo starts afresh


class _TokenFactsMemo(dict[str, TokenFacts]):
    """Token text -> its facts, worked out on first use (the memo where copydesk._tokenmemo is not
    built): a dict lookup made from C costs half an ``lru_cache`` hit; past its bound it starts afresh."""

    def __missing__(self, text: str) -> TokenFacts:
        if len(self) >= _MEMO_BOUND:
            self.clear()
        facts = self[text] = _token_facts(text)
        return facts

    def split_lookup(self, text: str) -> Facts | None:
        return list(map(self.__getitem__, text.split())) if text.isascii() else None


_TOKEN_FACTS: _TokenFactsMemo | TokenMemo[TokenFacts]
try:  # every token of every line is looked up: in C, without building the token's string first
    from copydesk._tokenmemo import TokenMemo

    _TOKEN_FACTS = TokenMemo(_token_facts, _MEMO_BOUND)
except ImportError:  # pragma: no cover - depends on the install
    _TOKEN_FACTS = _TokenFactsMemo()
token_facts = _TOKEN_FACTS.__getitem__


def line_token_facts(text: str) -> Facts:
    """The facts of each of a line's whitespace-separated tokens (every line of every article)."""
    found = _TOKEN_FACTS.split_lookup(text)
    return found if found is not None else list(map(token_facts, text.split()))


WORD_OF = itemgetter(0)


def token_words(text: str) -> set[str]:
    """The words of a text as the spam search reads them (tokens without edge punctuation, lower case)."""
    return set(map(WORD_OF, map(token_facts, text.split())))


FRAGMENT_ITEM = 2  # of a token's facts: whether it is a fragment (a word of no language nor article)
TRADE_ITEM = 4  # ... and whether it is a trade word (``TOPIC``)
Facts = list[TokenFacts]


def prepare_tokens(text: str, facts: Facts | None = None) -> Tokens:
    texts = text.split()  # the same tokens as _TOKEN (both split on str.isspace characters)
    if not texts:
        return Tokens([], [], [], [], [], [], [])
    if facts is None:
        facts = list(map(token_facts, texts))
    words, bare, frag, spammy, _, lefts, rights = (list(column) for column in zip(*facts, strict=True))
    return Tokens(texts, words, bare, frag, spammy, lefts, rights)


class ArticleWords:
    """The words of an article's tokens (``first_items`` of its lines' token facts), made on the first
    call and kept: the join screen asks for them only where a join is no known word, and a line at
    most once (``functools.cache`` of a lambda did the same, but making that wrapper for every article
    cost more than the call)."""

    __slots__ = ("facts", "made")

    def __init__(self, facts: list[Facts]) -> None:
        self.facts = facts
        self.made: AbstractSet[str] | None = None

    def __call__(self) -> AbstractSet[str]:
        if self.made is None:
            self.made = first_items(self.facts)
        return self.made


def python_strong_join_near(facts: Facts, article_words: Callable[[], AbstractSet[str]]) -> bool:
    """Whether a fragment of the line and a token a short run of plain words away may join into a
    word. On a line without trade words or learned runs nothing else can prove a span, so a line
    where this fails is passed over; the exact check, run only where this succeeds, is spam._run_at
    (this one asks less: any known word, any word of the article, worked out only when asked)."""
    known = known_words()
    count = len(facts)
    for p, fact in enumerate(facts):
        if not fact[2]:
            continue
        # the fragment as the left half: runs p+1 .. k of bare non-fragments, the right half after
        left = fact[5]
        k = p + 1
        while left and k + 1 < count and k - p <= MAX_RUN and facts[k][1] and not facts[k][2]:
            other = facts[k + 1][6]
            if other and ((joined := left + other) in known or joined in article_words()):
                return True
            k += 1
        # the fragment as the right half: runs j .. p-1, the left half before
        right = fact[6]
        j = p - 1
        while right and j > 0 and p - j <= MAX_RUN and facts[j][1] and not facts[j][2]:
            other = facts[j - 1][5]
            if other and ((joined := other + right) in known or joined in article_words()):
                return True
            j -= 1
    return False


_compiled_join_near: Callable[[Facts, AbstractSet[str], Callable[[], AbstractSet[str]], int], bool] | None
try:  # the same loop compiled (copydesk._textscan; tests hold the two equal)
    from copydesk._textscan import strong_join_near as _compiled_join_near
except ImportError:  # pragma: no cover - depends on the install
    _compiled_join_near = None


def strong_join_near(facts: Facts, article_words: Callable[[], AbstractSet[str]]) -> bool:
    """``python_strong_join_near``, compiled where the extension is built (lines with fragments are
    a third of all lines, and this loop was a tenth of the cleaning time)."""
    if _compiled_join_near is None:
        return python_strong_join_near(facts, article_words)
    return _compiled_join_near(facts, known_words(), article_words, MAX_RUN)


def may_join_across(t: Tokens, i: int, counts: dict[str, int], starts: frozenset[str]) -> bool:
    """Whether the token before ``i`` and one after a run starting at ``i`` may join into a word: what
    a reading that is not spam needs (see spam._run_at, which runs only where this holds)."""
    left = t.lefts[i - 1] if i > 0 else ""
    if not left:
        return False
    known = known_words()
    for last in range(i, min(i + MAX_RUN, len(t.texts) - 1)):
        if not t.bare[last] or (t.frag[last] and not t.spammy[last] and t.words[last] not in starts):
            return False
        right = t.rights[last + 1]
        if right and ((joined := left + right) in known or joined in counts):
            return True
    return False
