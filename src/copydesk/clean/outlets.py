"""Outlets named in an article: a paper's masthead, and the outlet its sources spoke to.

The metadata step reads both: a masthead names the site above or beside the headline, and an
outlet that did the interviewing ("analysts told the BBC") is the source of an article with no byline
or credit line of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from copydesk.clean.lines import Line
from copydesk.clean.words import vocabulary

_MASTHEAD_WORDS = vocabulary(
    """news times daily courier gazette herald post press hub report wire journal tribune observer
    service ledger chronicle monitor review today express mail star record bulletin weekly pulse beat
    watch telegraph standard mirror globe register dispatch agency tv radio"""
)


def masthead(name: str) -> bool:
    """A paper's name: one to five words, one of them a masthead word (Courier, Times, Press)."""
    words = name.split()
    return 1 <= len(words) <= 5 and any(w.lower().strip(".") in _MASTHEAD_WORDS for w in words)


# A news outlet named as the one that did the interviewing ("analysts told the BBC"): the reporting
# is that outlet's, so an article with no byline and no credit line of its own is built on it.
# "According to TASS" only cites a report and is never read this way.
_NAME_WORD = (
    r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|"
    r"June|July|August|September|October|November|December)\b)[A-Z][\w&'-]*"
)
# the outlet's name ends the clause or is followed by what follows a speaker's "told X": a "that",
# a time or place; "told US officials" names officials, not an outlet
_INTERVIEWED_BY = re.compile(
    r"\b(?:told|informed|said to|speaking to|in an interview with)[ ]+(?:the[ ]+)?"
    rf"(?P<outlet>{_NAME_WORD}(?:[ ]+{_NAME_WORD}){{0,3}})"
    r"(?=[.,;:!?)]|[ ]+(?:that|on|in|last|earlier|this|after|when|at|during|before|late|today|yesterday|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|[ ]*$)",
    re.MULTILINE,  # the lines are searched joined: a name ends at its line's end
)
_INTERVIEW_VERBS = ("told", "informed", "said to", "speaking to", "in an interview with")
# Wire services and broadcasters whose names carry no masthead word and are not acronyms.
_WIRE_NAMES = vocabulary("reuters bloomberg xinhua interfax yonhap kyodo tass anadolu bernama antara")


def _outlet_name(name: str) -> bool:
    """An outlet's name: an acronym (BBC, NHK), a masthead word (Times, Press) or a wire's name."""
    words = name.split()
    if len(words) == 1 and 2 <= len(name) <= 6 and name.isupper() and name.isalpha():
        return True
    return (len(words) >= 2 and masthead(name)) or any(w.lower() in _WIRE_NAMES for w in words)


def interviewing_outlet(lines: Sequence[Line], site: str | None) -> str | None:
    """The outlet the article's sources spoke to, when one outlet (not the site itself) is named so."""
    text = "\n".join(line.text for line in lines)
    found: set[str] = set()
    # the pattern tried only where one of its verbs stands (far faster than the regex scanning every
    # position; no match can hold another's verb, so none is missed)
    for at in verb_positions(text):
        match = _INTERVIEWED_BY.match(text, at)
        if match:
            name = match.group("outlet").rstrip("'")
            if _outlet_name(name):
                found.add(name)
    site_words = {w.casefold() for w in (site or "").split()}
    outlets = [name for name in found if not site_words & {w.casefold() for w in name.split()}]
    return outlets[0] if len(outlets) == 1 else None


def verb_positions(text: str) -> list[int]:
    """Where an interview verb starts in the text, in order: one compiled pass over an ASCII text
    (``copydesk._textscan.needle_positions``: a substring scan a verb cost 8.5 us on a 600-word
    text), else ``python_verb_positions``."""
    found = _needle_positions(text, _INTERVIEW_VERBS) if _needle_positions is not None else None
    return python_verb_positions(text) if found is None else found


def python_verb_positions(text: str) -> list[int]:
    """``verb_positions`` by a substring scan a verb."""
    positions: set[int] = set()
    for verb in _INTERVIEW_VERBS:
        at = text.find(verb)
        while at >= 0:
            positions.add(at)
            at = text.find(verb, at + 1)
    return sorted(positions)


_needle_positions: Callable[[str, tuple[str, ...]], list[int] | None] | None
try:  # every verb's positions in one pass
    from copydesk._textscan import needle_positions as _needle_positions
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _needle_positions = None
