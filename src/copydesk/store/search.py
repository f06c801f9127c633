"""Read queries the browser and the API need: full-text search (FTS5), listings with filters, site stats.

User search text never reaches FTS5 as syntax: it is cut into words and each word is quoted, so a
query like ``title:x OR "`` cannot error or widen the search.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from copydesk.store.db import Database

# Marks that FTS5's snippet() puts around matched words; control characters never survive
# normalisation into article text, so they cannot be forged by a page.
HIT_START = "\x02"
HIT_END = "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 16
# Ranking scores every match: above this many (about 30 ms of bm25 on the benchmark machine) results
# come newest first instead, and the page says so.
RANK_LIMIT = 2000


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query of quoted terms (all must match); ``None`` when no words.

    A trailing ``*`` on a word keeps its prefix meaning (``infla*``).
    """
    terms: list[str] = []
    for match in re.finditer(r"\w+\*?", text, re.UNICODE):
        word = match.group(0)
        prefix = word.endswith("*")
        core = word.rstrip("*")
        if not _WORD.fullmatch(core):
            continue
        terms.append(f'"{core}"' + ("*" if prefix else ""))
        if len(terms) >= MAX_QUERY_WORDS:
            break
    return " ".join(terms) if terms else None


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """What the articles list and search page can narrow by; empty fields do not filter."""

    query: str = ""
    site: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    article_ids: tuple[str, ...] | None = None  # e.g. the members of a topic's stories
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """One page of results; ``ranked`` is False when matches were too many to rank (newest first)."""

    total: int
    rows: list[dict[str, Any]]
    ranked: bool = True


def _where(flt: ArticleFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.site:
        clauses.append("a.site = ?")
        params.append(flt.site)
    if flt.date_from:
        clauses.append("a.published >= ?")
        params.append(flt.date_from.isoformat())
    if flt.date_to:
        clauses.append("a.published < ?")
        params.append((flt.date_to + timedelta(days=1)).isoformat())
    if flt.article_ids is not None:
        clauses.append(f"a.id IN ({','.join('?' * len(flt.article_ids))})" if flt.article_ids else "0")
        params.extend(flt.article_ids)
    return clauses, params


_SUMMARY = (
    "a.id, a.source_id, a.site, a.title, a.url, a.published, a.input_kind, length(a.text) AS chars, "
    "json_extract(a.signals, '$.spam_injected') AS spam_injected, "
    "(SELECT COUNT(*) FROM removals r WHERE r.article_id = a.id) AS removals"
)


def find_articles(db: Database, flt: ArticleFilter) -> ArticlePage:
    """Articles matching the filter: by relevance when there is a query, else newest first."""
    clauses, params = _where(flt)
    match = fts_query(flt.query) if flt.query else None
    if flt.query and match is None:
        return ArticlePage(0, [])
    if match:
        clauses.insert(0, "articles_fts MATCH ?")
        params.insert(0, match)
        where = " AND ".join(clauses)
        base = "FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid WHERE " + where
        total = int(db.query(f"SELECT COUNT(*) {base}", params)[0][0])
        ranked = total <= RANK_LIMIT
        order = "bm25(articles_fts, 4.0, 1.0)" if ranked else "articles_fts.rowid DESC"
        rows = db.query(
            f"SELECT {_SUMMARY}, snippet(articles_fts, 1, ?, ?, ' … ', 24) AS snippet "
            f"{base} ORDER BY {order} LIMIT ? OFFSET ?",
            [HIT_START, HIT_END, *params, flt.limit, flt.offset],
        )
        return ArticlePage(total, [dict(r) for r in rows], ranked=ranked)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(db.query(f"SELECT COUNT(*) FROM articles a {where}", params)[0][0])
    order = "a.published DESC, a.seq DESC" if (flt.date_from or flt.date_to) else "a.seq DESC"
    rows = db.query(
        f"SELECT {_SUMMARY}, NULL AS snippet FROM articles a {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, flt.limit, flt.offset],
    )
    return ArticlePage(total, [dict(r) for r in rows])


def sites(db: Database) -> list[str]:
    """Every site name, in order: one index seek per site (a skip scan), not a pass over all articles."""
    rows = db.query(
        "WITH RECURSIVE s(site) AS ("
        " SELECT MIN(site) FROM articles WHERE site IS NOT NULL"
        " UNION ALL SELECT (SELECT MIN(site) FROM articles WHERE site > s.site)"
        " FROM s WHERE s.site IS NOT NULL"
        ") SELECT site FROM s WHERE site IS NOT NULL"
    )
    return [r[0] for r in rows]


def table_exists(db: Database, name: str) -> bool:
    return bool(db.query("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (name,)))


def site_stats(db: Database) -> list[dict[str, Any]]:
    """Per site: articles, spam-injected articles, and how many articles carry each stored relation."""
    # Grouping by the bare column (not COALESCE) lets SQLite read the articles_site_spam index only.
    rows = db.query(
        "SELECT site, COUNT(*) AS articles, "
        "SUM(CASE WHEN json_extract(signals, '$.spam_injected') THEN 1 ELSE 0 END) AS spam_injected "
        "FROM articles GROUP BY site"
    )
    ordered = sorted(rows, key=lambda r: (-r["articles"], r["site"] or ""))
    stats = {r["site"] or "": {**dict(r), "site": r["site"] or "", "relations": {}} for r in ordered}
    if table_exists(db, "story_members"):
        for r in db.query(
            "SELECT COALESCE(a.site, '') AS site, m.relation AS relation, COUNT(*) AS n "
            "FROM story_members m JOIN articles a ON a.id = m.article_id GROUP BY 1, 2"
        ):
            if r["site"] in stats:
                stats[r["site"]]["relations"][r["relation"]] = r["n"]
    return list(stats.values())


def signals_of(raw: str | None) -> dict[str, Any]:
    value = json.loads(raw) if raw else {}
    return value if isinstance(value, dict) else {}
