"""Stories: the publication year in the feature vector (the date cleaning takes out of the body)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from copydesk.records import Article
from copydesk.store.vectors import unpack_vector
from copydesk.stories.cluster import StoryConfig, _earlier, _later, day_number
from copydesk.stories.features import VECTOR_DIM, FeatureWeights, Lexicon, build_features, feature_rows
from copydesk.stories.stage import StoryStage

FLOOD_A = (
    "River Marrow floods Quenby",
    "The River Marrow burst its banks in Quenby on Tuesday, flooding 140 homes. "
    "Council leader Odile Frayne said pumps were running through the night.",
)
FLOOD_B = (
    "Quenby under water again",
    "Floodwater from the Marrow covered streets in Quenby after two days of rain. "
    "Residents were moved to the school hall, Odile Frayne said.",
)
SPRING = datetime(2019, 4, 2, 9, 30)
LATER = datetime(2023, 4, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_same_year_reads_closer_and_another_year_further(lexicon: Lexicon) -> None:
    undated = _cosine(build_features(*FLOOD_A, lexicon).vector, build_features(*FLOOD_B, lexicon).vector)
    same = _cosine(
        build_features(*FLOOD_A, lexicon, published=SPRING).vector,
        build_features(*FLOOD_B, lexicon, published=SPRING.replace(day=3)).vector,
    )
    apart = _cosine(
        build_features(*FLOOD_A, lexicon, published=SPRING).vector,
        build_features(*FLOOD_B, lexicon, published=LATER).vector,
    )
    assert same > undated > apart


def test_no_date_or_zero_weight_leaves_the_vector_unchanged(lexicon: Lexicon) -> None:
    plain = build_features(*FLOOD_A, lexicon)
    off = build_features(*FLOOD_A, lexicon, FeatureWeights(dates=0.0), published=SPRING)
    assert np.array_equal(plain.combined, off.combined)
    assert np.array_equal(plain.combined, build_features(*FLOOD_A, lexicon, published=None).combined)


def test_the_date_changes_the_event_vector_only(lexicon: Lexicon) -> None:
    plain = build_features(*FLOOD_A, lexicon)
    dated = build_features(*FLOOD_A, lexicon, published=SPRING)
    assert dated.combined.shape == (2 * VECTOR_DIM,)  # same width: the year is hashed into the block
    assert np.array_equal(plain.kind, dated.kind)  # topics: floods link whatever the year
    assert not np.array_equal(plain.vector, dated.vector)
    assert dated.names == plain.names and dated.numbers == plain.numbers
    assert abs(float(np.linalg.norm(dated.vector)) - 1.0) < 1e-5


def test_feature_rows_take_the_dates(lexicon: Lexicon) -> None:
    weights = StoryConfig().weights
    rows = feature_rows([FLOOD_A[0], FLOOD_B[0]], [FLOOD_A[1], FLOOD_B[1]], lexicon, weights, [SPRING, None])
    assert np.allclose(rows[0], build_features(*FLOOD_A, lexicon, weights, SPRING).combined)
    assert np.allclose(rows[1], build_features(*FLOOD_B, lexicon, weights).combined)


def _article(published: datetime | None) -> Article:
    title, text = FLOOD_A
    return Article(
        id="flood-a",
        source_id="flood-a",
        origin="flood-a.txt",
        input_kind="text",
        content_hash="flood-a",
        raw_text=text,
        text=text,
        title=title,
        published=published,
    )


def test_the_stage_builds_vectors_with_the_article_date() -> None:
    stage = StoryStage()
    expected = build_features(*FLOOD_A, stage.lexicon, stage.config.weights, SPRING).combined
    prints = stage.print_stage().process(_article(SPRING)).story_prints
    assert prints is not None
    assert np.array_equal(unpack_vector(prints.vector), expected.astype(np.float16).astype(np.float32))
    # The stories stage's own fallback (no vector from ingest) builds the same row.
    (stored,) = stage.fingerprint([_article(SPRING)])
    assert np.allclose(stored.vector, expected, atol=1e-6)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
    st.sampled_from([None, UTC, timezone(timedelta(hours=-3))]),
)
def test_day_numbers_and_span_ends_read_naive_dates_as_utc(
    a: datetime, b: datetime, zone_a: tzinfo | None, zone_b: tzinfo | None
) -> None:
    """The fast paths (no tz copy for naive dates, direct comparison of like dates) agree with
    reading every naive date as UTC."""
    a, b = a.replace(tzinfo=zone_a), b.replace(tzinfo=zone_b)

    def utc(when: datetime) -> datetime:
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    assert day_number(a) == utc(a).timestamp() / 86400.0
    assert _earlier(a, b) is (a if utc(a) <= utc(b) else b)
    assert _later(a, b) is (a if utc(a) >= utc(b) else b)
    assert _earlier(None, b) is b and _later(a, None) is a
