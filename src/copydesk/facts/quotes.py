"""Quotes and attributions: who said what, quoted directly or reported.

Direct quotes are found from the quote marks (straight or curly; a quote left open at a paragraph's end
that the next paragraph reopens continues there, the newspaper convention; one never closed ends with its
paragraph). The speaker comes from the cue around the quote (``said``, ``told``, ``according to``,
``was quoted as saying``), in the quote's own sentences with the quoted words masked out. A pronoun
(``he``) or a role noun (``the spokesperson``, ``the group``) is resolved to the nearest earlier name of
the right kind. Reported speech without quote marks (``according to X``, ``X said that ...``) becomes an
``indirect`` quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copydesk.facts.names import Mention
from copydesk.facts.text import Sentence, fold, match_key, paragraphs
from copydesk.records import Quote

OPENERS = '“"«„'
CLOSERS = '”"»“'
_QUOTE_MARK = re.compile(f"[{re.escape(OPENERS + CLOSERS)}]")
CUE_VERBS = (
    "said|says|say|saying|told|tells|added|adds|adding|stated|states|wrote|writes|asked|declared|"
    "explained|noted|warned|insisted|argued|claimed|remarked|announced|replied|continued|commented|"
    "observed|suggested|urged|tweeted|posted|acknowledged|admitted|conceded|vowed|promised|pledged|"
    "stressed|emphasi[sz]ed|recalled|cautioned|predicted|confirmed|denied|described|called|praised|"
    "shouted|whispered|joked|complained|boasted|wondered|advised|admitted|recounted|testified|replied"
)
_CUE = re.compile(rf"\b(?:{CUE_VERBS})\b", re.IGNORECASE)
_ACCORDING = re.compile(r"\baccording to\b", re.IGNORECASE)
PRONOUNS = {"he": "person", "she": "person", "they": "org", "it": "org"}
# Role nouns that stand for a person or an organisation named earlier ("the spokesperson").
PERSON_NOUNS = (
    "spokesperson|spokesman|spokeswoman|minister|president|leader|official|secretary|chief|director|"
    "analyst|ambassador|general|colonel|commander|envoy|adviser|advisor|governor|mayor|senator|premier|"
    "chairman|chairwoman|diplomat|expert|officer|prosecutor|lawyer|professor|researcher|economist|head|"
    "judge|coach|teacher|doctor|nurse|driver|pilot|priest|chef|manager|owner|witness|resident|victim|"
    "student|worker|farmer|scientist|engineer|captain|mother|father|woman|man"
)
ORG_NOUNS = (
    "group|agency|ministry|think tank|company|firm|organisation|organization|institute|department|"
    "government|council|committee|commission|report|study|statement|office|police|army|military|union|"
    "party|bank|court|centre|center|board|network|newspaper|broadcaster|website"
)
_NOMINAL = re.compile(
    rf"\b(?:the|a|an|this|that|one)\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>{PERSON_NOUNS}|{ORG_NOUNS})\b", re.I
)
_PRONOUN = re.compile(r"\b(?P<p>he|she|they|it)\b", re.IGNORECASE)
# When or how it was said, between the verb and what was said ("said on Tuesday that ...").
_SAID_WHEN = (
    r"(?:(?:(?:late|early)\s+)?on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"|yesterday|today|in\s+an?\s+(?:statement|interview)|at\s+an?\s+(?:news|press)\s+conference),?\s+"
)
_THAT_CLAUSE = re.compile(
    r"\b(?:said|says|told [\w ]{1,30}?|stated|added|warned|noted|claimed)\s+"
    rf"(?:{_SAID_WHEN}){{0,2}}(?:that\s+)?",
    re.I,
)
# Bodies spoken of by their role noun alone ("the government said") that no nearby organisation's name
# stands for unless it holds the noun: the nearest organisation named before is a guess too often.
UNNAMED_BODIES = frozenset({"government", "police", "army", "military"})
MIN_UNATTRIBUTED_WORDS = 4  # shorter quoted phrases without a speaker are scare quotes or titles


@dataclass(frozen=True, slots=True)
class _Span:
    start: int  # offset of the first quoted character in the article text
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    kind: str  # "name", "pronoun", "nominal"
    label: str
    name: str


def find_quote_spans(text: str) -> list[_Span]:
    """Quoted passages, joined across paragraphs when a paragraph reopens a quote left open."""
    spans: list[_Span] = []
    open_at: int | None = None
    carried: list[str] = []
    carried_start = 0
    paras = paragraphs(text)
    for p_index, (p_start, para) in enumerate(paras):
        for mark in _QUOTE_MARK.finditer(para):  # only quote marks matter: the regex skips the rest
            i = mark.start()
            ch = para[i]
            if open_at is None and ch in OPENERS:
                if (
                    ch == '"'
                    and i > 0
                    and para[i - 1].isalnum()
                    and i + 1 < len(para)
                    and para[i + 1] in " ,."
                ):
                    continue  # a stray closing straight quote
                open_at = i + 1
                if not carried:
                    carried_start = p_start + open_at
            elif open_at is not None and ch in CLOSERS and not (ch == "“" and para[i - 1 : i] == " "):
                piece = para[open_at:i]
                spans.append(_Span(carried_start, p_start + i, " ".join([*carried, piece]).strip()))
                carried = []
                open_at = None
        if open_at is not None:
            piece = para[open_at:].strip()
            nxt = paras[p_index + 1][1] if p_index + 1 < len(paras) else ""
            if (nxt[:1] in OPENERS and (nxt.count("“") + nxt.count('"')) % 2 == 1) or (
                nxt[:1] == "“" and "”" not in nxt[1:]
            ):
                carried.append(piece)  # the quote goes on in the next paragraph
            else:
                spans.append(_Span(carried_start, p_start + len(para), " ".join([*carried, piece]).strip()))
                carried = []
            open_at = None
    if not spans:
        spans = _single_quoted(text)
    return [s for s in spans if s.text.strip(" ,.")]


def _split_quote_tails(text: str, spans: Sequence[_Span]) -> dict[int, _Span]:
    """Quotes split by their attribution, ``“It was a separate rupture,” said Ms Marek, “on the
    northern segment.”``: the first half's index to the second half. The first ends with a comma, the
    second goes on in lower case, and between them, in one sentence, stands only the attribution: one
    cue verb, no other quote mark, a comma before the second half (``said X, who called the plan “a
    disaster”`` and ``said X, while Y told reporters “...”`` are two quotes)."""
    tails: dict[int, _Span] = {}
    for k in range(len(spans) - 1):
        head, rest = spans[k], spans[k + 1]
        gap = text[head.end : rest.start]
        between = gap[1:-1]  # the first half's closing mark and the second's opening one left out
        if (
            head.text.rstrip().endswith(",")
            and rest.text.lstrip()[:1].islower()
            and len(gap.split()) <= 15
            and gap[:1] in CLOSERS
            and gap[-1:] in OPENERS
            and between.rstrip().endswith(",")
            and not _QUOTE_MARK.search(between)
            and not re.search(r"[.!?\n]", between)
            and len(_CUE.findall(between)) == 1
        ):
            tails[k] = rest
    return tails


def _single_quoted(text: str) -> list[_Span]:
    """British-style ‘single’ quotes, used only when a text has no double quotes at all."""
    return [
        _Span(m.start(1), m.end(1), m.group(1))
        for m in re.finditer(r"(?:(?<=\s)|^)‘([^‘’]*(?:’\w[^‘’]*)*)’(?!\w)", text)
        if len(m.group(1).split()) >= 2
    ]


def _candidates(masked: str, base: int, mentions: Sequence[Mention]) -> list[_Candidate]:
    """Names, pronouns and role nouns in a masked context, with offsets into the article."""
    out = [
        _Candidate(m.start - base, m.start - base + len(m.name), "name", m.label, m.name)
        for m in mentions
        if 0 <= m.start - base < len(masked)
    ]
    taken = [(c.start, c.end) for c in out]
    for m in _PRONOUN.finditer(masked):
        if not any(a <= m.start() < b for a, b in taken):
            out.append(
                _Candidate(m.start(), m.end(), "pronoun", PRONOUNS[match_key(m.group("p"))], m.group())
            )
    for m in _NOMINAL.finditer(masked):
        if not any(a <= m.start("noun") < b for a, b in taken):
            noun = m.group("noun").lower()
            label = "person" if re.fullmatch(PERSON_NOUNS, noun) else "org"
            out.append(_Candidate(m.start(), m.end(), "nominal", label, m.group()))
    return sorted(out, key=lambda c: c.start)


_PREFERENCE = {"person": 0, "org": 1, "place": 2}


def _subject_before(cands: list[_Candidate], context: str, cue_start: int, floor: int) -> _Candidate | None:
    """The speaker before a cue: a pronoun or name right before it, else the nearest person, org, place.

    A name followed by a comma ends an appositive (``Sue Mi Terry, a fellow at the Council, said``), and a
    place rarely speaks unless it stands right before the verb (``Russia said``).
    """
    window = [c for c in cands if floor <= c.start and c.end <= cue_start]
    if not window:
        return None
    last = window[-1]
    gap = context[last.end : cue_start]
    # "X was quoted by the Observer as saying": the subject, not the paper, is the speaker.
    adjacent = len(gap) <= 12 and "," not in gap and not gap.rstrip().endswith(" as")
    if adjacent and (last.kind != "name" or last.label != "place" or not gap.strip()):
        return last
    return min(window, key=lambda c: (_PREFERENCE.get(c.label, 3), cue_start - c.end))


def _subject_after(cands: list[_Candidate], cue_end: int) -> _Candidate | None:
    """The speaker after a cue; ``a statement from the White House`` gives the name, not the noun."""
    after = [c for c in cands if 0 <= c.start - cue_end <= 25]
    if not after:
        return None
    first = after[0]
    if first.kind == "nominal":
        named = [c for c in cands if c.kind == "name" and 0 <= c.start - first.end <= 12]
        if named:
            return named[0]
    return first


def _resolve(cand: _Candidate, position: int, mentions: Sequence[Mention]) -> str:
    """A name for a pronoun or role noun: the nearest earlier mention of the right kind."""
    if cand.kind == "name":
        return cand.name
    earlier = [m for m in mentions if m.start < position]
    noun = cand.name.lower().split()[-1]
    if cand.kind == "nominal" and cand.label == "person":
        titled = [m for m in earlier if m.title and noun[:6] in m.title.lower()]
        if titled:
            return titled[-1].name
    wanted = ("person",) if cand.label == "person" else ("org",)
    if cand.label != "person":  # "the institute": an organisation named with that word, if one was
        holding = [m for m in earlier if m.label in wanted and noun in fold(m.name).split()]
        if holding:
            return holding[-1].name
        if noun in UNNAMED_BODIES:
            return cand.name
    for m in reversed(earlier):
        if m.label in wanted:
            return m.name
    return cand.name


def _attribute(
    context: str, base: int, quote_local: tuple[int, int], mentions: Sequence[Mention]
) -> tuple[_Candidate | None, str | None]:
    """The speaker candidate and cue for a quote at ``quote_local`` in a masked context."""
    cands = _candidates(context, base, mentions)
    qs, qe = quote_local
    according = [m for m in _ACCORDING.finditer(context)]
    if according:
        best = min(according, key=lambda m: min(abs(m.start() - qe), abs(m.end() - qs)))
        who = _subject_after(cands, best.end())
        if who is not None:
            return who, "according to"
    cues = sorted(_CUE.finditer(context), key=lambda m: min(abs(m.start() - qe), abs(qs - m.end())))
    for cue in cues:  # nearest cue first; the next one when it names nobody
        verb = cue.group().lower()
        if cue.start() >= qe:
            gap = context[qe : cue.start()]
            if not re.search(r"[A-Za-z]", gap.replace("§", "")):  # ,” said X
                who = _subject_after(cands, cue.end())
            else:
                who = _subject_before(cands, context, cue.start(), qe)
        else:
            who = _subject_before(cands, context, cue.start(), 0)
        if who is not None:
            return who, verb
    return None, (cues[0].group().lower() if cues else None)


def extract_quotes(
    article_id: str, text: str, sentences: Sequence[Sentence], mentions: Sequence[Mention]
) -> list[Quote]:
    """Direct quotes with speakers, then indirect attributions in sentences without quote marks."""
    quotes: list[Quote] = []
    spans = find_quote_spans(text)
    masked_text = list(text)
    for span in spans:
        for i in range(span.start, span.end):
            masked_text[i] = "§"
    masked = "".join(masked_text)
    quoted_mentions = [m for m in mentions if not any(s.start <= m.start < s.end for s in spans)]
    previous_speaker: str | None = None
    previous_paragraph = -2
    tails = _split_quote_tails(text, spans)
    for k, span in enumerate(spans):
        if k - 1 in tails:
            continue  # a later part of a quote split by its attribution: read with the first
        rest: list[_Span] = []
        while k + len(rest) in tails:
            rest.append(tails[k + len(rest)])
        first = _sentence_at(sentences, span.start)
        last = _sentence_at(sentences, max(span.start, (rest[-1] if rest else span).end - 1))
        lo, hi = first.start, last.end
        if hi - span.end < 3 and last.index + 1 < len(sentences):  # “...,” she said. split off
            nxt = sentences[last.index + 1]
            if nxt.paragraph == last.paragraph and len(nxt.text.split()) <= 8:
                hi = nxt.end
        context = masked[lo:hi]
        cand, cue = _attribute(context, lo, (span.start - lo, span.end - lo), quoted_mentions)
        speaker = _resolve(cand, span.start, quoted_mentions) if cand else None
        if (
            speaker is None
            and previous_paragraph >= first.paragraph - 1
            and not re.search(r"[A-Za-z]", context.replace("§", ""))
        ):
            speaker = previous_speaker  # a quote standing alone goes on with the last speaker's words
        if speaker is None and cue is None and first.index > 0:
            # "Their leader, Jonas Hartmann, read a statement. “We will not ...": the person just named.
            before = sentences[first.index - 1]
            named = [
                m for m in quoted_mentions if before.start <= m.start < before.end and m.label == "person"
            ]
            if named and before.paragraph >= first.paragraph - 1:
                speaker = named[-1].name
        quoted = " ".join(part.text.strip().rstrip(",") for part in [span, *rest])  # a split quote whole
        if speaker is None and len(quoted.split()) < MIN_UNATTRIBUTED_WORDS:
            continue
        quotes.append(
            Quote(
                id=f"{article_id}/q{len(quotes)}",
                article_id=article_id,
                kind="direct",
                text=quoted,
                sentence=text[first.start : last.end],
                position=span.start,
                speaker=speaker,
                speaker_text=cand.name if cand else None,
                cue=cue,
            )
        )
        if speaker:
            previous_speaker, previous_paragraph = speaker, last.paragraph
    quoted_sentences = {_sentence_at(sentences, s.start).index for s in spans}
    for sentence in sentences:
        if sentence.index in quoted_sentences:
            continue
        indirect = _indirect(article_id, sentence, quoted_mentions, len(quotes))
        if indirect is not None:
            quotes.append(indirect)
    return quotes


def _indirect(article_id: str, sentence: Sentence, mentions: Sequence[Mention], n: int) -> Quote | None:
    """``according to X, ...`` or ``X said (that) ...`` without quote marks."""
    s = sentence.text
    m = _ACCORDING.search(s)
    said = None if m else _THAT_CLAUSE.search(s)
    if not (m or said):
        return None  # most sentences: no cue, so no speaker candidates to look for
    cands = _candidates(s, sentence.start, mentions)
    if m:
        who = _subject_after(cands, m.end())
        if who is None:
            return None
        claim = (s[: m.start()] + s[who.end :]).strip(" ,.")
        claim = re.sub(r"^[\w’' -]{0,40}?,\s*", "", claim) if claim.startswith(("study", "report")) else claim
        cue: str = "according to"
    else:
        assert said is not None
        who = _subject_before(cands, s, said.start(), 0)
        if who is None or said.start() - who.end > 40:
            return None
        claim = s[said.end() :].strip(" .")
        cue = said.group().split()[0].lower()
    if len(claim.split()) < 3:
        return None
    return Quote(
        id=f"{article_id}/q{n}",
        article_id=article_id,
        kind="indirect",
        text=claim,
        sentence=s,
        position=sentence.start,
        speaker=_resolve(who, sentence.start + who.start, mentions),
        speaker_text=who.name,
        cue=cue,
    )


def _sentence_at(sentences: Sequence[Sentence], offset: int) -> Sentence:
    for s in sentences:
        if s.start <= offset < s.end + 2:
            return s
    best = max((s for s in sentences if s.start <= offset), key=lambda s: s.start, default=None)
    return best or sentences[0]


def speaker_key(name: str | None) -> str:
    return fold(name or "")
