"""The cleaning fast paths give exactly what the slow paths they replace give."""

from __future__ import annotations

import ftfy
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.clean.normalise import _fix_text

_PIECES = st.sampled_from(
    [
        "plain words",
        " ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "&amp;",
        "&",
        "<p>",
        "\x1b[31m",
        "\x00",
        "\x0c",
        "é",
        "Ã©",
        "â€™",
        "’",
        "ﬁ",
        "\u00a0",
        "\x85",
        "\u2028",
        "Ｌ",
        "\ufffd",
        "\x92",
        "&#x2019;",
        "\x7f",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=25))
def test_line_skipping_ftfy_matches_ftfy(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_latin_ligatures=True)
    assert _fix_text(text) == expected
