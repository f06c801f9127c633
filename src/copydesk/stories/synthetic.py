"""Generated news for tests and benchmarks: events, independent reports, and labelled copies.

Every sentence is built from templates written for copydesk; place and person names are invented
syllable strings. Derived copies carry the relation they should get: ``exact-copy`` (typography
only), ``near-copy`` (trimmed and lightly edited), ``rewrite`` (synonym spinning from the table
below) and ``translation-like`` (clauses restructured, function words and number formats changed,
names and figures kept).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_SYLLABLES = (
    *("ka", "lo", "ver", "mi", "stan", "dor", "el", "rin", "tes", "na", "gor"),
    *("ul", "bra", "vik", "sel", "mar", "to", "zen", "pa", "lin", "osk", "ra"),
)
# Per kind: facts, each in two phrasings, so that two independent reports word a fact differently.
_KINDS = {
    "quake": (
        (
            "A magnitude {mag} earthquake struck {place} on {day}, killing at least {dead} people, "
            "officials said.",
            "At least {dead} people died when a {mag}-magnitude tremor shook {place} early on {day}.",
        ),
        (
            "The quake hit at a depth of {depth} kilometres near the town of {town}, the {agency} reported.",
            "Its epicentre lay close to {town}, some {depth} km below ground, according to the {agency}.",
        ),
        (
            "Rescue teams led by {person} searched collapsed buildings through the night in {town}.",
            "In {town}, volunteers and soldiers under {person} dug through rubble until dawn.",
        ),
        (
            "{person} said {hurt} people had been taken to hospital and {homes} homes were damaged.",
            "Hospitals treated {hurt} injured, while {homes} houses need repairs, {person} told reporters.",
        ),
        (
            "Aftershocks of up to magnitude {small} shook {place} during the following hours.",
            "A {small} aftershock sent residents of {place} back into the streets later that day.",
        ),
        (
            "The government of {country} declared three days of mourning and sent {troops} soldiers to help.",
            "{country} deployed {troops} troops to the region and ordered flags flown at half mast.",
        ),
        (
            "It was the strongest tremor to hit {place} since {year}, according to the {agency}.",
            "Not since {year} has {place} felt a shock this powerful, seismologists noted.",
        ),
    ),
    "visit": (
        (
            "{person} arrived in {capital} on {day} for a {days}-day state visit, the first in {gap} years.",
            "For the first time in {gap} years, a leader of his rank landed in {capital}: {person} began a "
            "{days}-day trip there on {day}.",
        ),
        (
            "{person} is expected to sign {deals} agreements on trade and energy with {host}.",
            "Some {deals} accords covering energy and commerce await signature, diplomats say.",
        ),
        (
            "Officials in {capital} said the talks with {host} would cover a {money} million dollar "
            "port project.",
            "A port scheme worth {money} million dollars tops the agenda, {capital} officials indicated.",
        ),
        (
            "{host} welcomed {person} at the airport with a guard of honour, state television showed.",
            "Television pictures showed {host} greeting the guest on the tarmac beside a military band.",
        ),
        (
            "Critics in {country} said the visit rewarded {host} for the crackdown of {year}.",
            "Opposition groups in {country} called the trip a reward for the repression of {year}.",
        ),
        (
            "The two leaders were due to visit the {town} shipyard on the second day, the {agency} said.",
            "A tour of the shipyard at {town} is planned for day two, the {agency} added.",
        ),
        (
            "{person} last travelled to {capital} in {year} and promised then to double trade by {target}.",
            "Back in {year}, {person} pledged on a previous trip that trade would double by {target}.",
        ),
    ),
    "plant": (
        (
            "{company} will build a {money} million dollar battery plant in {town}, {person} "
            "announced on {day}.",
            "A battery factory worth {money} million dollars is coming to {town}, {company} chief {person} "
            "said on {day}.",
        ),
        (
            "The plant is to employ {jobs} workers and open in {target}, the company said.",
            "Production should begin in {target} with a workforce of {jobs}, according to the firm.",
        ),
        (
            "{person} said the {town} site was chosen for its port and its rail link to {capital}.",
            "Its harbour and the railway to {capital} decided the choice of {town}, {person} explained.",
        ),
        (
            "Local officials in {place} welcomed the plan, while unions asked for guarantees on wages.",
            "Unions want pay commitments, though the {place} authorities greeted the news warmly.",
        ),
        (
            "The {agency} reported that {company} had received a loan of {loan} million from the state bank.",
            "A state bank credit of {loan} million backs the project, the {agency} learned.",
        ),
        (
            "Construction will start in {year2} and the first cells should leave the plant a year later.",
            "Builders move in during {year2}; the first battery cells are due twelve months on.",
        ),
        (
            "{company} already runs {plants} factories in {country}, according to its annual report.",
            "In {country} the group operates {plants} sites, its yearly accounts show.",
        ),
    ),
}
_FILLERS = (
    "Further details were not immediately available.",
    "The report could not be independently verified.",
    "Residents told reporters they had little warning.",
    "Analysts said the decision had been expected for weeks.",
)
# Colour sentences: each event has its own pool of specific words (invented), which every report
# of that event draws on in its own sentences, as real reports share an event's particular terms.
_COLOUR = (
    "Witnesses described the {0} near the {1} as the worst they had seen.",
    "The {0} and the {1} were closed while inspectors checked the {2}.",
    "Several {0} groups said the {1} had been expected since the {2} dispute.",
    "Photographs showed the {0} beside the old {1} on the main road.",
    "A spokesman for the {0} council declined to comment on the {1}.",
    "Residents gathered outside the {0} to ask about the {1} and the {2}.",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The spinner's synonym table: common news words and the substitutes a spinning tool picks.
SYNONYMS = {
    "killing": "slaying",
    "people": "individuals",
    "officials": "authorities",
    "said": "stated",
    "struck": "hit",
    "searched": "combed",
    "collapsed": "fallen",
    "buildings": "structures",
    "night": "evening",
    "taken": "brought",
    "damaged": "harmed",
    "shook": "rattled",
    "following": "subsequent",
    "hours": "hrs",
    "declared": "announced",
    "help": "assist",
    "strongest": "most powerful",
    "arrived": "landed",
    "expected": "anticipated",
    "sign": "ink",
    "agreements": "deals",
    "talks": "discussions",
    "cover": "address",
    "welcomed": "greeted",
    "showed": "displayed",
    "visit": "trip",
    "promised": "vowed",
    "double": "twofold",
    "build": "construct",
    "employ": "hire",
    "workers": "staff",
    "chosen": "selected",
    "plan": "proposal",
    "asked": "requested",
    "guarantees": "assurances",
    "received": "obtained",
    "start": "begin",
    "leave": "exit",
    "already": "previously",
    "runs": "operates",
    "reported": "stated",
    "town": "township",
    "government": "administration",
    "teams": "crews",
    "depth": "profundity",
    "state": "nation",
    "earthquake": "seism",
    "quake": "temblor",
    "region": "area",
    "residents": "inhabitants",
    "hospital": "infirmary",
    "homes": "dwellings",
    "houses": "residences",
    "soldiers": "troopers",
    "troops": "forces",
    "mourning": "grieving",
    "powerful": "potent",
    "leader": "chief",
    "trade": "commerce",
    "energy": "power",
    "project": "venture",
    "airport": "airfield",
    "television": "TV",
    "leaders": "heads",
    "second": "next",
    "day": "date",
    "plant": "facility",
    "factory": "works",
    "company": "firm",
    "port": "harbour",
    "rail": "railway",
    "link": "connection",
    "local": "regional",
    "unions": "syndicates",
    "wages": "salaries",
    "loan": "credit",
    "bank": "lender",
    "construction": "building work",
    "first": "initial",
    "cells": "batteries",
    "later": "afterwards",
    "year": "twelvemonth",
    "annual": "yearly",
    "report": "account",
    "according": "pursuant",
    "close": "near",
    "near": "close to",
    "some": "around",
    "under": "beneath",
    "dug": "excavated",
    "through": "via",
    "until": "till",
    "dawn": "daybreak",
    "injured": "wounded",
    "need": "require",
    "repairs": "fixing",
    "told": "informed",
    "reporters": "journalists",
    "streets": "roads",
    "deployed": "dispatched",
    "ordered": "commanded",
    "felt": "experienced",
    "noted": "observed",
    "began": "started",
    "trip": "journey",
    "await": "anticipate",
    "signature": "signing",
    "diplomats": "envoys",
    "agenda": "schedule",
    "pictures": "images",
    "greeting": "saluting",
    "guest": "visitor",
    "called": "termed",
    "reward": "prize",
    "planned": "scheduled",
    "added": "included",
    "pledged": "vowed",
    "previous": "prior",
    "would": "will",
    "coming": "heading",
    "chief": "head",
    "should": "ought to",
    "begin": "commence",
    "workforce": "labour force",
    "firm": "company",
    "harbour": "port",
    "railway": "rail line",
    "decided": "settled",
    "choice": "selection",
    "explained": "clarified",
    "want": "desire",
    "pay": "wages",
    "commitments": "pledges",
    "though": "although",
    "authorities": "officials",
    "greeted": "welcomed",
    "news": "announcement",
    "warmly": "kindly",
    "backs": "supports",
    "learned": "discovered",
    "builders": "constructors",
    "move": "relocate",
    "during": "throughout",
    "due": "expected",
    "months": "mths",
    "group": "conglomerate",
    "operates": "runs",
    "sites": "locations",
    "yearly": "annual",
    "accounts": "statements",
    "show": "reveal",
}
_TRANSLATION_SWAPS = (
    (r"\bthe\b", ""),
    (r"\ba\b", "one"),
    (r"\band\b", "as well as"),
    (r"\bin\b", "inside"),
    (r"\bto\b", "towards"),
    (r"\bwas\b", "has been"),
    (r"\bis\b", "finds itself"),
    (r"\bfor\b", "in favour of"),
    (r"\bthat\b", ""),
    (r"\bby\b", "through"),
    (r"\bon\b", "in the day of"),
    (r"\bsaid\b", "have declared"),
    (r"\bwould\b", "will"),
    (r"\bhad been\b", "were"),
    (r"\bof\b", "from"),
    (r"\bwith\b", "together with"),
    (r"\bat least\b", "no less than"),
    (r"\bpeople\b", "persons"),
)


@dataclass(slots=True)
class GeneratedArticle:
    """One generated article and the labels a test checks against."""

    source_id: str
    title: str
    text: str
    published: datetime
    event: str
    topic: str
    family: str
    relation: str
    credits: list[str] = field(default_factory=list)


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _slots(rng: random.Random) -> dict[str, str]:
    return {
        "mag": f"{rng.randint(50, 78) / 10:.1f}",
        "dead": str(rng.randint(11, 480)),
        "depth": str(rng.randint(5, 70)),
        "hurt": str(rng.randint(30, 2400)),
        "homes": f"{rng.randint(1, 9)},{rng.randint(100, 999)}",
        "small": f"{rng.randint(40, 55) / 10:.1f}",
        "troops": str(rng.randint(2, 9) * 150 + rng.randint(1, 99)),
        "year": str(rng.randint(1961, 2019)),
        "year2": str(rng.randint(2025, 2029)),
        "target": str(rng.randint(2027, 2035)),
        "days": str(rng.randint(2, 4)),
        "gap": str(rng.randint(11, 38)),
        "deals": str(rng.randint(6, 31)),
        "money": str(rng.randint(120, 4800)),
        "loan": str(rng.randint(35, 900)),
        "jobs": f"{rng.randint(1, 4)},{rng.randint(100, 999)}",
        "plants": str(rng.randint(3, 17)),
        "place": _name(rng, 3),
        "town": _name(rng, 3),
        "capital": _name(rng, 3),
        "country": _name(rng, 3) + "ia",
        "person": f"{_name(rng)} {_name(rng, 3)}",
        "host": f"President {_name(rng, 3)}",
        "company": _name(rng, 3) + " " + rng.choice(("Energy", "Motors", "Cells", "Industries")),
        "agency": rng.choice(("national seismic agency", "state news agency", "interior ministry")),
        "day": rng.choice(_WEEKDAYS),
        "colour": " ".join(_name(rng, 3).lower() for _ in range(8)),
    }


def _report(rng: random.Random, kind: str, slots: dict[str, str], desk: int) -> tuple[str, str]:
    """An independent report: its own phrasing, choice and order of facts, and its own headline.

    Desks 0 and 1 use different phrasings of every fact; a third desk reuses one of them at random,
    as desks reusing wire sentences do.
    """
    facts = list(_KINDS[kind])
    lead, rest = facts[0], facts[1:]
    rng.shuffle(rest)
    chosen = [lead, *rest[: rng.randint(3, 5)]]
    lines = [fact[desk] if desk < 2 else rng.choice(fact) for fact in chosen]
    lines.insert(rng.randint(2, len(lines)), rng.choice(_FILLERS))
    pool = slots["colour"].split()
    for template in rng.sample(_COLOUR, 2):
        lines.append(template.format(*rng.sample(pool, 3)))
    text = "\n\n".join(line.format(**slots) for line in lines)
    headline = rng.choice(_HEADLINES[kind]).format(**slots)
    return headline, text


_HEADLINES = {
    "quake": ("Quake of magnitude {mag} kills {dead} in {place}", "{place} earthquake: {dead} dead"),
    "visit": ("{person} begins state visit to {capital}", "{person} in {capital} for talks with {host}"),
    "plant": ("{company} to build battery plant in {town}", "{town} wins {money} million dollar plant"),
}


def spin(text: str, rng: random.Random, share: float = 0.9) -> str:
    """Synonym spinning: swap most words found in the synonym table, keep everything else."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in SYNONYMS and rng.random() < share:
            out = SYNONYMS[low]
            return out.capitalize() if word[0].isupper() else out
        return word

    return re.sub(r"[A-Za-z]+", swap, text)


def translate_like(text: str, rng: random.Random) -> str:
    """Clause order, function words and number format changed; names and figures kept."""
    out = []
    for paragraph in text.split("\n\n"):
        sentence = paragraph
        for pattern, repl in _TRANSLATION_SWAPS:
            sentence = re.sub(pattern, repl, sentence)
        sentence = spin(sentence, rng, share=0.9)
        parts = sentence.rstrip(".").split(", ", 1)
        if len(parts) == 2 and rng.random() < 0.7:
            sentence = f"{parts[1][0].upper()}{parts[1][1:]} - {parts[0][0].lower()}{parts[0][1:]}."
        sentence = re.sub(r"(\d),(\d{3})", r"\1 \2", sentence)
        out.append(re.sub(r"\s{2,}", " ", sentence).strip())
    return "\n\n".join(out)


def retypeset(text: str) -> str:
    """Same words, other typography and spacing: what an exact copy looks like on another site."""
    return text.replace("'", "’").replace(" - ", " – ").replace(", ", ",  ").replace("\n\n", "\n")


def trim(text: str, rng: random.Random) -> str:
    """A near copy: the last paragraph dropped and one word changed."""
    paragraphs = text.split("\n\n")
    kept = paragraphs[:-1] if len(paragraphs) > 4 else paragraphs
    words = "\n\n".join(kept).split(" ")
    if len(words) > 10:
        words[rng.randrange(3, len(words) - 1)] = "reportedly"
    return " ".join(words)


_DERIVATIONS = ("exact-copy", "near-copy", "rewrite", "translation-like")


def generate_corpus(
    events: int,
    *,
    seed: int = 7,
    reports: tuple[int, int] = (2, 4),
    copies: tuple[int, int] = (0, 3),
    start: datetime = datetime(2024, 1, 1),
    spread_days: int = 700,
) -> list[GeneratedArticle]:
    """``iter_corpus`` as a list."""
    return list(
        iter_corpus(events, seed=seed, reports=reports, copies=copies, start=start, spread_days=spread_days)
    )


def iter_corpus(
    events: int,
    *,
    seed: int = 7,
    reports: tuple[int, int] = (2, 4),
    copies: tuple[int, int] = (0, 3),
    start: datetime = datetime(2024, 1, 1),
    spread_days: int = 700,
) -> Iterator[GeneratedArticle]:
    """``events`` events of three kinds, in date order, each with independent reports and labelled
    copies of them (streamed, so a million articles need not sit in memory).

    Events of one kind that fall in the same 60-day period share a topic label (same kind of event,
    different event), which is what stories link as related.
    """
    rng = random.Random(seed)
    kinds = sorted(_KINDS)
    times = sorted(
        start + timedelta(days=rng.randrange(spread_days), hours=rng.randrange(24)) for _ in range(events)
    )
    for e, when in enumerate(times):
        kind = kinds[e % len(kinds)]
        slots = _slots(rng)
        event_id = f"e{e}"
        topic = f"{kind}-{(when - start).days // 60}"
        for r in range(rng.randint(*reports)):
            title, text = _report(rng, kind, slots, r)
            family = f"{event_id}r{r}"
            published = when + timedelta(hours=rng.randint(0, 30))
            credits = [rng.choice(("Reuters", "AFP", "AP"))] if rng.random() < 0.3 else []
            yield GeneratedArticle(
                f"{family}-o", title, text, published, event_id, topic, family, "original", credits
            )
            for c in range(rng.randint(*copies)):
                relation = rng.choice(_DERIVATIONS)
                derived = {
                    "exact-copy": lambda t: retypeset(t),
                    "near-copy": lambda t: trim(t, rng),
                    "rewrite": lambda t: spin(t, rng),
                    "translation-like": lambda t: translate_like(t, rng),
                }[relation](text)
                later = published + timedelta(hours=rng.randint(1, 48))
                yield GeneratedArticle(
                    f"{family}-c{c}", spin(title, rng, 0.5), derived, later, event_id, topic, family, relation
                )
