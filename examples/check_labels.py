#!/usr/bin/env python3
"""Check examples/demo/labels.json against the demo corpus files.

Asserts that every labelled line number, substring, title, date, spam
injection and copy-family relation matches what is actually on disk, and that
the binary formats (html.gz, WARC, JSONL, Parquet) are readable.

Usage:
    python examples/check_labels.py            # check labels and files
    python examples/check_labels.py --regen    # also rebuild with make_demo_corpus.py
                                               # and require byte-identical output

Exit status 0 when everything holds; otherwise prints each problem and exits 1.
Standard library only, plus pyarrow for the Parquet file.
"""

from __future__ import annotations

import base64
import difflib
import gzip
import hashlib
import html
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE / "demo"
PROBLEMS: list[str] = []


def fail(msg: str) -> None:
    PROBLEMS.append(msg)


# --------------------------------------------------------------------------
# readers


def gunzip_members(data: bytes) -> list[bytes]:
    """Split a multi-member gzip file into its decompressed members."""
    out = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data) + d.flush())
        data = d.unused_data
    return out


def b32sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def read_warc(path: Path) -> list[dict]:
    records = []
    for i, member in enumerate(gunzip_members(path.read_bytes())):
        head, sep, rest = member.partition(b"\r\n\r\n")
        if not sep or not head.startswith(b"WARC/1.1\r\n"):
            fail(f"{path.name}: member {i} is not a WARC/1.1 record")
            continue
        hdr = {}
        for line in head.decode("utf-8").split("\r\n")[1:]:
            k, _, v = line.partition(": ")
            hdr[k] = v
        n = int(hdr["Content-Length"])
        block, tail = rest[:n], rest[n:]
        if tail != b"\r\n\r\n":
            fail(f"{path.name}: record {i} ({hdr.get('WARC-Type')}) has a wrong Content-Length or trailer")
        if "WARC-Block-Digest" in hdr and hdr["WARC-Block-Digest"] != b32sha1(block):
            fail(f"{path.name}: record {i} block digest mismatch")
        rec = {"headers": hdr, "block": block}
        if hdr.get("WARC-Type") == "response":
            hh, _, payload = block.partition(b"\r\n\r\n")
            status = hh.split(b"\r\n", 1)[0].decode("latin-1")
            rec["status"] = status
            rec["http_headers"] = hh.decode("latin-1")
            rec["payload"] = payload
            if hdr.get("WARC-Payload-Digest") != b32sha1(payload):
                fail(f"{path.name}: record {i} payload digest mismatch")
        records.append(rec)
    return records


ARTICLE_BODY = re.compile(r'<div class="(?:story-body|entry-content|article-body)">(.*?)\n\s*</div>', re.S)


def html_doc(page: str) -> dict:
    m = ARTICLE_BODY.search(page)
    body = m.group(1) if m else ""
    blocks = re.findall(r"<(p|h2)>(.*?)</\1>", body)
    paras = [html.unescape(re.sub(r"<[^>]+>", "", t)) for tag, t in blocks if tag == "p"]
    og = re.search(r'<meta property="og:title" content="([^"]*)">', page)
    pub = re.search(r'<meta property="article:published_time" content="([^"]*)">', page)
    return {
        "text": html.unescape(page),
        "paras": paras,
        "title": html.unescape(og.group(1)) if og else None,
        "published": pub.group(1) if pub else None,
    }


def load_corpus() -> dict[str, dict]:
    docs: dict[str, dict] = {}
    for p in sorted((DEMO / "txt").glob("*.txt")):
        docs[p.stem] = {"format": "txt", "path": p, "text": p.read_text(encoding="utf-8")}
    for p in sorted((DEMO / "html").glob("*.html")):
        docs[p.stem] = {"format": "html", "path": p, **html_doc(p.read_text(encoding="utf-8"))}
    for p in sorted((DEMO / "html").glob("*.html.gz")):
        members = gunzip_members(p.read_bytes())
        if len(members) != 1:
            fail(f"{p.name}: expected one gzip member")
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            page = fh.read()
        docs[p.name[: -len(".html.gz")]] = {"format": "html.gz", "path": p, **html_doc(page)}
    for p in sorted((DEMO / "warc").glob("*.warc.gz")):
        for rec in read_warc(p):
            h = rec["headers"]
            if h.get("WARC-Type") != "response":
                continue
            ctype = re.search(r"(?im)^content-type:\s*([^;\r\n]+)", rec["http_headers"])
            if not rec["status"].endswith("200 OK") or not ctype or ctype.group(1) != "text/html":
                docs.setdefault("__non_article__", {"uris": []})["uris"].append(h["WARC-Target-URI"])
                continue
            docs[h["WARC-Target-URI"]] = {
                "format": "warc",
                "path": p,
                **html_doc(rec["payload"].decode("utf-8")),
            }
    for p in sorted((DEMO / "jsonl").glob("*.jsonl")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
            obj = json.loads(line)
            missing = {"id", "url", "title", "published"} - set(obj)
            if missing or not ({"text", "html"} & set(obj)):
                fail(f"{p.name}:{n}: missing keys {missing or 'text/html'}")
                continue
            if "html" in obj:
                d = html_doc(obj["html"])
            else:
                d = {"text": obj["text"], "paras": [x for x in obj["text"].split("\n\n") if x.strip()]}
            d.update(format="jsonl", path=p, title=obj["title"], published=obj["published"])
            docs[obj["id"]] = d
    pq_files = sorted((DEMO / "parquet").glob("*.parquet"))
    if pq_files:
        import pyarrow.parquet as pq

        for p in pq_files:
            t = pq.read_table(p)
            if t.column_names != ["id", "url", "title", "published", "text"]:
                fail(f"{p.name}: unexpected columns {t.column_names}")
            for r in t.to_pylist():
                docs[r["id"]] = {
                    "format": "parquet",
                    "path": p,
                    "text": r["text"],
                    "title": r["title"],
                    "published": r["published"],
                    "paras": [x for x in r["text"].split("\n\n") if x.strip()],
                }
    return docs


# --------------------------------------------------------------------------
# date parsing for meta lines

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def find_date(s: str) -> str | None:
    s_l = s.lower()
    pats = [
        (r"(\d{4})-(\d{2})-(\d{2})", lambda m: (m[1], m[2], m[3])),
        (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", lambda m: (m[3], m[2], m[1])),
        (r"(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})", lambda m: (m[3], MONTHS[m[2]], m[1])),
        (r"(" + "|".join(MONTHS) + r")[ ,]+(\d{1,2})[ ,]+(\d{4})", lambda m: (m[3], MONTHS[m[1]], m[2])),
    ]
    best = None
    for pat, conv in pats:
        m = re.search(pat, s_l)
        if m and (best is None or m.start() < best[0]):
            y, mo, d = conv(m)
            best = (m.start(), f"{int(y):04d}-{int(mo):02d}-{int(d):02d}")
    return best[1] if best else None


# --------------------------------------------------------------------------


def txt_body(label: dict, lines: list[str]) -> list[str]:
    """Body lines of a text dump: non-blank lines minus chrome/meta/title/subheadings, spam repaired."""
    skip = set(label.get("chrome_lines", [])) | {int(k) for k in label.get("meta_lines", {})}
    skip |= set(label.get("title_lines", [])) | set(label.get("subheading_lines", []))
    fixed = dict(enumerate(lines, start=1))
    for inj in label.get("spam_injections", []):
        fixed[inj["line"]] = fixed[inj["line"]].replace(inj["before"], inj["repaired"], 1)
    return [fixed[i].strip() for i in fixed if i not in skip and fixed[i].strip()]


def body_paras(doc_id: str, label: dict, doc: dict) -> list[str]:
    txt = doc["format"] == "txt"
    paras = txt_body(label, doc["text"].splitlines()) if txt else list(doc["paras"])
    extra = set(label.get("meta_in_text", []))
    return [p for p in paras if p not in extra]


def check() -> None:
    labels = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
    docs = load_corpus()
    non_article = set(docs.pop("__non_article__", {"uris": []})["uris"])
    ldocs = labels["docs"]

    # coverage: every corpus doc labelled, every label backed by a doc
    for i in docs:
        if i not in ldocs:
            fail(f"unlabelled doc in corpus: {i}")
    for i, lab in ldocs.items():
        if i not in docs:
            fail(f"labelled doc not found in corpus: {i}")
            continue
        d = docs[i]
        if d["format"] != lab["format"]:
            fail(f"{i}: format {d['format']} != label {lab['format']}")
        if str(d["path"].relative_to(DEMO)) != lab["path"]:
            fail(f"{i}: path {d['path'].relative_to(DEMO)} != label {lab['path']}")
    for rec in labels.get("non_article_records", []):
        if rec["uri"] != "*" and rec["uri"] not in non_article:
            fail(f"non-article record not found: {rec['uri']}")

    # stories / topics / families
    seen: dict[str, str] = {}
    for sid, st in labels["stories"].items():
        for i in st["docs"]:
            if i in seen:
                fail(f"{i} is in two stories: {seen[i]}, {sid}")
            seen[i] = sid
            if ldocs.get(i, {}).get("story") != sid:
                fail(f"{i}: story field disagrees with stories[{sid}]")
    for i in ldocs:
        if i not in seen:
            fail(f"{i}: in no story")
    for tid, t in labels["topics"].items():
        for sid in t["stories"]:
            if sid not in labels["stories"]:
                fail(f"topic {tid}: unknown story {sid}")
    if len(labels["stories"]) < 4 or len(ldocs) < 34:
        fail("corpus must have at least 4 stories and 34 docs")

    for fid, fam in labels["families"].items():
        orig = fam["original"]
        if ldocs[orig].get("relation") != "original" or ldocs[orig].get("family") != fid:
            fail(f"family {fid}: original {orig} not labelled as its original")
        o_paras = body_paras(orig, ldocs[orig], docs[orig])
        o_text = "\n".join(o_paras)
        for i, rel in fam["members"].items():
            lab = ldocs[i]
            if lab.get("family") != fid or lab.get("relation") != rel:
                fail(f"family {fid}: member {i} relation mismatch")
            if rel == "original":
                continue
            paras = body_paras(i, lab, docs[i])
            ratio = difflib.SequenceMatcher(None, o_text, "\n".join(paras), autojunk=False).ratio()
            if rel == "exact-copy" and paras != o_paras:
                diff = next(
                    (f"{a!r} != {b!r}" for a, b in zip(o_paras, paras, strict=False) if a != b),
                    f"{len(o_paras)} vs {len(paras)} paragraphs",
                )
                fail(f"{i}: labelled exact-copy of {orig} but body differs: {diff[:300]}")
            elif rel == "near-copy" and (paras == o_paras or ratio < 0.75):
                fail(f"{i}: labelled near-copy of {orig} but similarity is {ratio:.2f}")
            elif rel in ("rewrite", "translation-like", "credited-wire") and ratio > 0.9:
                fail(f"{i}: labelled {rel} of {orig} but similarity is {ratio:.2f} (too close)")

    # per-doc fields
    for i, lab in ldocs.items():
        if i not in docs:
            continue
        d = docs[i]
        text = d["text"]
        if lab["format"] == "txt":
            lines = text.splitlines()
            groups = {k: set(lab.get(k, [])) for k in ("chrome_lines", "title_lines", "subheading_lines")}
            groups["meta_lines"] = {int(k) for k in lab.get("meta_lines", {})}
            names = list(groups)
            for a in range(len(names)):
                for b in range(a + 1, len(names)):
                    both = groups[names[a]] & groups[names[b]]
                    if both:
                        fail(f"{i}: lines {sorted(both)} are in both {names[a]} and {names[b]}")
            for k, ns in groups.items():
                for n in ns:
                    if not 1 <= n <= len(lines) or not lines[n - 1].strip():
                        fail(f"{i}: {k} {n} is blank or out of range")
            if not lab.get("title_lines"):
                fail(f"{i}: no title_lines")
            elif lines[lab["title_lines"][0] - 1].strip() != lab["title"]:
                fail(f"{i}: title line {lab['title_lines'][0]} != title {lab['title']!r}")
            dated = False
            for n, desc in lab.get("meta_lines", {}).items():
                line = lines[int(n) - 1]
                kind, _, value = desc.partition(": ")
                if kind.startswith(("date", "dateline")):
                    found = find_date(line)
                    dated = True
                    if found != lab["published"]:
                        fail(f"{i}: meta line {n} date {found} != published {lab['published']}")
                    if find_date(value) not in (None, found):
                        fail(f"{i}: meta line {n} label {desc!r} disagrees with the line's date {found}")
                    if kind == "dateline":
                        place = value.split(",")[0]
                        if place not in line and place != "Novoport":
                            fail(f"{i}: dateline place {place!r} not on line {n}")
                else:
                    want = re.split(r" \(|, | / ", value)[0]
                    if want not in line:
                        fail(f"{i}: meta line {n} ({kind}) does not contain {want!r}: {line!r}")
            if lab.get("published") and not dated:
                fail(f"{i}: published given but no date meta line")
            for n in lab.get("subheading_lines", []):
                if len(lines[n - 1].split()) > 8 or lines[n - 1].rstrip().endswith("."):
                    fail(f"{i}: subheading line {n} does not look like a subheading")
            for inj in lab.get("spam_injections", []):
                line = lines[inj["line"] - 1]
                if inj["before"] not in line:
                    fail(f"{i}: spam 'before' {inj['before']!r} not on line {inj['line']}")
                if (
                    inj["injected"] not in inj["before"]
                    or inj["before"].replace(inj["injected"], "", 1) != inj["repaired"]
                ):
                    fail(f"{i}: spam injection {inj} does not repair to 'repaired'")
            if lab.get("spam_injections") and lab.get("family"):
                orig = labels["families"][lab["family"]]["original"]
                o_paras = set(body_paras(orig, ldocs[orig], docs[orig]))
                fixed = txt_body({"spam_injections": lab["spam_injections"]}, lines)
                for inj in lab["spam_injections"]:
                    rl = lines[inj["line"] - 1]
                    for other in lab["spam_injections"]:
                        if other["line"] == inj["line"]:
                            rl = rl.replace(other["before"], other["repaired"], 1)
                    if rl.strip() not in o_paras:
                        fail(f"{i}: line {inj['line']} after spam repair is not a paragraph of {orig}")
                del fixed
            for p in txt_body(lab, lines):
                # article paragraphs are sentences; headlines, link titles and widgets are not
                if len(p.split()) < 6 or not p.endswith((".", "!", "?", '"', "”", "’", ")")):
                    fail(f"{i}: unlabelled line looks like chrome: {p!r}")
        else:
            if d.get("title") != lab["title"]:
                fail(f"{i}: title {d.get('title')!r} != label {lab['title']!r}")
            if not d.get("published") or d["published"][:10] != lab["published"]:
                fail(f"{i}: published {d.get('published')} != label {lab['published']}")
            for s in lab.get("chrome_in_article", []):
                if s not in re.sub(r"<[^>]+>", "", text):
                    fail(f"{i}: chrome_in_article {s!r} not found")
            for s in lab.get("meta_in_text", []):
                if s not in text:
                    fail(f"{i}: meta_in_text {s!r} not found")
        # length of originals and independent reports
        if lab["relation"] in ("original", "independent", "credited-wire"):
            words = sum(len(p.split()) for p in body_paras(i, lab, d))
            if not 300 <= words <= 700:
                fail(f"{i}: {lab['relation']} body has {words} words (want 300-700)")

    # substrings: figures, quotes, entity variants
    for f in labels["figures"]:
        for i, s in f["values"].items():
            if i not in docs:
                fail(f"figure {f['id']}: unknown doc {i}")
            elif s not in docs[i]["text"]:
                fail(f"figure {f['id']}: {s!r} not in {i}")
    for qg in labels["quotes"]:
        for i, s in qg["variants"].items():
            if i not in docs:
                fail(f"quote {qg['speaker']}: unknown doc {i}")
            elif s not in docs[i]["text"]:
                fail(f"quote {qg['speaker']}: {s!r} not in {i}")
    for ev in labels["entity_variants"]:
        for s in ev["surface"]:
            if not any(s in docs[i]["text"] for i in ev["docs"] if i in docs):
                fail(f"entity {ev['canonical']}: surface {s!r} not in any of {ev['docs']}")


def snapshot() -> dict[str, str]:
    return {
        str(p.relative_to(DEMO)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("html", "warc", "jsonl", "parquet")
        for p in sorted((DEMO / sub).glob("*"))
        if p.is_file()
    }


def main(argv: list[str]) -> int:
    if "--regen" in argv:
        before = snapshot()
        subprocess.run(
            [sys.executable, str(HERE / "make_demo_corpus.py")], check=True, stdout=subprocess.DEVNULL
        )
        after = snapshot()
        for k in sorted(set(before) | set(after)):
            if before.get(k) != after.get(k):
                fail(f"regeneration changed {k} (not reproducible or outputs were stale)")
    check()
    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if size > 2_000_000:
        fail(f"examples/ is {size:,} bytes (limit 2 MB)")
    if PROBLEMS:
        print("\n".join(PROBLEMS))
        print(f"{len(PROBLEMS)} problem(s)")
        return 1
    print(f"labels OK ({size:,} bytes in examples/)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
