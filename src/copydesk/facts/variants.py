"""Name variants: the mentions of a story's sources merged into canonical entities.

Two names are merged when one of these holds (checked in this order):

- acronym: ``CSIS`` is the initials of ``Center for Strategic and International Studies``;
- short form: ``Lavrov`` is the last (or, for East Asian names, first) word of exactly one full
  person name in the story (``Sergei Lavrov``; ``Kim`` of ``Kim Jong Un``);
- spelling: equal after the safe romanisation alternations (y/i, ou/u, dzh/j, hyphens);
  or close after the looser ones (initial r/n, o/u, c/k, g/j before i or e) *and* either sounding alike
  (metaphone / NYSIIS of the folded spelling) or standing in the same role in their sentences (the same
  content words around them: ``the port of Rajin`` / ``the port of Nanjin``).

Similar names that neither sound alike nor share a role stay apart (``Dunai`` vs ``Dubai``). A role also
finds variants the NER missed: a lowercase ``nagin`` after ``the port of`` where another source wrote
``the port of Rajin``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import Levenshtein

from copydesk.facts.names import Mention, name_key
from copydesk.facts.text import STOPWORDS, Sentence, Token, content_stems, tokenize
from copydesk.records import Entity, EntityLabel

# Spellings that romanisations and transliterations swap freely (order matters: longest first).
SAFE_ALTERNATIONS = (("dzh", "j"), ("zh", "j"), ("dj", "j"), ("ou", "u"), ("oo", "u"), ("ph", "f"),
                     ("kh", "h"), ("ck", "k"), ("q", "k"), ("w", "v"), ("ee", "i"), ("y", "i"))  # fmt: skip
LOOSE_ALTERNATIONS = (
    (re.compile(r"c(?=[aoulr])"), "k"),
    (re.compile(r"^r"), "n"),
    (re.compile(r"^l"), "n"),
    (re.compile(r"o"), "u"),
    (re.compile(r"g(?=[ie])"), "j"),
    (re.compile(r"e"), "i"),
)
_DOUBLE = re.compile(r"(.)\1+")
# Runs of four or more letters (or letter-like numerals) not starting with a lowercase ASCII letter: every
# capitalised word of a sentence is one (and a few more: "Phone" of "iPhone").
_CAPITAL_RUN = re.compile(r"(?![a-z])[^\W\d_]{4,}")
_CONNECTORS = frozenset({"of", "for", "and", "the", "on", "de", "&"})
SPELLING_CLOSE = 0.8  # similarity of loose skeletons needed with a phonetic match
ROLE_CLOSE = 0.7  # ... or with a shared role (Rajin/Nanjin 0.83; North/South 0.6 stays apart)


@lru_cache(maxsize=65536)
def safe_skeleton(word: str) -> str:
    w = name_key(word).replace(" ", "")
    for a, b in SAFE_ALTERNATIONS:
        w = w.replace(a, b)
    return _DOUBLE.sub(r"\1", w)


@lru_cache(maxsize=65536)
def loose_skeleton(word: str) -> str:
    w = safe_skeleton(word)
    for pattern, repl in LOOSE_ALTERNATIONS:
        w = pattern.sub(repl, w)
    return _DOUBLE.sub(r"\1", w)


def sounds_alike(a: str, b: str) -> bool:
    la, lb = loose_skeleton(a), loose_skeleton(b)
    return bool(la and lb) and (
        jellyfish.metaphone(la) == jellyfish.metaphone(lb) or jellyfish.nysiis(la) == jellyfish.nysiis(lb)
    )


def spelling_similarity(a: str, b: str) -> float:
    return max(
        Levenshtein.normalized_similarity(name_key(a), name_key(b)),
        Levenshtein.normalized_similarity(loose_skeleton(a), loose_skeleton(b)),
    )


def initials(name: str) -> str:
    return "".join(w[0] for w in name_key(name).split() if w not in _CONNECTORS and w[:1].isalpha())


def _role_keys(m: Mention) -> set[tuple[str, ...]]:
    """The words around a mention that say what part it plays (``port of _``), when they are content."""
    keys: set[tuple[str, ...]] = set()
    for side, words in (("L", m.left), ("R", m.right)):
        if words and any(w not in STOPWORDS and w.isalpha() for w in words):
            keys.add((side, *words))
    return keys


@dataclass(slots=True)
class _Node:
    key: str
    surfaces: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    articles: dict[str, None] = field(default_factory=dict)  # in order of first mention (a set: a
    # name of a wire story is mentioned by thousands of sources, a list's look-ups were quadratic)
    roles: set[tuple[str, ...]] = field(default_factory=set)
    titles: Counter[str] = field(default_factory=Counter)
    sentences: set[tuple[str, int]] = field(default_factory=set)

    @property
    def label(self) -> str:
        return self.labels.most_common(1)[0][0]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _compatible(a: _Node, b: _Node) -> bool:
    """People are never merged with places (orgs and places are often confused by NER)."""
    la, lb = a.label, b.label
    return la == lb or "person" not in (la, lb)


def _same_spelling(a: _Node, b: _Node) -> bool:
    ta, tb = a.key.split(), b.key.split()
    if len(ta) != len(tb) or not _compatible(a, b) or a.key.isupper() or (a.sentences & b.sentences):
        return False
    if safe_skeleton(a.key) == safe_skeleton(b.key):
        return True
    if a.key.startswith(b.key) or b.key.startswith(a.key):
        return False  # "Russia"/"Russian", "Korea"/"Koreas": forms of one word, not spellings
    if any(len(t) < 4 for t in ta + tb) and len(ta) == 1:
        return False  # short words are too easy to confuse
    shared_role = bool(a.roles & b.roles)
    for x, y in zip(ta, tb, strict=True):
        if x == y:
            continue
        sim = spelling_similarity(x, y)
        if not ((sim >= SPELLING_CLOSE and sounds_alike(x, y)) or (sim >= ROLE_CLOSE and shared_role)):
            return False
    return True


def _block(node: _Node) -> tuple[int, str]:
    """Spelling variants share their word count and the first letter of their loose skeleton."""
    return len(node.key.split()), loose_skeleton(node.key.split()[0])[:1]


def _acronym_letters(short: _Node) -> str:
    return re.sub(r"[^A-Za-z]", "", next(iter(short.surfaces)))


def _is_acronym_of(short: _Node, full: _Node) -> bool:
    letters = _acronym_letters(short)
    return (
        2 <= len(letters) <= 6
        and letters.isupper()
        and len(full.key.split()) >= 2
        and initials(full.key) == letters.lower()
    )


def _low(word: str) -> str:
    return word.lower().replace("’", "'")


def _lowered(tokens: Sequence[Token], lowered: str) -> list[str]:
    """Each token lowercased, cut from the lowercased sentence when lowercasing kept its length."""
    if not lowered:
        return [_low(t.text) for t in tokens]
    return [lowered[t.start : t.start + len(t.text)] for t in tokens]


def discover_variants(
    nodes: list[_Node], sentences: dict[str, Sequence[Sentence]], known: set[str]
) -> list[tuple[str, Mention]]:
    """Variants the NER missed: a word in a named place's role in another source (``port of nagin``),
    or a capitalised word spelt and sounding like a one-word place (``Dunai`` beside ``Dunay``).

    Candidates are compared only with names whose loose spelling starts with the same letter (every
    alternation above keeps the first letter of the loose skeleton), and each distinct word once.
    """
    found: list[tuple[str, Mention]] = []
    single = [n for n in nodes if len(n.key.split()) == 1 and n.label != "person" and len(n.key) >= 4]
    by_letter: dict[str, list[_Node]] = {}
    roles: dict[tuple[str, ...], list[_Node]] = {}
    for n in single:
        by_letter.setdefault(loose_skeleton(n.key)[:1], []).append(n)
        for role in n.roles:
            if role[0] == "L":
                roles.setdefault(tuple(role[1:]), []).append(n)
    verdicts: dict[str, _Node | None] = {}

    def spelt_like(word: str) -> _Node | None:
        if word not in verdicts:
            key = name_key(word)
            verdicts[word] = next(
                (
                    node
                    for node in by_letter.get(loose_skeleton(word)[:1], [])
                    if abs(len(node.key) - len(key)) <= 3
                    and not (key.startswith(node.key) or node.key.startswith(key))
                    and spelling_similarity(word, node.key) >= SPELLING_CLOSE
                    and sounds_alike(word, node.key)
                ),
                None,
            )
        return verdicts[word]

    def add(
        article_id: str, s: Sentence, token_start: int, word: str, node: _Node, low: list[str], i: int
    ) -> None:
        left = tuple(x for x in low[max(0, i - 2) : i] if x[:1].isalnum())
        right = tuple(x for x in low[i + 1 : i + 3] if x[:1].isalnum())
        found.append((article_id, Mention(word, word, node.label, s.index, s.start + token_start, None,  # type: ignore[arg-type]
                                          left, right)))  # fmt: skip
        known.add(name_key(word))

    # A role's words are tokens in a row, with only spaces between (every other character is in a
    # token): a sentence whose text without spaces holds no role's words run together cannot hold a
    # word in a role, and is not tokenised for it; in the others only words right after a role's last
    # word are looked at.
    role_texts = ["".join(r) for r in roles]
    role_ends = {r[-1] for r in roles}

    def spelt_variant_in(text: str) -> bool:
        """Whether a capitalised word of the text may be a spelling variant (every candidate word is
        one of these letter runs; most sentences have none, and are not tokenised for it)."""
        return any(
            w[0].isupper() and name_key(w) not in known and spelt_like(w) is not None
            for w in _CAPITAL_RUN.findall(text)
        )

    for article_id, sents in sentences.items():
        for s in sents:
            spelt = spelt_variant_in(s.text)
            lowered = s.text.lower().replace("’", "'")
            if role_texts:
                squeezed = "".join(lowered.split())
                in_role = any(r in squeezed for r in role_texts)
            else:
                in_role = False
            if not (spelt or in_role):
                continue
            tokens = tokenize(s.text)
            low: list[str] = []  # the tokens lowercased, made only for a sentence that needs them
            if len(lowered) != len(s.text):  # lowercasing changed a length: token by token
                lowered = ""
            for i in [i for i in range(1, len(tokens)) if spelt and tokens[i].text[:1].isupper()]:
                word = tokens[i].text.removesuffix("’s").removesuffix("'s")
                if not (word.isalpha() and len(word) >= 4) or _low(tokens[i].text) in STOPWORDS:
                    continue
                if name_key(word) in known:
                    continue
                node = spelt_like(word)
                if node is not None:
                    low = low or _lowered(tokens, lowered)
                    add(article_id, s, tokens[i].start, word, node, low, i)
            if not in_role:
                continue
            low = low or _lowered(tokens, lowered)
            for i in [i for i in range(1, len(tokens)) if low[i - 1] in role_ends]:
                word = tokens[i].text  # the cheap tests on the word first, then its context
                if not word.isalpha() or len(word) < 4 or low[i] in STOPWORDS or name_key(word) in known:
                    continue
                contexts = [c for c in (tuple(low[max(0, i - 2) : i]), tuple(low[i - 1 : i])) if c in roles]
                if not contexts:
                    continue
                for context in contexts:
                    match = next(
                        (n for n in roles[context] if spelling_similarity(word, n.key) >= ROLE_CLOSE), None
                    )
                    if match is not None:
                        add(article_id, s, tokens[i].start, word, match, low, i)
                        break
    return found


def merge_entities(
    story_id: str,
    mentions: dict[str, list[Mention]],
    sentences: dict[str, Sequence[Sentence]] | None = None,
    places: Collection[str] = (),
) -> tuple[list[Entity], dict[str, str]]:
    """Canonical entities of a story and a map from each mention's folded name to its entity id.
    ``places``: names (``name_key``) the story's datelines give as places ("KELLEN, Sarvania —"): a
    place whatever the tagger called its mentions (the small model takes invented or rare towns for
    people as often as not)."""
    nodes: dict[str, _Node] = {}

    def add(article_id: str, m: Mention) -> None:
        key = name_key(m.name)
        if not key:
            return
        node = nodes.setdefault(key, _Node(key))
        node.surfaces[m.text] += 1
        node.labels[m.label] += 1
        node.articles[article_id] = None
        node.roles |= _role_keys(m)
        node.sentences.add((article_id, m.sentence))
        if m.title:
            node.titles[m.title] += 1

    for article_id, ms in mentions.items():
        for m in ms:
            add(article_id, m)
    if sentences:
        for article_id, m in discover_variants(list(nodes.values()), sentences, set(nodes)):
            add(article_id, m)
    for key in places:
        if key in nodes:
            nodes[key].labels["place"] += sum(nodes[key].labels.values()) + 1
    order = list(nodes.values())
    uf = _UnionFind(len(order))
    full_people = [i for i, n in enumerate(order) if n.label == "person" and len(n.key.split()) >= 2]
    blocks: dict[tuple[int, str], list[int]] = {}
    for i, n in enumerate(order):
        blocks.setdefault(_block(n), []).append(i)
    by_initials: dict[str, list[int]] = {}  # the names an acronym may stand for, by their initials
    for j, n in enumerate(order):
        if len(n.key.split()) >= 2:
            by_initials.setdefault(initials(n.key), []).append(j)
    for i, a in enumerate(order):
        words = a.key.split()
        if len(words) == 1 and next(iter(a.surfaces)).replace(".", "").isupper():
            for j in by_initials.get(_acronym_letters(a).lower(), []):
                if i != j and _is_acronym_of(a, order[j]):
                    uf.union(i, j)
            continue
        if len(words) == 1 and a.label != "place":
            owners = [
                j for j in full_people if words[0] in (order[j].key.split()[-1], order[j].key.split()[0])
            ]
            if len(owners) > 1:  # several people share it: prefer the one named in the same articles
                owners = [j for j in owners if set(order[j].articles) & set(a.articles)] or owners
            if len({uf.find(j) for j in owners}) == 1 and owners:
                uf.union(i, owners[0])
                continue
        for j in blocks[_block(a)]:
            if j > i and _same_spelling(a, order[j]):
                uf.union(i, j)
    clusters: dict[int, list[_Node]] = {}
    for i, node in enumerate(order):
        clusters.setdefault(uf.find(i), []).append(node)
    entities: list[Entity] = []
    key_to_id: dict[str, str] = {}
    for members in clusters.values():
        entity = _entity(story_id, len(entities), members)
        entities.append(entity)
        for node in members:
            key_to_id[node.key] = entity.id
    return entities, key_to_id


def _entity(story_id: str, index: int, members: list[_Node]) -> Entity:
    labels: Counter[str] = Counter()
    surfaces: Counter[str] = Counter()
    titles: Counter[str] = Counter()
    articles: dict[str, None] = {}
    for node in members:
        labels.update(node.labels)
        surfaces.update(node.surfaces)
        titles.update(node.titles)
        articles.update(node.articles)
    label: EntityLabel = "person" if labels["person"] and titles else labels.most_common(1)[0][0]  # type: ignore[assignment]
    plain = [s for s in surfaces if s[:1].isupper() and not re.match(r"(?:Mr|Mrs|Ms|Dr)\.? ", s)]
    pool = plain or list(surfaces)
    canonical = max(
        pool, key=lambda s: (len(s.split()) if label == "person" else 0, surfaces[s], -pool.index(s))
    )
    return Entity(
        id=f"{story_id}/e{index}",
        label=label,
        canonical=canonical,
        surface_forms=tuple(sorted(surfaces, key=lambda s: (-surfaces[s], s))),
        article_ids=tuple(articles),
        mentions=sum(surfaces.values()),
        roles=tuple(t for t, _ in titles.most_common(3)),
    )


def entity_context(entity: Entity) -> list[str]:
    """Content stems of an entity's canonical name (used to ignore names when comparing sentences)."""
    return content_stems(entity.canonical)
