"""Fuzzing ingest: whatever a user's folder holds, the loaders answer with the text, or with one
LoadError / PlansearchError naming the file - never any other exception (a traceback, or a whole
directory load lost to one file). Good input comes back exactly: seed text in every encoding people
use, Word lists under any numbering definition, manifest rows as a spreadsheet writes them.

The module counts what it ran and prints one line at its end, e.g.
    fuzz ingest: 1530 cases (txt 300, bytes 200, damaged 150, docx 250, manifest 500,
    manifest-strict 90, corpus 40), 0 crashes
A case is one call of a loader on one generated input; a crash is an exception other than
LoadError / PlansearchError out of `load.read_source`, `load_corpus` or `metadata.load_manifest`.
A crash is also raised, so the test fails and hypothesis shows the smallest input causing it."""
from __future__ import annotations

import csv
import functools
import io
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import docx_fixtures as wx
from conftest import seed_path
from plansearch import load_corpus
from plansearch.load import read_source
from plansearch.metadata import _KINDS, ManifestRow, canonical_mask, load_manifest
from plansearch.models import LoadError, PlansearchError
from test_load import _ascii_pdf

CASES: Counter[str] = Counter()
CRASHES: list[str] = []
_WORK = Path(".")  # set by _summary: the module's temporary directory, where each case's file goes


# PLANSEARCH_FUZZ_SCALE=10 runs ten times the cases (a deeper run than CI's ~30 s one)
SCALE = float(os.environ.get("PLANSEARCH_FUZZ_SCALE", "1"))


def fuzz(cases: int):
    """Hypothesis settings for a fuzz test: this many cases, no per-case deadline (the first case
    pays for imports), and no example database (every run draws afresh)."""
    return settings(max_examples=max(1, int(cases * SCALE)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def _summary(request, tmp_path_factory):
    global _WORK
    _WORK = tmp_path_factory.mktemp("fuzz")
    yield
    line = (f"fuzz ingest: {sum(CASES.values())} cases ("
            + ", ".join(f"{kind} {n}" for kind, n in CASES.items()) + f"), {len(CRASHES)} crashes")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even when every test passes
            reporter.write_line("")
            for crash in CRASHES[:10]:
                reporter.write_line(crash)
            reporter.write_line(line)


def ingest(kind: str, call, *args, **kwargs):
    """(result, None) or (None, the LoadError / PlansearchError): how ingest may answer. Anything
    else is counted as a crash and raised."""
    CASES[kind] += 1
    try:
        return call(*args, **kwargs), None
    except (LoadError, PlansearchError) as e:
        assert "\n" not in str(e), f"a user-facing error is one line: {e!r}"
        return None, e
    except Exception as e:
        CRASHES.append(f"{kind}: {type(e).__name__}: {e}"[:300])
        raise


def write(name: str, data: bytes) -> Path:
    """The file a case reads (one directory per module run, overwritten case after case)."""
    path = _WORK / name
    path.write_bytes(data)
    return path


@functools.lru_cache(maxsize=None)
def seed_text(prefix: str) -> str:
    # the scraped pages use no-break spaces, which GBK/Big5 cannot encode
    return seed_path(prefix).read_text(encoding="utf-8").replace("\xa0", " ")


@functools.lru_cache(maxsize=1)
def _to_taiwan():
    import opencc

    return opencc.OpenCC("s2tw")


def encodable(text: str, encoding: str) -> str:
    """The text without the characters this encoding has no bytes for."""
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        return "".join(ch for ch in text if _encodes(ch, encoding))


@functools.lru_cache(maxsize=None)
def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


SEEDS = ["000", "001", "002", "003", "004"]


# ---------------------------------------------------------------- .txt in the encodings people use

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@fuzz(300)
@given(st.sampled_from(SEEDS), st.integers(0, 20_000), st.integers(200, 4000), st.sampled_from(ENCODINGS))
def test_seed_text_in_any_encoding_reads_back_exactly(prefix, start, length, encoding):
    text = seed_text(prefix)[start:start + length]
    if encoding == "big5":  # Big5 is a Traditional-script encoding: the page as Taiwan would save it
        text = _to_taiwan().convert(text)
    text = encodable(text, encoding)
    assume(len(text.strip()) >= 100)
    src, error = ingest("txt", read_source, write("plan.txt", text.encode(encoding)))
    assert error is None, f"{encoding}: {error}"
    assert src.text == text


@fuzz(200)
@given(st.binary(max_size=3000), st.sampled_from([".txt", ".text", ".html", ".htm", ".docx", ".pdf"]))
def test_random_bytes_under_any_document_name(data, suffix):
    src, error = ingest("bytes", read_source, write("random" + suffix, data))
    assert (src is None) != (error is None)
    if error is not None:
        assert isinstance(error, LoadError) and error.path.endswith("random" + suffix)


@functools.lru_cache(maxsize=None)
def _good_file(kind: str) -> tuple[str, bytes]:
    text = seed_text("003")
    if kind == "txt-gb18030":
        return ".txt", text.encode("gb18030")
    if kind == "txt-utf16":
        return ".txt", text.encode("utf-16")
    if kind == "html":
        body = "".join(f"<p>{line}</p>" for line in text.splitlines())
        return ".html", f'<html><head><meta charset="gbk"></head><body>{body}</body></html>'.encode("gb18030")
    if kind == "docx":
        levels = [wx.lvl("0", "chineseCounting", "%1、"), wx.lvl("1", "chineseCounting", "（%2）")]
        return ".docx", wx.list_docx(levels, [(str(i % 2), line) for i, line in enumerate(text.splitlines()[:40])])
    return ".pdf", _ascii_pdf(b"1. Improve school buildings.", b"2. Train new teachers.")


@fuzz(150)
@given(st.sampled_from(["txt-gb18030", "txt-utf16", "html", "docx", "pdf"]), st.data())
def test_damaged_files_are_read_or_refused(kind, data):
    suffix, good = _good_file(kind)
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(1, 4), label="damages")):
        how = data.draw(st.sampled_from(["truncate", "overwrite", "insert", "delete"]), label="how")
        at = data.draw(st.integers(0, max(0, len(damaged) - 1)), label="at")
        junk = data.draw(st.binary(min_size=1, max_size=64), label="junk")
        if how == "truncate":
            del damaged[at:]
        elif how == "overwrite":
            damaged[at:at + len(junk)] = junk
        elif how == "insert":
            damaged[at:at] = junk
        else:
            del damaged[at:at + len(junk)]
    src, error = ingest("damaged", read_source, write("damaged" + suffix, bytes(damaged)))
    assert (src is None) != (error is None)


# ---------------------------------------------------------------- Word numbering definitions

NUM_FMTS = ["decimal", "upperRoman", "lowerRoman", "upperLetter", "lowerLetter", "chineseCounting",
            "chineseCountingThousand", "chineseLegalSimplified", "ideographDigital", "ideographTraditional",
            "ideographZodiac", "ideographEnclosedCircle", "decimalEnclosedCircle", "decimalEnclosedCircleChinese",
            "decimalEnclosedParen", "decimalEnclosedFullstop", "decimalFullWidth", "decimalZero", "bullet", "none",
            "taiwaneseCounting", "japaneseCounting", "ordinal", "cardinalText", "hex", "", "DECIMAL", "bogus"]
# what a crafted or damaged file may hold where Word writes a number
NUMBERS = st.one_of(
    st.integers(-10, 40).map(str),
    st.integers(-10**15, 10**15).map(str),
    st.sampled_from(["", "abc", "1e3", "0x10", " 7 ", "1_000", "٣", "9" * 5000, "-0", "+3", "3.5", "1000000000000"]),
    st.text(max_size=6),
)
ILVLS = st.one_of(st.integers(-2, 12).map(str), st.sampled_from(["x", "", "1.5", "٣"]), st.text(max_size=3))
LVL_TEXTS = st.one_of(
    st.sampled_from(["%1、", "（%2）", "%1.%2.%3", "%3)", "%9", "%0", "%%1", "%10", "第%1条", "", "%1%1%1%1%1"]),
    st.text(alphabet=st.sampled_from("%1234567890、.（）) 一x"), max_size=12),
    st.text(max_size=8),
)


@functools.lru_cache(maxsize=1)
def measure_lines() -> list[str]:
    """Non-blank lines of the seed pages: the paragraphs the Word files are made of."""
    return [ln.strip() for p in SEEDS for ln in seed_text(p).splitlines()
            if ln.strip() and len(ln.strip()) < 300 and ln.strip() == " ".join(ln.strip().split())]


@st.composite
def numbering_xml(draw) -> tuple[str, str]:
    """(word/numbering.xml, the numId the paragraphs use)."""
    num_id = draw(st.one_of(st.sampled_from(["1", "0", "abc", ""]), st.text(max_size=4)), label="numId")
    levels = draw(st.lists(st.tuples(ILVLS, st.one_of(st.sampled_from(NUM_FMTS), st.text(max_size=10)),
                                     LVL_TEXTS, NUMBERS, st.booleans()), max_size=9), label="levels")
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{wx.attr(ilvl)}"><w:start w:val="{wx.attr(start)}"/><w:numFmt w:val="{wx.attr(fmt)}"/>'
        f'{"<w:isLgl/>" if legal else ""}<w:lvlText w:val="{wx.attr(text)}"/></w:lvl>'
        for ilvl, fmt, text, start, legal in levels)
    overrides = draw(st.lists(st.tuples(ILVLS, NUMBERS), max_size=3), label="overrides")
    override_xml = "".join(f'<w:lvlOverride w:ilvl="{wx.attr(i)}"><w:startOverride w:val="{wx.attr(s)}"/>'
                           f'</w:lvlOverride>' for i, s in overrides)
    abstract_id = draw(st.sampled_from(["1", "x", ""]), label="abstractNumId")
    xml = (f'<w:numbering xmlns:w="{wx.W_NS}"><w:abstractNum w:abstractNumId="{wx.attr(abstract_id)}">{lvl_xml}'
           f'</w:abstractNum><w:num w:numId="{wx.attr(num_id)}"><w:abstractNumId w:val="{wx.attr(abstract_id)}"/>'
           f'{override_xml}</w:num></w:numbering>')
    return xml, num_id


@fuzz(250)
@given(numbering_xml(), st.lists(st.tuples(st.one_of(st.none(), ILVLS), st.integers(0, 10**6)), min_size=1,
                                 max_size=12))
def test_any_numbering_definition_keeps_every_paragraph(numbering, paragraphs):
    xml, num_id = numbering
    lines = measure_lines()
    texts = [lines[n % len(lines)] for _ilvl, n in paragraphs]
    body = wx.document([wx.paragraph(t, ilvl, num_id) for (ilvl, _n), t in zip(paragraphs, texts)])
    src, error = ingest("docx", read_source, write("plan.docx", wx.docx_bytes(body, xml)))
    if error is not None:
        # XML that is not well-formed (an attribute holding a control character): refused as a file
        assert error.problem.startswith("not a valid .docx ("), error.problem
        return
    out = src.text.split("\n")[:-1]
    assert len(out) == len(texts)
    for line, text in zip(out, texts):
        assert line.endswith(text)  # the label goes in front, the paragraph is whole
        label = line[: len(line) - len(text)]
        assert len(label) <= 200, f"label runs away: {label[:80]!r}"


# ---------------------------------------------------------------- manifests

@functools.lru_cache(maxsize=1)
def _cell_alphabet() -> list[str]:
    """The characters manifest cells are written in: those of our manifest and the seed pages."""
    chars = set((Path(seed_path("000")).parent / "manifest.csv").read_text(encoding="utf-8"))
    for p in SEEDS:
        chars.update(seed_text(p)[:3000])
    chars.update(',"“”')
    # no "#": a row whose first cell starts with one is a comment
    return sorted(ch for ch in chars if ch >= " " and ch not in "#\x7f\u2028\u2029\x85")


@functools.lru_cache(maxsize=None)  # building a strategy over thousands of characters is slow
def cells(newlines: bool = False, max_size: int = 24):
    alphabet = "".join(_cell_alphabet()) + ("\n" if newlines else "")
    return st.text(alphabet=alphabet, max_size=max_size).map(str.strip)


KEYS = st.from_regex(r"[0-9a-z_]{1,10}(\.txt|\.docx|\.pdf|#[1-9])?", fullmatch=True)
YEARS = st.one_of(
    st.just(""),
    st.integers(1900, 2099).map(str),
    st.tuples(st.integers(1900, 2090), st.integers(0, 9), st.sampled_from(["→", "->", ">", " → "])).map(
        lambda t: f"{t[0]}{t[2]}{t[0] + t[1]}"),
    st.sampled_from(["201X", "201x", "20**", "202_", "20＊＊", "202＿", "xxxx", "XXXX", "20X×"]),
)
COLUMNS = ["doc", "title", "year", "region", "issuer", "kind", "note"]


def expected_row(rec: dict[str, str], key_col: str, line: int) -> ManifestRow:
    """The row a person meant by these cells (written independently of the parser)."""
    row = ManifestRow(key=rec[key_col], line=line, title=rec.get("title") or None, region=rec.get("region") or None,
                      issuer=rec.get("issuer") or None, kind=rec.get("kind", "").lower() or None,
                      note=rec.get("note") or rec.get("source") or "")
    year = rec.get("year", "")
    m = re.fullmatch(r"(\d{4})\s*(?:→|->|>)\s*(\d{4})", year)
    if m:
        row.year, row.review_year, row.plan_year = int(m.group(1)), int(m.group(1)), int(m.group(2))
    elif re.fullmatch(r"\d{4}", year):
        row.year = int(year)
    elif year:
        row.year_mask = canonical_mask(year)
    return row


@st.composite
def good_manifests(draw):
    """(text, rows meant): a header of known columns in any order and rows written by csv, as a
    spreadsheet saves them, with comment and blank lines between."""
    columns = draw(st.permutations(COLUMNS), label="column order")
    columns = [c for c in columns if c == "doc" or draw(st.booleans(), label=f"has {c}")]
    if draw(st.booleans(), label="gwr header"):
        columns = ["file" if c == "doc" else "source" if c == "note" else c for c in columns]
    key_col = "file" if "file" in columns else "doc"
    terminator = draw(st.sampled_from(["\n", "\r\n"]), label="line ends")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerow(columns)
    meant = []
    for _ in range(draw(st.integers(0, 12), label="rows")):
        if draw(st.integers(0, 5), label="comment or blank") == 0:
            out.write(draw(st.sampled_from(["", "# a comment, with a comma", ",,,"]), label="filler") + terminator)
            continue
        rec = {}
        for c in columns:
            if c == key_col:
                rec[c] = draw(KEYS, label="key")
            elif c == "year":
                rec[c] = draw(YEARS, label="year")
            elif c == "kind":
                rec[c] = draw(st.sampled_from([*_KINDS, "", "Plan", "REPORT"]), label="kind")
            else:
                rec[c] = draw(cells(newlines=c in ("note", "source")), label=c)
        line = out.getvalue().count("\n") + 1
        writer.writerow([rec[c] for c in columns])
        meant.append(expected_row(rec, key_col, line))
    return out.getvalue(), meant


@fuzz(200)
@given(good_manifests(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_manifest_rows_as_a_spreadsheet_writes_them_read_back_exactly(manifest, encoding):
    text, meant = manifest
    warnings: list[str] = []
    rows, error = ingest("manifest", load_manifest, write("manifest.csv", text.encode(encoding)), warnings)
    assert error is None, str(error)
    assert warnings == []
    assert rows == meant


HOSTILE_CELLS = st.one_of(
    cells(max_size=8),
    st.sampled_from(['"', '""', '"open', 'close"', 'a"b', '"x"y', "2022→2010", "2021→2022", "twenty", "201X",
                     "memo", "PLAN", "#x", ",", "\n", "\r", "\ufeff", "\x00", " ", "doc", "note"]),
    st.text(max_size=6),
)


@st.composite
def hostile_manifests(draw):
    """(text, [(line, good row)]): lines of hostile cells joined by commas (quotes left open, stray
    quotes, bad years, control characters), with rows csv wrote correctly between them."""
    header = draw(st.one_of(
        st.permutations(COLUMNS).map(list),
        st.lists(st.sampled_from(COLUMNS + ["colour", "", "DOC ", "year", "Note", "file", "source"]), max_size=9),
        st.lists(HOSTILE_CELLS, max_size=5)), label="header")
    text = ",".join(header) + "\n"
    good = []
    for _ in range(draw(st.integers(0, 12), label="lines")):
        if draw(st.booleans(), label="good row") and "doc" in header:
            rec = {c: "" for c in header}
            rec["doc"] = draw(KEYS, label="key")
            if "year" in rec:
                rec["year"] = draw(st.integers(2000, 2030).map(str), label="year")
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow([rec.get(c, "") for c in header])
            good.append((len(list(io.StringIO(text, newline=""))) + 1, rec["doc"]))
            text += out.getvalue()
        else:
            text += ",".join(draw(st.lists(HOSTILE_CELLS, max_size=8), label="cells")) + "\n"
    return text, good


@fuzz(300)
@given(hostile_manifests(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "big5"]))
def test_hostile_manifests_keep_the_good_rows_and_say_where_the_bad_ones_are(manifest, encoding):
    text, good = manifest
    path = write("manifest.csv", text.encode(encoding, errors="replace"))
    n_lines = len(list(io.StringIO(text, newline="")))
    warnings: list[str] = []
    rows, error = ingest("manifest", load_manifest, path, warnings)
    if error is not None:  # only a manifest that cannot be used at all is refused as a whole
        assert re.match(rf"{re.escape(str(path))}(:\d+)?: (cannot read manifest|no 'doc' column)", str(error)), str(error)
        return
    where = re.compile(rf"{re.escape(str(path))}:(\d+): ")
    warned_at = []
    for w in warnings:
        m = where.match(w)
        assert m and 1 <= int(m.group(1)) <= n_lines, w
        warned_at.append(int(m.group(1)))
    for r in rows:
        assert r.key and not r.key.startswith("#") and 1 <= r.line <= n_lines
        assert r.kind is None or r.kind in _KINDS
        assert r.review_year is None or r.plan_year >= r.review_year
    kept = {(r.line, r.key) for r in rows}
    if encoding != "big5":  # Big5 replaces what it cannot encode with "?": a good row may change
        for line, key in good:
            assert (line, key) in kept or any(w <= line for w in warned_at), \
                f"good row at line {line} lost without a word: {text!r} -> {warnings}"
    # without a warnings list the first problem raises, naming the same file and line
    strict_rows, strict_error = ingest("manifest-strict", load_manifest, path)
    if warnings:
        assert strict_error is not None and str(strict_error) == warnings[0].removesuffix("; row ignored")
    else:
        assert strict_error is None and strict_rows == rows


# ---------------------------------------------------------------- a whole folder

@fuzz(40)
@given(numbering_xml(), st.binary(max_size=400), hostile_manifests())
def test_one_bad_file_never_stops_the_others(numbering, junk, manifest):
    folder = Path(tempfile.mkdtemp(dir=_WORK))
    (folder / "003_d3b064de2d82a876.txt").write_bytes(seed_path("003").read_bytes())
    xml, num_id = numbering
    (folder / "crafted.docx").write_bytes(wx.docx_bytes(wx.document([wx.paragraph("重点工作", "0", num_id)]), xml))
    (folder / "junk.txt").write_bytes(junk)
    (folder / "manifest.csv").write_text(manifest[0], encoding="utf-8")
    errors: list[LoadError] = []
    warnings: list[str] = []
    docs, error = ingest("corpus", load_corpus, folder, errors=errors, warnings=warnings)
    if error is not None:
        assert str(error).startswith(f"{folder / 'manifest.csv'}"), str(error)
        return
    assert "003_d3b064de2d82a876" in {d.doc_id for d in docs}
    loaded = {Path(d.source).name for d in docs}
    assert {Path(e.path).name for e in errors} | loaded >= {"003_d3b064de2d82a876.txt", "crafted.docx"}
