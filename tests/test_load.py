"""Reading files: plans arrive as .txt in whatever encoding the site used, as Word files with
automatic numbering, as PDFs and as saved web pages. Each must come out as the same text; a file
that is not a document must fail with one line naming it."""
from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import docx_fixtures as wx
from conftest import CORPUS, seed_path
from plansearch import load_corpus, outline
from plansearch.load import cn_counting, decode_text, format_number, iter_sources, read_source
from plansearch.models import LoadError, PlansearchError


def seed_text(prefix: str) -> str:
    # the scraped pages use no-break spaces, which GBK/Big5 cannot encode
    return seed_path(prefix).read_text(encoding="utf-8").replace("\xa0", " ")


# ---------------------------------------------------------------- encodings

def test_the_seed_pages_are_utf8():
    for prefix in ("000", "001", "002", "003", "004"):
        src = read_source(seed_path(prefix))
        assert src.encoding == "utf-8" and src.fmt == "txt"
        assert src.text == seed_path(prefix).read_text(encoding="utf-8")


@pytest.mark.parametrize("prefix", ["000", "003", "004"])
def test_simplified_page_saved_as_gbk_reads_back_identically(tmp_path, prefix):
    text = seed_text(prefix)
    f = tmp_path / "plan.txt"
    f.write_bytes(text.encode("gbk", errors="ignore"))
    src = read_source(f)
    assert src.encoding == "gb18030"  # GBK is a subset; GB18030 also reads its additions
    assert src.text == text.encode("gbk", errors="ignore").decode("gbk")


def test_traditional_page_saved_as_big5_reads_back_identically(tmp_path):
    text = seed_text("001")  # 001 is the Traditional-script page
    data = text.encode("big5", errors="ignore")
    (tmp_path / "plan.txt").write_bytes(data)
    src = read_source(tmp_path / "plan.txt")
    assert src.encoding == "big5"
    assert "重點工作總結" in src.text and src.text == data.decode("big5")


def test_traditional_page_saved_as_gb18030_is_not_mistaken_for_big5(tmp_path):
    text = seed_text("001")
    (tmp_path / "plan.txt").write_bytes(text.encode("gb18030"))
    src = read_source(tmp_path / "plan.txt")
    assert src.encoding == "gb18030" and src.text == text


@pytest.mark.parametrize("codec,bom", [("utf-16", True), ("utf-16-le", False), ("utf-16-be", False),
                                       ("utf-8-sig", True)])
def test_utf16_and_utf8_bom_files(tmp_path, codec, bom):
    text = seed_text("003")
    data = text.encode(codec)
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb") if bom else True
    (tmp_path / "plan.txt").write_bytes(data)
    src = read_source(tmp_path / "plan.txt")
    assert src.text == text  # no BOM character left at the start
    assert src.encoding.startswith(codec.split("-sig")[0][:6])


def test_gbk_file_parses_like_the_utf8_original(tmp_path):
    text = seed_text("004")
    (tmp_path / "004_gbk.txt").write_bytes(text.encode("gbk"))
    docs = outline.parse_source(read_source(tmp_path / "004_gbk.txt"))
    assert [len(d.items) for d in docs] == [34, 37]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["000", "001", "002", "003", "004"]), st.integers(0, 3000), st.integers(200, 3000),
       st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]))
def test_any_slice_of_a_seed_round_trips_through_detection(prefix, start, length, codec):
    text = seed_text(prefix)[start:start + length]
    if not text.strip() or (codec.startswith("utf-16") and not codec.endswith("16") and
                            not any(ord(c) < 0x100 for c in text)):
        return  # BOM-less UTF-16 is told apart by the NULs of its ASCII characters
    decoded, _enc = decode_text(text.encode(codec))
    assert decoded == text


# ---------------------------------------------------------------- bad files

def test_empty_and_whitespace_only_files(tmp_path):
    for name, data in (("empty.txt", b""), ("blank.txt", b"  \r\n\t\n"), ("bom-only.txt", b"\xef\xbb\xbf\n")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoadError) as e:
            read_source(tmp_path / name)
        assert str(e.value) == f"{tmp_path / name}: empty file"


def test_binary_files_are_not_text(tmp_path):
    (tmp_path / "random.txt").write_bytes(bytes(range(256)) * 20)
    with pytest.raises(LoadError, match=r"random\.txt: not a text file \(binary data: NUL bytes\)"):
        read_source(tmp_path / "random.txt")
    (tmp_path / "controls.txt").write_bytes(bytes(range(1, 9)) * 500 + "一、总体要求".encode())
    with pytest.raises(LoadError, match=r"controls\.txt: not a text file"):
        read_source(tmp_path / "controls.txt")


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=64, max_size=4000))
def test_random_bytes_load_or_fail_with_a_load_error(data):
    try:
        text, enc = decode_text(data, "random.txt")
    except LoadError as e:
        assert e.path == "random.txt" and e.problem.startswith(("not a text file (", "empty file"))
    else:
        # accepted bytes are text in the encoding named: that decoding, at most a few bad bytes
        # replaced (a truncated scrape), no BOM left, and no more control characters than text has
        assert text == data.decode(enc, errors="replace").lstrip("\ufeff")
        assert text.count("\ufffd") <= max(10, len(text) // 1000)
        assert sum(1 for ch in text if ch < " " and ch not in "\t\n\r\x0b\x0c") <= 0.01 * len(text)


def _plan_docx() -> bytes:
    return wx.list_docx([wx.lvl("0", "chineseCounting", "%1、")], [("0", "重点工作"), (None, MEASURES_000[0])])


@pytest.mark.parametrize("name,data,problem", [
    ("plan.txt", _plan_docx, "not a text file (a Word .docx document: name it .docx)"),
    ("plan.txt", lambda: b"%PDF-1.4\n" + bytes(range(256)), "not a text file (a PDF document: name it .pdf)"),
    ("plan.txt", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
     "not a text file (a Word 97-2003 or WPS document: save it as .docx)"),
    ("plan.txt", lambda: b"{\\rtf1\\ansi\\ansicpg936 " + "一、总体要求".encode("gbk"),
     "not a text file (an RTF document: save it as .docx or .txt)"),
    ("photo.txt", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)), "not a text file (a JPEG image)"),
    ("picture.html", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(256), "not a text file (a PNG image)"),
    ("plan.docx", lambda: b"%PDF-1.4\n" + bytes(64), "not a .docx (a PDF document: name it .pdf)"),
    ("plan.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
     "not a .docx (a Word 97-2003 or WPS document: save it as .docx)"),
    ("plan.pdf", _plan_docx, "not a PDF (a Word .docx document: name it .docx)"),
    ("plan.pdf", lambda: bytes(range(256)) * 4, "not a PDF (no %PDF- header)"),
    ("plan.pdf", lambda: b"", "empty file"),
    ("plan.docx", lambda: b"", "empty file"),
])
def test_a_file_under_the_wrong_name_says_what_it_is(tmp_path, name, data, problem):
    (tmp_path / name).write_bytes(data())
    with pytest.raises(LoadError) as e:
        read_source(tmp_path / name)
    assert e.value.problem == problem


def test_unsupported_and_missing(tmp_path):
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(LoadError, match=r"old\.doc: Word 97-2003 \.doc is not supported"):
        read_source(tmp_path / "old.doc")
    with pytest.raises(PlansearchError, match="no such file or directory"):
        list(iter_sources(tmp_path / "missing"))


def test_a_20mb_file_reads_back_whole(tmp_path):
    # detection reads a 256 KB prefix; the whole file must still be decoded, to its last line
    seed = seed_path("000").read_bytes()
    data = (seed * (20_000_000 // len(seed) + 1))[:20_000_000]
    data = data[: data.rfind(b"\n") + 1]
    (tmp_path / "big.txt").write_bytes(data)
    src = read_source(tmp_path / "big.txt")
    assert src.encoding == "utf-8"
    assert src.text == data.decode("utf-8")


@pytest.mark.slow
def test_a_20mb_gbk_file_loads_and_parses(tmp_path):
    text = seed_text("000")
    data = (text * 1200).encode("gbk", errors="ignore")  # ~20 MB
    (tmp_path / "big.txt").write_bytes(data)
    src = read_source(tmp_path / "big.txt")
    assert src.encoding == "gb18030"
    docs = outline.parse_source(src, strict=True)
    assert sum(len(d.items) for d in docs) > 10_000


# ---------------------------------------------------------------- directories

def test_a_directory_yields_supported_files_sorted_and_skips_the_rest(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("一、总体要求\n夯实基础。\n", encoding="utf-8")
    (tmp_path / "1.txt").write_text("一、总体要求\n夯实基础。\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("doc,year\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    got = list(iter_sources(tmp_path))
    names = [(g.path if isinstance(g, LoadError) else g.path).replace(str(tmp_path) + "/", "") for g in got]
    assert names == ["1.txt", "b/2.txt", "broken.txt"]
    assert isinstance(got[2], LoadError) and "not a text file" in got[2].problem


def test_what_looks_like_a_document_but_is_not_one_is_reported(tmp_path):
    (tmp_path / "1.txt").write_bytes(seed_path("003").read_bytes())
    (tmp_path / "notes.txt").mkdir()  # a folder named like a file: itself reported, its files read
    (tmp_path / "notes.txt" / "2.txt").write_bytes(seed_path("003").read_bytes())
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "gone.txt").symlink_to("moved-away.txt")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")  # followed, it would read the corpus again and again
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would wait forever
    (tmp_path / "logo.png").symlink_to("missing.png")  # not a document: skipped silently, as before
    got = [(e.path if isinstance(e, LoadError) else e.path, e.problem if isinstance(e, LoadError) else "read")
           for e in iter_sources(tmp_path)]
    assert [(path.replace(f"{tmp_path}/", ""), problem) for path, problem in got] == [
        ("1.txt", "read"),
        ("a", "symbolic link loop"),
        ("b", "symbolic link loop"),
        ("gone.txt", "broken symbolic link (to moved-away.txt)"),
        ("loop.txt", "symbolic link loop"),
        ("notes.txt", "is a directory (the files in it are read)"),
        ("notes.txt/2.txt", "read"),
        ("pipe.txt", "not a regular file (a pipe, socket or device)"),
        ("sub/up", "symbolic link to a folder: not followed (name the folder itself to read it)"),
    ]
    with pytest.raises(PlansearchError, match=r"loop\.txt: symbolic link loop$"):
        list(iter_sources(tmp_path / "loop.txt"))
    with pytest.raises(PlansearchError, match=r"loop\.txt: symbolic link loop$"):
        load_corpus(tmp_path / "loop.txt")
    with pytest.raises(LoadError, match=r"pipe\.txt: not a regular file"):
        read_source(tmp_path / "pipe.txt")


# ---------------------------------------------------------------- docx

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _numbered_docx(paragraphs: list[tuple[int | None, str]], table_rows=()) -> bytes:
    """A .docx whose numbered paragraphs carry no label text, only a numbering level, as Word
    writes them: 一、 / （一） / 1. / （1） / ① from one multi-level list definition."""
    import docx
    from docx.oxml import parse_xml

    levels = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3."),
              ("decimal", "（%4）"), ("decimalEnclosedCircle", "%5")]
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels))
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(f'<w:abstractNum {W} w:abstractNumId="77">{lvl_xml}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W} w:numId="77"><w:abstractNumId w:val="77"/></w:num>'))
    for level, text in paragraphs:
        p = document.add_paragraph(text)
        if level is not None:
            num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = 77
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for r, row in enumerate(table_rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# 000's first plan, as a district office would have typed it in Word
PLAN_000 = [
    (0, "指导思想"),
    (None, "以科学发展观为指导,以建设教育强区为总目标,办人民满意的教育。"),
    (0, "重点工作"),
    (1, "进一步改善办学条件"),
    (2, "完成**九小教学楼、**五中教学楼、**二中食堂的建设工作。"),
    (2, "继续实施校舍安全工程,消除各类安全隐患。"),
    (1, "进一步加强教师队伍建设"),
    (2, "加强师德师风建设,开展师德标兵评选活动。"),
    (3, "开展新教师岗前培训。"),
    (4, "组织青年教师基本功比赛。"),
]


def test_docx_list_labels_are_rebuilt_from_the_numbering_definitions(tmp_path):
    f = tmp_path / "plan.docx"
    f.write_bytes(_numbered_docx(PLAN_000))
    src = read_source(f)
    assert src.fmt == "docx" and src.encoding is None
    assert src.text.splitlines() == [
        "一、指导思想",
        "以科学发展观为指导,以建设教育强区为总目标,办人民满意的教育。",
        "二、重点工作",
        "（一）进一步改善办学条件",
        "1.完成**九小教学楼、**五中教学楼、**二中食堂的建设工作。",
        "2.继续实施校舍安全工程,消除各类安全隐患。",
        "（二）进一步加强教师队伍建设",
        "1.加强师德师风建设,开展师德标兵评选活动。",  # a deeper list restarts under a new parent
        "（1）开展新教师岗前培训。",
        "①组织青年教师基本功比赛。",
    ]


def test_docx_numbered_plan_parses_into_headings_and_items(tmp_path):
    f = tmp_path / "plan.docx"
    f.write_bytes(_numbered_docx(PLAN_000))
    (doc,) = outline.parse_source(read_source(f))
    assert [h.display for h in doc.headings][:4] == ["一、指导思想", "二、重点工作", "（一）进一步改善办学条件",
                                                     "（二）进一步加强教师队伍建设"]
    labelled = [(it.label, it.path[-1]) for it in doc.items if it.label]
    assert labelled[:2] == [("1.", "（一）进一步改善办学条件"), ("2.", "（一）进一步改善办学条件")]
    # the deepest item sits under every level of the list: 二、 > （二） > 1. > （1） > ①
    deepest = doc.items[-1]
    assert deepest.label == "①"
    assert [p.split("进一步")[0][:3] for p in deepest.path] == ["二、重", "（二）", "1.加", "（1）"]


def test_docx_table_rows_are_text(tmp_path):
    f = tmp_path / "plan.docx"
    f.write_bytes(_numbered_docx([(0, "主要活动安排")], table_rows=[("月份", "工作内容"),
                                                               ("9月", "开展学校收费行为的监督检查工作")]))
    lines = read_source(f).text.splitlines()
    assert lines == ["一、主要活动安排", "月份  工作内容", "9月  开展学校收费行为的监督检查工作"]


def test_word_numbering_formats():
    assert [cn_counting(n) for n in (1, 10, 11, 20, 21, 105)] == ["一", "十", "十一", "二十", "二十一", "一百零五"]
    assert format_number(3, "decimalEnclosedCircle") == "③"
    assert format_number(2, "ideographTraditional") == "乙"
    assert format_number(4, "upperRoman") == "IV"


# 000's first measures under ㈠进一步改善办学条件, typed into a Word list of some number format
MEASURES_000 = ["完成**九小教学楼、**五中教学楼、**二中食堂、区职教中心食堂及学生宿舍的建设工作。",
                "完成**一中、**三中、艳山红小学田径场及校园环境建设工作。",
                "完成**三中、牛场民族中学、**三小卫生厕所建设工作。"]


def _formatted_list(fmt: str, text: str, start: str) -> bytes:
    """一、重点工作 (chineseCounting) over the three measures, numbered at level 2 in `fmt`."""
    levels = [wx.lvl("0", "chineseCounting", "%1、"), wx.lvl("1", fmt, text, start)]
    return wx.list_docx(levels, [("0", "重点工作")] + [("1", m) for m in MEASURES_000])


@pytest.mark.parametrize("fmt,text,start,labels", [
    ("upperRoman", "%2.", "1", ["I.", "II.", "III."]),
    ("upperRoman", "%2.", "3998", ["MMMCMXCVIII.", "MMMCMXCIX.", "4000."]),  # no Roman form past 3999
    ("lowerRoman", "%2)", "8", ["viii)", "ix)", "x)"]),
    ("upperLetter", "%2.", "1", ["A.", "B.", "C."]),
    ("lowerLetter", "%2)", "25", ["y)", "z)", "aa)"]),  # Word repeats the letter past z
    ("chineseCounting", "（%2）", "9", ["（九）", "（十）", "（十一）"]),
    ("ideographDigital", "%2、", "9", ["九、", "一〇、", "一一、"]),
    ("ideographTraditional", "%2、", "9", ["壬、", "癸、", "甲、"]),  # the ten stems come round again
    ("ideographZodiac", "%2、", "12", ["亥、", "子、", "丑、"]),
    ("ideographEnclosedCircle", "%2", "1", ["㈠", "㈡", "㈢"]),
    ("ideographEnclosedCircle", "%2", "10", ["㈩", "11", "12"]),  # past ㈩ Word writes decimal
    ("decimalEnclosedCircle", "%2", "19", ["⑲", "⑳", "21"]),
    ("decimalEnclosedParen", "%2", "1", ["⑴", "⑵", "⑶"]),
    ("decimalEnclosedFullstop", "%2", "1", ["⒈", "⒉", "⒊"]),
    ("decimalFullWidth", "%2．", "9", ["９．", "１０．", "１１．"]),
    ("decimalZero", "%2.", "9", ["09.", "10.", "11."]),
    ("decimal", "%1.%2", "1", ["一.1", "一.2", "一.3"]),  # %1 is the parent level's number
    ("bullet", "•", "1", ["", "", ""]),  # a bullet is not a number: no label
    ("none", "%2", "1", ["", "", ""]),
])
def test_word_number_formats_as_labels(tmp_path, fmt, text, start, labels):
    f = tmp_path / "plan.docx"
    f.write_bytes(_formatted_list(fmt, text, start))
    assert read_source(f).text.splitlines() == ["一、重点工作"] + [lab + m for lab, m in zip(labels, MEASURES_000)]


@pytest.mark.parametrize("fmt,text,labels,numbered", [
    ("chineseCounting", "（%2）", ["（一）", "（二）", "（三）"], True),
    ("ideographEnclosedCircle", "%2", ["㈠", "㈡", "㈢"], True),
    ("decimalEnclosedCircle", "%2", ["①", "②", "③"], True),
    ("decimalEnclosedParen", "%2", ["⑴", "⑵", "⑶"], True),
    ("decimalEnclosedFullstop", "%2", ["⒈", "⒉", "⒊"], True),
    ("decimalFullWidth", "%2．", ["１．", "２．", "３．"], True),
    ("decimalZero", "%2.", ["01.", "02.", "03."], True),
    # the outline numbers items by Chinese and Arabic schemes only: these labels stay in the text
    ("upperRoman", "%2.", ["I.", "II.", "III."], False),
    ("lowerLetter", "%2)", ["a)", "b)", "c)"], False),
    ("ideographTraditional", "%2、", ["甲、", "乙、", "丙、"], False),
])
def test_word_number_formats_as_items(tmp_path, fmt, text, labels, numbered):
    f = tmp_path / "plan.docx"
    f.write_bytes(_formatted_list(fmt, text, "1"))
    (doc,) = outline.parse_source(read_source(f))
    assert [h.display for h in doc.headings] == ["一、重点工作"]
    expected = [(lab, n, m) if numbered else ("", None, lab + m)
                for n, (lab, m) in enumerate(zip(labels, MEASURES_000), start=1)]
    assert [(it.label, it.number, it.text) for it in doc.items] == expected
    assert all(it.path == ("一、重点工作",) for it in doc.items)


# Hostile or damaged numbering definitions: what is not a number reads as Word's default, so the
# file keeps its text and its other labels (these raised ValueError and aborted a directory load).
@pytest.mark.parametrize("start,lvl_ilvl,p_ilvl,num_id,labels", [
    ("abc", "0", "0", "1", ["1.", "2."]),  # w:start="abc": counts from 1
    ("1e3", "0", "0", "1", ["1.", "2."]),
    ("", "0", "0", "1", ["1.", "2."]),
    ("-5", "0", "0", "1", ["0.", "1."]),  # below Word's range: from 0, as Word's "Start at" allows
    ("7", "x", "0", "1", ["7.", "8."]),  # <w:lvl w:ilvl="x">: the first level
    ("7", "0", "x", "1", ["7.", "8."]),  # a paragraph's <w:ilvl w:val="x">: the first level
    ("7", "0", "0", "abc", ["7.", "8."]),  # a numId is a name: "abc" still joins paragraph and list
    ("7", "0", "5", "1", ["", ""]),  # a level the list does not define: no label
])
def test_numbering_values_that_are_not_numbers_do_not_cost_the_file(tmp_path, start, lvl_ilvl, p_ilvl, num_id, labels):
    numbering = wx.numbering([wx.lvl(lvl_ilvl, "decimal", "%1.", start)], num_id=num_id)
    body = wx.document([wx.paragraph(m, p_ilvl, num_id) for m in MEASURES_000[:2]])
    f = tmp_path / "plan.docx"
    f.write_bytes(wx.docx_bytes(body, numbering))
    assert read_source(f).text.splitlines() == [lab + m for lab, m in zip(labels, MEASURES_000)]


def test_a_start_override_that_is_not_a_number_counts_from_1(tmp_path):
    numbering = (f'<w:numbering xmlns:w="{wx.W_NS}"><w:abstractNum w:abstractNumId="1">'
                 + wx.lvl("0", "chineseCounting", "%1、", "3") + '</w:abstractNum><w:num w:numId="1">'
                 '<w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="zero"><w:startOverride w:val="one"/>'
                 '</w:lvlOverride></w:num></w:numbering>')
    f = tmp_path / "plan.docx"
    f.write_bytes(wx.docx_bytes(wx.document([wx.paragraph("指导思想", "0"), wx.paragraph("重点工作", "0")]), numbering))
    assert read_source(f).text.splitlines() == ["一、指导思想", "二、重点工作"]


@pytest.mark.parametrize("fmt,text,labels", [
    ("upperRoman", "%1.", ["32767.", "32768."]),  # hung: a billion "M"s, one at a time
    ("lowerLetter", "%1)", ["32767)", "32768)"]),  # MemoryError: 38 billion letters
    ("chineseCounting", "%1、", ["32767、", "32768、"]),
    ("decimal", "%1.", ["32767.", "32768."]),
])
def test_a_huge_start_value_is_capped_at_words_limit(tmp_path, fmt, text, labels):
    numbering = wx.numbering([wx.lvl("0", fmt, text, "1000000000000")])
    f = tmp_path / "plan.docx"
    f.write_bytes(wx.docx_bytes(wx.document([wx.paragraph(m, "0") for m in MEASURES_000[:2]]), numbering))
    assert read_source(f).text.splitlines() == [lab + m for lab, m in zip(labels, MEASURES_000)]


def test_one_hostile_docx_does_not_stop_a_directory(tmp_path):
    for p in sorted(CORPUS.glob("00[34]_*.txt")):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    crafted = wx.numbering([wx.lvl("x", "upperRoman", "%1.", "abc")])
    (tmp_path / "crafted.docx").write_bytes(wx.docx_bytes(wx.document([wx.paragraph(MEASURES_000[0], "x")]), crafted))
    (tmp_path / "damaged.docx").write_bytes(wx.docx_bytes("<w:document><w:body><w:p>", crafted))
    errors: list[LoadError] = []
    docs = load_corpus(tmp_path, errors=errors)
    assert [d.doc_id for d in docs] == ["003_d3b064de2d82a876", "004_4b2046a4564d6d1c#1", "004_4b2046a4564d6d1c#2",
                                        "crafted"]
    assert docs[-1].items[0].text == "I." + MEASURES_000[0]
    assert [(e.path, e.problem.split(" (")[0]) for e in errors] == [(str(tmp_path / "damaged.docx"),
                                                                     "not a valid .docx")]


def test_a_docx_that_unpacks_to_more_than_the_limit_is_refused_before_unpacking(tmp_path, monkeypatch):
    from plansearch import load

    body = wx.document([wx.paragraph(MEASURES_000[0] * 200) for _ in range(2000)])  # 45 MB of XML
    (tmp_path / "bomb.docx").write_bytes(wx.docx_bytes(body))
    monkeypatch.setattr(load, "MAX_DOCX_UNPACKED", 16 * 2**20)
    with pytest.raises(LoadError, match=r"bomb\.docx: unpacks to 45 MB, more than the 16 MB a \.docx may take"):
        read_source(tmp_path / "bomb.docx")


def test_a_damaged_docx_is_a_load_error(tmp_path):
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LoadError, match=r"bad\.docx: not a valid \.docx"):
        read_source(tmp_path / "bad.docx")


# ---------------------------------------------------------------- pdf

def _pdf(content_stream: bytes, extra_objects: dict[int, bytes], font_ref: str) -> bytes:
    """A one-page PDF written by hand (no PDF writer with text support is installed)."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 " + font_ref.encode() + b" >> >> >>"),
        4: b"<< /Length %d >>\nstream\n" % len(content_stream) + content_stream + b"\nendstream",
        **extra_objects,
    }
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for num in sorted(objects):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_layer_ascii(tmp_path):
    stream = b"BT /F1 12 Tf 72 720 Td (1. Improve school buildings.) Tj 0 -20 Td (2. Train new teachers.) Tj ET"
    pdf = _pdf(stream, {5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}, "5 0 R")
    (tmp_path / "plan.pdf").write_bytes(pdf)
    src = read_source(tmp_path / "plan.pdf")
    assert src.fmt == "pdf"
    assert "1. Improve school buildings." in src.text and "2. Train new teachers." in src.text


def test_pdf_chinese_text_through_a_tounicode_map(tmp_path):
    text = "一、总体要求"
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def "
            "1 begincodespacerange <0000> <FFFF> endcodespacerange "
            f"{len(text)} beginbfchar "
            + " ".join(f"<{i + 1:04X}> <{ord(ch):04X}>" for i, ch in enumerate(text))
            + " endbfchar endcmap CMapName currentdict /CMap defineresource pop end end").encode()
    glyphs = "".join(f"{i + 1:04X}" for i in range(len(text))).encode()
    stream = b"BT /F1 12 Tf 72 720 Td <" + glyphs + b"> Tj ET"
    objects = {
        5: b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
           b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        6: b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
           b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        7: b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    }
    (tmp_path / "plan.pdf").write_bytes(_pdf(stream, objects, "5 0 R"))
    assert read_source(tmp_path / "plan.pdf").text.strip() == text


def test_pdf_without_text_layer_is_reported_as_a_scan(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(tmp_path / "scan.pdf", "wb") as fh:
        writer.write(fh)
    with pytest.raises(LoadError, match=r"scan\.pdf: no text layer \(scanned PDF\?\)"):
        read_source(tmp_path / "scan.pdf")


def test_a_damaged_pdf_gives_pypdfs_reason_in_the_error_not_on_stderr(tmp_path, capfd):
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf body")
    with pytest.raises(LoadError) as e:
        read_source(tmp_path / "junk.pdf")
    # pypdf logged "EOF marker not found" to stderr, between the CLI's own lines
    assert e.value.problem.startswith("not a valid PDF (EOF marker not found; PdfStreamError: ")
    assert capfd.readouterr().err == ""


def _ascii_pdf(*lines: bytes) -> bytes:
    stream = b"BT /F1 12 Tf 72 720 Td " + b" 0 -20 Td ".join(b"(%s) Tj" % ln for ln in lines) + b" ET"
    return _pdf(stream, {5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}, "5 0 R")


def _encrypted(pdf: bytes, user_password: str, owner_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_encrypted_pdf_says_it_needs_a_password(tmp_path, capfd):
    plan = _ascii_pdf(b"1. Improve school buildings.")
    (tmp_path / "locked.pdf").write_bytes(_encrypted(plan, "secret", "owner"))
    with pytest.raises(LoadError) as e:
        read_source(tmp_path / "locked.pdf")
    assert e.value.problem == "encrypted PDF (needs a password)"
    # restrictions without a password to open (an owner password only) do not stop reading
    (tmp_path / "restricted.pdf").write_bytes(_encrypted(plan, "", "owner"))
    assert read_source(tmp_path / "restricted.pdf").text.strip() == "1. Improve school buildings."
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- html

PAGE = """<!DOCTYPE html><html><head><meta charset="gbk"><title>区教育局工作要点_范文网</title>
<style>.a{color:red}</style><script>var x = "一、不是正文";</script></head>
<body><header><a href="/">首页</a> 范文</header><nav><ul><li>网站首页</li><li>工作计划</li></ul></nav>
<div class="content"><h1>区教育局201X年工作要点</h1>
<p>一、指导思想</p><p>以科学发展观为指导,以建设教育强区为总目标&nbsp;&amp;&#x3001;办人民满意的教育。</p>
<p>二、总体目标<br>“两基”成果进一步巩固。</p>
<table><tr><td>9月</td><td>开展学校收费行为的监督检查工作</td></tr></table></div>
<footer>版权所有 &copy; 范文网</footer></body></html>"""


def test_html_page_keeps_the_text_and_drops_the_furniture(tmp_path):
    (tmp_path / "page.html").write_bytes(PAGE.encode("gbk", errors="ignore"))
    src = read_source(tmp_path / "page.html")
    assert src.fmt == "html" and src.encoding == "gb18030"
    lines = [ln for ln in src.text.splitlines() if ln]
    assert lines == ["区教育局201X年工作要点", "一、指导思想",
                     "以科学发展观为指导,以建设教育强区为总目标\xa0&、办人民满意的教育。",
                     "二、总体目标", "“两基”成果进一步巩固。", "9月  开展学校收费行为的监督检查工作"]
    (doc,) = outline.parse_source(src)
    assert doc.title == "区教育局201X年工作要点"
    assert [h.display for h in doc.headings] == ["一、指导思想", "二、总体目标"]


def test_docx_numbering_from_a_paragraph_style(tmp_path):
    import docx

    document = docx.Document()  # Word's built-in "List Number" style carries the numbering
    for text in ("总体要求", "主要目标"):
        document.add_paragraph(text, style="List Number")
    document.add_paragraph("夯实基础,完善机制,优化管理。")
    document.save(tmp_path / "styled.docx")
    assert read_source(tmp_path / "styled.docx").text.splitlines() == ["1.总体要求", "2.主要目标",
                                                                        "夯实基础,完善机制,优化管理。"]


def test_short_gb18030_text_that_is_also_valid_utf8_reads_as_chinese():
    # 准 in GB18030 is D7 BC, which is also valid UTF-8 (an unassigned Hebrew code point): found
    # by the manifest fuzz. A reading with no CJK but stray other-script characters is legacy text;
    # real Greek, Russian or Hebrew UTF-8 stays what it is.
    from plansearch.load import decode_text

    assert decode_text("doc,note\nplan.txt,准\n".encode("gb18030")) == ("doc,note\nplan.txt,准\n", "gb18030")
    for text in ("Ελληνικά κείμενα", "Привет мир", "שלום"):
        assert decode_text(text.encode("utf-8")) == (text, "utf-8")
