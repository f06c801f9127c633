"""Every reader, the formats' source ids, and bad input turned into counted skips."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.ingest.job import file_sources
from copydesk.ingest.readers import read_stdin, sniff_kind
from copydesk.ingest.sources import InputFile, discover
from copydesk.records import RawPage, SkippedInput, escaped_lone_surrogates, without_lone_surrogates
from tests.support.corpus import ARTICLE_TEXT, article_html, variant, warc_bytes, write_jsonl

CAP = 1_000_000


def read_all(paths: list[str], cap: int = CAP) -> tuple[list[RawPage], list[SkippedInput]]:
    sources, skipped, _ = file_sources(paths, cap)
    pages: list[RawPage] = []
    for source in sources:
        for item in source.read():
            (pages if isinstance(item, RawPage) else skipped).append(item)  # type: ignore[arg-type]
    return pages, skipped


def test_txt_and_html_use_file_stem_as_source_id(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "two.html").write_text(article_html("Strike", ARTICLE_TEXT), encoding="utf-8")
    (tmp_path / "three.html.gz").write_bytes(gzip.compress(article_html("Gz", variant(3)).encode()))
    pages, skipped = read_all([str(tmp_path)])
    assert not skipped
    assert {(p.source_id, p.kind) for p in pages} == {("one", "text"), ("two", "html"), ("three", "html")}


def test_warc_response_records_keyed_by_target_uri(tmp_path: Path) -> None:
    uris = [f"https://courier.example/2025/strike-{i}" for i in range(3)]
    (tmp_path / "crawl.warc.gz").write_bytes(
        warc_bytes([(u, article_html("T", variant(i))) for i, u in enumerate(uris)])
    )
    pages, skipped = read_all([str(tmp_path / "crawl.warc.gz")])
    assert not skipped
    assert [p.source_id for p in pages] == uris
    assert all(p.url == p.source_id and p.kind == "html" for p in pages)


def test_uncompressed_warc(tmp_path: Path) -> None:
    (tmp_path / "crawl.warc").write_bytes(
        warc_bytes([("https://a.example/x", article_html("T", ARTICLE_TEXT))], compress=False)
    )
    pages, skipped = read_all([str(tmp_path)])
    assert [p.source_id for p in pages] == ["https://a.example/x"] and not skipped


def test_truncated_warc_keeps_records_before_the_break(tmp_path: Path) -> None:
    data = warc_bytes([(f"https://a.example/{i}", article_html("T", variant(i))) for i in range(3)])
    (tmp_path / "cut.warc.gz").write_bytes(data[: len(data) - 200])
    pages, skipped = read_all([str(tmp_path)])
    assert len(pages) >= 2
    assert len(skipped) == 1 and skipped[0].error_kind == "truncated"


def test_jsonl_rows_malformed_lines_and_missing_fields(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {
                "id": "a1",
                "text": ARTICLE_TEXT,
                "title": "Strike",
                "published": "2025-03-12",
                "url": "https://x.example/a1",
            },
            {"html": article_html("T", variant(2))},
            {"id": "a3", "title": "no body"},
        ],
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "broken", "text": "unterminated\n')
    pages, skipped = read_all([str(path)])
    assert [(p.source_id, p.kind) for p in pages] == [("a1", "text"), ("feed:2", "html")]
    assert (
        pages[0].title == "Strike"
        and pages[0].published == "2025-03-12"
        and pages[0].url == "https://x.example/a1"
    )
    assert sorted(s.error_kind for s in skipped) == ["input", "malformed"]
    assert all(":" in s.origin for s in skipped), "a skipped row names its line"


def test_jsonl_rows_carry_their_site_bylines_and_credits(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "rows.jsonl",
        [
            {
                "id": "s1",
                "text": ARTICLE_TEXT,
                "site": "Harbour Times",
                "authors": ["Ana Ruiz", " ", 5, "Ana Ruiz"],
                "credits": ["Reuters"],
                "dateline": "WESTMERE",
                "language": "EN",
            },
            {"id": "s2", "text": variant(2), "author": "Doe, Jane", "credit": "AP", "language": "English"},
            {"id": "s3", "text": variant(3), "site": "", "authors": "Li Wei", "language": 7},
            {"id": "s4", "text": variant(4), "authors": {"count": 2}, "credits": [None, ""]},
            {"id": "s5", "text": variant(5), "authors": [], "author": ["Ola Berg", "Kim Sun"]},
            {"id": "s6", "text": variant(6), "authors": [{"name": "Ana Ruiz"}, {"url": "x"}, "Li Wei"]},
            {"id": "s7", "text": variant(7), "author": {"@type": "Person", "name": "Ola Berg"}},
        ],
    )
    pages, skipped = read_all([str(path)])
    assert not skipped
    found = {p.source_id: (p.site, p.authors, p.credits, p.dateline, p.language) for p in pages}
    assert found == {
        "s1": ("Harbour Times", ("Ana Ruiz",), ("Reuters",), "WESTMERE", "en"),
        "s2": (None, ("Doe, Jane",), ("AP",), None, None),  # one name: not split at its comma
        "s3": (None, ("Li Wei",), (), None, None),  # a language that is no code is left to cleaning
        "s4": (None, (), (), None, None),
        "s5": (None, ("Ola Berg", "Kim Sun"), (), None, None),
        "s6": (None, ("Ana Ruiz", "Li Wei"), (), None, None),  # objects with a name, as schema.org's
        "s7": (None, ("Ola Berg",), (), None, None),
    }


def test_gzipped_jsonl(tmp_path: Path) -> None:
    (tmp_path / "f.jsonl.gz").write_bytes(
        gzip.compress(b'{"id": "g1", "text": "A short line of news text."}\n')
    )
    pages, _ = read_all([str(tmp_path)])
    assert [p.source_id for p in pages] == ["g1"]


def test_parquet_rows(tmp_path: Path) -> None:
    table = pa.table({"id": ["p1", "p2"], "text": [ARTICLE_TEXT, variant(2)], "title": ["A", None]})
    pq.write_table(table, tmp_path / "rows.parquet")
    pages, skipped = read_all([str(tmp_path)])
    assert [p.source_id for p in pages] == ["p1", "p2"] and not skipped
    assert pages[0].title == "A" and pages[1].title is None


def test_parquet_rows_carry_their_site_and_bylines(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["p1", "p2"],
            "text": [ARTICLE_TEXT, variant(2)],
            "site": ["Harbour Times", None],
            "authors": [["Ana Ruiz", "Li Wei"], []],
            "credits": [["Reuters"], None],
            "language": ["fr", None],
        }
    )
    pq.write_table(table, tmp_path / "rows.parquet")
    pages, skipped = read_all([str(tmp_path)])
    assert not skipped
    assert [(p.site, p.authors, p.credits, p.language) for p in pages] == [
        ("Harbour Times", ("Ana Ruiz", "Li Wei"), ("Reuters",), "fr"),
        (None, (), (), None),
    ]


def test_parquet_without_body_column_is_reported(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["x"]}), tmp_path / "nobody.parquet")
    pages, skipped = read_all([str(tmp_path)])
    assert not pages and skipped[0].error_kind == "malformed"


def test_stdin_html_and_text() -> None:
    item = InputFile("-", "stdin", None, "stdin")
    html = list(read_stdin(item, CAP, io.BytesIO(article_html("T", ARTICLE_TEXT).encode())))
    text = list(read_stdin(item, CAP, io.BytesIO(ARTICLE_TEXT.encode())))
    assert isinstance(html[0], RawPage) and html[0].kind == "html"
    assert isinstance(text[0], RawPage) and text[0].kind == "text"
    assert html[0].source_id.startswith("stdin-")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("empty.txt", b"", "input"),
        ("blank.txt", b"   \n\n  ", "input"),
        ("binary.txt", bytes(range(256)) * 4, "undecodable"),
        ("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "undecodable"),
        ("cut.html.gz", gzip.compress(b"<html><body>" + b"<p>words here</p>" * 500)[:-30], "input"),
        ("junk.html.gz", b"this is not gzip at all", "input"),
    ],
)
def test_bad_files_become_counted_skips(tmp_path: Path, name: str, data: bytes, kind: str) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    pages, skipped = read_all([str(tmp_path)])
    assert [p.source_id for p in pages] == ["good"], "the good file still comes through"
    assert len(skipped) == 1 and skipped[0].error_kind == kind and skipped[0].reason


def test_oversized_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000, encoding="utf-8")
    pages, skipped = read_all([str(tmp_path)], cap=1000)
    assert not pages and skipped[0].error_kind == "oversized" and "max_input_bytes" in skipped[0].reason


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes(
        "Le ministre a déclaré que la réunion était très importante pour la région.".encode("latin-1")
    )
    pages, skipped = read_all([str(tmp_path)])
    assert not skipped and "déclaré" in pages[0].body


def test_discovery_globs_missing_paths_and_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.txt").write_text("y", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("z", encoding="utf-8")
    in_dir = discover([str(tmp_path)])
    assert [Path(i.origin).name for i in in_dir.inputs] == ["a.txt", "b.txt"] and in_dir.ignored == 1
    globbed = discover([str(tmp_path / "*.txt")])
    assert len(globbed.inputs) == 2
    named = discover([str(tmp_path / "notes.json"), str(tmp_path / "nope.txt")])
    assert sorted(s.error_kind for s in named.skipped) == ["missing", "unsupported"]


def test_sniff_kind() -> None:
    assert sniff_kind("  <!DOCTYPE html><html>") == "html"
    assert sniff_kind("Plain words about a port strike.") == "text"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"{}", b'{"a": 1}', b"\n", b"\r", b"\r\n", b" ", b"x"]), max_size=40),
    st.integers(1, 9),
)
def test_a_jsonl_file_read_block_by_block_splits_as_its_whole_bytes_s(
    pieces: list[bytes], block: int
) -> None:
    """Blocks of any size (a line, or its carriage return and line feed, cut across two) give the
    lines ``bytes.splitlines`` gives of the whole file."""
    import io as _io

    from copydesk.ingest import readers

    data = b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "_READ_BLOCK", block)
        assert list(readers._block_lines(_io.BytesIO(data), "x")) == data.splitlines()


def test_a_jsonl_body_of_control_characters_is_refused_as_binary(tmp_path: Path) -> None:
    control_heavy = "".join(chr(c) for c in range(9)) * 40  # far over the binary share of control bytes
    rows = [{"id": "c", "text": control_heavy}, {"id": "t", "text": "News."}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    pages, skipped = read_all([str(path)])
    assert [p.source_id for p in pages] == ["t"]
    assert [s.reason for s in skipped] == ["row body is binary data, not text"]


def test_an_oversized_jsonl_file_is_refused_before_any_row_is_read(tmp_path: Path) -> None:
    from copydesk.ingest.readers import read_jsonl

    path = write_jsonl(tmp_path / "big.jsonl", [{"id": f"r{k}", "text": ARTICLE_TEXT} for k in range(4)])
    item = InputFile(str(path), "jsonl", path, "x")
    out = list(read_jsonl(item, path.stat().st_size // 64))
    assert len(out) == 1 and isinstance(out[0], SkippedInput) and out[0].error_kind == "oversized"
    assert [p.source_id for p in read_jsonl(item, path.stat().st_size) if isinstance(p, RawPage)] == [
        "r0",
        "r1",
        "r2",
        "r3",
    ]


_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@given(st.lists(st.one_of(st.text(max_size=6), _SURROGATES), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_text_without_lone_surrogates_is_storable_and_keeps_the_rest(text: str) -> None:
    made = without_lone_surrogates(text)
    made.encode("utf-8")  # what SQLite's binding does; a lone surrogate raises here
    surrogates = [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]
    if not surrogates:
        assert made is text
    # every other character kept, in order (a joined pair is one astral character)
    assert [c for c in made if c != "\ufffd" and ord(c) < 0x10000] == [
        c for c in text if c != "\ufffd" and not 0xD800 <= ord(c) <= 0xDFFF and ord(c) < 0x10000
    ]


def test_a_split_pair_is_joined_and_a_lone_half_replaced() -> None:
    assert without_lone_surrogates("a\ud83d\ude00b") == "a\U0001f600b"
    assert without_lone_surrogates("cut \ud83d here") == "cut \ufffd here"
    assert escaped_lone_surrogates("id-\ud83d") == "id-\\ud83d"
    assert escaped_lone_surrogates("id-\ud83d") != escaped_lone_surrogates("id-\ud83e")


def test_a_page_is_made_storable_where_it_comes_in() -> None:
    page = RawPage(
        "row-\ud83d",
        "feed.jsonl:3",
        "text",
        "Cranes \ud83d arrive",
        title="Port \udce9",
        authors=("Ann \ud800",),
        credits=("plain",),
    )
    for value in (page.source_id, page.body, page.title or "", *page.authors, *page.credits):
        value.encode("utf-8")
    assert page.source_id == "row-\\ud83d"
    assert page.body == "Cranes \ufffd arrive"
    assert page.credits == ("plain",)


def test_json_rows_with_lone_surrogates_are_all_stored_whole(tmp_path: Path) -> None:
    """A JSON escape of half an emoji had failed the whole batch's write (and an HTML body lost
    everything after it to the parser)."""
    from copydesk import service
    from copydesk.config import load_settings
    from copydesk.store.articles import get_article

    rows = [
        {"id": "cut", "title": "Cranes \ud83d arrive", "text": ARTICLE_TEXT + " A cut emoji \ud83d here."},
        {"id": "html", "html": article_html("Strike", ARTICLE_TEXT.replace("third day", "third \udcff day"))},
        {"id": "plain", "text": variant(2)},
    ]
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, rows)
    settings = load_settings({"db": tmp_path / "s.db", "workers": 1}, environ={})
    report = service.ingest([str(path)], settings, executor="inprocess")
    assert report.stored == 3 and not report.skipped
    with service.open_store(settings) as db:
        texts = {a.source_id: a.text for a in (get_article(db, i) for i in report.stored_ids)}
    assert "\ufffd here" in texts["cut"]
    assert texts["html"].rstrip().endswith("Friday morning.")  # the whole body, past the bad character


def test_a_file_name_that_is_not_utf8_is_stored_with_its_bytes_escaped(tmp_path: Path) -> None:
    from copydesk import service
    from copydesk.config import load_settings

    folder = tmp_path / "in"
    folder.mkdir()
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9-report.txt"))
    odd.write_text(ARTICLE_TEXT, encoding="utf-8")
    (folder / "plain.txt").write_text(variant(4), encoding="utf-8")
    settings = load_settings({"db": tmp_path / "s.db", "workers": 1}, environ={})
    report = service.ingest([str(folder)], settings, executor="inprocess")
    assert report.stored == 2 and not report.skipped
    with service.open_store(settings) as db:
        origins = {r[0] for r in db.query("SELECT origin FROM articles")}
        sources = {r[0] for r in db.query("SELECT source_id FROM articles")}
    assert str(folder / "caf\\xe9-report.txt") in origins
    assert "caf\\xe9-report" in sources
