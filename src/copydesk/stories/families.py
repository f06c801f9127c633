"""Copy families inside a story: who copied whom, and how, with the evidence for each call.

Four relations, strongest first:

- ``exact-copy``: the normalised text hash is equal (typography and layout aside, the same text);
- ``near-copy``: verified shingle Jaccard or containment >= 0.5 (trimmed, lightly edited);
- ``rewrite``: low shingle overlap, but sentence after sentence carries the same names and figures
  in the same order and much the same words, or the same grammar words in the same order with the
  content words swapped (synonym spinning);
- ``translation-like``: the same aligned anchors in the same order but little shared wording;
- ``credited-wire``: no word-for-word copy, but the article credits the wire that a family in the story
  comes from (its original credits it or is it), so it is not an independent report either; a
  rewrite or translation that credits the wire its family credits is called this too.

Independent reports of one event share names and figures too, but not sentence by sentence in order,
which is what the alignment asks for. The family's original is the earliest dated member, then one
that credits a wire, then the most complete text; an article with no copies is ``independent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import numpy as np

from copydesk.clean.textscan import word_count
from copydesk.fingerprint.lsh import PairEvidence, shingle_set, verify_pair
from copydesk.fingerprint.minhash import EMPTY_SLOT, MinHashConfig, compiled_pair_estimates, estimated_jaccard
from copydesk.records import Relation, StoryMember, bare_date, content_digest
from copydesk.stories.grouping import best_columns
from copydesk.stories.sentence_align import (
    KeyBits,
    Outline,
    SentenceMemo,
    TokenMemo,
    align_keys,
    grammar_kept,
    may_align,
    outline,
    sentence_keys,
)

# Every pair among a story's first this-many members is judged; later members only for copies.
COMPARED_MEMBERS = 200
SHINGLE_SETS_KEPT = 2 * COMPARED_MEMBERS  # a judge's, the most recently used
# A later member is verified against the members its signature estimates closest, at most this many.
COPY_CANDIDATES = 3
# Texts whose lengths differ more than this (the shorter over the longer) are checked for a copy
# whatever their estimate: a short copy of a long text shares few of its shingles.
COPY_LENGTH_RATIO = 0.7
_NOT_ALIGNED = (
    f"no word-for-word copy among the story's first {COMPARED_MEMBERS} members "
    "(a story this large is not aligned sentence by sentence for rewrites)"
)


@dataclass(frozen=True, slots=True)
class FamilyConfig:
    """Thresholds for the relations, set on the generated copy-family set (tests/test_stories_families.py)."""

    near_copy: float = 0.5
    exact_copy: float = 0.95  # verified shingle Jaccard at which two texts differ only by a credit line
    candidate_estimate: float = 0.3
    aligned_share: float = 0.75
    rewrite_wording: float = 0.5
    rewrite_grammar: float = 0.5  # between the generated rewrites (0.78+) and translations (0.36-)
    min_anchors: int = 2


@dataclass(slots=True)
class MemberText:
    """What the family analysis needs to know about one story member."""

    article_id: str
    text: str
    title: str | None
    published: datetime | None
    credits: list[str]
    norm_hash: str
    signature: np.ndarray
    site: str | None = None  # the publication: a wire's own site is the original of its copies
    _words: int = field(default=-1, init=False, repr=False, compare=False)

    @property
    def word_count(self) -> int:
        """How many words the text has (counted once: ranking a family asks for it again and again)."""
        if self._words < 0:
            self._words = word_count(self.text)
        return self._words


@dataclass(frozen=True, slots=True)
class PairCall:
    relation: Relation
    evidence: str
    strength: float


class FamilyJudge:
    """Calls the relation between two members of one story, or ``None`` when they are independent."""

    def __init__(
        self, zipf: Mapping[str, float], minhash: MinHashConfig, config: FamilyConfig = FamilyConfig()
    ) -> None:
        self.zipf = zipf
        self.minhash = minhash
        self.config = config
        self._outlines: dict[tuple[str, str], Outline] = {}
        self._shingles: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        self._tokens: TokenMemo = {}
        self._anchor_bits, self._word_bits = KeyBits(), KeyBits()
        self._sentences: SentenceMemo = {}  # keys of the sentences read with these KeyBits

    def forget(self) -> None:
        """Drop the per-text caches (call between stories to bound memory and the keys' masks)."""
        self._outlines.clear()
        self._shingles.clear()
        self._anchor_bits, self._word_bits = KeyBits(), KeyBits()
        self._sentences = {}

    def _outline_of(self, member: MemberText) -> Outline:
        key = (member.article_id, member.norm_hash)
        found = self._outlines.get(key)
        if found is None:
            keys = sentence_keys(
                member.text, self.zipf, self._anchor_bits, self._word_bits, self._tokens, self._sentences
            )
            found = self._outlines[key] = outline(keys, self.config.min_anchors)
        return found

    def _shingles_of(self, member: MemberText) -> set[tuple[str, ...]]:
        """The member's shingle set, the last ``SHINGLE_SETS_KEPT`` used kept (kept all, ~60 kB
        each, a story of 10,000 reprints held 1 GB of them, most used once)."""
        key = (member.article_id, member.norm_hash)
        found = self._shingles.pop(key, None)
        if found is None:
            found = shingle_set(member.text, self.minhash.shingle)
            if len(self._shingles) >= SHINGLE_SETS_KEPT:
                del self._shingles[next(iter(self._shingles))]  # the least recently used
        self._shingles[key] = found
        return found

    def pair_screen(self, members: Sequence[MemberText], estimates: np.ndarray) -> bytes | None:
        """For each pair i < j of ``members`` (row-major, n x n), whether ``call`` (as the pair loop
        calls it, estimate from ``estimates``) could find a relation: 0 where it returns None (no
        copy check due, and ``may_align`` false or the alignment short of ``aligned_share``), in one
        compiled call (most pairs of a story's independent reports end there: on template-made
        600-word reports the alignments the screen let through cost 1.5 of 2 seconds in Python);
        None where the kernel was not built."""
        if _overlap is None:  # pragma: no cover - depends on the install
            return None
        cfg = self.config
        outlines = [self._outline_of(m) for m in members]
        hash_ids: dict[str, int] = {}
        return _overlap.relation_screen(
            [hash_ids.setdefault(m.norm_hash, len(hash_ids)) for m in members],
            [len(m.text) for m in members],
            np.ascontiguousarray(estimates, dtype=np.float64),
            cfg.candidate_estimate,
            [o.rows for o in outlines],
            [o.row_words for o in outlines],
            [o.every_row for o in outlines],
            [o.comparable for o in outlines],
            [o.counts for o in outlines],
            cfg.min_anchors,
            cfg.aligned_share,
        )

    def call(
        self,
        a: MemberText,
        b: MemberText,
        *,
        passages: bool = True,
        estimate: float | None = None,
        copies_only: bool = False,
    ) -> PairCall | None:
        """The relation between two members, or ``None``; ``passages=False`` leaves the shared
        passages out of the evidence (they cost more than the decision); ``estimate`` is their
        signatures' ``estimated_jaccard`` when the caller has it already; ``copies_only`` stops
        after the word-for-word checks (no sentence alignment for rewrites and translations)."""
        if a.norm_hash == b.norm_hash:
            return PairCall("exact-copy", "same normalised text hash " + a.norm_hash, 1.0)
        cfg = self.config
        if estimate is None:
            estimate = estimated_jaccard(a.signature, b.signature)
        if estimate >= cfg.candidate_estimate or _length_ratio(a.text, b.text) < COPY_LENGTH_RATIO:
            evidence: PairEvidence = verify_pair(
                a.text,
                b.text,
                a.signature,
                b.signature,
                self.minhash,
                shingles=(self._shingles_of(a), self._shingles_of(b)),
                passages=passages,
                estimate=estimate,
            )
            if evidence.jaccard >= cfg.exact_copy:
                return PairCall(
                    "exact-copy", evidence.describe() + " (the same text give or take a line)", 0.99
                )
            if max(evidence.jaccard, evidence.containment) >= cfg.near_copy:
                return PairCall("near-copy", evidence.describe(), 0.5 + evidence.jaccard / 2)
        if copies_only:
            return None
        outline_a, outline_b = self._outline_of(a), self._outline_of(b)
        if not may_align(outline_a, outline_b, cfg.min_anchors, cfg.aligned_share):
            return None
        alignment = align_keys(outline_a, outline_b, self._anchor_bits, cfg.min_anchors, cfg.aligned_share)
        if alignment.comparable < 2 or alignment.share < cfg.aligned_share:
            return None
        grammar = grammar_kept(outline_a.keys, outline_b.keys, alignment.pairs)
        spun = alignment.wording >= cfg.rewrite_wording or grammar >= cfg.rewrite_grammar
        relation: Relation = "rewrite" if spun else "translation-like"
        evidence_text = (
            f"{alignment.aligned} of {alignment.comparable} sentences align in order on shared names and "
            f"figures ({', '.join(alignment.anchors)}); wording overlap {alignment.wording:.2f}; "
            f"grammar words kept in order {grammar:.2f}; MinHash Jaccard {estimate:.2f}"
        )
        return PairCall(relation, evidence_text, alignment.share * 0.5)


def _length_ratio(a: str, b: str) -> float:
    la, lb = len(a), len(b)
    return min(la, lb) / max(la, lb, 1)


def original_rank(
    member: MemberText, arrival: int, wires: frozenset[str] = frozenset()
) -> tuple[bool, int, bool, float, bool, bool, int, int]:
    """Sort key: earliest day first (undated last); on that day an exact time beats a bare date (which
    may be any hour) and earlier beats later; then the wire itself (its site is a wire the family
    credits, casefolded in ``wires``), then an article that credits a wire, then the most complete
    text (in words, so typography does not count), then arrival order."""
    not_the_wire = member.site is None or member.site.casefold() not in wires
    if member.published is None:
        return (True, 0, True, 0.0, not_the_wire, not member.credits, -member.word_count, arrival)
    when = member.published
    day = when.date().toordinal()
    moment = when.timestamp() if when.tzinfo is not None else when.replace(tzinfo=UTC).timestamp()
    words = member.word_count
    return (False, day, bare_date(when), moment, not_the_wire, not member.credits, -words, arrival)


_ALIGNED = frozenset({"rewrite", "translation-like"})  # relations found by sentence alignment


@dataclass(frozen=True, slots=True)
class FamilyHeads:
    """The pairwise judgement of a story's first members (``family_heads``): the calls found, in the
    order found, and the union-find parents after them. It depends on those members alone, so a
    worker can make it while later members are still being placed (``copy_families`` takes it where
    its members are still the story's first ones)."""

    members: tuple[tuple[str, str], ...]  # (article id, normalised hash) of each, in order
    calls: dict[tuple[int, int], PairCall]
    parent: list[int]


def _head_key(members: Sequence[MemberText]) -> tuple[tuple[str, str], ...]:
    return tuple((m.article_id, m.norm_hash) for m in members)


def family_heads(members: Sequence[MemberText], judge: FamilyJudge) -> FamilyHeads:
    """``copy_families``' judgement of every pair of ``members`` (a story's first ones, in arrival
    order, at most ``COMPARED_MEMBERS``)."""
    signatures = np.stack([m.signature for m in members]) if members else np.zeros((0, 0))
    estimates = estimate_matrix(signatures) if len(members) > 1 else np.zeros((len(members),) * 2)
    calls, parent = _judge_pairs(members, judge, estimates)
    return FamilyHeads(_head_key(members), calls, parent)


def _judge_pairs(
    members: Sequence[MemberText], judge: FamilyJudge, estimates: np.ndarray
) -> tuple[dict[tuple[int, int], PairCall], list[int]]:
    """Every pair of ``members`` judged (those the screen lets through), each joined pair's call, and
    the union-find parents after the joins."""
    full = len(members)
    parent = list(range(full))
    calls: dict[tuple[int, int], PairCall] = {}
    screen = judge.pair_screen(members, estimates) if full > 2 else None
    for i in range(full):
        for j in range(i + 1, full):
            if screen is not None and not screen[i * full + j]:
                continue  # ``call`` would return None
            if _root(parent, i) == _root(parent, j):
                continue  # already one family: the relation is called against the original below
            call = judge.call(members[i], members[j], passages=False, estimate=float(estimates[i, j]))
            if call is not None:
                calls[(i, j)] = call
                parent[_root(parent, i)] = _root(parent, j)
    return calls, parent


def _root(parent: list[int], x: int) -> int:
    """``x``'s family in the union-find ``parent`` (halving the paths it walks)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def copy_families(
    members: Sequence[MemberText],
    judge: FamilyJudge,
    compared: int | None = None,
    heads: FamilyHeads | None = None,
) -> list[StoryMember]:
    """Group a story's members into copy families and give each member its relation and evidence.

    Every pair among the first ``compared`` (``COMPARED_MEMBERS``) members is judged (pairs grow with
    the square of a story's size), or taken from ``heads`` where those are the members it was made
    on; each later member is checked for word-for-word copies of those only (its best signature
    estimates, verified), so a wire story run by hundreds of sites stays one family."""
    n = len(members)
    full = min(n, COMPARED_MEMBERS if compared is None else compared)
    signatures = np.stack([m.signature for m in members]) if n else np.zeros((0, 0))

    @cache
    def estimates() -> np.ndarray:
        """The first members' estimates, made once asked for (not where ``heads`` stand)."""
        return estimate_matrix(signatures[:full]) if full > 1 else np.zeros((full, full))

    if heads is not None and heads.members == _head_key(members[:full]):
        calls, parent = dict(heads.calls), list(heads.parent)
    else:
        calls, parent = _judge_pairs(members[:full], judge, estimates())
    parent += range(full, n)

    def find(x: int) -> int:
        return _root(parent, x)

    if n > full:
        beyond = estimate_matrix(signatures[full:], signatures[:full])
        # every later member's best candidates at once (a sort a member cost 6 us)
        order = best_columns(beyond, COPY_CANDIDATES)
        due = _copy_checks_due(members, full, order, np.take_along_axis(beyond, order, axis=1), judge)
        best = order.tolist()
        for row, e in enumerate(range(full, n)):
            for j in best[row]:
                if not due[row, j]:
                    continue  # ``call`` would return None at once
                estimate = float(beyond[row, j])
                call = judge.call(members[j], members[e], passages=False, estimate=estimate, copies_only=True)
                if call is not None:
                    calls[(j, e)] = call
                    parent[find(j)] = find(e)
                    break
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    out: list[StoryMember] = []
    for group in groups.values():
        if len(group) == 1:  # nothing to rank (most members of a big story: its words go uncounted)
            head = group[0]
            family = "f" + content_digest("family\x00" + members[head].article_id)[:12]
            why = "no copy in this story" if head < full else _NOT_ALIGNED
            out.append(StoryMember(members[head].article_id, family, "independent", why))
            continue
        wires = frozenset(c.casefold() for i in group for c in members[i].credits)
        ranked = sorted(group, key=lambda i: original_rank(members[i], i, wires))
        head = ranked[0]
        family = "f" + content_digest("family\x00" + members[head].article_id)[:12]
        why = _why_original(members, ranked, wires)
        out.append(StoryMember(members[head].article_id, family, "original", why))
        for i in ranked[1:]:
            # a rewrite or translation called in the pairwise loop is the call again: passages only
            # add to a copy's evidence (the alignment, 5,000 of 12,000 of these calls on 20k, is not
            # worked out twice)
            call = calls.get((head, i))
            if call is None or call.relation not in _ALIGNED:
                known = float(estimates()[head, i]) if head < full and i < full else None
                call = judge.call(members[head], members[i], estimate=known)
            if call is None:
                link = max(
                    (c for (x, y), c in calls.items() if i in (x, y) and find(x) == find(head)),
                    key=lambda c: c.strength,
                )
                call = PairCall(link.relation, link.evidence + " (via another family member)", link.strength)
            out.append(StoryMember(members[i].article_id, family, call.relation, call.evidence))
    return _credited_wire(members, out)


def _copy_checks_due(
    members: Sequence[MemberText], full: int, order: np.ndarray, estimates: np.ndarray, judge: FamilyJudge
) -> np.ndarray:
    """For each later member (a row, member ``full + row``) and each of its candidates ``order[row]``
    (estimates ``estimates[row]``), whether ``FamilyJudge.call`` with ``copies_only`` has anything to
    check: the same normalised hash, an estimate at the candidate share, or lengths further apart
    than ``COPY_LENGTH_RATIO``; elsewhere it returns None at once (most of a big story's 3 calls a
    later member, in Python). Indexed ``[row, candidate]``, a full row of the first members wide."""
    lengths = np.fromiter((len(m.text) for m in members), dtype=np.int64, count=len(members))
    hash_ids: dict[str, int] = {}
    hashes = np.fromiter(
        (hash_ids.setdefault(m.norm_hash, len(hash_ids)) for m in members), dtype=np.int64, count=len(members)
    )
    mine, theirs = lengths[full:, None], lengths[order]
    ratio = np.minimum(mine, theirs) / np.maximum(np.maximum(mine, theirs), 1)
    due_ranked = (
        (hashes[full:, None] == hashes[order])
        | (estimates >= judge.config.candidate_estimate)
        | (ratio < COPY_LENGTH_RATIO)
    )
    due = np.zeros((len(members) - full, full), dtype=bool)
    np.put_along_axis(due, order, due_ranked, axis=1)
    return due


def estimate_matrix(signatures: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """``estimated_jaccard`` of every row against every row of ``others`` (default: the rows
    themselves), the same figures: compiled where built (``copydesk._overlap.pair_estimates``, the
    same masked estimate; numpy's broadcasting cost a story of a few members 60 us), else 32 rows
    against all at a time."""
    others = signatures if others is None else others
    n, m = len(signatures), len(others)
    rows, columns = np.repeat(np.arange(n, dtype=np.int64), m), np.tile(np.arange(m, dtype=np.int64), n)
    found = compiled_pair_estimates(signatures, rows, others, columns)
    if found is not None:
        return found.reshape(n, m)
    empty, other_empty = signatures == EMPTY_SLOT, others == EMPTY_SLOT
    out = np.zeros((len(signatures), len(others)))
    for lo in range(0, len(signatures), 32):
        part = slice(lo, lo + 32)
        valid = ~(empty[part, None, :] & other_empty[None, :, :])
        equal = (signatures[part, None, :] == others[None, :, :]) & valid
        counts = valid.sum(axis=2)
        out[part] = np.where(counts > 0, equal.sum(axis=2) / np.maximum(counts, 1), 0.0)
    return out


def _credited_wire(members: Sequence[MemberText], calls: list[StoryMember]) -> list[StoryMember]:
    """An article with no copy that credits the wire a family of copies credits joins that family."""
    if not any(m.credits for m in members):  # nothing credited: nothing to join (most big stories)
        return calls
    by_id = {m.article_id: m for m in members}
    sizes: dict[str, int] = {}
    for call in calls:
        sizes[call.copy_family] = sizes.get(call.copy_family, 0) + 1
    sources: dict[str, str] = {}
    for call in calls:
        if sizes[call.copy_family] > 1:
            for wire in by_id[call.article_id].credits:
                sources.setdefault(wire.casefold(), call.copy_family)
    credited_by: dict[tuple[str, str], int] = {}
    for call in calls:
        for wire in {c.casefold() for c in by_id[call.article_id].credits}:
            key = (call.copy_family, wire)
            credited_by[key] = credited_by.get(key, 0) + 1
    out: list[StoryMember] = []
    for call in calls:
        credits = by_id[call.article_id].credits
        family = next((sources[c.casefold()] for c in credits if c.casefold() in sources), None)
        if call.relation == "independent" and family is not None:
            wires = ", ".join(credits)
            call = StoryMember(
                call.article_id,
                family,
                "credited-wire",
                f"credits {wires}, the wire this family's copies credit",
            )
        elif call.relation in ("rewrite", "translation-like") and any(
            credited_by.get((call.copy_family, c.casefold()), 0) > 1 for c in credits
        ):
            # A report that follows the wire sentence by sentence in its own words and says so is
            # how newsrooms run wire copy: a credited wire story, not a spun or translated copy.
            wires = ", ".join(credits)
            call = StoryMember(
                call.article_id,
                call.copy_family,
                "credited-wire",
                f"credits {wires}, as another member of this family does; {call.evidence}",
            )
        out.append(call)
    return out


def _why_original(members: Sequence[MemberText], ranked: list[int], wires: frozenset[str]) -> str:
    head = members[ranked[0]]
    reasons = []
    if head.published is not None:
        reasons.append(f"earliest date in the family ({head.published.date().isoformat()})")
    else:
        reasons.append("no member is dated")
    if head.site is not None and head.site.casefold() in wires:
        reasons.append(f"published by {head.site}, the wire the family credits")
    elif head.credits:
        reasons.append("credits " + ", ".join(head.credits))
    longest = max(members[i].word_count for i in ranked)
    if head.word_count == longest:
        reasons.append(f"most complete text ({longest} words)")
    return "; ".join(reasons)


try:  # the compiled pair screen (a test holds it equal to asking ``call`` of every pair)
    from copydesk import _overlap
except ImportError:  # pragma: no cover - depends on the install
    _overlap = None  # type: ignore[assignment]
