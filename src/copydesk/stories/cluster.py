"""Event-level clustering: new articles join existing stories or open new ones, never reshuffling.

The similarity of an article to a story is the *average* cosine to the story's members (average
link), which is ``dot(vector, story_sum) / story_size`` for unit vectors, so a story is kept as one
running sum. Within one batch, the articles that join no existing story are grouped among themselves
by average-link agglomeration (``grouping.cluster_by_links``). The first run is just a batch with no
existing stories.

Candidates are the stories whose time span lies within the window of the article's date (undated
articles and stories are compared with everything), scored exactly against their running sums: a day
index keeps that set to the stories of a few weeks however many are stored.

Each article row is two unit vectors end to end (``ArticleFeatures.combined``): the event vector
(first ``VECTOR_DIM`` values) decides stories, the kind vector (words only, the rest) decides topics,
so two earthquakes link under one topic though their places and tolls differ. A row of width
``VECTOR_DIM`` alone is read as both.

Stories of the same kind of event are linked under a topic with the same rule at a lower threshold.
Both thresholds were tuned on ECB+ train (benchmarks/ecbplus.py) and are the defaults everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from copydesk.records import content_digest
from copydesk.stories.events import event_groups
from copydesk.stories.features import VECTOR_DIM, FeatureWeights
from copydesk.stories.grouping import cluster_by_links

ROW_DIM = 2 * VECTOR_DIM
EVENT = slice(0, VECTOR_DIM)
KIND = slice(VECTOR_DIM, ROW_DIM)


def as_rows(vectors: np.ndarray) -> np.ndarray:
    """Event+kind rows; a matrix of event vectors alone gets them repeated as the kind half."""
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    if vectors.shape[1] == ROW_DIM:
        return vectors.astype(np.float32, copy=False)
    return np.concatenate([vectors, vectors], axis=1).astype(np.float32)


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """One frozen set of story options; the same values serve every corpus (no per-dataset tuning)."""

    attach_threshold: float = 0.3
    # Raised with small_size (6 Dec, third session): a higher event threshold cuts two events of one
    # kind apart (ECB+ dev: two football players' drink-driving arrests a month apart had formed one
    # story), and a larger fold size takes back the strays it also cuts off. ECB+ train (pipeline
    # mode) 0.937 -> 0.939 at 0.06/3 -> 0.12/6, raw mode 0.941 -> 0.945; dev 0.943 -> 0.969. The
    # train plateau: 0.08-0.12 with 6 or 8 all score 0.938-0.939; at 0.14 or a fold size of 10,
    # 0.930-0.937. The generated 20k corpus: event B3 0.919 -> 0.917; 100k: 0.971 -> 0.970.
    event_threshold: float = 0.12
    topic_threshold: float = 0.1
    # A later batch's kind group joins an existing topic at the average that groups one batch's kind
    # groups (it was 0.2: two stories shared a topic in one chunk but not across two). One batch
    # (ECB+ as benchmarked) does not move; one article at a time, ECB+ topic B3 train 0.827 -> 0.832,
    # dev 0.967 -> 0.973.
    topic_link_threshold: float = 0.1
    centring: float = 0.4
    link_floor: float = 0.1  # two reports of one event share at least this much before centring
    window_days: float = 7.0
    topic_window_days: float = 730.0
    neighbours: int = 12
    near_copy_threshold: float = 0.5
    small_size: int = 6  # new stories this small may join a bigger sibling (see ``events.absorb_small``)
    # With small_size 3 and event_threshold 0.06, ECB+ train had no small group scoring in
    # [-0.008, 0.034): any value there gave the same train score; the top of that gap is the cautious
    # end (a one-report story about a later visit of the same kind, in the seed articles, scores
    # 0.031 against the earlier visit's story). At 0.12 and 6, 0.02 scores train 0.9394 against
    # 0.9389 here (one document's stray group): the cautious value stays.
    small_threshold: float = 0.033
    split_size: int = 5  # a new story splits in parts of at least this many (``events.split_mixed``)
    split_ratio: float = 0.6
    weights: FeatureWeights = field(default_factory=FeatureWeights)


@dataclass(slots=True)
class StoryState:
    """A story as the clusterer sees it: running vector sum, size and time span."""

    id: str
    topic_id: str
    row: int
    size: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one article went, how similar it was, and whether it opened the story."""

    article_id: str
    story_id: str
    similarity: float
    opened: bool


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A change to the story map worth keeping: a story opened, merged into another, or re-topiced."""

    kind: str
    story_id: str
    other_id: str | None = None
    article_id: str | None = None
    detail: str = ""


_NAIVE_EPOCH = datetime(1970, 1, 1)


def day_number(when: datetime | None) -> float:
    """Days since the epoch (naive datetimes read as UTC); NaN when undated."""
    if when is None:
        return math.nan
    if when.tzinfo is None:  # the same seconds as when.replace(tzinfo=UTC).timestamp(), without a copy
        return (when - _NAIVE_EPOCH).total_seconds() / 86400.0
    return when.timestamp() / 86400.0


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return a if _not_after(a, b) else b


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return a if _not_after(b, a) else b


def _not_after(a: datetime, b: datetime) -> bool:
    """``a <= b``, a naive date read as UTC (two naive or two aware dates compare as they are)."""
    if (a.tzinfo is None) == (b.tzinfo is None):
        return a <= b
    return (a if a.tzinfo else a.replace(tzinfo=UTC)) <= (b if b.tzinfo else b.replace(tzinfo=UTC))


class _Rows:
    """Growable arrays with one row per story or topic: vector sums, sizes, first and last day."""

    def __init__(self) -> None:
        self.sums = np.zeros((64, ROW_DIM), dtype=np.float32)
        self.size = np.zeros(64, dtype=np.int64)
        self.first = np.full(64, np.nan)
        self.last = np.full(64, np.nan)
        self.count = 0

    def add(self, total: np.ndarray, size: int, first: float, last: float) -> int:
        if self.count == len(self.size):
            grow = len(self.size)
            self.sums = np.concatenate([self.sums, np.zeros((grow, ROW_DIM), dtype=np.float32)])
            self.size = np.concatenate([self.size, np.zeros(grow, dtype=np.int64)])
            self.first = np.concatenate([self.first, np.full(grow, np.nan)])
            self.last = np.concatenate([self.last, np.full(grow, np.nan)])
        row = self.count
        self.sums[row], self.size[row], self.first[row], self.last[row] = total, size, first, last
        self.count += 1
        return row

    def extend(self, row: int, vector: np.ndarray, size: int, first: float, last: float) -> None:
        self.sums[row] += vector
        self.size[row] += size
        for when in (first, last):
            if not math.isnan(when):
                self.first[row] = when if math.isnan(self.first[row]) else min(self.first[row], when)
                self.last[row] = when if math.isnan(self.last[row]) else max(self.last[row], when)

    def in_window(self, rows: np.ndarray, when: float, window: float) -> np.ndarray:
        """Rows whose span is within ``window`` days of ``when`` (undated rows always are)."""
        if math.isnan(when):
            return rows
        first, last = self.first[rows], self.last[rows]
        near = (np.abs(first - when) <= window) | (np.abs(last - when) <= window)
        inside = (first <= when) & (when <= last)
        kept: np.ndarray = rows[near | inside | np.isnan(first)]
        return kept


class StoryDesk:
    """The working set of stories and topics: vector sums in growable arrays, a day index for candidates."""

    def __init__(self, config: StoryConfig = StoryConfig()) -> None:
        self.config = config
        self.stories: dict[str, StoryState] = {}
        self.merged_into: dict[str, str] = {}
        self.log: list[LogEntry] = []
        self._rows = _Rows()
        self._row_story: list[str] = []
        self._by_day: dict[int, set[int]] = {}
        self._undated: list[int] = []
        # The rows the day index lists for a span of days, until the index changes: a chunk's
        # scoring asks for the same spans again and again (a run of one date at a time, 3,000 runs
        # of 5,000 articles in 126 spans), with nothing joined until it is done.
        self._span_rows: dict[tuple[int, int], np.ndarray] = {}
        self._topics = _Rows()
        self._topic_row: dict[str, int] = {}
        self._row_topic: list[str] = []
        # A new story's batch topic group: (the batch's number, the group's number in it), so that
        # groups of different batches never meet in ``link_topics``, however it is called.
        self._batch_topic: dict[str, tuple[int, int]] = {}
        self._batches = 0

    # -- state -------------------------------------------------------------------------------------
    def add_story(self, state: StoryState, total: np.ndarray) -> None:
        """Load a stored story (or register a new one) with its vector sum."""
        total = as_rows(total)[0]
        first, last = day_number(state.first), day_number(state.last)
        state.row = self._rows.add(total, state.size, first, last)
        self._row_story.append(state.id)
        self.stories[state.id] = state
        self._index_days(state.row, first, last)
        if state.topic_id:
            self._add_to_topic(state.topic_id, total, state.size, first, last)

    def _index_days(self, row: int, first: float, last: float) -> None:
        self._span_rows.clear()
        if math.isnan(first):
            self._undated.append(row)
            return
        for day in {math.floor(first), math.floor(last)}:
            self._by_day.setdefault(day, set()).add(row)

    def _add_to_topic(self, topic_id: str, total: np.ndarray, size: int, first: float, last: float) -> None:
        row = self._topic_row.get(topic_id)
        if row is None:
            self._topic_row[topic_id] = self._topics.add(total, size, first, last)
            self._row_topic.append(topic_id)
        else:
            self._topics.extend(row, total, size, first, last)

    def total(self, story_id: str) -> np.ndarray:
        row: np.ndarray = self._rows.sums[self.stories[story_id].row]
        return row

    def join(self, story: StoryState, vector: np.ndarray, when: datetime | None) -> None:
        vector = as_rows(vector)[0]
        day = day_number(when)
        self._rows.extend(story.row, vector, 1, day, day)
        story.size += 1
        story.first, story.last = _earlier(story.first, when), _later(story.last, when)
        if not math.isnan(day):
            self._by_day.setdefault(math.floor(day), set()).add(story.row)
            self._span_rows.clear()
        if story.topic_id:
            self._add_to_topic(story.topic_id, vector, 1, day, day)

    def _open(self, article_id: str, vector: np.ndarray, when: datetime | None) -> StoryState:
        story_id = "s" + content_digest("story\x00" + article_id)[:12]
        state = StoryState(story_id, "", 0, 1, when, when)
        self.add_story(state, vector.astype(np.float32))
        self.log.append(LogEntry("open", story_id, article_id=article_id))
        return state

    def _candidates(self, when: float, window: float) -> np.ndarray:
        if math.isnan(when) or not math.isfinite(window):
            rows = np.arange(self._rows.count)
        else:
            span = (math.floor(when - window) - 1, math.floor(when + window) + 2)
            listed = self._span_rows.get(span)
            if listed is None:
                found: set[int] = set(self._undated)
                for d in range(*span):
                    found.update(self._by_day.get(d, ()))
                listed = self._span_rows[span] = np.fromiter(found, dtype=np.int64, count=len(found))
            rows = listed
        rows = rows[self._rows.size[rows] > 0]
        return self._rows.in_window(rows, when, window)

    # -- assignment ----------------------------------------------------------------------------------
    def best_stories(
        self, vectors: np.ndarray, when: datetime | None
    ) -> list[list[tuple[float, StoryState]]]:
        """For each of a run of rows of one date, the stories in the time window scored by average
        link (exact), best first (at most three): one matrix product for the run (the articles of a
        batch come mostly in date order, many to a date)."""
        day = day_number(when)
        rows = self._candidates(day, self.config.window_days)
        if len(rows) == 0:
            return [[] for _ in range(len(vectors))]
        scores = (vectors[:, EVENT] @ self._rows.sums[rows, EVENT].T) / self._rows.size[rows]
        tops = np.argsort(-scores, axis=1)[:, :3]
        story_of, row_story = self.stories, self._row_story
        return [
            [(float(line[i]), story_of[row_story[int(rows[i])]]) for i in top.tolist()]
            for line, top in zip(scores, tops, strict=True)
        ]

    def assign(
        self,
        article_ids: Sequence[str],
        vectors: np.ndarray,
        dates: Sequence[datetime | None],
        topic_groups: Sequence[Sequence[int]] | None = None,
    ) -> list[Assignment]:
        """Place a batch of articles (in the given order): join, or cluster the rest into new stories.

        ``topic_groups``: the batch's ``batch_topic_groups`` when already built (by a worker process,
        while the previous batch was placed); without them they are built here, over the articles
        that joined no story."""
        threshold = self.config.attach_threshold
        vectors = as_rows(vectors)
        out: dict[int, Assignment] = {}
        joins: list[tuple[int, StoryState, float]] = []
        days = [day_number(d) for d in dates]
        start = 0
        while start < len(vectors) and self.stories:
            # a run of one date is scored at once; the stories change only at a merge, and the rest
            # of the run is scored again after one
            end = start + 1
            while end < len(vectors) and days[end] == days[start]:  # NaN (undated) runs are of one
                end += 1
            for i, scored in enumerate(self.best_stories(vectors[start:end], dates[start]), start):
                if scored and scored[0][0] >= threshold:
                    joins.append((i, scored[0][1], scored[0][0]))
                    if self._maybe_merge([s for score, s in scored[1:3] if score >= threshold], scored[0][1]):
                        end = i + 1
                        break
            start = end
        for i, story, score in joins:
            story = self._resolve(story)
            self.join(story, vectors[i], dates[i])
            out[i] = Assignment(article_ids[i], story.id, score, False)
        rest = [i for i in range(len(article_ids)) if i not in out]
        self._batches += 1
        for topic_group, group in self._groups(rest, vectors, dates, topic_groups):
            group.sort(key=lambda i: (dates[i] is None, day_number(dates[i]), i))
            first = group[0]
            story = self._open(article_ids[first], vectors[first], dates[first])
            self._batch_topic[story.id] = (self._batches, topic_group)
            for i in group[1:]:
                score = float(self._rows.sums[story.row, EVENT] @ vectors[i, EVENT]) / story.size
                self.join(story, vectors[i], dates[i])
                out[i] = Assignment(article_ids[i], story.id, score, False)
            out[first] = Assignment(article_ids[first], story.id, 1.0, True)
        return [out[i] for i in range(len(article_ids))]

    def _resolve(self, story: StoryState) -> StoryState:
        """Follow merges: a story merged away hands its new articles to the one it joined."""
        story_id = story.id
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return self.stories[story_id]

    def _maybe_merge(self, others: list[StoryState], best: StoryState) -> bool:
        """Two stories that one article links, and that link to each other, become one (logged);
        whether any did."""
        merged = False
        for other in others:
            if other.id not in self.stories or best.id not in self.stories or other.id == best.id:
                continue
            mutual = float(self.total(best.id)[EVENT] @ self.total(other.id)[EVENT]) / (
                best.size * other.size
            )
            if mutual < self.config.attach_threshold:
                continue
            keep, gone = sorted((best, other), key=lambda s: (s.first is None, day_number(s.first), s.id))
            rows = self._rows
            rows.extend(
                keep.row,
                rows.sums[gone.row],
                int(rows.size[gone.row]),
                rows.first[gone.row],
                rows.last[gone.row],
            )
            keep.size += gone.size
            keep.first, keep.last = _earlier(keep.first, gone.first), _later(keep.last, gone.last)
            rows.size[gone.row] = 0
            self._index_days(keep.row, rows.first[keep.row], rows.last[keep.row])
            del self.stories[gone.id]
            self.merged_into[gone.id] = keep.id
            self.log.append(LogEntry("merge", gone.id, keep.id, detail=f"average link {mutual:.2f}"))
            merged = True
        return merged

    # -- topics -------------------------------------------------------------------------------------
    def link_topics(self, story_ids: Sequence[str]) -> None:
        """Give each story without a topic a topic: its batch's topic group is linked to the existing
        topic whose articles it averages closest to (at ``topic_link_threshold``), or opens a new one."""
        fresh = [self.stories[s] for s in story_ids if s in self.stories and not self.stories[s].topic_id]
        grouped: dict[tuple[int, int], list[StoryState]] = {}
        for i, story in enumerate(fresh):  # a story with no batch group is a group of its own
            grouped.setdefault(self._batch_topic.pop(story.id, (0, i)), []).append(story)
        for members in grouped.values():
            members.sort(key=lambda s: (s.first is None, day_number(s.first), s.id))
            rows = np.asarray([s.row for s in members])
            total = self._rows.sums[rows].sum(axis=0)
            size = int(self._rows.size[rows].sum())
            first, last = (
                np.nanmin(self._rows.first[rows], initial=np.inf),
                np.nanmax(self._rows.last[rows], initial=-np.inf),
            )
            first = math.nan if not math.isfinite(first) else float(first)
            last = math.nan if not math.isfinite(last) else float(last)
            topic, score = self._closest_topic(total / size, first, last)
            topic = topic or "t" + content_digest("topic\x00" + members[0].id)[:12]
            self._add_to_topic(topic, total, size, first, last)
            for story in members:
                story.topic_id = topic
                self.log.append(LogEntry("topic", story.id, topic, detail=f"link {score:.2f}"))

    def _closest_topic(self, mean: np.ndarray, first: float, last: float) -> tuple[str, float]:
        topics = self._topics
        if topics.count == 0:
            return "", 0.0
        rows = np.arange(topics.count)
        window = self.config.topic_window_days
        if not math.isnan(first):
            rows = np.union1d(topics.in_window(rows, first, window), topics.in_window(rows, last, window))
        if len(rows) == 0:
            return "", 0.0
        scores = (topics.sums[rows, KIND] @ mean[KIND]) / topics.size[rows]
        best = int(np.argmax(scores))
        if scores[best] < self.config.topic_link_threshold:
            return "", float(scores[best])
        return self._row_topic[int(rows[best])], float(scores[best])

    def _groups(
        self,
        rest: list[int],
        vectors: np.ndarray,
        dates: Sequence[datetime | None],
        topic_groups: Sequence[Sequence[int]] | None = None,
    ) -> list[tuple[int, list[int]]]:
        """New stories among the articles that joined none, each with the batch topic group it is in.

        Two levels: articles are first grouped by topic (average link at the low topic threshold);
        inside a topic group, ``events.event_groups`` groups them by event with the group's mean
        partly subtracted, so the vocabulary every report of that *kind* of event shares (quake,
        magnitude, rescuers) stops deciding, and the place, people and figures that tell two events
        apart do.
        On ECB+ train this lifts event-level B-cubed F1 from 0.89 to 0.91.
        """
        if not rest:
            return []
        cfg = self.config

        times = np.asarray([day_number(d) for d in dates])
        out: list[tuple[int, list[int]]] = []
        if topic_groups is None:
            topics = [[rest[i] for i in t] for t in batch_topic_groups(vectors[rest], times[rest], cfg)]
        else:
            left = set(rest)
            topics = [kept for t in topic_groups if (kept := [i for i in t if i in left])]
        for number, members in enumerate(topics):
            for group in event_groups(vectors[members, EVENT], times[members], cfg):
                out.append((number, [members[i] for i in group]))
        return out


def batch_topic_groups(vectors: np.ndarray, times: np.ndarray, config: StoryConfig) -> list[list[int]]:
    """A batch's rows grouped by kind of event (average link of the kind vectors at
    ``topic_threshold``; ``times`` in days, NaN when undated). It reads nothing but the batch, so a
    worker process can build it for the next batch while the desk places this one."""
    rows = as_rows(vectors)
    return cluster_by_links(
        rows[:, KIND], config.topic_threshold, config.neighbours, times, config.topic_window_days
    )
