"""What a document is: its year (or the mask a site put on it), place, issuer and kind, as the tool
reads them off the title, opening, signature and headings of the real seed pages - before any
manifest correction (`infer` below parses without the manifest)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CORPUS, seed_path
from plansearch import outline
from plansearch.load import read_source
from plansearch.metadata import (ManifestRow, apply_manifest, canonical_mask, find_years, infer_metadata,
                                 load_manifest, mask_range, year_range)
from plansearch.models import Document, PlansearchError, SourceText
from plansearch.normalise import normalise


def infer(prefix: str) -> list[Document]:
    docs = outline.parse_source(read_source(seed_path(prefix)))
    for d in docs:
        infer_metadata(d)
    return docs


@pytest.fixture(scope="module")
def inferred() -> dict[str, Document]:
    return {d.doc_id: d for p in ("000", "001", "002", "003", "004") for d in infer(p)}


def test_000_five_district_plans_with_masked_years(inferred):
    docs = [inferred[f"000_5ae896fcb747d54c#{n}"] for n in range(1, 6)]
    assert [d.kind for d in docs] == ["plan"] * 5
    assert [d.year for d in docs] == [None] * 5
    assert [d.year_mask for d in docs] == ["201X", "202_", "202_", "202_", "202_"]
    assert [d.issuer for d in docs] == ["区教育局"] * 4 + ["区教育局计财科"]


def test_masked_201X_is_the_2010s(inferred):
    d = inferred["000_5ae896fcb747d54c#1"]
    assert d.year is None and d.year_mask == "201X"
    assert year_range(d) == (2010, 2019)
    assert year_range(inferred["000_5ae896fcb747d54c#3"]) == (2020, 2029)


def test_000_places_masked_or_named_in_the_body(inferred):
    # 1 and 4 say **区 everywhere; 3's title line says XX区; 2 and 5 let the real district slip in the body
    assert inferred["000_5ae896fcb747d54c#1"].region is None
    assert "region-masked:**区" in inferred["000_5ae896fcb747d54c#1"].flags
    assert "region-masked:XX区" in inferred["000_5ae896fcb747d54c#3"].flags
    assert inferred["000_5ae896fcb747d54c#2"].region == "华州区"
    assert inferred["000_5ae896fcb747d54c#5"].region == "夷陵区"
    assert "region-from-body" in inferred["000_5ae896fcb747d54c#5"].flags


def test_001_traditional_summary_that_plans_next_year(inferred):
    d = inferred["001_c0800182451e36bf"]
    assert d.kind == "mixed" and d.issuer == "市教育局"
    assert d.year is None and d.year_mask == "20**"  # the opening says 20**年; the title lost it
    assert [s.kind for s in d.sections] == ["summary", "plan"]
    summary, plan = d.sections
    assert summary.start == 0 and summary.end == plan.start and plan.end == len(d.text)
    assert d.text[plan.start:].startswith("三、明年工作安排")
    assert {it.section for it in d.items} == {"summary", "plan"}
    assert all(it.section == ("plan" if it.start >= plan.start else "summary") for it in d.items)
    assert "存在的主要問題" in " ".join(it.path_str for it in d.items if it.section == "summary")


def test_003_reviews_2021_and_plans_the_next_year(inferred):
    d = inferred["003_d3b064de2d82a876"]
    assert (d.kind, d.year, d.review_year, d.plan_year) == ("mixed", 2021, 2021, 2022)
    assert d.issuer == "教育局委员会"
    summary, plan = d.sections
    assert (summary.year, plan.year) == (2021, 2022)
    assert d.text[plan.start:].startswith("二、xxxx年工作思路")


def test_002_untitled_plan_is_a_plan_by_its_verbs(inferred):
    d = inferred["002_4f4de1c647e2620a"]
    assert d.title == "" and d.kind == "plan" and "kind-from-body" in d.flags
    assert d.year is None and d.year_mask is None and d.region is None


def test_004_city_plans_say_no_year(inferred):
    for n in (1, 2):
        d = inferred[f"004_4b2046a4564d6d1c#{n}"]
        assert (d.kind, d.year, d.year_mask, d.region) == ("plan", None, None, None)
        assert year_range(d) is None


def test_government_work_report(gwr_dir):
    src = read_source(gwr_dir / "national_gwr_2025.txt")
    (d,) = outline.parse_source(src)
    infer_metadata(d)
    assert (d.kind, d.issuer, d.region) == ("report", "国务院", "全国")
    assert (d.year, d.review_year, d.plan_year) == (2025, 2024, 2025)  # 一、2024年工作回顾 … 三、2025年政府工作任务
    assert [s.kind for s in d.sections] == ["summary", "plan"]
    (p,) = outline.parse_source(read_source(gwr_dir / "province_beijing_gwr_2025.txt"))
    infer_metadata(p)
    assert (p.kind, p.year, p.region, p.issuer) == ("report", 2025, "北京市", "北京市人民政府")


def _doc(text: str) -> Document:
    (d,) = outline.parse_source(SourceText("t.txt", text, "txt"))
    for it in d.items:
        it.norm = normalise(it.text)
    return infer_metadata(d)


def test_titles_in_chinese_numerals_and_signatures():
    d = _doc("靖江市教育局二〇二一年工作要点\n一、总体要求\n夯实基础,完善机制。\n二、主要目标\n提高质量。\n")
    assert (d.year, d.kind, d.region, d.issuer) == (2021, "plan", "靖江市", "靖江市教育局")
    s = _doc("一、主要工作\n全年完成了校舍改造。\n二、存在问题\n经费不足。\nXX县教育局\n2019年12月30日\n")
    assert s.year == 2019 and "year-from-signature" in s.flags
    assert s.issuer == "XX县教育局" and s.region is None and "region-masked:XX县" in s.flags


def test_plain_text_without_numbering_is_flagged():
    d = _doc("全年完成了校舍改造,取得了明显成效。\n教师培训有序开展,完成了年度任务。\n")
    assert "no-numbering" in d.flags and len(d.items) >= 1
    assert d.kind == "summary"


@given(st.sampled_from(["201X", "201x", "20**", "20＊＊", "202_", "xxxx", "**"]))
def test_masks_are_kept_and_ranged(mask):
    (tok,) = find_years(f"区教育局{mask}年工作要点")
    assert tok.year is None and tok.mask == canonical_mask(mask)
    rng = mask_range(tok.mask)
    if tok.mask in ("xxxx", "**"):
        assert rng is None
    else:
        lo, hi = rng
        assert lo <= 2019 <= hi or lo >= 2020 and str(lo).startswith(tok.mask.rstrip("X*_"))


@given(st.integers(1950, 2099))
def test_every_year_is_found_in_digits_and_in_chinese(y):
    cn = "".join("〇一二三四五六七八九"[int(c)] for c in str(y))
    assert [t.year for t in find_years(f"{y}年工作要点")] == [y]
    assert [t.year for t in find_years(f"{cn}年工作要点")] == [y]


# ---------------------------------------------------------------- the manifest

def test_our_manifest_loads(tmp_path):
    rows = load_manifest(CORPUS / "manifest.csv")
    by_key = {r.key: r for r in rows}
    assert all(r.note for r in rows)  # every row says how the person knew
    r = by_key["001_c0800182451e36bf"]
    assert (r.review_year, r.plan_year, r.region, r.kind) == (2010, 2011, "东营市", "mixed")


def test_the_second_corpus_header_is_accepted(gwr_dir):
    rows = load_manifest(gwr_dir / "manifest.csv")
    assert len(rows) == 18
    assert {r.kind for r in rows} == {"report"}
    assert rows[0].key.endswith(".txt") and rows[0].note.startswith("github:")


@pytest.mark.parametrize("content,message", [
    ("doc,colour\na.txt,red\n", r"manifest\.csv:1: unknown column 'colour'"),
    ("doc,year\na.txt,twenty\n", r"manifest\.csv:2: bad year 'twenty'"),
    ("doc,year,kind\na.txt,2021,plan\nb.txt,2022,memo\n", r"manifest\.csv:3: unknown kind 'memo'"),
    ("title,year\nx,2021\n", r"manifest\.csv:1: no 'doc' column"),
])
def test_bad_manifest_names_file_and_line(tmp_path, content, message):
    (tmp_path / "manifest.csv").write_text(content, encoding="utf-8")
    with pytest.raises(PlansearchError, match=message):
        load_manifest(tmp_path / "manifest.csv")


def test_document_rows_win_over_file_rows_and_unmatched_rows_warn():
    docs = infer("000")
    rows = [ManifestRow("000_5ae896fcb747d54c.txt", 2, region="某区", issuer="某区教育局"),
            ManifestRow("000_5ae896fcb747d54c#5", 3, region="夷陵区", year_mask="202_"),
            ManifestRow("999_missing.txt", 4, region="无")]
    warnings = apply_manifest(docs, rows)
    assert warnings == ["manifest line 4: '999_missing.txt' matches no document"]
    assert [d.region for d in docs] == ["某区"] * 4 + ["夷陵区"]
    assert docs[0].overridden == ("region", "issuer")
    assert docs[4].overridden == ("region", "issuer", "year")
    assert docs[4].year is None and docs[4].year_mask == "202_"


def test_manifest_year_on_a_mixed_document_sets_both_parts():
    (d,) = infer("001")
    apply_manifest([d], [ManifestRow("001_c0800182451e36bf", 2, year=2010)])
    assert (d.year, d.review_year, d.plan_year, d.year_mask) == (2010, 2010, 2011, None)
    assert [s.year for s in d.sections] == [2010, 2011]


def test_a_speech_to_the_deputies_is_a_report_though_its_salutation_is_furniture():
    d = _doc("各位代表：\n过去一年，全县经济平稳增长，民生持续改善。\n一、2024年工作回顾\n新建学校三所。\n"
             "二、2025年主要任务\n新建幼儿园五所。\n")
    assert [j.what for j in d.junk] == ["junk:salutation"] and d.items[0].text.startswith("过去一年")
    assert d.kind == "report"


# ---------------------------------------------------------------- titles


def infer_file(path) -> list[Document]:
    docs = outline.parse_source(read_source(path))
    for d in docs:
        infer_metadata(d)
    return docs


@pytest.mark.parametrize("year,printed", [(2013, ""), (2019, ""), (2025, ""), (2017, "政府工作报告"),
                                          (2023, "政府工作报告")])
def test_a_national_report_without_a_title_of_its_own_gets_a_built_one(gwr_dir, year, printed):
    path = gwr_dir / f"national_gwr_{year}.txt"
    (doc,) = outline.parse_source(read_source(path))
    assert doc.title == printed  # what the text itself says
    infer_metadata(doc)
    # 2013 never names its year (过去五年 / 今年): the manifest supplies it, see below
    assert doc.title == ("国务院政府工作报告" if year == 2013 else f"{year}年国务院政府工作报告")
    assert "title-built" in doc.flags


def test_the_2023_report_is_dated_by_the_day_it_was_read_not_by_the_year_it_reviews(gwr_dir):
    # "——2023年3月5日在第十四届全国人民代表大会第一次会议上"; its opening speaks of 2022
    (doc,) = infer_file(gwr_dir / "national_gwr_2023.txt")
    assert (doc.year, doc.review_year, doc.plan_year) == (2023, 2022, 2023)


def test_reports_and_seed_plans_with_titles_of_their_own_keep_them(gwr_dir, inferred):
    for name in ("beijing", "sichuan", "guangdong"):
        (doc,) = infer_file(gwr_dir / f"province_{name}_gwr_2025.txt")
        assert doc.title.startswith("2025年") and doc.title.endswith("政府工作报告")
        assert "title-built" not in doc.flags
    assert inferred["000_5ae896fcb747d54c#1"].title == "区教育局201X年工作要点"
    assert inferred["004_4b2046a4564d6d1c#1"].title == "全市教育工作要点"
    assert not any("title-built" in d.flags for d in inferred.values())
    # 002 says nothing of its issuer, year or place (the manifest titles it): nothing to build from
    assert inferred["002_4f4de1c647e2620a"].title == ""


def test_a_plan_titled_only_with_its_kind_is_titled_from_what_metadata_read(tmp_path):
    # 000's second plan with its title "202_-202_区教育局工作要点" cut down to "工作要点"
    text = seed_path("000").read_text("utf-8").replace("202_-202_区教育局工作要点", "工作要点")
    doc = outline.parse_source(SourceText("v.txt", text, "txt"))[1]
    assert doc.title == "工作要点"
    infer_metadata(doc)
    assert doc.title == "202_年华州区工作要点" and "title-built" in doc.flags  # its own kind words


def test_the_manifest_year_reaches_a_built_title_and_a_manifest_title_wins(gwr_dir, tmp_path):
    from plansearch import load_corpus

    docs = {d.doc_id: d for d in load_corpus(gwr_dir)}
    assert docs["national_gwr_2013"].title == "2013年国务院政府工作报告"  # year from manifest.csv
    assert "title-built" in docs["national_gwr_2013"].flags
    (tmp_path / "national_gwr_2019.txt").write_text((gwr_dir / "national_gwr_2019.txt").read_text("utf-8"), "utf-8")
    (tmp_path / "manifest.csv").write_text("doc,title\nnational_gwr_2019.txt,第十三届全国人大二次会议政府工作报告\n", "utf-8")
    (doc,) = load_corpus(tmp_path)
    assert doc.title == "第十三届全国人大二次会议政府工作报告" and "title-built" not in doc.flags


# ---------------------------------------------------------------- a manifest as people edit it

def _manifest(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "manifest.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _our_manifest() -> str:
    return (CORPUS / "manifest.csv").read_text(encoding="utf-8")


def _rows_as_values(rows: list[ManifestRow]) -> list[tuple]:
    return [(r.key, r.line, r.title, r.year, r.year_mask, r.review_year, r.plan_year, r.region, r.issuer,
             r.kind, r.note) for r in rows]


def test_a_quote_left_open_costs_its_own_row_only(tmp_path):
    # 001's note loses its closing quote: csv would read on into 002's row (and drop it silently)
    text = _our_manifest()
    broken = text.replace("The page title lost the year (年的度).\"", "The page title lost the year (年的度).")
    assert broken != text
    path = _manifest(tmp_path, broken)
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [f"{path}:5: a quote is left open (its cell runs on to line 6); row ignored"]
    assert [r.key for r in rows] == ["000_5ae896fcb747d54c#2", "000_5ae896fcb747d54c#5", "002_4f4de1c647e2620a",
                                     "003_d3b064de2d82a876", "004_4b2046a4564d6d1c.txt"]
    good = {r.key: r for r in load_manifest(CORPUS / "manifest.csv")}
    assert _rows_as_values(rows) == _rows_as_values([good[r.key] for r in rows])


def test_a_quote_left_open_that_another_quote_closes_is_still_caught(tmp_path):
    # the open quote in a's year cell is closed at the end of b's row: one well-formed CSV record
    # over two lines, but a year never holds a line break
    path = _manifest(tmp_path, 'doc,year,note\na.txt,"2021,x\nb.txt,2022,checked"\nc.txt,2023,\n')
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [f"{path}:2: a quote is left open (its cell runs on to line 3); row ignored"]
    assert [(r.key, r.line, r.year, r.note) for r in rows] == [("b.txt", 3, 2022, 'checked"'), ("c.txt", 4, 2023, "")]


def test_a_stray_quote_inside_a_quoted_cell_is_reported(tmp_path):
    path = _manifest(tmp_path, 'doc,title,year\na.txt,"《通知》"(2021)",2021\nb.txt,,2022\n')
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [f"{path}:2: bad quoting (',' expected after '\"'; a quote inside a quoted cell is written "
                        f"\"\"); row ignored"]
    assert [(r.key, r.year) for r in rows] == [("b.txt", 2022)]


def test_a_note_may_run_over_lines(tmp_path):
    path = _manifest(tmp_path, 'doc,year,note\na.txt,2021,"first line\nsecond line"\nb.txt,2022,\n')
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == []
    assert [(r.key, r.line, r.note) for r in rows] == [("a.txt", 2, "first line\nsecond line"), ("b.txt", 4, "")]


def test_a_plan_year_before_the_review_year_is_refused(tmp_path):
    path = _manifest(tmp_path, "doc,year\n001_c0800182451e36bf,2022→2010\n003_d3b064de2d82a876,2021→2022\n"
                               "004_4b2046a4564d6d1c.txt,2021->2021\n")
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [f"{path}:2: review→plan year '2022→2010' plans for a year before the one it reviews "
                        f"(write the reviewed year first, e.g. 2010→2011); row ignored"]
    # a review and a plan of the same year (上半年总结, 下半年计划) is a real document
    assert [(r.key, r.review_year, r.plan_year) for r in rows] == [("003_d3b064de2d82a876", 2021, 2022),
                                                                     ("004_4b2046a4564d6d1c.txt", 2021, 2021)]
    with pytest.raises(PlansearchError, match=r"manifest\.csv:2: review→plan year '2022→2010' plans for a year"):
        load_manifest(path)  # without a warnings list the first bad row raises, as before


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_the_manifest_may_be_in_any_encoding_a_corpus_file_may(tmp_path, encoding):
    rows = load_manifest(_manifest(tmp_path, _our_manifest(), encoding))
    assert _rows_as_values(rows) == _rows_as_values(load_manifest(CORPUS / "manifest.csv"))
    assert rows[2].issuer == "东营市教育局"


def test_a_traditional_manifest_in_big5(tmp_path):
    import opencc

    text = opencc.OpenCC("s2tw").convert(_our_manifest())
    rows = load_manifest(_manifest(tmp_path, text, "big5"))
    by_key = {r.key: r for r in rows}
    assert (by_key["001_c0800182451e36bf"].region, by_key["001_c0800182451e36bf"].review_year) == ("東營市", 2010)
    assert _rows_as_values(rows) == _rows_as_values(load_manifest(_manifest(tmp_path, text, "utf-8")))


def test_an_unknown_column_and_extra_cells_are_warnings(tmp_path):
    path = _manifest(tmp_path, "doc,year,region,colour,note\n"
                               "003_d3b064de2d82a876,2021→2022,新都区,red,成都市新都区, the text says 新都教化\n"
                               "004_4b2046a4564d6d1c.txt,,,,\n")
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [
        f"{path}:1: unknown column 'colour' ignored (columns: doc,title,year,date,region,level,issuer,kind,note)",
        f"{path}:2: 6 cells for 5 columns: the cells from column 5 on are read as the note "
        f"(quote a cell that holds a comma)"]
    assert [(r.key, r.review_year, r.region, r.note) for r in rows] == [
        ("003_d3b064de2d82a876", 2021, "新都区", "成都市新都区, the text says 新都教化"),
        ("004_4b2046a4564d6d1c.txt", None, None, "")]


def test_extra_cells_in_a_manifest_that_does_not_end_in_a_note_drop_the_row(gwr_dir, tmp_path):
    lines = (gwr_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",report"  # the 2024 report's row gets a seventh cell
    path = _manifest(tmp_path, "\n".join(lines) + "\n")
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [f"{path}:3: 7 cells for 6 columns (quote a cell that holds a comma); row ignored"]
    assert len(rows) == 17 and "national_gwr_2024.txt" not in {r.key for r in rows}


def test_every_bad_row_is_reported_by_line_and_the_good_rows_kept(tmp_path):
    path = _manifest(tmp_path, "doc,year,kind\n"
                               "a.txt,twenty,plan\n"
                               "b.txt,2021,memo\n"
                               ",2021,plan\n"
                               "c.txt,2022,plan\n")
    warnings: list[str] = []
    rows = load_manifest(path, warnings)
    assert warnings == [
        f"{path}:2: bad year 'twenty' (use 2021, a mask like 201X / 20** / 202_, or review→plan like 2010→2011); "
        f"row ignored",
        f"{path}:3: unknown kind 'memo' (one of plan, summary, report, mixed, unknown); row ignored",
        f"{path}:4: empty 'doc' cell; row ignored"]
    assert [(r.key, r.line, r.year, r.kind) for r in rows] == [("c.txt", 5, 2022, "plan")]


@pytest.mark.parametrize("data,problem", [
    (bytes(range(256)) * 4, "not a text file (binary data: NUL bytes)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "not a text file (a PNG image)"),
], ids=["random-bytes", "png"])
def test_a_manifest_that_cannot_be_read_is_one_error_naming_it(tmp_path, data, problem):
    (tmp_path / "manifest.csv").write_bytes(data)
    with pytest.raises(PlansearchError) as e:
        load_manifest(tmp_path / "manifest.csv", [])
    assert str(e.value) == f"{tmp_path / 'manifest.csv'}: cannot read manifest ({problem})"
    (tmp_path / "manifest.csv").write_text("title,year\nx,2021\n", encoding="utf-8")
    with pytest.raises(PlansearchError, match=r"manifest\.csv:1: no 'doc' column"):
        load_manifest(tmp_path / "manifest.csv", [])


def test_load_corpus_reports_bad_manifest_rows_and_applies_the_good_ones(tmp_path):
    from plansearch import load_corpus

    for p in ("003", "004"):
        (tmp_path / seed_path(p).name).write_bytes(seed_path(p).read_bytes())
    _manifest(tmp_path, "doc,year,region,issuer,note\n"
                        '003_d3b064de2d82a876,2022→2010,新都区,,"typo\n'
                        "004_4b2046a4564d6d1c.txt,,,市教育局,\n", "gb18030")
    warnings: list[str] = []
    docs = {d.doc_id: d for d in load_corpus(tmp_path, warnings=warnings)}
    assert warnings == [f"{tmp_path / 'manifest.csv'}:2: a quote is opened and never closed; row ignored"]
    assert docs["004_4b2046a4564d6d1c#2"].issuer == "市教育局" and docs["004_4b2046a4564d6d1c#2"].overridden == ("issuer",)
    assert docs["003_d3b064de2d82a876"].overridden == ()
    with pytest.raises(PlansearchError, match=r"manifest\.csv:2: a quote is opened and never closed$"):
        load_corpus(tmp_path)  # without a warnings list, as before, the first bad row raises


def test_a_row_whose_document_cell_starts_with_a_hash_is_a_comment_wherever_that_column_stands(tmp_path):
    # found by the manifest fuzz: with the doc column last, `,,#x` was read as a row for "#x"
    m = tmp_path / "manifest.csv"
    m.write_text("title,kind,doc\n,plan,#003_d3b064de2d82a876.txt\n改过的标题,,002_4f4de1c647e2620a.txt\n",
                 encoding="utf-8")
    warnings: list[str] = []
    rows = load_manifest(m, warnings)
    assert [r.key for r in rows] == ["002_4f4de1c647e2620a.txt"] and warnings == []


# ---------------------------------------------------------------- administrative level

def test_the_work_reports_are_one_national_voice_a_year_and_six_provinces_in_2025(gwr_dir):
    from plansearch import load_corpus

    levels = {d.doc_id: d.level for d in load_corpus(gwr_dir)}
    national = sorted(k for k, v in levels.items() if v == "national")
    provinces = sorted(k for k, v in levels.items() if v == "province")
    assert national == sorted(k for k in levels if k.startswith("national_gwr_"))  # 国务院, 全国
    # 北京市 and 上海市 are 直辖市: a province's level, not a city's
    assert provinces == sorted(k for k in levels if k.startswith("province_")) and len(provinces) == 6


def test_a_plans_level_comes_from_its_issuer_before_its_region(docs_by_id):
    from plansearch.metadata import infer_level

    by_issuer = {d.issuer: d.level for d in docs_by_id.values()}
    assert by_issuer["华州区教育局"] == by_issuer["区教育局"] == "district"  # a bare 区 says it too
    assert by_issuer["东营市教育局"] == by_issuer["市教育局"] == "city"
    assert infer_level("渭南市", "渭南市华州区教育局") == "district"  # the most specific unit
    assert infer_level("北京市", "北京市海淀区教育委员会") == "district"
    assert infer_level("昆山市", "苏州市昆山市教育局") == "county"  # a 市 under a 市: 县级市
    assert infer_level("昆山市", "昆山市（县级）教育局") == "county"
    assert infer_level("广西壮族自治区", "广西壮族自治区人民政府") == "province"
    assert infer_level(None, "某某旗教育局") == "county" and infer_level(None, None) is None


def test_the_manifest_sets_a_level_in_either_language_and_refuses_an_unknown_one(gwr_dir, tmp_path):
    from plansearch import load_corpus

    for name in ("national_gwr_2019.txt", "province_gansu_gwr_2025.txt"):
        (tmp_path / name).write_text((gwr_dir / name).read_text("utf-8"), "utf-8")
    (tmp_path / "manifest.csv").write_text("doc,level\nnational_gwr_2019.txt,省\nprovince_gansu_gwr_2025.txt,city\n",
                                           "utf-8")
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert docs["national_gwr_2019"].level == "province" and "level" in docs["national_gwr_2019"].overridden
    assert docs["province_gansu_gwr_2025"].level == "city"
    with pytest.raises(PlansearchError, match=r"manifest.csv:2: unknown level 'planet'"):
        load_manifest(_manifest(tmp_path, "doc,level\nnational_gwr_2019.txt,planet\n"))
